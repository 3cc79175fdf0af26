import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { assertPooledCopies, POOLED } from "@kvkit/conformance/testing";
import fc from "fast-check";
import { F_LOCK, isStoreError, readU32Key, u32Key } from "@kvkit/store";
import { uptrKvBackend, UptrKvOwner, UptrKvProgram, UptrKvStore } from "./mod.ts";

// The pool hands out regions of shared slabs except under Bun, where fresh arrays are faster.
const MODES = [
  { name: "consistent", options: { consistent: true } },
  { name: "plain", options: { consistent: false, shared: false } },
] as const;

describe("uptr-kv Store view", () => {
  for (const { name, options } of MODES) {
    it(`getInto copies values of any length at an offset (${name})`, () => {
      const store = new UptrKvStore(options);
      const values = [1, 8, 17, 100, 4096].map((n, i) =>
        new Uint8Array(n).map((_, j) => (i * 31 + j) & 0xff)
      );
      values.forEach((v, k) => store.set(u32Key(k), v));
      const out = new Uint8Array(4096 + 3);
      values.forEach((v, k) => {
        out.fill(0xee);
        assert.equal(store.getInto(u32Key(k), out, 3), true);
        assert.deepEqual(out.subarray(3, 3 + v.length), v);
        assert.equal(out[2], 0xee, "nothing written before the offset");
        if (3 + v.length < out.length) assert.equal(out[3 + v.length], 0xee, "nor after");
      });
      assert.equal(store.getInto(u32Key(1023), out), false);
    });

    it(`getInto checks the room for the value it finds, leaving out untouched (${name})`, () => {
      const store = new UptrKvStore(options);
      store.set(u32Key(1), new Uint8Array([1, 2, 3]));
      store.set(u32Key(2), new Uint8Array(40).fill(4));
      const out = new Uint8Array(6).fill(9);
      // Room for 3 bytes at 3, not for 40: the length found decides.
      assert.equal(store.getInto(u32Key(1), out, 3), true);
      assert.deepEqual(out, new Uint8Array([9, 9, 9, 1, 2, 3]));
      // An absent key needs no room: false, untouched.
      assert.equal(store.getInto(u32Key(3), out, 6), false);
      const bad: [string, () => boolean][] = [
        ["no room for the 40-byte value", () => store.getInto(u32Key(2), out)],
        ["no room for 3 bytes at 4", () => store.getInto(u32Key(1), out, 4)],
        ["F_LOCK (no locked reads)", () => store.getInto(u32Key(1), out, 0, F_LOCK)],
        ["unknown flag", () => store.getInto(u32Key(1), out, 0, 16)],
        ["key 1024 out of range", () => store.getInto(u32Key(1024), out)],
        ["short key", () => store.getInto(new Uint8Array(3), out)],
        ["negative offset", () => store.getInto(u32Key(1), out, -1)],
        ["fractional offset", () => store.getInto(u32Key(1), out, 1.5)],
        ["out not a Uint8Array", () => store.getInto(u32Key(1), {} as never)],
      ];
      const before = out.slice();
      for (const [what, call] of bad) {
        assert.throws(call, { code: "EINVAL" }, what);
        assert.deepEqual(out, before, what);
      }
    });
  }

  it("getInto answers false for a key a program deleted", () => {
    const store = new UptrKvStore();
    store.set(u32Key(7), new Uint8Array(8));
    UptrKvProgram.attach(store.owner.regions).delete(7);
    assert.equal(store.getInto(u32Key(7), new Uint8Array(8)), false);
  });

  it("hands out pooled copies from get, nextKey and entries", { skip: !POOLED }, () => {
    const store = new UptrKvStore();
    store.set(u32Key(1), new Uint8Array(8).fill(1));
    store.set(u32Key(2), new Uint8Array(3).fill(2));
    assertPooledCopies(store, u32Key(1), [store.owner.get(2)!]);
  });

  it("entries/keys/values({ reuse: true }) reuse one tuple, one key and one array per length", () => {
    const store = new UptrKvStore({ shared: false });
    const lengths = [3, 8, 3, 5, 8];
    lengths.forEach((n, k) => store.set(u32Key(k), new Uint8Array(n).fill(k + 1)));
    const tuples = new Set<unknown>();
    const keys = new Set<Uint8Array>();
    const byLength = new Map<number, Set<Uint8Array>>();
    const seen: string[] = [];
    for (const entry of store.entries({ reuse: true })) {
      const [key, value] = entry;
      tuples.add(entry);
      keys.add(key);
      if (!byLength.has(value.length)) byLength.set(value.length, new Set());
      byLength.get(value.length)!.add(value);
      seen.push(`${key[0]}:${value.join(",")}`);
    }
    assert.deepEqual(seen, lengths.map((n, k) => `${k}:${new Array(n).fill(k + 1).join(",")}`));
    assert.equal(tuples.size, 1);
    assert.equal(keys.size, 1);
    for (const [n, arrays] of byLength) assert.equal(arrays.size, 1, `length ${n}`);
    assert.equal(new Set(store.keys({ reuse: true })).size, 1);
    assert.equal(new Set(store.values({ reuse: true })).size, 3);
    assert.deepEqual([...store.values({ reuse: true })].map((v) => v.length), lengths);
  });

  it("iteration survives the consumer deleting any key mid-walk", () => {
    for (const reuse of [false, true]) {
      const store = new UptrKvStore({ shared: false });
      for (let k = 0; k < 8; k++) store.set(u32Key(k * 3), new Uint8Array(k + 1).fill(k));
      const seen: number[] = [];
      for (const [key] of store.entries({ reuse })) {
        const k = key[0]!;
        seen.push(k);
        store.delete(u32Key(k));
        if (k === 3) store.delete(u32Key(12)); // not yet yielded
        if (k === 6) store.delete(u32Key(0)); // already yielded and deleted
      }
      assert.deepEqual(seen, [0, 3, 6, 9, 15, 18, 21], `reuse ${reuse}`);
      assert.equal(store.size, 0);
    }
  });

  it("refuses options that are not an object or name an unknown option (EINVAL)", () => {
    for (const bad of [null, 3, "x", [1]]) {
      assert.throws(() => uptrKvBackend.create(bad as never), { code: "EINVAL" }, String(bad));
      assert.throws(() => new UptrKvOwner(bad as never), { code: "EINVAL" }, String(bad));
    }
    assert.throws(
      () => uptrKvBackend.create({ maxPage: 2 } as never),
      (err: Error & { code?: string }) =>
        err.code === "EINVAL" && /unknown option 'maxPage'.*'maxPages'/.test(err.message),
    );
    assert.equal(new UptrKvStore({ maxPages: 2 }).owner.maxPages, 2);
  });

  it("NOEXIST and EXIST answer EEXIST and ENOENT and change nothing", () => {
    const store = new UptrKvStore({ shared: false });
    store.set(u32Key(1), new Uint8Array([1]));
    assert.throws(() => store.set(u32Key(1), new Uint8Array([2]), 1), { code: "EEXIST" });
    assert.throws(() => store.set(u32Key(2), new Uint8Array([2]), 2), { code: "ENOENT" });
    assert.deepEqual([...store.entries()], [[u32Key(1), new Uint8Array([1])]]);
  });

  describe("admission is monotone", () => {
    // Rebuilds `store`'s contents in a fresh store with the same options, in `order`.
    const rebuild = (store: UptrKvStore, order: (n: number) => number[]): void => {
      const entries = [...store.entries()];
      const fresh = new UptrKvStore({ maxPages: store.owner.maxPages, shared: false });
      for (const i of order(entries.length)) fresh.set(entries[i]![0], entries[i]![1]);
      assert.equal(fresh.size, store.size);
      for (const [k, v] of entries) assert.deepEqual(fresh.get(k), v);
    };

    it("keeps room after a delete and can rebuild the state (the issue's sizes)", () => {
      const store = new UptrKvStore({ maxPages: 4, shared: false });
      const sizes = [1632, 408, 2856, 4080, 2448, 1632, 408, 1632, 1224];
      sizes.forEach((n, k) => {
        try {
          store.set(u32Key(k), new Uint8Array(n).fill(k));
        } catch (err) {
          if (!isStoreError(err, "ENOSPC")) throw err;
        }
      });
      assert.ok(store.size >= 6, `${store.size} of the values admitted`);
      store.delete(u32Key(1));
      store.set(u32Key(20), new Uint8Array(1)); // once ENOSPC with 472 B free
      store.delete(u32Key(20));
      store.set(u32Key(20), new Uint8Array(408)); // the deleted key's length fits again
      rebuild(store, (n) => [...Array(n).keys()]);
      rebuild(store, (n) => [...Array(n).keys()].reverse());
    });

    it("rebuilds every reachable state in any order; a delete makes room for no larger", () => {
      const size = fc.oneof(
        fc.integer({ min: 1, max: 160 }),
        fc.integer({ min: 1, max: 4096 }),
        fc.constantFrom(408, 1224, 1632, 2048, 2056, 2448, 2856, 4080, 4096),
      );
      const op = fc.oneof(
        {
          arbitrary: fc.record({ t: fc.constant("set" as const), key: fc.nat(40), n: size }),
          weight: 4,
        },
        fc.record({ t: fc.constant("delete" as const), key: fc.nat(40) }),
      );
      fc.assert(
        fc.property(
          fc.integer({ min: 1, max: 4 }),
          fc.array(op, { minLength: 5, maxLength: 40 }),
          fc.array(fc.nat(), { minLength: 64, maxLength: 64 }),
          fc.integer({ min: 1, max: 4096 }),
          (maxPages, ops, shuffle, pick) => {
            const store = new UptrKvStore({ maxPages, shared: false });
            // A deterministic permutation from the random words.
            const order = (n: number): number[] =>
              [...Array(n).keys()].sort((a, b) => shuffle[a % 64]! - shuffle[b % 64]! || a - b);
            for (const o of ops) {
              if (o.t === "set") {
                try {
                  store.set(u32Key(o.key), new Uint8Array(o.n).fill(o.key));
                } catch (err) {
                  if (!isStoreError(err, "ENOSPC")) throw err;
                }
              } else {
                const gone = store.get(u32Key(o.key));
                if (!store.delete(u32Key(o.key))) continue;
                // Any value no larger than the one deleted fits under a new key.
                const n = 1 + (pick % gone!.length);
                const fresh = [...Array(1024).keys()].find((k) => !store.has(u32Key(k)))!;
                store.set(u32Key(fresh), new Uint8Array(n));
                store.delete(u32Key(fresh));
              }
              rebuild(store, order);
              for (const [k, v] of store.entries()) assert.equal(v[0], readU32Key(k) & 0xff);
            }
          },
        ),
        { numRuns: 150 },
      );
    });
  });
});
