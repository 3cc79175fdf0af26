import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { EXIST, NOEXIST } from "@kvkit/store";
import {
  ELASTICITY,
  HASH_MIN_SIZE,
  REHASH_STEP_BUCKETS,
  REHASH_STEP_ELEMS,
  RhashStore,
} from "./mod.ts";
import { hash1, hash2, hashWords } from "./_hash.ts";

const u32 = (i: number): Uint8Array => new Uint8Array(new Uint32Array([i]).buffer);
const keyOf = (size: number, i: number): Uint8Array => {
  const key = new Uint8Array(size);
  for (let b = 0; b < Math.min(size, 4); b++) key[b] = (i >>> (8 * b)) & 0xff;
  if (size > 4) key[size - 1] = 0x5a;
  return key;
};
const hex = (k: Uint8Array): string =>
  Array.from(k, (b) => b.toString(16).padStart(2, "0")).join("");

describe("rhash hash", () => {
  it("the 4- and 8-byte fast paths hash like the generic word path", () => {
    fc.assert(fc.property(fc.integer(), fc.integer(), fc.nat(), (a, b, seed) => {
      assert.equal(hash1(a | 0, seed), hashWords(new Int32Array([a]), 0, 1, seed));
      assert.equal(hash2(a | 0, b | 0, seed), hashWords(new Int32Array([a, b]), 0, 2, seed));
    }));
  });
});

describe("rhash options", () => {
  it("sizes the first table from nelemHint, never from maxEntries", () => {
    assert.equal(new RhashStore({ maxEntries: 1 << 24 }).buckets, 64);
    assert.equal(new RhashStore({ nelemHint: 1 }).buckets, HASH_MIN_SIZE);
    assert.equal(new RhashStore({ nelemHint: 48 }).buckets, 64); // 48 × 4/3 = 64
    assert.equal(new RhashStore({ nelemHint: 49 }).buckets, 128);
    assert.equal(new RhashStore({ nelemHint: 65535 }).buckets, 131072);
  });

  it("rejects bad options with EINVAL", () => {
    for (
      const bad of [
        { nelemHint: 65536 },
        { maxEntries: 10, nelemHint: 11 },
        { keySize: 0 },
        { keySize: 65536 },
        { valueSize: 0 },
        { valueSize: 1.5 },
        { maxEntries: 0 },
        { maxEntries: 2 ** 31 },
        { seed: -1 },
      ]
    ) {
      assert.throws(() => new RhashStore(bad), { code: "EINVAL" }, JSON.stringify(bad));
    }
  });
});

// Operations on a small key domain so that inserts and deletes hit the same keys.
type Op = { op: "set"; k: number; v: number; flags: number } | { op: "delete"; k: number };
const opArb = (domain: number): fc.Arbitrary<Op> =>
  fc.oneof(
    fc.record({
      op: fc.constant("set" as const),
      k: fc.nat(domain - 1),
      v: fc.nat(255),
      flags: fc.constantFrom(0, 0, NOEXIST, EXIST),
    }),
    fc.record({ op: fc.constant("delete" as const), k: fc.nat(domain - 1) }),
  );

