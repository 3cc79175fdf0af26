// Program-side get/put against raw typed-array access of the same bytes (the goal: within
// 2x), against the same raw access behind a hand-written seqlock (what the consistent mode
// does), and against what a user would do instead: postMessage of a Map (structured clone)
// and the `sharedmap` npm package. Every bench runs OPS operations per iteration and does
// the same work per operation as its baseline (same bytes, same destination, same use of
// the result). The "Store view" group reads through the contract (`uptrKvBackend.create`):
// `getInto` (the hot read path), the copying `get`, and a walk of `entries()` with and without
// `{ reuse: true }`, each over all 1024 keys per iteration, so the ratios are per entry.
//
//   deno bench packages/uptr-kv/uptr_kv_bench.ts

import SharedMap from "sharedmap";
import { u32Key } from "@kvkit/store";
import { uptrKvBackend, UptrKvOwner, UptrKvProgram } from "./mod.ts";

const OPS = 1000;
const KEY_SMALL = 1; // 8-byte value
const KEY_BIG = 2; // 4096-byte value

function program(consistent: boolean): UptrKvProgram {
  const owner = new UptrKvOwner({ consistent });
  owner.put(0, new Uint8Array(24)); // so the values sit at non-zero offsets
  owner.put(KEY_SMALL, Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]));
  owner.put(KEY_BIG, new Uint8Array(4096).fill(7));
  return UptrKvProgram.attach(owner.regions);
}
const plain = program(false);
const consistent = program(true);

// The raw baseline: the same bytes at the same offsets of a SharedArrayBuffer, no metadata.
const rawBuf = new SharedArrayBuffer(2 * 4096);
const raw = new Uint8Array(rawBuf);
const rawF64 = new Float64Array(rawBuf);
const RAW_SMALL = 24; // key 1's offset in page 0
const RAW_BIG = 4096; // key 2's offset: page 1
const rawBig = raw.subarray(RAW_BIG, RAW_BIG + 4096);
// What consistency costs without kvkit: the same bytes behind a hand-written seqlock (one i32
// counter; Atomics.load around a read, compareExchange/store around a write) - the floor for
// uptr-kv's consistent mode, since V8 runs each Atomics call as a builtin call (~9 ns).
const rawSeq = new Int32Array(new SharedArrayBuffer(4));
function rawSeqGet(): void {
  for (;;) {
    const s = Atomics.load(rawSeq, 0);
    for (let j = 0; j < 8; j++) out[j] = raw[RAW_SMALL + j]!;
    if ((s & 1) === 0 && Atomics.load(rawSeq, 0) === s) return;
  }
}
function rawSeqF64(): number {
  for (;;) {
    const s = Atomics.load(rawSeq, 0);
    const v = rawF64[RAW_SMALL >> 3]!;
    if ((s & 1) === 0 && Atomics.load(rawSeq, 0) === s) return v;
  }
}
function rawSeqPut(): void {
  for (;;) {
    const s = rawSeq[0]!;
    if ((s & 1) !== 0 || Atomics.compareExchange(rawSeq, 0, s, s + 1) !== s) continue;
    for (let j = 0; j < 8; j++) raw[RAW_SMALL + j] = small[j]!;
    Atomics.store(rawSeq, 0, s + 2);
    return;
  }
}

const out = new Uint8Array(4096);
const small = Uint8Array.from([8, 7, 6, 5, 4, 3, 2, 1]);
const big = new Uint8Array(4096).fill(3);
// Each bench sums into a local and adds it to `sink` once per iteration: `sink += x` per
// operation would box a number into the module variable every time (a heap allocation that
// costs more than an 8-byte copy and would flatter every ratio).
let sink = 0;

// What a user shares without kvkit: a Map posted to each Worker (cloned on every update),
// or sharedmap's string-valued hash map in a SharedArrayBuffer.
const map = new Map<number, Uint8Array>();
for (let k = 0; k < 64; k++) map.set(k, new Uint8Array(8).fill(k));
// deno-lint-ignore no-explicit-any
const shared = new (SharedMap as any)(1024, 8, 8) as {
  set(k: string, v: string): void;
  get(k: string): string | undefined;
};
shared.set("1", "abcdefgh");

