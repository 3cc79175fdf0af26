/**
 * The rhash merge's benchmark tables, reproduced side by side in one run:
 *
 * 1. lookups, key 8/32/256 B × max_entries 1K/1M × fill 75%/100%: htab (baseline), rhash, a
 *    `Map` keyed by the latin1 string of the key bytes, and @thi.ng/associative `HashMap`;
 * 2. full update (every key present, overwritten): htab (baseline) vs rhash, `Map` for context;
 * 3. memory: bytes per entry of each structure, and heap growth over a million updates;
 * 4. the contract's read paths per entry, through the backend as `openStore("rhash")` opens it
 *    (10K entries, 8 B keys and values, one reused key buffer): `getInto` (baseline), the
 *    copying `get`, `entries()` and `entries({ reuse: true })`;
 * 5. hash flooding: 16,384 keys of 112 B that share one MurmurHash3 whatever the seed
 *    (`murmurCollisions` of @kvkit/internal) vs 16,384 random ones, inserted then looked up, into
 *    htab and rhash with default options (and with `hash: "murmur3"`, the old hash, at 1,024 keys
 *    so the run stays short);
 * 6. what the hash costs: lookups on 8/32/256 B keys (1K entries) with `hash: "murmur3"` (the
 *    hash before the flood defence, the baseline), the default `"auto"` and `"halfsiphash"`.
 *
 * Quick mode (the default) uses 1K rows and a 100K variant of the 1M rows:
 *
 * ```sh
 * deno bench --allow-env --v8-flags=--expose-gc packages/rhash/rhash_bench.ts
 * RHASH_BENCH_FULL=1 deno bench --allow-env --v8-flags=--expose-gc packages/rhash/rhash_bench.ts
 * ```
 *
 * `--allow-env` because @thi.ng reads `NODE_ENV`; `--v8-flags=--expose-gc` makes the heap
 * figures of the JS peers exact (GC before each sample).
 *
 * @module
 */

import { Htab } from "@kvkit/htab";
import { murmurCollisions } from "@kvkit/internal";
// Not part of @kvkit/internal's API: a bench helper, excluded from publishing with the benches.
import { benchContract } from "../internal/contract_bench.ts";
import { HashMap } from "@thi.ng/associative";
import type { Store } from "@kvkit/store";
import { Rhash, rhashBackend } from "./mod.ts";

function envFull(): boolean {
  try {
    return Deno.env.get("RHASH_BENCH_FULL") === "1";
  } catch {
    return false; // no --allow-env: quick mode
  }
}

const FULL = envFull();
const SMALL = 1_000;
const LARGE = FULL ? 1_000_000 : 100_000;
const KEY_SIZES = [8, 32, 256] as const;
const FILLS = [0.75, 1] as const;
const VALUE_SIZE = 8;
// Lookups per timed call, so the harness's per-call overhead is small next to the work.
const OPS_PER_CALL = 1_000;

const gc = (globalThis as { gc?: () => void }).gc;
function heapBytes(): number {
  // Twice: the second collection finishes sweeping the first one's array buffers.
  gc?.();
  gc?.();
  const m = Deno.memoryUsage();
  return m.heapUsed + m.external;
}

const latin1 = (bytes: Uint8Array): string => String.fromCharCode.apply(null, bytes as never);
function fnv1a(k: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < k.length; i++) h = Math.imul(h ^ k[i]!, 0x01000193);
  return h >>> 0;
}
function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function randomKeys(n: number, keySize: number): Uint8Array[] {
  const flat = new Uint8Array(n * keySize);
  for (let o = 0; o < flat.length; o += 65536) {
    crypto.getRandomValues(flat.subarray(o, Math.min(flat.length, o + 65536)));
  }
  const keys: Uint8Array[] = new Array(n);
  for (let i = 0; i < n; i++) keys[i] = flat.subarray(i * keySize, (i + 1) * keySize);
  return keys;
}