describe("rhash resize", () => {
  it("keeps every key reachable at every step of mixed inserts and deletes (vs a Map model)", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(4, 8, 5, 13, 100),
        fc.integer({ min: 1, max: 120 }),
        fc.array(opArb(160), { minLength: 20, maxLength: 300, size: "max" }),
        (keySize, maxEntries, ops) => {
          const store = new RhashStore({ keySize, valueSize: 2, maxEntries, nelemHint: 1 });
          const model = new Map<number, number>();
          for (const o of ops) {
            const key = keyOf(keySize, o.k);
            if (o.op === "delete") {
              assert.equal(store.delete(key), model.delete(o.k));
            } else {
              const present = model.has(o.k);
              let code: string | undefined;
              if (o.flags === NOEXIST && present) code = "EEXIST";
              else if (o.flags === EXIST && !present) code = "ENOENT";
              else if (!present && model.size >= maxEntries) code = "E2BIG";
              if (code !== undefined) {
                assert.throws(() => store.set(key, new Uint8Array([o.v, 1]), o.flags), { code });
              } else {
                store.set(key, new Uint8Array([o.v, 1]), o.flags);
                model.set(o.k, o.v);
              }
            }
            store.checkValid();
            assert.equal(store.size, model.size);
            for (const [k, v] of model) {
              assert.deepEqual(store.get(keyOf(keySize, k)), new Uint8Array([v, 1]));
            }
          }
        },
      ),
      { numRuns: 40 },
    );
  });

  it("grows, shrinks back to the minimum, and gives the memory back", () => {
    const store = new RhashStore({ keySize: 8, valueSize: 16 });
    const empty = store.memoryUsage();
    const n = 20_000;
    for (let i = 0; i < n; i++) store.set(keyOf(8, i), new Uint8Array(16));
    store.checkValid();
    const full = store.memoryUsage();
    assert.ok(store.buckets >= 16_384, `buckets ${store.buckets}`);
    // Honest: at least the arena's bytes per live element, at most 2x slack plus buckets.
    assert.ok(full >= n * (8 + 16 + 4));
    assert.ok(full <= 2 * n * (8 + 16 + 4) + 4 * 2 * 32_768 + 64);
    for (let i = 0; i < n; i++) {
      assert.ok(store.delete(keyOf(8, i)));
      if (i % 997 === 0) store.checkValid();
    }
    // A few more operations let a shrink that is still running finish.
    for (let i = 0; i < 64; i++) store.has(keyOf(8, i));
    const stats = store.stats();
    assert.ok(stats.grows >= 8 && stats.shrinks >= 1, JSON.stringify(stats));
    assert.equal(store.buckets, HASH_MIN_SIZE);
    assert.equal(store.futureBuckets, undefined);
    assert.ok(store.memoryUsage() <= empty, `${store.memoryUsage()} > ${empty}`);
    store.checkValid();
  });

  it("moves at most REHASH_STEP_ELEMS elements per operation while a resize runs", () => {
    const store = new RhashStore({ keySize: 4, valueSize: 4 });
    let prev = 0;
    let maxPerOp = 0;
    let opsDuringResize = 0;
    const track = () => {
      const moved = store.stats().moved;
      maxPerOp = Math.max(maxPerOp, moved - prev);
      prev = moved;
      if (store.futureBuckets !== undefined) opsDuringResize++;
    };
    for (let i = 0; i < 50_000; i++) store.set(u32(i), new Uint8Array(4)), track();
    for (let i = 0; i < 50_000; i++) store.get(u32(i)), track();
    for (let i = 0; i < 50_000; i++) store.delete(u32(i)), track();
    const stats = store.stats();
    assert.ok(stats.moved > 50_000, `moved ${stats.moved}`); // the resizes did happen
    assert.ok(opsDuringResize > 1000);
    assert.ok(maxPerOp <= REHASH_STEP_ELEMS, `${maxPerOp} moved in one operation`);
    assert.ok(stats.maxMovedPerOp <= REHASH_STEP_ELEMS);
    assert.ok(stats.maxBucketsPerOp <= REHASH_STEP_BUCKETS);
  });

  it("starting a resize does no per-bucket work: the future table needs no fill", () => {
    const store = new RhashStore({ keySize: 4, valueSize: 1, nelemHint: 65535 }); // 131072 buckets
    const ownFill = Object.getOwnPropertyDescriptor(Int32Array.prototype, "fill");
    const fill = Int32Array.prototype.fill;
    let filled = 0;
    Int32Array.prototype.fill = function (this: Int32Array, ...args) {
      filled += this.length;
      return fill.apply(this, args);
    };
    try {
      let i = 0;
      while (store.futureBuckets === undefined) store.set(u32(i++), new Uint8Array(1));
      assert.equal(store.futureBuckets, 262144); // the insert that started the grow
    } finally {
      if (ownFill) Object.defineProperty(Int32Array.prototype, "fill", ownFill);
      else delete (Int32Array.prototype as { fill?: unknown }).fill;
    }
    assert.ok(filled <= REHASH_STEP_BUCKETS, `${filled} buckets filled`);
    store.checkValid();
  });

  it("a resize finishes before the next one is due, so lookups look at ≤ 2 tables", () => {
    const store = new RhashStore({ keySize: 4, valueSize: 1, nelemHint: 1 });
    for (let i = 0; i < 5000; i++) {
      store.set(u32(i), new Uint8Array(1));
      // Never more than 3/4 load plus what arrived while the last resize ran.
      assert.ok(store.size <= store.buckets * 1.5, `${store.size} in ${store.buckets}`);
    }
  });

  it("a chain longer than ELASTICITY triggers a rehash with a new seed", () => {
    const seed = 12345;
    // Keys that all land in one bucket of the first 64-bucket table (seed known).
    const colliding: Uint8Array[] = [];
    for (let i = 0; colliding.length <= ELASTICITY; i++) {
      if ((hash1(i, seed) & 63) === 7) colliding.push(u32(i));
    }
    const store = new RhashStore({ keySize: 4, valueSize: 1, seed });
    for (const k of colliding) store.set(k, new Uint8Array([1]));
    assert.equal(store.stats().rehashes, 1);
    assert.equal(store.buckets, 64); // the load never called for a grow
    for (let i = 0; i < 100; i++) store.has(colliding[0]!);
    store.checkValid();
    assert.match(store.describe(), /future none/);
    for (const k of colliding) assert.ok(store.has(k));
    // The new seed spreads them: no chain near the elasticity any more.
    const longest = Math.max(
      ...[...store.describe().matchAll(/(\d+):\d+/g)].map((m) => Number(m[1])),
    );
    assert.ok(longest < ELASTICITY, `longest chain ${longest}`);
  });
});

