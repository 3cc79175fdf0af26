import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { EXIST, F_LOCK, NOEXIST, u32Key } from "@kvkit/store";
import { Htab } from "./mod.ts";
import { finish, mixWord } from "./_hash.ts";

const SEED = 0x1234_5678;

// The bucket a 4-byte key lands in, computed the way the table does.
function bucketOf(key: number, seed: number, nBuckets: number): number {
  return finish(mixWord(seed | 0, key | 0), 4) & (nBuckets - 1);
}

// The first `n` u32 keys that land in `bucket`.
function keysInBucket(bucket: number, n: number, nBuckets: number): number[] {
  const out: number[] = [];
  for (let k = 0; out.length < n; k++) if (bucketOf(k, SEED, nBuckets) === bucket) out.push(k);
  return out;
}

const val = (...bytes: number[]): Uint8Array => new Uint8Array(bytes);

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    return (err as { code?: string }).code ?? String(err);
  }
}

describe("htab options", () => {
  it("rounds max entries up to a power of two buckets", () => {
    assert.equal(new Htab({ maxEntries: 1 }).bucketCount, 1);
    assert.equal(new Htab({ maxEntries: 5 }).bucketCount, 8);
    assert.equal(new Htab({ maxEntries: 1024 }).bucketCount, 1024);
    assert.equal(new Htab({ maxEntries: 1025 }).bucketCount, 2048);
  });

  it("rejects bad options with EINVAL", () => {
    for (
      const bad of [
        { keySize: 0 },
        { valueSize: 0 },
        { maxEntries: 0 },
        { maxEntries: 1.5 },
        { keySize: 65536 },
        { seed: -1 },
        { seed: 2 ** 32 },
        { maxEntries: "8" as unknown as number },
        { maxEntries: 1 << 26, valueSize: 1 << 10 },
      ]
    ) {
      assert.throws(() => new Htab(bad), { code: "EINVAL" }, JSON.stringify(bad));
    }
  });

  it("counts every typed array in memoryUsage, fixed for life", () => {
    // buckets 4·8 + 9 elements × (next 4 + hash 4 + key 2 words 8 + value 3) + scratch 8
    const map = new Htab({ keySize: 5, valueSize: 3, maxEntries: 8 });
    assert.equal(map.memoryUsage(), 32 + 9 * 19 + 8);
    for (let i = 0; i < 8; i++) map.set(val(i, 0, 0, 0, 1), val(1, 2, 3));
    assert.equal(map.memoryUsage(), 32 + 9 * 19 + 8);
  });
});