// The keys in a random order, copied into one buffer in that order, with views allocated in
// that order: the lookup loop then reads its key stream sequentially, so the cache misses
// measured are the map's own (a random bucket, a random element), not the harness's.
function lookupStream(keys: Uint8Array[], keySize: number): Uint8Array[] {
  const order = keys.slice();
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const flat = new Uint8Array(order.length * keySize);
  order.forEach((k, i) => flat.set(k, i * keySize));
  return order.map((_, i) => flat.subarray(i * keySize, (i + 1) * keySize));
}

interface Fixture {
  order: Uint8Array[]; // the present keys in random lookup order (see lookupStream)
  htab: Htab;
  rhash: Rhash;
  map: Map<string, Uint8Array>;
  thing: HashMap<Uint8Array, Uint8Array>;
}

const memoryRows: string[][] = [];
let current: { id: string; fixture: Fixture } | undefined;

function build(keySize: number, maxEntries: number, fill: number, label: string): Fixture {
  current = undefined; // let the previous fixture go before building the next
  const n = Math.round(maxEntries * fill);
  const keys = randomKeys(n, keySize);
  const value = new Uint8Array(VALUE_SIZE).fill(7);
  const htab = new Htab({ keySize, valueSize: VALUE_SIZE, maxEntries });
  for (const k of keys) htab.set(k, value);
  const rhash = new Rhash({ keySize, valueSize: VALUE_SIZE, maxEntries });
  for (const k of keys) rhash.set(k, value);
  for (let i = 0; rhash.futureBucketCount !== undefined; i++) rhash.has(keys[i % n]!); // settle
  let before = heapBytes();
  const map = new Map<string, Uint8Array>();
  for (const k of keys) map.set(latin1(k), value.slice());
  const mapBytes = heapBytes() - before;
  before = heapBytes();
  const thing = new HashMap<Uint8Array, Uint8Array>(null, { hash: fnv1a, equiv: bytesEqual });
  for (const k of keys) thing.set(k.slice(), value.slice());
  const thingBytes = heapBytes() - before;
  const per = (bytes: number) => (bytes / n).toFixed(0);
  memoryRows.push([
    label,
    per(htab.memoryUsage()),
    per(rhash.memoryUsage()),
    per(mapBytes),
    per(thingBytes),
    `${htab.bucketCount} / ${rhash.bucketCount}`,
  ]);
  return { order: lookupStream(keys, keySize), htab, rhash, map, thing };
}

function fixture(keySize: number, maxEntries: number, fill: number, label: string): Fixture {
  const id = `${keySize}/${maxEntries}/${fill}`;
  if (current?.id !== id) current = { id, fixture: build(keySize, maxEntries, fill, label) };
  return current.fixture;
}

const human = (n: number) => n >= 1e6 ? `${n / 1e6}M` : n >= 1e3 ? `${n / 1e3}K` : `${n}`;