describe("rhash limits and updates", () => {
  it("maxEntries holds exactly, and a rejected set changes nothing", () => {
    const store = new RhashStore({ keySize: 4, valueSize: 2, maxEntries: 100 });
    for (let i = 0; i < 100; i++) store.set(u32(i), new Uint8Array([i, 0]));
    const before = [...store.entries()].map(([k, v]) => hex(k) + hex(v)).sort();
    const memory = store.memoryUsage();
    assert.throws(() => store.set(u32(100), new Uint8Array(2)), { code: "E2BIG" });
    assert.throws(() => store.set(u32(101), new Uint8Array(2), NOEXIST), { code: "E2BIG" });
    assert.throws(() => store.set(u32(102), new Uint8Array(2), EXIST), { code: "ENOENT" });
    assert.throws(() => store.set(u32(1), new Uint8Array(2), NOEXIST), { code: "EEXIST" });
    assert.deepEqual([...store.entries()].map(([k, v]) => hex(k) + hex(v)).sort(), before);
    assert.equal(store.memoryUsage(), memory);
    assert.equal(store.arenaCapacity, 100); // the arena never exceeds maxEntries
    store.set(u32(5), new Uint8Array([9, 9]), EXIST); // updates still work when full
    assert.ok(store.delete(u32(6)));
    store.set(u32(100), new Uint8Array(2), NOEXIST);
    assert.equal(store.size, 100);
    store.checkValid();
  });

  it("updates an existing key in place: no allocation, no chain or order change", () => {
    const store = new RhashStore({ keySize: 8, valueSize: 8, maxEntries: 1000 });
    for (let i = 0; i < 1000; i++) store.set(keyOf(8, i), new Uint8Array(8));
    for (let i = 0; i < 200; i++) store.has(keyOf(8, i)); // finish any running resize
    const layout = store.describe();
    const order = [...store.keys()].map(hex);
    const memory = store.memoryUsage();
    for (let round = 1; round < 20; round++) {
      for (let i = 0; i < 1000; i++) store.set(keyOf(8, i), new Uint8Array(8).fill(round), EXIST);
    }
    assert.equal(store.describe(), layout);
    assert.deepEqual([...store.keys()].map(hex), order);
    assert.equal(store.memoryUsage(), memory);
    assert.equal(store.stats().arenaResizes, 6); // 16 -> 32 -> ... -> 512 -> 1000, none since
    assert.deepEqual(store.get(keyOf(8, 7)), new Uint8Array(8).fill(19));
  });
});