// Heap growth over a million typed-path operations: the promise is no allocation.
{
  let acc = 0;
  for (let i = 0; i < 100_000; i++) acc += consistent.getInto(KEY_SMALL, out);
  const before = Deno.memoryUsage().heapUsed;
  for (let i = 0; i < 1_000_000; i++) {
    acc += consistent.getInto(KEY_SMALL, out) + consistent.getInto(KEY_BIG, out);
    consistent.put(KEY_SMALL, small);
    acc += consistent.readF64(KEY_SMALL, 0);
  }
  const grown = Deno.memoryUsage().heapUsed - before;
  sink += acc;
  console.log(`heap growth over 1M x (getInto 8 B + getInto 4 KB + put + readF64): ${grown} bytes`);
}

Deno.bench("raw Uint8Array copy", { group: "get 8 B", baseline: true }, () => {
  let acc = 0;
  for (let i = 0; i < OPS; i++) {
    for (let j = 0; j < 8; j++) out[j] = raw[RAW_SMALL + j]!;
    acc += out[0]!;
  }
  sink += acc;
});
Deno.bench("uptr-kv getInto, plain", { group: "get 8 B" }, () => {
  let acc = 0;
  for (let i = 0; i < OPS; i++) {
    plain.getInto(KEY_SMALL, out);
    acc += out[0]!;
  }
  sink += acc;
});
Deno.bench("raw copy in a hand-written seqlock", { group: "get 8 B" }, () => {
  let acc = 0;
  for (let i = 0; i < OPS; i++) {
    rawSeqGet();
    acc += out[0]!;
  }
  sink += acc;
});
Deno.bench("uptr-kv getInto, consistent", { group: "get 8 B" }, () => {
  let acc = 0;
  for (let i = 0; i < OPS; i++) {
    consistent.getInto(KEY_SMALL, out);
    acc += out[0]!;
  }
  sink += acc;
});
Deno.bench("Map.get (local copy only)", { group: "get 8 B" }, () => {
  let acc = 0;
  for (let i = 0; i < OPS; i++) acc += map.get(i & 63)![0]!;
  sink += acc;
});
Deno.bench("sharedmap get", { group: "get 8 B" }, () => {
  let acc = 0;
  for (let i = 0; i < OPS; i++) acc += shared.get("1")!.length;
  sink += acc;
});

Deno.bench("raw Float64Array read", { group: "read f64", baseline: true }, () => {
  let acc = 0;
  for (let i = 0; i < OPS; i++) acc += rawF64[RAW_SMALL >> 3]!;
  sink += acc;
});
Deno.bench("uptr-kv readF64, plain", { group: "read f64" }, () => {
  let acc = 0;
  for (let i = 0; i < OPS; i++) acc += plain.readF64(KEY_SMALL, 0);
  sink += acc;
});
Deno.bench("raw read in a hand-written seqlock", { group: "read f64" }, () => {
  let acc = 0;
  for (let i = 0; i < OPS; i++) acc += rawSeqF64();
  sink += acc;
});
Deno.bench("uptr-kv readF64, consistent", { group: "read f64" }, () => {
  let acc = 0;
  for (let i = 0; i < OPS; i++) acc += consistent.readF64(KEY_SMALL, 0);
  sink += acc;
});

