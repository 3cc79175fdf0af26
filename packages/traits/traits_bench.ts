// deno bench packages/traits/traits_bench.ts
//
// 1. "typed get": Traits#getU32 against one raw DataView read at a known (precomputed) offset -
//    the floor for reading a field - and Traits.peekU32, which recomputes the offset from the
//    header bits (popcounts) on every read. 1000 reads per iteration over the same 8 fields,
//    little-endian, the same loop in every row, so the bench harness's per-call cost does not
//    hide the difference.
// 2. "one field of a 12-field record": the traits area of a packet's metadata against the same
//    record encoded with msgpackr and cbor-x, decoded and one field read - what a JS user would
//    do instead. 64 different records in rotation, one read per iteration.
// 3. "Store contract": the same reads through `traitsBackend.create()` - `getInto` into the
//    caller's buffer vs the pooled copy of `get`, and a walk with `entries()` vs
//    `entries({ reuse: true })` - 64 keys of 4 bytes, 1024 reads or entries per iteration.
// The pure-JS entry points: the package root probes the environment for a native addon.
import { pack } from "msgpackr/pack";
import { unpack } from "msgpackr/unpack";
import { encode } from "cbor-x/encode";
import { decode } from "cbor-x/decode";
import { Traits, traitsBackend } from "@kvkit/traits";
import { u32Key } from "@kvkit/store";

// --- 1. typed get vs DataView ---------------------------------------------------------------
const area = new Uint8Array(128);
const traits = Traits.init(area);
const KEYS = [1, 5, 9, 17, 30, 33, 47, 62];
for (const k of KEYS) traits.setU32(k, k * 1000, true);
traits.setU16(3, 7, true);
traits.setU64(40, 9n, true);
const view = new DataView(area.buffer);
const OFFSETS = KEYS.map((k) => {
  let off = 16;
  for (let j = 0; j < k; j++) off += traits.valueLength(j) ?? 0;
  return off;
});
// Every row stores its result here. A plain store, not `sink += s`: once the sum leaves the
// small-integer range, that addition after the loop made V8 deoptimize the row again and again.
let sink = 0;
const READS = 1000;

Deno.bench("DataView.getUint32 at a known offset", { group: "typed get", baseline: true }, () => {
  let s = 0;
  for (let i = 0; i < READS; i++) s += view.getUint32(OFFSETS[i & 7]!, true);
  sink = s;
});

Deno.bench("Traits#getU32", { group: "typed get" }, () => {
  let s = 0;
  for (let i = 0; i < READS; i++) s += traits.getU32(KEYS[i & 7]!, true);
  sink = s;
});

Deno.bench("Traits.peekU32 (popcounts every read)", { group: "typed get" }, () => {
  let s = 0;
  for (let i = 0; i < READS; i++) s += Traits.peekU32(area, KEYS[i & 7]!, true);
  sink = s;
});

// --- 2. one field out of a 12-field record ----------------------------------------------------
// Key numbers of the record's fields (the same record in every format).
const F = {
  mark: 0,
  ifindex: 1,
  vlan: 2,
  srcIp: 3,
  dstIp: 4,
  srcPort: 5,
  dstPort: 6,
  proto: 7,
  flowHash: 8,
  queue: 9,
  timestamp: 10,
  traceId: 11,
} as const;
const RECORDS = 64;
const traitAreas: Uint8Array[] = [];
const msgpacks: Uint8Array[] = [];
const cbors: Uint8Array[] = [];
for (let r = 0; r < RECORDS; r++) {
  const rec = {
    mark: 0x100 + r,
    ifindex: 3,
    vlan: 100 + r,
    srcIp: 0xc0000200 + r,
    dstIp: 0x0a000001,
    srcPort: 40000 + r,
    dstPort: 443,
    proto: 6,
    flowHash: 0x9e3779b9 ^ r,
    queue: r & 7,
    timestamp: 1_700_000_000_000_000 + r,
    traceId: 0x1234_5678_9abc + r,
  };
  const t = Traits.init(new Uint8Array(128));
  t.setU32(F.mark, rec.mark, true);
  t.setU32(F.ifindex, rec.ifindex, true);
  t.setU16(F.vlan, rec.vlan, true);
  t.setU32(F.srcIp, rec.srcIp, false);
  t.setU32(F.dstIp, rec.dstIp, false);
  t.setU16(F.srcPort, rec.srcPort, false);
  t.setU16(F.dstPort, rec.dstPort, false);
  t.setU16(F.proto, rec.proto, true);
  t.setU32(F.flowHash, rec.flowHash >>> 0, true);
  t.setU16(F.queue, rec.queue, true);
  t.setU64(F.timestamp, BigInt(rec.timestamp), true);
  t.setU64(F.traceId, BigInt(rec.traceId), true);
  traitAreas.push(t.bytes());
  msgpacks.push(pack(rec));
  cbors.push(encode(rec));
}
let r = 0;

Deno.bench("traits: open received bytes + getU32", {
  group: "one field of a 12-field record",
}, () => {
  sink = Traits.open(traitAreas[r++ & 63]!).getU32(F.flowHash, true);
});

Deno.bench("traits: Traits.peekU32 on received bytes", {
  group: "one field of a 12-field record",
  baseline: true,
}, () => {
  sink = Traits.peekU32(traitAreas[r++ & 63]!, F.flowHash, true);
});

Deno.bench("msgpackr: unpack + read field", { group: "one field of a 12-field record" }, () => {
  sink = (unpack(msgpacks[r++ & 63]!) as { flowHash: number }).flowHash;
});

Deno.bench("cbor-x: decode + read field", { group: "one field of a 12-field record" }, () => {
  sink = (decode(cbors[r++ & 63]!) as { flowHash: number }).flowHash;
});

// --- 3. through the Store contract ----------------------------------------------------------
const store = traitsBackend.create();
for (let k = 0; k < 64; k++) store.set(u32Key(k), new Uint8Array([k, 0, 0, 0]));
const storeKeys = Array.from({ length: 64 }, (_, k) => u32Key(k));
const storeOut = new Uint8Array(4);
const STORE_OPS = 1024;

Deno.bench("store.getInto", { group: "Store contract", baseline: true }, () => {
  let s = 0;
  for (let i = 0; i < STORE_OPS; i++) {
    if (store.getInto(storeKeys[i & 63]!, storeOut)) s += storeOut[0]!;
  }
  sink = s;
});

Deno.bench("store.get (pooled copy)", { group: "Store contract" }, () => {
  let s = 0;
  for (let i = 0; i < STORE_OPS; i++) s += store.get(storeKeys[i & 63]!)![0]!;
  sink = s;
});

Deno.bench("store.entries() (copies), 16 walks", { group: "Store contract" }, () => {
  let s = 0;
  for (let i = 0; i < STORE_OPS / 64; i++) for (const [k, v] of store.entries()) s += k[0]! + v[0]!;
  sink = s;
});

Deno.bench("store.entries({ reuse: true }), 16 walks", { group: "Store contract" }, () => {
  let s = 0;
  for (let i = 0; i < STORE_OPS / 64; i++) {
    for (const [k, v] of store.entries({ reuse: true })) s += k[0]! + v[0]!;
  }
  sink = s;
});

globalThis.addEventListener("unload", () => {
  if (sink === 42) console.log(sink); // keeps the reads observable
});