describe("rhash iteration and batches", () => {
  it("entries() visits each key once while the consumer deletes it, across shrinks", () => {
    const store = new RhashStore({ keySize: 4, valueSize: 4 });
    for (let i = 0; i < 5000; i++) store.set(u32(i), u32(i));
    const seen = new Set<string>();
    let checked = 0;
    for (const [k, v] of store.entries()) {
      assert.ok(!seen.has(hex(k)), `key ${hex(k)} twice`);
      assert.deepEqual(v, k);
      seen.add(hex(k));
      // Deleting the yielded key moves the last element into its slot (already visited).
      assert.ok(store.delete(k));
      if (++checked % 500 === 0) store.checkValid();
    }
    assert.equal(seen.size, 5000);
    assert.equal(store.size, 0);
    assert.ok(store.stats().shrinks >= 1);
  });

  it("keys() and values() see every element once while the consumer deletes", () => {
    const store = new RhashStore({ keySize: 13, valueSize: 1 });
    for (let i = 0; i < 300; i++) store.set(keyOf(13, i), new Uint8Array([i & 255]));
    let n = 0;
    for (const k of store.keys()) store.delete(k), n++;
    assert.equal(n, 300);
    for (let i = 0; i < 300; i++) store.set(keyOf(13, i), new Uint8Array([7]));
    assert.equal([...store.values()].filter((v) => v[0] === 7).length, 300);
  });

  it("nextKey walks every key once; an unknown key restarts from the first", () => {
    const store = new RhashStore({ keySize: 4, valueSize: 1, nelemHint: 1 });
    for (let i = 0; i < 1000; i++) store.set(u32(i), new Uint8Array(1));
    const seen = new Set<string>();
    for (let k = store.nextKey(); k !== undefined; k = store.nextKey(k)) seen.add(hex(k));
    assert.equal(seen.size, 1000);
    assert.deepEqual(store.nextKey(u32(5000)), store.nextKey());
  });

  it("lookupBatch with delete empties the store across shrinks; a lost cursor is EAGAIN", () => {
    const store = new RhashStore({ keySize: 8, valueSize: 4 });
    for (let i = 0; i < 3000; i++) store.set(keyOf(8, i), u32(i));
    const first = store.lookupBatch(undefined, 10);
    assert.equal(first.keys.length, 10);
    assert.ok(first.cursor !== undefined);
    store.delete(first.cursor!.subarray(0, 8)); // the cursor is the key + its arena index
    assert.throws(() => store.lookupBatch(first.cursor, 10), { code: "EAGAIN" });
    assert.throws(() => store.lookupBatch(undefined, 0), { code: "EINVAL" });
    const seen = new Set<string>();
    let cursor: Uint8Array | undefined;
    do {
      const batch = store.lookupBatch(cursor, 97, { delete: true });
      batch.keys.forEach((k, i) => {
        assert.ok(!seen.has(hex(k)));
        seen.add(hex(k));
        assert.deepEqual(batch.values[i], u32(new DataView(k.buffer).getUint32(0, true)));
      });
      cursor = batch.cursor;
    } while (cursor !== undefined);
    assert.equal(seen.size, 2999);
    assert.equal(store.size, 0);
    store.checkValid();
  });
});

// Walks with lookupBatch from `cursor`; "EAGAIN" when the store asks for a restart.
const walkFrom = (
  store: RhashStore,
  cursor: Uint8Array | undefined,
  count: number,
  remove: boolean,
  seen: string[],
): "done" | "EAGAIN" => {
  while (true) {
    let batch;
    try {
      batch = store.lookupBatch(cursor, count, { delete: remove });
    } catch (err) {
      if ((err as { code?: string }).code === "EAGAIN") return "EAGAIN";
      throw err;
    }
    for (const k of batch.keys) seen.push(hex(k));
    if (batch.cursor === undefined) return "done";
    cursor = batch.cursor;
  }
};

