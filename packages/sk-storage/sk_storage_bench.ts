// Inline vs fallback lookups at 500,000 owners, against WeakMap keyed by owner objects and a
// Map<number, Uint8Array>; memory per owner; interned vs plain with 500 distinct values.
// The "Store view" group reads through the contract (`skStorageBackend.create`, 10,000 owners,
// 8-byte values): `getInto` (the hot read path), the copying `get`, and a walk of `entries()`
// with and without `{ reuse: true }`, each over all 10,000 keys per iteration, so the ratios are
// per entry.
// The "interned flood" group sets 32,773 distinct 4-byte values into a fresh interned value
// table: crafted to share one FNV-1a bucket (what the old unkeyed table let anyone do) vs
// random ones; with the keyed hash both cost the same.
// Run: deno bench packages/sk-storage/sk_storage_bench.ts (add --v8-flags=--expose-gc for
// steadier heap numbers of the JS peers).
import { F_CREATE, OwnerTable, skStorageBackend, SkStorageMap } from "@kvkit/sk-storage";
import { u32Key } from "@kvkit/store";
import { InternTable } from "./_intern_table.ts";

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

const VIEW_KEYS = 10_000;
const view = skStorageBackend.create({ owners: VIEW_KEYS, valueSize: 8 });
const viewKeys = Array.from({ length: VIEW_KEYS }, (_, k) => u32Key(k));
for (const key of viewKeys) view.set(key, new Uint8Array(8).fill(key[0]!));
const viewOut = new Uint8Array(8);
Deno.bench({ group: "Store view, 10K keys", name: "getInto", baseline: true, n: 200 }, () => {
  let s = 0;
  for (const key of viewKeys) {
    view.getInto(key, viewOut);
    s += viewOut[0]!;
  }
  sink ^= s;
});
Deno.bench({ group: "Store view, 10K keys", name: "get (a copy)", n: 200 }, () => {
  let s = 0;
  for (const key of viewKeys) s += view.get(key)![0]!;
  sink ^= s;
});
Deno.bench({ group: "Store view, 10K keys", name: "entries() (copies)", n: 200 }, () => {
  let s = 0;
  for (const [key, value] of view.entries()) s += key[0]! + value[0]!;
  sink ^= s;
});
Deno.bench({ group: "Store view, 10K keys", name: "entries({ reuse: true })", n: 200 }, () => {
  let s = 0;
  for (const [key, value] of view.entries({ reuse: true })) s += key[0]! + value[0]!;
  sink ^= s;
});

// 4-byte values whose FNV-1a hash has its low 17 bits zero: one bucket of any unkeyed FNV-1a
// table up to 2^17 buckets (see _intern_table_test.ts for why the search is cheap).
const FLOOD = 32_773;
const crafted: Uint8Array[] = [];
for (let prefix = 0; crafted.length < FLOOD; prefix++) {
  let h = 0x811c9dc5;
  for (const b of [prefix & 0xff, (prefix >>> 8) & 0xff, prefix >>> 16]) {
    h = Math.imul(h ^ b, 0x01000193);
  }
  if ((h & 0x1ff00) === 0) {
    crafted.push(new Uint8Array([prefix & 0xff, (prefix >>> 8) & 0xff, prefix >>> 16, h & 0xff]));
  }
}
const randomValues = Array.from({ length: FLOOD }, (_, i) => {
  const v = new Uint8Array(4);
  new DataView(v.buffer).setUint32(0, Math.floor(random() * 2 ** 32) ^ i, true);
  return v;
});
Deno.bench({ group: "interned flood", name: "32,773 random values", baseline: true, n: 10 }, () => {
  const t = new InternTable(4);
  for (const v of randomValues) t.acquire(v);
  sink ^= t.live;
});
Deno.bench({ group: "interned flood", name: "32,773 crafted values", n: 10 }, () => {
  const t = new InternTable(4);
  for (const v of crafted) t.acquire(v);
  sink ^= t.live;
});

addEventListener("unload", () => {
  if (sink === 0.5) console.log(sink);
});