describe("htab chains", () => {
  const nb = 4;
  const colliding = keysInBucket(0, 4, nb);

  it("chains colliding keys in one bucket, newest first", () => {
    const map = new Htab({ keySize: 4, valueSize: 1, maxEntries: nb, seed: SEED });
    for (const k of colliding) {
      map.set(u32Key(k), val(k & 0xff));
      map.checkValid();
    }
    for (const k of colliding) assert.deepEqual(map.get(u32Key(k)), val(k & 0xff));
    // One bucket holds all four: a batch of 3 cannot take it.
    assert.throws(() => map.lookupBatch(undefined, 3), { code: "ENOSPC" });
    const walk: number[] = [];
    for (let k = map.nextKey(); k !== undefined; k = map.nextKey(k)) {
      walk.push(k[0]! | k[1]! << 8 | k[2]! << 16 | k[3]! << 24);
    }
    assert.deepEqual(walk, [...colliding].reverse());
    assert.match(map.describe(), /\n\s+4 \| #+ 1\n/);
  });

  it("unlinks from the head, middle and tail of a chain", () => {
    for (const victimOrder of [[0, 1, 2, 3], [3, 2, 1, 0], [1, 3, 0, 2]]) {
      const map = new Htab({ keySize: 4, valueSize: 1, maxEntries: nb, seed: SEED });
      for (const k of colliding) map.set(u32Key(k), val(1));
      const left = new Set(colliding);
      for (const i of victimOrder) {
        const k = colliding[i]!;
        assert.equal(map.delete(u32Key(k)), true);
        assert.equal(map.delete(u32Key(k)), false);
        left.delete(k);
        map.checkValid();
        for (const other of colliding) assert.equal(map.has(u32Key(other)), left.has(other));
      }
      assert.equal(map.size, 0);
    }
  });

  it("updates a key in the middle of a chain without losing its neighbours", () => {
    const map = new Htab({ keySize: 4, valueSize: 1, maxEntries: nb, seed: SEED });
    for (const k of colliding) map.set(u32Key(k), val(1));
    map.set(u32Key(colliding[1]!), val(2));
    map.checkValid();
    assert.deepEqual(
      colliding.map((k) => map.get(u32Key(k))?.[0]),
      [1, 2, 1, 1],
    );
    // The updated key now heads the chain.
    assert.deepEqual(map.nextKey(), u32Key(colliding[1]!));
  });

  it("keeps chains short for sequential keys (the hash spreads low bits)", () => {
    const map = new Htab({ keySize: 4, valueSize: 1, maxEntries: 4096, seed: SEED });
    for (let i = 0; i < 4096; i++) map.set(u32Key(i), val(1));
    const longest = Number(/\n\s+(\d+) \| #+ \d+\n[^|]*$/.exec(map.describe())?.[1]);
    assert.ok(longest <= 9, `longest chain ${longest}`);
  });
});

describe("htab element accounting", () => {
  it("updates by swapping with the spare element", () => {
    const map = new Htab({ keySize: 4, valueSize: 2, maxEntries: 3, seed: SEED });
    map.set(u32Key(1), val(1, 1));
    map.set(u32Key(2), val(2, 2));
    const a = map.lookup(u32Key(1));
    const b = map.lookup(u32Key(2));
    // Fresh keys take elements 0 and 1 from the free list; element 3 is the spare.
    assert.deepEqual([a, b], [0, 2]);
    map.set(u32Key(1), val(3, 3));
    assert.equal(map.lookup(u32Key(1)), 3 * 2, "update takes the spare");
    map.set(u32Key(2), val(4, 4));
    assert.equal(map.lookup(u32Key(2)), a, "the old element became the spare");
    assert.deepEqual(map.get(u32Key(1)), val(3, 3));
    assert.deepEqual(map.get(u32Key(2)), val(4, 4));
    map.checkValid();
  });

  it("keeps exactly maxEntries + 1 elements across many updates of a full map", () => {
    const max = 8;
    const map = new Htab({ keySize: 8, valueSize: 4, maxEntries: max, seed: SEED });
    const key = (i: number): Uint8Array => val(i, 0, 0, 0, 0, 0, 0, 7);
    for (let i = 0; i < max; i++) map.set(key(i), val(i, 0, 0, 0));
    const bytes = map.memoryUsage();
    for (let round = 1; round <= 50; round++) {
      for (let i = 0; i < max; i++) map.set(key(i), val(i, round, 0, 0), EXIST);
      map.checkValid();
    }
    assert.equal(map.size, max);
    assert.equal(map.memoryUsage(), bytes);
    for (let i = 0; i < max; i++) assert.deepEqual(map.get(key(i)), val(i, 50, 0, 0));
    // Every offset is distinct and inside the max+1 elements.
    const offsets = new Set([...Array(max).keys()].map((i) => map.lookup(key(i))));
    assert.equal(offsets.size, max);
    for (const o of offsets) assert.ok(o >= 0 && o <= max * 4);
    assert.throws(() => map.set(key(99), val(0, 0, 0, 0)), { code: "E2BIG" });
  });

  it("is full exactly at maxEntries, and a rejected write changes nothing", () => {
    for (const max of [1, 3, 8, 100]) {
      const map = new Htab({ keySize: 4, valueSize: 1, maxEntries: max });
      for (let i = 0; i < max; i++) map.set(u32Key(i), val(i & 0xff), NOEXIST);
      const before = [...map.entries()];
      assert.throws(() => map.set(u32Key(max), val(0)), { code: "E2BIG" });
      assert.throws(() => map.set(u32Key(max), val(0), NOEXIST), { code: "E2BIG" });
      assert.throws(() => map.set(u32Key(max), val(0), EXIST), { code: "ENOENT" });
      assert.throws(() => map.set(u32Key(0), val(0), NOEXIST), { code: "EEXIST" });
      assert.throws(() => map.set(u32Key(0), val(0), F_LOCK), { code: "EINVAL" });
      assert.throws(() => map.set(u32Key(0), val(0, 0)), { code: "EINVAL" });
      assert.deepEqual([...map.entries()], before);
      map.checkValid();
      // A present key still updates in a full map; a delete makes room for one new key.
      map.set(u32Key(0), val(42));
      assert.equal(map.delete(u32Key(max - 1)), true);
      map.set(u32Key(max), val(7));
      assert.equal(map.size, max);
      map.checkValid();
    }
  });

  it("returns copies and copies what it is given", () => {
    const map = new Htab({ keySize: 4, valueSize: 2 });
    const key = u32Key(1);
    const value = val(1, 2);
    map.set(key, value);
    value[0] = 9;
    key[0] = 9;
    const got = map.get(u32Key(1))!;
    assert.deepEqual(got, val(1, 2));
    got[1] = 9;
    assert.deepEqual(map.get(u32Key(1)), val(1, 2));
    const [k] = map.keys();
    k![0] = 5;
    assert.ok(map.has(u32Key(1)));
  });

  it("getInto copies at an offset and checks the room", () => {
    const map = new Htab({ keySize: 4, valueSize: 100 });
    const long = new Uint8Array(100).map((_, i) => i);
    map.set(u32Key(1), long);
    const out = new Uint8Array(101);
    assert.equal(map.getInto(u32Key(1), out, 1), true);
    assert.deepEqual(out.subarray(1), long);
    assert.equal(map.getInto(u32Key(2), out), false);
    assert.throws(() => map.getInto(u32Key(1), out, 2), { code: "EINVAL" });
    assert.throws(() => map.getInto(u32Key(1), new Uint8Array(99)), { code: "EINVAL" });
    assert.throws(() => map.getInto(val(1), out), { code: "EINVAL" });
  });
});

describe("htab nextKey and batch", () => {
  it("restarts an unknown key at the first key and ends with undefined", () => {
    const map = new Htab({ keySize: 3, valueSize: 1, maxEntries: 16 });
    assert.equal(map.nextKey(), undefined);
    assert.equal(map.nextKey(val(1, 2, 3)), undefined);
    for (let i = 0; i < 10; i++) map.set(val(i, i, i), val(i));
    const first = map.nextKey()!;
    assert.deepEqual(map.nextKey(val(9, 9, 8)), first);
    const seen = new Set<number>();
    let last: Uint8Array | undefined;
    for (let k = map.nextKey(); k !== undefined; k = map.nextKey(k)) {
      seen.add(k[0]!);
      last = k;
    }
    assert.equal(seen.size, 10);
    assert.equal(map.nextKey(last), undefined);
  });

  it("encodes the bucket index as a 4-byte little-endian cursor and never splits a bucket", () => {
    const nb = 8;
    const [a] = keysInBucket(2, 1, nb);
    const three = keysInBucket(5, 3, nb);
    const map = new Htab({ keySize: 4, valueSize: 1, maxEntries: nb, seed: SEED });
    for (const k of [a!, ...three]) map.set(u32Key(k), val(1));
    const first = map.lookupBatch(undefined, 2);
    assert.deepEqual(first.keys, [u32Key(a!)]);
    assert.deepEqual(first.cursor, val(5, 0, 0, 0));
    assert.throws(() => map.lookupBatch(first.cursor, 2, { delete: true }), { code: "ENOSPC" });
    assert.equal(map.size, 4, "ENOSPC removed nothing");
    const second = map.lookupBatch(first.cursor, 3, { delete: true });
    assert.equal(second.keys.length, 3);
    assert.equal(second.cursor, undefined);
    assert.equal(map.size, 1);
    map.checkValid();
    assert.throws(() => map.lookupBatch(val(8, 0, 0, 0), 1), { code: "EINVAL" });
    assert.throws(() => map.lookupBatch(val(0, 0, 0), 1), { code: "EINVAL" });
    assert.throws(() => map.lookupBatch(undefined, 0), { code: "EINVAL" });
    assert.throws(() => map.lookupBatch(undefined, 1.5), { code: "EINVAL" });
  });

  it("visits every entry once across batches, and delete empties the map", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: 1000 }), { maxLength: 64 }),
        fc.integer({ min: 1, max: 20 }),
        fc.boolean(),
        (keys, count, remove) => {
          const map = new Htab({ keySize: 4, valueSize: 2, maxEntries: 64 });
          for (const k of keys) map.set(u32Key(k), val(k & 0xff, k >> 8));
          const seen: number[] = [];
          let cursor: Uint8Array | undefined;
          let grow = count;
          for (;;) {
            let batch;
            try {
              batch = map.lookupBatch(cursor, grow, { delete: remove });
            } catch (err) {
              assert.equal((err as { code?: string }).code, "ENOSPC");
              grow++;
              continue;
            }
            assert.ok(batch.keys.length <= grow && (batch.keys.length > 0 || keys.length === 0));
            batch.keys.forEach((k, i) => {
              const n = k[0]! | k[1]! << 8;
              assert.deepEqual(batch.values[i], val(n & 0xff, n >> 8));
              seen.push(n);
            });
            cursor = batch.cursor;
            grow = count;
            if (cursor === undefined) break;
          }
          assert.deepEqual(seen.sort((x, y) => x - y), [...keys].sort((x, y) => x - y));
          assert.equal(map.size, remove ? 0 : keys.length);
          map.checkValid();
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe("htab iteration under writes", () => {
  it("sees every key once when the yielded key is updated or deleted", () => {
    const map = new Htab({ keySize: 4, valueSize: 1, maxEntries: 16, seed: SEED });
    for (let i = 0; i < 16; i++) map.set(u32Key(i), val(0));
    const seen: number[] = [];
    for (const [k, v] of map) {
      assert.equal(v[0], 0);
      seen.push(k[0]!);
      if (k[0]! % 3 === 0) map.delete(k);
      else map.set(k, val(1));
    }
    assert.deepEqual(seen.sort((a, b) => a - b), [...Array(16).keys()]);
    map.checkValid();
  });

  it("only yields present keys and ends when other writes happen mid-walk", () => {
    const map = new Htab({ keySize: 4, valueSize: 1, maxEntries: 8, seed: SEED });
    for (let i = 0; i < 8; i++) map.set(u32Key(i), val(i));
    let steps = 0;
    for (const [k] of map) {
      assert.ok(map.has(k), `yielded key ${k[0]} is present`);
      if (steps++ === 0) {
        map.clear();
        for (let i = 100; i < 104; i++) map.set(u32Key(i), val(1));
      }
      assert.ok(steps < 100);
    }
    map.checkValid();
  });
});

describe("htab walks that update the keys they visit", () => {
  // Two keys sharing bucket 0 of 4, inserted a then b: the chain is b -> a.
  const [a, b] = keysInBucket(0, 2, 4) as [number, number];
  const twoInOneBucket = (): Htab => {
    const map = new Htab({ keySize: 4, valueSize: 1, maxEntries: 4, seed: SEED });
    map.set(u32Key(a), val(0));
    map.set(u32Key(b), val(0));
    return map;
  };

  it("a nextKey walk that updates each key can cycle forever (update-by-swap, as the kernel)", () => {
    const map = twoInOneBucket();
    const plain: number[] = [];
    for (let k = map.nextKey(); k !== undefined; k = map.nextKey(k)) plain.push(k[0]!);
    assert.deepEqual(plain, [b & 0xff, a & 0xff]); // without writes the walk ends
    const CAP = 100;
    const seen: number[] = [];
    let k = map.nextKey();
    for (; k !== undefined && seen.length < CAP; k = map.nextKey(k)) {
      seen.push(new DataView(k.buffer).getUint32(0, true));
      map.set(k, val(1)); // the updated key moves to the head of its chain
    }
    assert.ok(k !== undefined, "the walk is still going after the step cap");
    assert.deepEqual(seen.slice(0, 4), [b, a, b, a]); // b, then a moved in front of b, ...
    map.checkValid();
  });

  it("entries() and lookupBatch visit each key once while every visited key is updated", () => {
    const map = twoInOneBucket();
    const other = keysInBucket(3, 1, 4)[0]!;
    map.set(u32Key(other), val(0));
    const viaEntries: number[] = [];
    for (const [k] of map.entries()) {
      viaEntries.push(new DataView(k.buffer).getUint32(0, true));
      map.set(k, val(1));
    }
    assert.deepEqual(viaEntries.sort((x, y) => x - y), [a, b, other].sort((x, y) => x - y));
    const viaBatch: number[] = [];
    let cursor: Uint8Array | undefined;
    do {
      const batch = map.lookupBatch(cursor, 2); // whole buckets: 2 is the longest chain
      for (const k of batch.keys) {
        viaBatch.push(new DataView(k.buffer).getUint32(0, true));
        map.set(k, val(2));
      }
      cursor = batch.cursor;
    } while (cursor !== undefined);
    assert.deepEqual(viaBatch.sort((x, y) => x - y), [a, b, other].sort((x, y) => x - y));
    assert.deepEqual([...map.values()], [val(2), val(2), val(2)]);
    map.checkValid();
  });
});

describe("htab against a Map model", () => {
  type Op =
    | { op: "set"; k: number; v: number; flags: number }
    | { op: "delete"; k: number }
    | { op: "get"; k: number }
    | { op: "next"; k: number }
    | { op: "batch"; count: number; remove: boolean }
    | { op: "iterDelete" }
    | { op: "clear" };

  const ops = (keySpace: number): fc.Arbitrary<Op[]> =>
    fc.array(
      fc.oneof(
        {
          arbitrary: fc.record({
            op: fc.constant("set" as const),
            k: fc.nat(keySpace),
            v: fc.nat(255),
            flags: fc.constantFrom(0, 0, 0, NOEXIST, EXIST, 3, F_LOCK),
          }),
          weight: 6,
        },
        {
          arbitrary: fc.record({ op: fc.constant("delete" as const), k: fc.nat(keySpace) }),
          weight: 3,
        },
        {
          arbitrary: fc.record({ op: fc.constant("get" as const), k: fc.nat(keySpace) }),
          weight: 2,
        },
        {
          arbitrary: fc.record({ op: fc.constant("next" as const), k: fc.nat(keySpace) }),
          weight: 1,
        },
        {
          arbitrary: fc.record({
            op: fc.constant("batch" as const),
            count: fc.integer({ min: 1, max: 6 }),
            remove: fc.boolean(),
          }),
          weight: 1,
        },
        { arbitrary: fc.constant({ op: "iterDelete" as const }), weight: 1 },
        { arbitrary: fc.constant({ op: "clear" as const }), weight: 1 },
      ),
      { maxLength: 80 },
    );

  for (const keySize of [4, 8, 3, 13]) {
    it(`keeps every invariant after every operation (key size ${keySize})`, () => {
      const keyOf = (k: number): Uint8Array => {
        const b = new Uint8Array(keySize);
        b[0] = k;
        b[keySize - 1] = b[keySize - 1]! ^ 0x80;
        return b;
      };
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 9 }), ops(20), (max, script) => {
          const map = new Htab({ keySize, valueSize: 3, maxEntries: max });
          const model = new Map<number, number>();
          for (const step of script) {
            switch (step.op) {
              case "set": {
                const present = model.has(step.k);
                const expected = step.flags === 3 || step.flags === F_LOCK
                  ? "EINVAL"
                  : step.flags === NOEXIST && present
                  ? "EEXIST"
                  : step.flags === EXIST && !present
                  ? "ENOENT"
                  : !present && model.size >= max
                  ? "E2BIG"
                  : undefined;
                const code = codeOf(() =>
                  map.set(keyOf(step.k), val(step.v, step.k, 1), step.flags)
                );
                assert.equal(code, expected);
                if (expected === undefined) model.set(step.k, step.v);
                break;
              }
              case "delete":
                assert.equal(map.delete(keyOf(step.k)), model.delete(step.k));
                break;
              case "get": {
                const v = model.get(step.k);
                assert.deepEqual(
                  map.get(keyOf(step.k)),
                  v === undefined ? undefined : val(v, step.k, 1),
                );
                break;
              }
              case "next": {
                const next = map.nextKey(keyOf(step.k));
                if (model.size === 0) assert.equal(next, undefined);
                else if (!model.has(step.k)) assert.deepEqual(next, map.nextKey());
                else if (next !== undefined) assert.ok(model.has(next[0]!));
                break;
              }
              case "batch": {
                const codes = codeOf(() => map.lookupBatch(undefined, step.count));
                if (codes !== undefined) {
                  assert.equal(codes, "ENOSPC");
                  break;
                }
                const batch = map.lookupBatch(undefined, step.count, { delete: step.remove });
                assert.ok(batch.keys.length >= 1 || model.size === 0);
                for (const [i, k] of batch.keys.entries()) {
                  assert.deepEqual(batch.values[i], val(model.get(k[0]!)!, k[0]!, 1));
                  if (step.remove) model.delete(k[0]!);
                }
                break;
              }
              case "iterDelete": {
                // Delete every other key while iterating; every key is still seen once.
                let i = 0;
                const before = model.size;
                const seen: number[] = [];
                for (const [k] of map) {
                  seen.push(k[0]!);
                  if (i++ % 2 === 0) {
                    map.delete(k);
                    model.delete(k[0]!);
                  }
                }
                assert.equal(new Set(seen).size, seen.length);
                assert.equal(seen.length, before);
                break;
              }
              case "clear":
                map.clear();
                model.clear();
                break;
            }
            map.checkValid();
            assert.equal(map.size, model.size);
          }
          const all = [...map.entries()].map(([k, v]): [number, number] => [k[0]!, v[0]!]);
          assert.deepEqual(new Map(all), model);
        }),
        { numRuns: 150 },
      );
    });
  }
});
