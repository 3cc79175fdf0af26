// Inline vs fallback lookups at 500,000 owners, against WeakMap keyed by owner objects and a
// Map<number, Uint8Array>; memory per owner; interned vs plain with 500 distinct values.
// Run: deno bench packages/sk-storage/sk_storage_bench.ts (add --v8-flags=--expose-gc for
// steadier heap numbers of the JS peers).
import { F_CREATE, OwnerTable, SkStorageMap } from "@kvkit/sk-storage";

const OWNERS = 500_000;
// Per-connection state: a few counters and a timestamp.
const VALUE_SIZE = 16;
// Lookups per bench iteration, in random owner order.
const BATCH = 4096;
// The talk's case: ~500 distinct values across 500,000 sockets.
const DISTINCT = 500;
const SHARED_SIZE = 64;

function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t ^= t + Math.imul(t ^ (t >>> 7), 61 | t);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}
const random = rng(42);
const order = Int32Array.from({ length: BATCH * 64 }, () => Math.floor(random() * OWNERS));
let cursor = 0;
function nextBatch(): number {
  cursor = (cursor + BATCH) % order.length;
  return cursor;
}

const gc = (globalThis as { gc?: () => void }).gc;
function heapUsed(): number {
  gc?.();
  gc?.();
  return Deno.memoryUsage().heapUsed + Deno.memoryUsage().external;
}
function measure<T>(build: () => T): [T, number] {
  const samples: number[] = [];
  let value!: T;
  for (let i = 0; i < 3; i++) {
    value = undefined as T;
    const before = heapUsed();
    value = build();
    samples.push(heapUsed() - before);
  }
  samples.sort((a, b) => a - b);
  return [value, samples[1]!];
}

function fill(map: SkStorageMap, table: OwnerTable, value: (i: number) => Uint8Array): void {
  for (let i = 0; i < OWNERS; i++) map.set(table.createOwner(), value(i));
}
const stateOf = (i: number): Uint8Array => {
  const v = new Uint8Array(VALUE_SIZE);
  new DataView(v.buffer).setUint32(0, i, true);
  return v;
};

const inlineTable = new OwnerTable({ owners: OWNERS, inlineBytes: VALUE_SIZE });
const inlineMap = new SkStorageMap(inlineTable, { name: "state", valueSize: VALUE_SIZE });
fill(inlineMap, inlineTable, stateOf);
const fallbackTable = new OwnerTable({ owners: OWNERS, inlineBytes: 0 });
const fallbackMap = new SkStorageMap(fallbackTable, { name: "state", valueSize: VALUE_SIZE });
fill(fallbackMap, fallbackTable, stateOf);

const sockets = Array.from({ length: OWNERS }, (_, i) => ({ fd: i }));
const [weak, weakBytes] = measure(() => {
  const w = new WeakMap<object, Uint8Array>();
  for (let i = 0; i < OWNERS; i++) w.set(sockets[i]!, stateOf(i));
  return w;
});
const [plainMap, mapBytes] = measure(() => {
  const m = new Map<number, Uint8Array>();
  for (let i = 0; i < OWNERS; i++) m.set(i, stateOf(i));
  return m;
});

const shared = Array.from({ length: DISTINCT }, (_, i) => {
  const v = new Uint8Array(SHARED_SIZE).fill(i % 251);
  v[0] = i & 0xff;
  v[1] = i >> 8;
  return v;
});
const plainTable = new OwnerTable({ owners: OWNERS, inlineBytes: SHARED_SIZE });
const plain = new SkStorageMap(plainTable, { name: "policy", valueSize: SHARED_SIZE });
fill(plain, plainTable, (i) => shared[i % DISTINCT]!);
const internTable = new OwnerTable({ owners: OWNERS, inlineBytes: 2 });
const interned = new SkStorageMap(internTable, {
  name: "policy",
  valueSize: SHARED_SIZE,
  interned: true,
});
fill(interned, internTable, (i) => shared[i % DISTINCT]!);