describe("rhash batch walks while other keys change", () => {
  it("lookup-and-delete: deleting a key not yet returned is EAGAIN, never a silent skip", () => {
    const store = new RhashStore({ keySize: 4, valueSize: 4, maxEntries: 10_000, seed: 1 });
    for (let i = 0; i < 1000; i++) store.set(u32(i), u32(i));
    const seen: string[] = [];
    const first = store.lookupBatch(undefined, 10, { delete: true });
    first.keys.forEach((k) => seen.push(hex(k)));
    store.delete(u32(5)); // moves the cursor's element (the arena's last) into slot 5
    const outcome = walkFrom(store, first.cursor, 100, true, seen);
    if (outcome === "EAGAIN") assert.equal(walkFrom(store, undefined, 100, true, seen), "done");
    assert.equal(seen.length, 999); // every remaining key exactly once, over both walks
    assert.equal(new Set(seen).size, 999);
    assert.ok(!seen.includes(hex(u32(5))));
    assert.equal(store.size, 0);
    store.checkValid();
  });

  it("lookup without delete: deleting returned keys, then one not yet returned, skips nothing", () => {
    const store = new RhashStore({ keySize: 4, valueSize: 4, seed: 1 });
    for (let i = 0; i < 1000; i++) store.set(u32(i), u32(i));
    const first = store.lookupBatch(undefined, 10);
    for (const k of first.keys) store.delete(k); // the cursor's element is now the last
    store.delete(u32(5));
    const seen: string[] = [];
    const outcome = walkFrom(store, first.cursor, 100, false, seen);
    if (outcome === "EAGAIN") assert.equal(walkFrom(store, undefined, 100, false, seen), "done");
    assert.equal(new Set(seen).size, 989);
  });

  it("a cursor of the wrong length is EINVAL", () => {
    const store = new RhashStore({ keySize: 4, valueSize: 1 });
    for (let i = 0; i < 10; i++) store.set(u32(i), new Uint8Array(1));
    const { cursor } = store.lookupBatch(undefined, 3);
    assert.equal(cursor?.length, 8);
    assert.throws(() => store.lookupBatch(cursor!.subarray(0, 4), 3), { code: "EINVAL" });
    assert.equal(store.size, 10);
  });

  it("any inserts, updates and deletes between batches: EAGAIN or no key present throughout is skipped", () => {
    const op = fc.record({ kind: fc.constantFrom("insert", "update", "delete"), key: fc.nat(299) });
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.integer({ min: 1, max: 40 }),
        fc.array(fc.array(op, { maxLength: 4 }), { maxLength: 40 }),
        (remove, count, between) => {
          const store = new RhashStore({ keySize: 4, valueSize: 4, nelemHint: 1, seed: 7 });
          for (let i = 0; i < 200; i++) store.set(u32(i), u32(i));
          const deleted = new Set<string>(); // deleted keys are never inserted again
          let fresh = 1000;
          const seen: string[] = [];
          let cursor: Uint8Array | undefined;
          let outcome: "done" | "EAGAIN" = "done";
          for (let round = 0;; round++) {
            let batch;
            try {
              batch = store.lookupBatch(cursor, count, { delete: remove });
            } catch (err) {
              assert.equal((err as { code?: string }).code, "EAGAIN");
              outcome = "EAGAIN";
              break;
            }
            for (const k of batch.keys) {
              seen.push(hex(k));
              if (remove) deleted.add(hex(k));
            }
            if (batch.cursor === undefined) break;
            cursor = batch.cursor;
            for (const { kind, key } of between[round] ?? []) {
              if (kind === "insert") store.set(u32(fresh++), u32(0));
              else if (kind === "update") {
                if (store.has(u32(key))) {
                  store.set(u32(key), u32(9), EXIST);
                }
              } else if (store.delete(u32(key))) deleted.add(hex(u32(key)));
            }
          }
          store.checkValid();
          const counts = new Map<string, number>();
          for (const k of seen) counts.set(k, (counts.get(k) ?? 0) + 1);
          if (remove) { for (const n of counts.values()) assert.equal(n, 1); // deleted once, gone
           }
          if (outcome === "EAGAIN") return;
          for (let i = 0; i < 200; i++) {
            const k = hex(u32(i));
            if (!deleted.has(k)) {
              assert.ok(counts.has(k), `key ${i} present throughout was skipped`);
            }
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe("rhash describe", () => {
  it("shows buckets, chain lengths, load and the resize state", () => {
    const store = new RhashStore({ keySize: 4, valueSize: 4, nelemHint: 1 });
    for (let i = 0; i < 4; i++) store.set(u32(i), new Uint8Array(4));
    const text = store.describe();
    assert.match(text, /table\s+4 buckets/);
    assert.match(text, /future 8 buckets/); // 4 > 3/4 of 4: a grow started
    assert.match(text, /load 1\.00/);
    assert.match(text, /chains table/);
  });
});