Deno.bench("raw Uint8Array write", { group: "put 8 B", baseline: true }, () => {
  for (let i = 0; i < OPS; i++) {
    for (let j = 0; j < 8; j++) raw[RAW_SMALL + j] = small[j]!;
  }
});
Deno.bench("uptr-kv put, plain", { group: "put 8 B" }, () => {
  for (let i = 0; i < OPS; i++) plain.put(KEY_SMALL, small);
});
Deno.bench("raw write in a hand-written seqlock", { group: "put 8 B" }, () => {
  for (let i = 0; i < OPS; i++) rawSeqPut();
});
Deno.bench("uptr-kv put, consistent", { group: "put 8 B" }, () => {
  for (let i = 0; i < OPS; i++) consistent.put(KEY_SMALL, small);
});
Deno.bench("sharedmap set", { group: "put 8 B" }, () => {
  for (let i = 0; i < OPS; i++) shared.set("1", "abcdefgh");
});

Deno.bench("raw Uint8Array set", { group: "get 4 KB", baseline: true }, () => {
  let acc = 0;
  for (let i = 0; i < OPS; i++) {
    out.set(rawBig);
    acc += out[0]!;
  }
  sink += acc;
});
Deno.bench("uptr-kv getInto, plain", { group: "get 4 KB" }, () => {
  let acc = 0;
  for (let i = 0; i < OPS; i++) {
    plain.getInto(KEY_BIG, out);
    acc += out[0]!;
  }
  sink += acc;
});
Deno.bench("uptr-kv getInto, consistent", { group: "get 4 KB" }, () => {
  let acc = 0;
  for (let i = 0; i < OPS; i++) {
    consistent.getInto(KEY_BIG, out);
    acc += out[0]!;
  }
  sink += acc;
});

Deno.bench("raw Uint8Array set", { group: "put 4 KB", baseline: true }, () => {
  for (let i = 0; i < OPS; i++) rawBig.set(big);
});
Deno.bench("uptr-kv put, plain", { group: "put 4 KB" }, () => {
  for (let i = 0; i < OPS; i++) plain.put(KEY_BIG, big);
});
Deno.bench("uptr-kv put, consistent", { group: "put 4 KB" }, () => {
  for (let i = 0; i < OPS; i++) consistent.put(KEY_BIG, big);
});

// Making one update visible to a Worker: uptr-kv writes the shared bytes; without shared
// memory the Map is structured-cloned (what postMessage does) for every update.
Deno.bench("uptr-kv put, consistent", { group: "publish one update", baseline: true }, () => {
  for (let i = 0; i < OPS; i++) consistent.put(KEY_SMALL, small);
});
Deno.bench("structuredClone(Map of 64 x 8 B)", { group: "publish one update" }, () => {
  let acc = 0;
  for (let i = 0; i < OPS; i++) {
    map.set(1, small);
    acc += structuredClone(map).size;
  }
  sink += acc;
});
Deno.bench("sharedmap set", { group: "publish one update" }, () => {
  for (let i = 0; i < OPS; i++) shared.set("1", "abcdefgh");
});

// Through the Store contract: 1024 keys (all uptr-kv holds), 8-byte values, consistent mode.
const view = uptrKvBackend.create();
const viewKeys = Array.from({ length: 1024 }, (_, k) => u32Key(k));
for (const key of viewKeys) view.set(key, small);
const viewOut = new Uint8Array(8);
Deno.bench("getInto", { group: "Store view, 1024 keys", baseline: true }, () => {
  let acc = 0;
  for (const key of viewKeys) {
    view.getInto(key, viewOut);
    acc += viewOut[0]!;
  }
  sink += acc;
});
Deno.bench("get (a copy)", { group: "Store view, 1024 keys" }, () => {
  let acc = 0;
  for (const key of viewKeys) acc += view.get(key)![0]!;
  sink += acc;
});
Deno.bench("entries() (copies)", { group: "Store view, 1024 keys" }, () => {
  let acc = 0;
  for (const [key, value] of view.entries()) acc += key[0]! + value[0]!;
  sink += acc;
});
Deno.bench("entries({ reuse: true })", { group: "Store view, 1024 keys" }, () => {
  let acc = 0;
  for (const [key, value] of view.entries({ reuse: true })) acc += key[0]! + value[0]!;
  sink += acc;
});

addEventListener("unload", () => {
  if (sink === 0.5) console.log(sink); // keep the results alive
});