const perOwner = (bytes: number): string => `${(bytes / OWNERS).toFixed(1)} B/owner`;
const inlineMem = inlineTable.memory();
const fallbackMem = fallbackTable.memory();
console.log(`memory at ${OWNERS} owners, ${VALUE_SIZE} B value:`);
console.log(
  `  inline   ${perOwner(inlineMem.total)} (table ${perOwner(inlineMem.table)}, fallback ${
    perOwner(inlineMem.fallback)
  })`,
);
console.log(
  `  fallback ${perOwner(fallbackMem.total)} (table ${perOwner(fallbackMem.table)}, fallback ${
    perOwner(fallbackMem.fallback)
  })`,
);
console.log(
  `  saved by inline: ${perOwner(fallbackMem.total - inlineMem.total)} (charged to owner: ${
    fallbackTable.ownerCharge(0)
  } B fallback vs ${inlineTable.ownerCharge(0)} B inline)`,
);
console.log(
  `  WeakMap<object, Uint8Array> heap ~${perOwner(weakBytes)}; Map<number, Uint8Array> heap ~${
    perOwner(mapBytes)
  }${gc ? "" : " (no --expose-gc: rough)"}`,
);
console.log(
  `interned vs plain, ${DISTINCT} distinct ${SHARED_SIZE} B values over ${OWNERS} owners:`,
);
console.log(`  plain    ${perOwner(plainTable.memory().total)}`);
console.log(
  `  interned ${
    perOwner(internTable.memory().total)
  } (value table ${interned.memory().interned} B, ${interned.distinctValues} values)`,
);
console.log(
  `  saved ${perOwner(plainTable.memory().total - internTable.memory().total)} (${
    (plainTable.memory().total / internTable.memory().total).toFixed(1)
  }x less)`,
);

let sink = 0;
const inlineIds = Int32Array.from({ length: OWNERS }, (_, i) => i); // owner ids = slots here

Deno.bench({ group: "lookup", name: "inline (sk-storage)", n: 200 }, () => {
  const start = nextBatch();
  let s = 0;
  for (let i = start; i < start + BATCH; i++) s += inlineMap.readU32(inlineIds[order[i]!]!)!;
  sink ^= s;
});
Deno.bench({
  group: "lookup",
  name: "fallback (sk-storage, inlineBytes 0)",
  baseline: true,
  n: 200,
}, () => {
  const start = nextBatch();
  let s = 0;
  for (let i = start; i < start + BATCH; i++) s += fallbackMap.readU32(inlineIds[order[i]!]!)!;
  sink ^= s;
});
Deno.bench({ group: "lookup", name: "WeakMap<owner object, Uint8Array>", n: 200 }, () => {
  const start = nextBatch();
  let s = 0;
  for (let i = start; i < start + BATCH; i++) {
    const v = weak.get(sockets[order[i]!]!)!;
    s += (v[0]! | v[1]! << 8 | v[2]! << 16 | v[3]! << 24) >>> 0;
  }
  sink ^= s;
});
Deno.bench({ group: "lookup", name: "Map<number, Uint8Array>", n: 200 }, () => {
  const start = nextBatch();
  let s = 0;
  for (let i = start; i < start + BATCH; i++) {
    const v = plainMap.get(order[i]!)!;
    s += (v[0]! | v[1]! << 8 | v[2]! << 16 | v[3]! << 24) >>> 0;
  }
  sink ^= s;
});

Deno.bench({ group: "shared values", name: "plain 64 B inline", baseline: true, n: 200 }, () => {
  const start = nextBatch();
  let s = 0;
  for (let i = start; i < start + BATCH; i++) s += plain.readU32(order[i]!, 4)!;
  sink ^= s;
});
Deno.bench(
  { group: "shared values", name: "interned (2 B index inline + value table)", n: 200 },
  () => {
    const start = nextBatch();
    let s = 0;
    for (let i = start; i < start + BATCH; i++) s += interned.readU32(order[i]!, 4)!;
    sink ^= s;
  },
);

// Owner churn (connections closing and opening): destroy a random owner, create one, F_CREATE.
function churn(table: OwnerTable, map: SkStorageMap, ids: Float64Array): void {
  const start = nextBatch();
  for (let i = start; i < start + 256; i++) {
    const slot = order[i]!;
    table.destroyOwner(ids[slot]!);
    const id = table.createOwner();
    ids[table.slotOf(id)] = id;
    map.get(id, F_CREATE);
  }
}
const inlineLive = Float64Array.from({ length: OWNERS }, (_, i) => i);
const fallbackLive = Float64Array.from({ length: OWNERS }, (_, i) => i);
Deno.bench({ group: "owner churn", name: "inline", baseline: true, n: 200 }, () => {
  churn(inlineTable, inlineMap, inlineLive);
});
Deno.bench({ group: "owner churn", name: "fallback", n: 200 }, () => {
  churn(fallbackTable, fallbackMap, fallbackLive);
});

addEventListener("unload", () => {
  if (sink === 0.5) console.log(sink);
});