for (const keySize of KEY_SIZES) {
  for (const maxEntries of [SMALL, LARGE]) {
    for (const fill of FILLS) {
      const label = `key ${keySize} B, max ${human(maxEntries)}, nr ${
        human(Math.round(maxEntries * fill))
      }`;
      const get = () => fixture(keySize, maxEntries, fill, label);
      const out = new Uint8Array(VALUE_SIZE);
      // Each peer walks the same random order from its own position.
      const pos = { htab: 0, rhash: 0, map: 0, thing: 0 };
      const group = `lookup ${label}`;
      Deno.bench({
        group,
        name: "htab",
        baseline: true,
        fn(b) {
          const { order, htab } = get();
          let p = pos.htab;
          b.start();
          for (let i = 0; i < OPS_PER_CALL; i++) {
            htab.getInto(order[p]!, out);
            if (++p === order.length) p = 0;
          }
          b.end();
          pos.htab = p;
        },
      });
      Deno.bench({
        group,
        name: "rhash",
        fn(b) {
          const { order, rhash } = get();
          let p = pos.rhash;
          b.start();
          for (let i = 0; i < OPS_PER_CALL; i++) {
            rhash.getInto(order[p]!, out);
            if (++p === order.length) p = 0;
          }
          b.end();
          pos.rhash = p;
        },
      });
      Deno.bench({
        group,
        name: "Map + latin1 key",
        fn(b) {
          const { order, map } = get();
          let p = pos.map;
          b.start();
          for (let i = 0; i < OPS_PER_CALL; i++) {
            const v = map.get(latin1(order[p]!));
            if (v !== undefined) out[0] = v[0]!;
            if (++p === order.length) p = 0;
          }
          b.end();
          pos.map = p;
        },
      });
      Deno.bench({
        group,
        name: "thi.ng HashMap",
        fn(b) {
          const { order, thing } = get();
          let p = pos.thing;
          b.start();
          for (let i = 0; i < OPS_PER_CALL; i++) {
            const v = thing.get(order[p]!);
            if (v !== undefined) out[0] = v[0]!;
            if (++p === order.length) p = 0;
          }
          b.end();
          pos.thing = p;
        },
      });
      if (fill !== 1) continue;
      // Full update: every key present and overwritten (the seed's FULL UPDATE).
      const value = new Uint8Array(VALUE_SIZE).fill(9);
      const upd = `full update ${label}`;
      const upos = { htab: 0, rhash: 0, map: 0 };
      Deno.bench({
        group: upd,
        name: "htab",
        baseline: true,
        fn(b) {
          const { order, htab } = get();
          let p = upos.htab;
          b.start();
          for (let i = 0; i < OPS_PER_CALL; i++) {
            htab.set(order[p]!, value);
            if (++p === order.length) p = 0;
          }
          b.end();
          upos.htab = p;
        },
      });
      Deno.bench({
        group: upd,
        name: "rhash",
        fn(b) {
          const { order, rhash } = get();
          let p = upos.rhash;
          b.start();
          for (let i = 0; i < OPS_PER_CALL; i++) {
            rhash.set(order[p]!, value);
            if (++p === order.length) p = 0;
          }
          b.end();
          upos.rhash = p;
        },
      });
      Deno.bench({
        group: upd,
        name: "Map + latin1 key",
        fn(b) {
          const { order, map } = get();
          let p = upos.map;
          b.start();
          for (let i = 0; i < OPS_PER_CALL; i++) {
            map.set(latin1(order[p]!), value.slice());
            if (++p === order.length) p = 0;
          }
          b.end();
          upos.map = p;
        },
      });
    }
  }
}

// Through the contract, as `openStore("rhash", ...)` opens it (the package's backend): getInto
// vs the copying get vs iteration, per entry.
benchContract(rhashBackend.create({ keySize: 8, valueSize: 8, maxEntries: 10_000 }));

// Hash flooding: every iteration builds a fresh store, inserts all the keys and looks each up
// once; the rows compare crafted keys with random ones per store (ratio = the attack's gain).
{
  const KEY = 112;
  for (const [n, hash] of [[16_384, undefined], [1_024, "murmur3"]] as const) {
    const crafted = murmurCollisions(n, KEY);
    const random = randomKeys(n, KEY);
    const value = new Uint8Array(VALUE_SIZE);
    const out = new Uint8Array(VALUE_SIZE);
    const opts = { keySize: KEY, valueSize: VALUE_SIZE, maxEntries: n, ...(hash && { hash }) };
    const group = `flood: insert + lookup ${human(n)} keys of ${KEY} B, hash ${hash ?? "auto"}`;
    let sink = 0;
    const run = (store: Store, keys: Uint8Array[]) => {
      for (const k of keys) store.set(k, value);
      for (const k of keys) if (store.getInto(k, out)) sink++;
    };
    Deno.bench({ group, name: "htab random", baseline: true }, () => run(new Htab(opts), random));
    Deno.bench({ group, name: "htab crafted" }, () => run(new Htab(opts), crafted));
    Deno.bench({ group, name: "rhash random" }, () => run(new Rhash(opts), random));
    Deno.bench({ group, name: "rhash crafted" }, () => run(new Rhash(opts), crafted));
    globalThis.addEventListener("unload", () => sink);
  }
}

