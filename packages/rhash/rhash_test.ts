import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { walkBatches } from "@kvkit/conformance/testing";
import fc from "fast-check";
import { EXIST, NOEXIST } from "@kvkit/store";
import {
  ELASTICITY,
  HASH_MIN_SIZE,
  REHASH_STEP_BUCKETS,
  REHASH_STEP_ELEMS,
  Rhash,
  rhashBackend,
} from "./mod.ts";
import { hex, murmurCollisions, murmurFinish, murmurMix } from "@kvkit/internal";

const u32 = (i: number): Uint8Array => new Uint8Array(new Uint32Array([i]).buffer);
const keyOf = (size: number, i: number): Uint8Array => {
  const key = new Uint8Array(size);
  for (let b = 0; b < Math.min(size, 4); b++) key[b] = (i >>> (8 * b)) & 0xff;
  if (size > 4) key[size - 1] = 0x5a;
  return key;
};

// The MurmurHash3 of a 4-byte key as rhash computes it (no length folded in).
const hash1 = (k: number, seed: number): number => murmurFinish(murmurMix(seed, k));

describe("rhash options", () => {
  it("sizes the first table from nelemHint, never from maxEntries", () => {
    assert.equal(new Rhash({ maxEntries: 1 << 24 }).bucketCount, 64);
    assert.equal(new Rhash({ nelemHint: 1 }).bucketCount, HASH_MIN_SIZE);
    assert.equal(new Rhash({ nelemHint: 48 }).bucketCount, 64); // 48 × 4/3 = 64
    assert.equal(new Rhash({ nelemHint: 49 }).bucketCount, 128);
    assert.equal(new Rhash({ nelemHint: 65535 }).bucketCount, 131072);
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
      assert.throws(() => new Rhash(bad), { code: "EINVAL" }, JSON.stringify(bad));
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
          const store = new Rhash({ keySize, valueSize: 2, maxEntries, nelemHint: 1 });
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
    const store = new Rhash({ keySize: 8, valueSize: 16 });
    const empty = store.memoryUsage();
    const n = 20_000;
    for (let i = 0; i < n; i++) store.set(keyOf(8, i), new Uint8Array(16));
    store.checkValid();
    const full = store.memoryUsage();
    assert.ok(store.bucketCount >= 16_384, `buckets ${store.bucketCount}`);
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
    assert.equal(store.bucketCount, HASH_MIN_SIZE);
    assert.equal(store.futureBucketCount, undefined);
    assert.ok(store.memoryUsage() <= empty, `${store.memoryUsage()} > ${empty}`);
    store.checkValid();
  });

  it("moves at most REHASH_STEP_ELEMS elements per operation while a resize runs", () => {
    const store = new Rhash({ keySize: 4, valueSize: 4 });
    let prev = 0;
    let maxPerOp = 0;
    let opsDuringResize = 0;
    const track = () => {
      const moved = store.stats().moved;
      maxPerOp = Math.max(maxPerOp, moved - prev);
      prev = moved;
      if (store.futureBucketCount !== undefined) opsDuringResize++;
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
    const store = new Rhash({ keySize: 4, valueSize: 1, nelemHint: 65535 }); // 131072 buckets
    const ownFill = Object.getOwnPropertyDescriptor(Int32Array.prototype, "fill");
    const fill = Int32Array.prototype.fill;
    let filled = 0;
    Int32Array.prototype.fill = function (this: Int32Array, ...args) {
      filled += this.length;
      return fill.apply(this, args);
    };
    try {
      let i = 0;
      while (store.futureBucketCount === undefined) store.set(u32(i++), new Uint8Array(1));
      assert.equal(store.futureBucketCount, 262144); // the insert that started the grow
    } finally {
      if (ownFill) Object.defineProperty(Int32Array.prototype, "fill", ownFill);
      else delete (Int32Array.prototype as { fill?: unknown }).fill;
    }
    assert.ok(filled <= REHASH_STEP_BUCKETS, `${filled} buckets filled`);
    store.checkValid();
  });

  it("a resize finishes before the next one is due, so lookups look at ≤ 2 tables", () => {
    const store = new Rhash({ keySize: 4, valueSize: 1, nelemHint: 1 });
    for (let i = 0; i < 5000; i++) {
      store.set(u32(i), new Uint8Array(1));
      // Never more than 3/4 load plus what arrived while the last resize ran.
      assert.ok(store.size <= store.bucketCount * 1.5, `${store.size} in ${store.bucketCount}`);
    }
  });

  it("a chain longer than ELASTICITY triggers a rehash with a new seed", () => {
    const seed = 12345;
    // Keys that all land in one bucket of the first 64-bucket table (seed known).
    const colliding: Uint8Array[] = [];
    for (let i = 0; colliding.length <= ELASTICITY; i++) {
      if ((hash1(i, seed) & 63) === 7) colliding.push(u32(i));
    }
    const store = new Rhash({ keySize: 4, valueSize: 1, seed });
    for (const k of colliding) store.set(k, new Uint8Array([1]));
    assert.equal(store.stats().rehashes, 1);
    assert.equal(store.stats().rekeys, 1); // a chain that long is a flood: HalfSipHash next
    assert.equal(store.bucketCount, 64); // the load never called for a grow
    for (let i = 0; i < 100; i++) store.has(colliding[0]!);
    store.checkValid();
    assert.equal(store.futureBucketCount, undefined);
    for (const k of colliding) assert.ok(store.has(k));
    // The new seed spreads them: no chain near the elasticity any more.
    assert.ok(longestChain(store) < ELASTICITY, `longest chain ${longestChain(store)}`);
  });
});

// The longest chain of the current table.
function longestChain(store: Rhash): number {
  return Math.max(...store.chainLengths());
}

// Runs operations until a running resize has finished.
function settle(store: Rhash, key: Uint8Array): void {
  while (store.futureBucketCount !== undefined) store.has(key);
}

describe("rhash hash flooding", () => {
  // 4096 keys of 96 B sharing one MurmurHash3 whatever the seed (12 block pairs).
  const crafted = murmurCollisions(4096, 96);

  it("keys crafted against MurmurHash3 make the rehash switch to HalfSipHash", () => {
    const store = new Rhash({ keySize: 96, valueSize: 2 });
    assert.equal(store.hash, "murmur3");
    crafted.forEach((k, i) => store.set(k, new Uint8Array([i & 0xff, i >> 8])));
    settle(store, crafted[0]!);
    // Before the fix: every new seed kept them in one chain of 4096, rehash after rehash.
    assert.ok(longestChain(store) <= 10, `longest chain ${longestChain(store)}`);
    assert.equal(store.hash, "halfsiphash");
    assert.equal(store.stats().rekeys, 1);
    assert.ok(store.stats().rehashes <= 2, `${store.stats().rehashes} rehashes`);
    crafted.forEach((k, i) => assert.deepEqual(store.get(k), new Uint8Array([i & 0xff, i >> 8])));
    store.checkValid();
    // Later tables stay keyed: shrink to the minimum and grow again.
    for (const k of crafted) store.delete(k);
    crafted.forEach((k) => store.set(k, new Uint8Array(2)));
    settle(store, crafted[0]!);
    assert.equal(store.hash, "halfsiphash");
    assert.ok(longestChain(store) <= 10);
    store.clear();
    assert.equal(store.hash, "halfsiphash");
    store.checkValid();
  });

  it("random keys never switch", () => {
    const store = new Rhash({ keySize: 16, valueSize: 1 });
    const key = new Uint8Array(16);
    for (let i = 0; i < 1 << 16; i++) {
      crypto.getRandomValues(key);
      store.set(key, new Uint8Array(1));
    }
    assert.equal(store.hash, "murmur3");
    assert.equal(store.stats().rekeys, 0);
  });

  it('"halfsiphash" is keyed from the start; "murmur3" floods as before', () => {
    const keyed = new Rhash({ keySize: 96, valueSize: 1, hash: "halfsiphash" });
    const plain = new Rhash({ keySize: 96, valueSize: 1, hash: "murmur3" });
    assert.equal(keyed.hash, "halfsiphash");
    for (const k of crafted.slice(0, 512)) {
      keyed.set(k, new Uint8Array(1)), plain.set(k, new Uint8Array(1));
    }
    settle(keyed, crafted[0]!);
    settle(plain, crafted[0]!);
    assert.ok(longestChain(keyed) <= 8);
    assert.equal(keyed.stats().rekeys, 0);
    assert.equal(plain.hash, "murmur3");
    assert.equal(longestChain(plain), 512);
    assert.ok(plain.stats().rehashes > 10); // rehash after rehash, to no avail
    keyed.checkValid();
    plain.checkValid();
    assert.throws(() => new Rhash({ hash: "jhash" as never }), { code: "EINVAL" });
  });

  it("a fixed seed reproduces the first table, whatever the hash", () => {
    for (const hash of ["auto", "halfsiphash", "murmur3"] as const) {
      const build = () => {
        const store = new Rhash({ keySize: 4, valueSize: 1, seed: 99, hash, nelemHint: 40 });
        for (let i = 0; i < 40; i++) store.set(u32(i), new Uint8Array(1));
        return store;
      };
      const [a, b] = [build(), build()];
      assert.deepEqual(a.chainLengths(), b.chainLengths(), hash);
      assert.equal(a.describe(), b.describe(), hash); // the seeds too
    }
  });
});

// Runs `fn` while the Int32Arrays of a length `fails` picks cannot be allocated (as when memory
// runs out), so the limits can be tested without allocating gigabytes.
function withFailingAllocation(fails: (length: number) => boolean, fn: () => void): void {
  const real = globalThis.Int32Array;
  globalThis.Int32Array = new Proxy(real, {
    construct(target, args, newTarget) {
      if (typeof args[0] === "number" && fails(args[0])) {
        throw new RangeError("Array buffer allocation failed");
      }
      return Reflect.construct(target, args, newTarget);
    },
  });
  try {
    fn();
  } finally {
    globalThis.Int32Array = real;
  }
}

// Runs `fn` while no Uint8Array can view an ArrayBuffer longer than `most` bytes, though an
// Int32Array of that buffer can be allocated (Node 20 past 2^32 bytes), without allocating GBs.
function withUnviewableBuffers(most: number, fn: () => void): void {
  const real = globalThis.Uint8Array;
  globalThis.Uint8Array = new Proxy(real, {
    construct(target, args, newTarget) {
      if (args[0] instanceof ArrayBuffer && args[0].byteLength > most) {
        throw new RangeError("Invalid typed array length");
      }
      return Reflect.construct(target, args, newTarget);
    },
  });
  try {
    fn();
  } finally {
    globalThis.Uint8Array = real;
  }
}

describe("rhash limits", () => {
  it("an arena whose bytes cannot be viewed is ENOMEM with the store unchanged", () => {
    const store = new Rhash({ keySize: 4, valueSize: 4, seed: 1 });
    for (let i = 0; i < 16; i++) store.set(u32(i), new Uint8Array(4).fill(i));
    const before = store.describe();
    const memory = store.memoryUsage();
    // 16 elements of 3 words fit; the grow to 32 (384 bytes) cannot get its byte view.
    withUnviewableBuffers(16 * 12, () => {
      assert.throws(() => store.set(u32(16), new Uint8Array(4)), { code: "ENOMEM" });
      assert.equal(store.describe(), before);
      assert.equal(store.memoryUsage(), memory);
      store.set(u32(3), new Uint8Array(4).fill(9)); // updates need no memory
    });
    store.checkValid();
    for (let i = 0; i < 16; i++) {
      assert.deepEqual(store.get(u32(i)), new Uint8Array(4).fill(i === 3 ? 9 : i));
    }
    for (let i = 16; i < 40; i++) store.set(u32(i), new Uint8Array(4).fill(i));
    for (let i = 16; i < 40; i++) assert.deepEqual(store.get(u32(i)), new Uint8Array(4).fill(i));
    store.checkValid();
  });

  it("a shrink whose byte view cannot be built keeps the larger arena, and the delete succeeds", () => {
    const store = new Rhash({ keySize: 4, valueSize: 4, seed: 1 });
    for (let i = 0; i < 64; i++) store.set(u32(i), new Uint8Array(4).fill(i));
    // The shrink to 32 elements (384 bytes) cannot get its byte view.
    withUnviewableBuffers(200, () => {
      for (let i = 0; i < 60; i++) assert.ok(store.delete(u32(i)));
    });
    assert.equal(store.arenaCapacity, 64);
    store.checkValid();
    for (let i = 60; i < 64; i++) assert.deepEqual(store.get(u32(i)), new Uint8Array(4).fill(i));
    // Inserts go to the arena lookups read (no grow: 14 of 64).
    for (let i = 100; i < 110; i++) store.set(u32(i), new Uint8Array(4).fill(i));
    for (let i = 100; i < 110; i++) assert.deepEqual(store.get(u32(i)), new Uint8Array(4).fill(i));
    for (let i = 100; i < 110; i++) assert.ok(store.delete(u32(i)));
    store.delete(u32(60)); // now the shrink succeeds
    assert.ok(store.arenaCapacity < 64);
    for (let i = 61; i < 64; i++) assert.deepEqual(store.get(u32(i)), new Uint8Array(4).fill(i));
    store.checkValid();
  });

  it("an arena that cannot grow is ENOMEM with the store unchanged", () => {
    const store = new Rhash({ keySize: 4, valueSize: 4, seed: 1 });
    for (let i = 0; i < 16; i++) store.set(u32(i), new Uint8Array(4).fill(i));
    const before = store.describe();
    withFailingAllocation((n) => n > 16 * 3, () => {
      assert.throws(() => store.set(u32(16), new Uint8Array(4)), { code: "ENOMEM" });
      assert.equal(store.describe(), before);
      store.set(u32(3), new Uint8Array(4).fill(9)); // updates need no memory
    });
    assert.equal(store.size, 16);
    assert.deepEqual(store.get(u32(3)), new Uint8Array(4).fill(9));
    store.checkValid();
  });

  it("a table that cannot grow or an arena that cannot shrink never fails the operation", () => {
    const store = new Rhash({ keySize: 4, valueSize: 4, maxEntries: 200, seed: 1 });
    // The arena (3 words per element: 48, 96, 192, 384, 600) may grow; tables of 128 and 256
    // buckets cannot be allocated.
    withFailingAllocation((n) => n === 128 || n === 256, () => {
      for (let i = 0; i < 200; i++) store.set(u32(i), new Uint8Array(4));
      assert.equal(store.bucketCount, 64); // past 3/4 load: grows were skipped, not thrown
      store.checkValid();
    });
    for (let i = 0; i < 200; i++) assert.ok(store.has(u32(i)));
    withFailingAllocation((n) => n > 0, () => {
      for (let i = 0; i < 200; i++) assert.ok(store.delete(u32(i)));
    });
    assert.equal(store.size, 0);
    store.checkValid();
  });

  it("refuses options past the index limits", () => {
    assert.throws(() => new Rhash({ maxEntries: 2 ** 31 }), { code: "EINVAL" });
    assert.throws(() => new Rhash({ keySize: 65536 }), { code: "EINVAL" });
    assert.throws(() => new Rhash({ valueSize: 2 ** 24 + 1 }), { code: "EINVAL" });
  });
});

describe("rhash limits and updates", () => {
  it("maxEntries holds exactly, and a rejected set changes nothing", () => {
    const store = new Rhash({ keySize: 4, valueSize: 2, maxEntries: 100 });
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
    const store = new Rhash({ keySize: 8, valueSize: 8, maxEntries: 1000 });
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
    const store = new Rhash({ keySize: 4, valueSize: 4 });
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

  it("a walk starts at its first next(): keys inserted before it are yielded, after it not", () => {
    const store = new Rhash({ keySize: 4, valueSize: 1 });
    for (let i = 0; i < 3; i++) store.set(u32(i), new Uint8Array(1));
    const walk = store.keys();
    store.set(u32(3), new Uint8Array(1)); // before the first next(): part of the walk
    const seen = [walk.next().value!];
    store.set(u32(4), new Uint8Array(1)); // during the walk: not yielded
    for (const k of walk) seen.push(k);
    assert.deepEqual(seen.map((k) => k[0]).sort(), [0, 1, 2, 3]);
  });

  it("keys() and values() see every element once while the consumer deletes", () => {
    const store = new Rhash({ keySize: 13, valueSize: 1 });
    for (let i = 0; i < 300; i++) store.set(keyOf(13, i), new Uint8Array([i & 255]));
    let n = 0;
    for (const k of store.keys()) store.delete(k), n++;
    assert.equal(n, 300);
    for (let i = 0; i < 300; i++) store.set(keyOf(13, i), new Uint8Array([7]));
    assert.equal([...store.values()].filter((v) => v[0] === 7).length, 300);
  });

  it("nextKey walks every key once; an unknown key restarts from the first", () => {
    const store = new Rhash({ keySize: 4, valueSize: 1, nelemHint: 1 });
    for (let i = 0; i < 1000; i++) store.set(u32(i), new Uint8Array(1));
    const seen = new Set<string>();
    for (let k = store.nextKey(); k !== undefined; k = store.nextKey(k)) seen.add(hex(k));
    assert.equal(seen.size, 1000);
    assert.deepEqual(store.nextKey(u32(5000)), store.nextKey());
  });

  it("lookupBatch with delete empties the store across shrinks; a lost cursor is EAGAIN", () => {
    const store = new Rhash({ keySize: 8, valueSize: 4 });
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
        assert.deepEqual(
          batch.values[i],
          u32(new DataView(k.buffer, k.byteOffset, 4).getUint32(0, true)),
        );
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
  store: Rhash,
  cursor: Uint8Array | undefined,
  count: number,
  remove: boolean,
  seen: string[],
): "done" | "EAGAIN" => {
  const r = walkBatches(store, { count, remove, ...(cursor === undefined ? {} : { cursor }) });
  for (const k of r.keys) seen.push(hex(k));
  return r.end;
};

describe("rhash batch walks while other keys change", () => {
  it("lookup-and-delete: deleting a key not yet returned is EAGAIN, never a silent skip", () => {
    const store = new Rhash({ keySize: 4, valueSize: 4, maxEntries: 10_000, seed: 1 });
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
    const store = new Rhash({ keySize: 4, valueSize: 4, seed: 1 });
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
    const store = new Rhash({ keySize: 4, valueSize: 1 });
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
          const store = new Rhash({ keySize: 4, valueSize: 4, nelemHint: 1, seed: 7 });
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
    const store = new Rhash({ keySize: 4, valueSize: 4, nelemHint: 1 });
    for (let i = 0; i < 4; i++) store.set(u32(i), new Uint8Array(4));
    assert.equal(store.bucketCount, 4);
    assert.equal(store.futureBucketCount, 8); // 4 > 3/4 of 4: a grow started
    const text = store.describe();
    for (const part of ["table  4 buckets", "future 8 buckets", "load 1.00", "chains table"]) {
      assert.ok(text.includes(part), part);
    }
    const lengths = [...store.chainLengths(), ...store.chainLengths("future")];
    assert.equal(lengths.length, 4 + 8);
    assert.equal(lengths.reduce((a, b) => a + b), 4);
  });
});

describe("rhash getInto (the contract's allocation-free read)", () => {
  const SENTINEL = 0xee;
  const filled = (): Rhash => {
    const store = new Rhash({ keySize: 4, valueSize: 3, nelemHint: 1 });
    for (let i = 0; i < 40; i++) store.set(u32(i), new Uint8Array([i, i + 1, i + 2]));
    return store;
  };

  it("copies a present value at an offset and touches no other byte", () => {
    const store = filled();
    const out = new Uint8Array(6).fill(SENTINEL);
    assert.equal(store.getInto(u32(7), out, 2), true);
    assert.deepEqual(out, new Uint8Array([SENTINEL, SENTINEL, 7, 8, 9, SENTINEL]));
  });

  it("answers false for an absent key and leaves out untouched, also mid-resize", () => {
    const store = filled();
    const out = new Uint8Array(3).fill(SENTINEL);
    for (let i = 100; i < 200; i++) assert.equal(store.getInto(u32(i), out), false);
    assert.deepEqual(out, new Uint8Array(3).fill(SENTINEL));
    store.checkValid();
  });
  // Room, offsets, flags and their order: the conformance suite's checkGetInto.
});

describe("rhash copies, reusing walks and options (contract v2)", () => {
  it("hands out independent copies: changing one changes neither the store nor another", () => {
    const store = new Rhash({ keySize: 4, valueSize: 4 });
    for (let i = 0; i < 6; i++) store.set(u32(i), u32(i * 10));
    const a = store.get(u32(1))!;
    const b = store.get(u32(1))!;
    a.fill(0xff);
    assert.deepEqual(b, u32(10));
    const first = store.nextKey()!;
    const again = store.nextKey()!;
    first.fill(0xff);
    assert.deepEqual(store.nextKey(), again);
    for (const [k, v] of [...store.entries()]) k.fill(0xff), v.fill(0xff);
    for (const k of store.keys()) k.fill(0xff);
    for (const v of store.values()) v.fill(0xff);
    const batch = store.lookupBatch(undefined, 2);
    for (const k of batch.keys) k.fill(0xff);
    for (const v of batch.values) v.fill(0xff);
    // The cursor is not any returned key, and scrubbing the keys does not move it.
    const cursor = batch.cursor!;
    assert.ok(batch.keys.every((k) => k !== cursor));
    assert.equal(store.lookupBatch(cursor, 10).keys.length, 4);
    for (let i = 0; i < 6; i++) assert.deepEqual(store.get(u32(i)), u32(i * 10));
    assert.deepEqual(b, u32(10));
    store.checkValid();
  });

  it("entries/keys/values({ reuse: true }) yield the same arrays with the right contents", () => {
    const store = new Rhash({ keySize: 13, valueSize: 3 });
    for (let i = 0; i < 50; i++) store.set(keyOf(13, i), new Uint8Array([i, i, i]));
    const expected = [...store.entries()].map(([k, v]) => `${hex(k)}=${hex(v)}`);
    const tuples = new Set<unknown>();
    const arrays = new Set<Uint8Array>();
    const seen: string[] = [];
    for (const entry of store.entries({ reuse: true })) {
      tuples.add(entry);
      arrays.add(entry[0]).add(entry[1]);
      seen.push(`${hex(entry[0])}=${hex(entry[1])}`);
    }
    assert.deepEqual(seen, expected);
    assert.equal(tuples.size, 1);
    assert.equal(arrays.size, 2);
    const keys: string[] = [];
    const keyArrays = new Set<Uint8Array>();
    for (const k of store.keys({ reuse: true })) keyArrays.add(k), keys.push(hex(k));
    assert.equal(keyArrays.size, 1);
    assert.deepEqual(keys, [...store.keys()].map(hex));
    const values: string[] = [];
    const valueArrays = new Set<Uint8Array>();
    for (const v of store.values({ reuse: true })) valueArrays.add(v), values.push(hex(v));
    assert.equal(valueArrays.size, 1);
    assert.deepEqual(values, [...store.values()].map(hex));
  });

  for (const reuse of [false, true]) {
    it(`entries(${reuse ? "{ reuse: true }" : ""}) yields every key present throughout once while any keys are deleted`, () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 1, max: 60 }),
          fc.array(fc.array(fc.nat(59), { maxLength: 8 }), { maxLength: 60 }),
          fc.boolean(),
          (n, deletions, twoWalks) => {
            const store = new Rhash({ keySize: 4, valueSize: 4, nelemHint: 1 });
            for (let i = 0; i < n; i++) store.set(u32(i), u32(i * 3));
            const deleted = new Set<number>();
            const seen: number[] = [];
            // A second walk running alongside must stay exact too.
            const other = twoWalks ? store.keys() : undefined;
            const otherSeen: number[] = [];
            let step = 0;
            for (const [k, v] of store.entries({ reuse })) {
              const id = k[0]! | k[1]! << 8;
              assert.ok(!deleted.has(id), `key ${id} yielded after its deletion`);
              assert.deepEqual(v, u32(id * 3));
              seen.push(id);
              const o = other?.next();
              if (o !== undefined && o.done !== true) {
                const oid = o.value[0]! | o.value[1]! << 8;
                assert.ok(!deleted.has(oid), `other walk: key ${oid} after its deletion`);
                otherSeen.push(oid);
              }
              for (const d of deletions[step++] ?? []) {
                if (store.delete(u32(d))) deleted.add(d);
              }
            }
            if (other !== undefined) {
              for (const k of other) otherSeen.push(k[0]! | k[1]! << 8);
            }
            for (const [label, list] of [["entries", seen], ["other", otherSeen]] as const) {
              if (label === "other" && !twoWalks) continue;
              assert.equal(new Set(list).size, list.length, `${label}: no key twice`);
              for (let i = 0; i < n; i++) {
                if (!deleted.has(i)) assert.ok(list.includes(i), `${label}: key ${i} yielded`);
              }
            }
            store.checkValid();
          },
        ),
        { numRuns: 300 },
      );
    });
  }

  it("keys inserted during a walk are not yielded; clear ends every walk", () => {
    const store = new Rhash({ keySize: 4, valueSize: 1 });
    for (let i = 0; i < 10; i++) store.set(u32(i), new Uint8Array(1));
    const seen: number[] = [];
    for (const k of store.keys()) {
      seen.push(k[0]!);
      if (seen.length === 2) store.delete(u32(seen[0] === 0 ? 1 : 0)); // a key not yet seen
      store.set(u32(100 + seen.length), new Uint8Array(1));
    }
    assert.equal(seen.filter((k) => k >= 100).length, 0);
    assert.equal(new Set(seen).size, seen.length);
    let steps = 0;
    for (const _ of store.entries()) {
      steps++;
      store.clear();
      store.set(u32(1), new Uint8Array(1));
    }
    assert.equal(steps, 1);
  });

  it("a walk stopped early or dropped half way keeps deletes working", () => {
    const store = new Rhash({ keySize: 4, valueSize: 1 });
    for (let i = 0; i < 100; i++) store.set(u32(i), new Uint8Array([i]));
    for (let round = 0; round < 50; round++) {
      for (const _ of store.entries()) break;
      store.keys({ reuse: true }).next(); // never finished
    }
    for (let i = 0; i < 100; i += 2) store.delete(u32(i));
    assert.equal([...store.keys()].length, 50);
    store.checkValid();
  });

  it("rejects an unknown option naming it, and options that are not an object", () => {
    assert.throws(
      () => new Rhash({ nelemHnt: 4 } as never),
      (err: Error & { code?: string }) =>
        err.code === "EINVAL" && /'nelemHnt'/.test(err.message) &&
        /did you mean 'nelemHint'/.test(err.message) &&
        /keySize, valueSize, maxEntries, nelemHint, seed/.test(err.message),
    );
    assert.throws(() => rhashBackend.create({ buckets: 4 } as never), { code: "EINVAL" });
    for (const bad of [null, 4, "x", [1]]) {
      assert.throws(() => new Rhash(bad as never), { code: "EINVAL" }, String(bad));
      assert.throws(() => rhashBackend.create(bad as never), { code: "EINVAL" }, String(bad));
    }
    assert.equal(new Rhash(undefined).bucketCount, 64);
  });

  it("a NOEXIST/EXIST presence error leaves the store as it was", () => {
    const store = new Rhash({ keySize: 4, valueSize: 1, maxEntries: 2 });
    store.set(u32(1), new Uint8Array([1]));
    assert.throws(() => store.set(u32(1), new Uint8Array([2]), NOEXIST), { code: "EEXIST" });
    assert.throws(() => store.set(u32(2), new Uint8Array([2]), EXIST), { code: "ENOENT" });
    assert.deepEqual([...store.entries()], [[u32(1), new Uint8Array([1])]]);
    store.checkValid();
  });
});