// What the hash costs on the read path: the same 1K random keys and lookups under each `hash`.
for (const keySize of KEY_SIZES) {
  const keys = randomKeys(SMALL, keySize);
  const order = lookupStream(keys, keySize);
  const value = new Uint8Array(VALUE_SIZE);
  const out = new Uint8Array(VALUE_SIZE);
  const group = `hash: lookup key ${keySize} B, 1K`;
  let sink = 0;
  for (const [name, Store] of [["htab", Htab], ["rhash", Rhash]] as const) {
    for (const hash of ["murmur3", "auto", "halfsiphash"] as const) {
      const store = new Store({ keySize, valueSize: VALUE_SIZE, maxEntries: SMALL, hash });
      for (const k of keys) store.set(k, value);
      for (let i = 0; i < 4 * SMALL; i++) store.has(order[i % SMALL]!); // settle a resize
      let p = 0;
      Deno.bench({
        group,
        name: `${name} ${hash}${hash === "murmur3" ? " (before)" : ""}`,
        baseline: name === "htab" && hash === "murmur3",
      }, () => {
        for (let i = 0; i < OPS_PER_CALL; i++) {
          if (store.getInto(order[p]!, out)) sink++;
          if (++p === order.length) p = 0;
        }
      });
    }
  }
  globalThis.addEventListener("unload", () => sink);
}

// Heap growth over a million in-place updates (run once, before the timed benches).
function updateAllocation(): string {
  const keys = randomKeys(1000, 8);
  const value = new Uint8Array(VALUE_SIZE);
  const rows: string[] = [];
  for (
    const [name, store] of [
      ["htab", new Htab({ keySize: 8, valueSize: VALUE_SIZE, maxEntries: 1000 })],
      ["rhash", new Rhash({ keySize: 8, valueSize: VALUE_SIZE, maxEntries: 1000 })],
    ] as const
  ) {
    for (const k of keys) store.set(k, value);
    for (let i = 0; i < 10_000; i++) store.set(keys[i % 1000]!, value); // warm up the JIT
    const before = heapBytes();
    for (let i = 0; i < 1_000_000; i++) store.set(keys[i % 1000]!, value);
    rows.push(`${name} ${heapBytes() - before} B`);
  }
  return rows.join(", ");
}

// The seed's MEMORY table: 32 B and 4 KB values, overwritten once; bytes per entry.
function valueMemory(): string[] {
  const n = FULL ? 100_000 : 10_000;
  const rows: string[] = [];
  for (const vs of [32, 4096]) {
    const keys = randomKeys(n, 8);
    const value = new Uint8Array(vs).fill(1);
    const htab = new Htab({ keySize: 8, valueSize: vs, maxEntries: n });
    const rhash = new Rhash({ keySize: 8, valueSize: vs, maxEntries: n });
    for (let round = 0; round < 2; round++) {
      for (const k of keys) htab.set(k, value), rhash.set(k, value);
    }
    const before = heapBytes();
    const map = new Map<string, Uint8Array>();
    for (let round = 0; round < 2; round++) for (const k of keys) map.set(latin1(k), value.slice());
    const mapBytes = heapBytes() - before;
    if (map.size !== n) throw new Error("random keys collided"); // also keeps `map` alive
    rows.push(
      `value ${vs} B, ${human(n)} entries: htab ${(htab.memoryUsage() / n).toFixed(0)} B, ` +
        `rhash ${(rhash.memoryUsage() / n).toFixed(0)} B, Map ${(mapBytes / n).toFixed(0)} B ` +
        `per entry (rhash/htab ${(rhash.memoryUsage() / htab.memoryUsage()).toFixed(2)}x)`,
    );
  }
  return rows;
}

const allocation = updateAllocation();
const valueRows = valueMemory();

// On stderr, so `deno bench --json` output stays parseable.
globalThis.addEventListener("unload", () => {
  const widths = [34, 7, 7, 9, 9, 20];
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join(" ");
  console.error(`\nrhash bench (${FULL ? "full" : "quick"} mode${gc ? "" : ", no --expose-gc"})`);
  console.error("bytes per entry (stores: memoryUsage(); JS peers: heap growth while building)");
  console.error(line(["workload", "htab", "rhash", "Map", "thi.ng", "buckets htab/rhash"]));
  for (const row of memoryRows) console.error(line(row));
  for (const row of valueRows) console.error(row);
  console.error(`heap growth over 1M updates of present keys: ${allocation}`);
});
