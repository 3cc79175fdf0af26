// What the Store view promises beyond the conformance suite: its capabilities say what `set`
// throws at the limits the suite's small tables cannot reach.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { assertPooledCopies, POOLED } from "@kvkit/conformance/testing";
import { EXIST, F_LOCK, u32Key } from "@kvkit/store";
import { OwnerTable, skStorageBackend, SkStorageMap, SkStorageStore } from "./mod.ts";

// The pool hands out regions of shared slabs except under Bun, where fresh arrays are faster.
// The layouts the Store view takes: inline, fallback, interned inline and fallback.
const LAYOUTS = [
  { valueSize: 3 },
  { valueSize: 3, inlineBytes: 0 },
  { valueSize: 3, interned: true },
  { valueSize: 3, interned: true, inlineBytes: 0 },
] as const;

// A 4-byte value per owner id: every owner a distinct value.
function valueOf(i: number): Uint8Array {
  return new Uint8Array([i & 0xff, (i >>> 8) & 0xff, (i >>> 16) & 0xff, i >>> 24]);
}

describe("SkStorageStore", () => {
  it("refuses optmemMax (EINVAL): the native OwnerTable keeps it", () => {
    for (const optmemMax of [0, 64, 1 << 20]) {
      assert.throws(
        () => new SkStorageStore({ owners: 4, valueSize: 8, inlineBytes: 0, optmemMax } as never),
        { code: "EINVAL", message: new RegExp(`optmemMax ${optmemMax}`) },
      );
      assert.throws(() => skStorageBackend.create({ owners: 4, optmemMax } as never), {
        code: "EINVAL",
      });
    }
  });

  it("lets every owner hold a value unless interned over more than 65535 owners", () => {
    for (const interned of [false, true]) {
      for (const inlineBytes of [undefined, 0]) {
        const store = new SkStorageStore({
          owners: 6,
          valueSize: 4,
          interned,
          ...(inlineBytes === undefined ? {} : { inlineBytes }),
        });
        assert.equal(store.capabilities.maxEntries, 6);
        assert.equal(store.capabilities.fullError, "E2BIG");
        for (let i = 0; i < 6; i++) store.set(u32Key(i), valueOf(i));
        assert.equal(store.size, 6);
      }
    }
    const plain = new SkStorageStore({ owners: 70_000, valueSize: 1 });
    assert.equal(plain.capabilities.maxEntries, 70_000);
    assert.equal(plain.capabilities.fullError, "E2BIG");
    const interned = new SkStorageStore({ owners: 65_535, valueSize: 1, interned: true });
    assert.equal(interned.capabilities.maxEntries, 65_535);
    assert.equal(interned.capabilities.fullError, "E2BIG");
  });

  it("caps an interned store over 65535 owners at 65535 values, ENOSPC past them", () => {
    const store = new SkStorageStore({ owners: 70_000, valueSize: 4, interned: true });
    assert.equal(store.capabilities.maxEntries, 65_535);
    assert.equal(store.capabilities.fullError, "ENOSPC");
    for (let i = 0; i < 65_535; i++) store.set(u32Key(i), valueOf(i));
    assert.equal(store.map.distinctValues, 65_535);
    // a new key is refused even with a value already in the table: the cap is on values held
    for (const value of [valueOf(65_535), valueOf(7)]) {
      assert.throws(() => store.set(u32Key(65_535), value), { code: "ENOSPC" });
    }
    assert.equal(store.size, 65_535);
    assert.equal(store.has(u32Key(65_535)), false);
    assert.equal(store.map.distinctValues, 65_535);
    // a present key takes a new distinct value: the table always has room for one more
    store.set(u32Key(3), valueOf(1_000_000), EXIST);
    assert.deepEqual(store.get(u32Key(3)), valueOf(1_000_000));
    assert.equal(store.map.distinctValues, 65_535);
    // a delete makes room for a new key again
    assert.equal(store.delete(u32Key(0)), true);
    store.set(u32Key(69_999), valueOf(69_999));
    assert.equal(store.size, 65_535);
    assert.deepEqual(store.get(u32Key(69_999)), valueOf(69_999));
  });

  it("replaces values at 65535 distinct values held (owners 65535)", () => {
    const store = new SkStorageStore({ owners: 65_535, valueSize: 4, interned: true });
    for (let i = 0; i < 65_535; i++) store.set(u32Key(i), valueOf(i));
    for (let i = 0; i < 4; i++) store.set(u32Key(i), valueOf(100_000 + i));
    assert.equal(store.size, 65_535);
    assert.equal(store.map.distinctValues, 65_535);
    assert.deepEqual(store.get(u32Key(2)), valueOf(100_002));
  });

  for (const layout of LAYOUTS) {
    const name = JSON.stringify(layout);
    it(`getInto copies at an offset, false when absent, EINVAL first (${name})`, () => {
      const store = new SkStorageStore({ owners: 4, ...layout });
      store.set(u32Key(1), new Uint8Array([1, 2, 3]));
      store.set(u32Key(3), new Uint8Array([4, 5, 6]));
      const out = new Uint8Array(5).fill(9);
      assert.equal(store.getInto(u32Key(3), out, 2), true);
      assert.deepEqual(out, new Uint8Array([9, 9, 4, 5, 6]));
      assert.equal(store.getInto(u32Key(2), out, 1), false);
      const bad: [string, () => boolean][] = [
        ["F_LOCK (no locked reads)", () => store.getInto(u32Key(1), out, 0, F_LOCK)],
        ["no room, present key", () => store.getInto(u32Key(1), out, 3)],
        ["no room, absent key", () => store.getInto(u32Key(2), out, 3)],
        ["owner 4 out of range", () => store.getInto(u32Key(4), out)],
        ["short key", () => store.getInto(new Uint8Array(2), out)],
        ["negative offset", () => store.getInto(u32Key(1), out, -2)],
        ["out not a Uint8Array", () => store.getInto(u32Key(1), "abc" as never)],
      ];
      const before = out.slice();
      for (const [what, call] of bad) {
        assert.throws(call, { code: "EINVAL" }, what);
        assert.deepEqual(out, before, what);
      }
    });

    it(`iteration survives the consumer deleting any key mid-walk (${name})`, () => {
      for (const reuse of [false, true]) {
        const store = new SkStorageStore({ owners: 10, ...layout });
        for (let k = 0; k < 10; k += 1) store.set(u32Key(k), new Uint8Array([k, k % 3, 7]));
        const seen: number[] = [];
        for (const [key, value] of store.entries({ reuse })) {
          const k = key[0]!;
          assert.deepEqual([...value], [k, k % 3, 7]);
          seen.push(k);
          store.delete(u32Key(k));
          if (k === 2) store.delete(u32Key(6)); // not yet yielded
          if (k === 4) store.delete(u32Key(1)); // already yielded and deleted
        }
        assert.deepEqual(seen, [0, 1, 2, 3, 4, 5, 7, 8, 9], `reuse ${reuse}`);
        assert.equal(store.size, 0);
        store.checkValid();
      }
    });
  }

  it("hands out pooled copies from get, nextKey and iteration", { skip: !POOLED }, () => {
    const store = new SkStorageStore({ owners: 4, valueSize: 8 });
    store.set(u32Key(1), new Uint8Array(8).fill(1));
    store.set(u32Key(2), new Uint8Array(8).fill(2));
    assertPooledCopies(store, u32Key(1), [store.map.get(2)!]);
  });

  it("entries/keys/values({ reuse: true }) yield the same arrays, overwritten in place", () => {
    const store = new SkStorageStore({ owners: 8, valueSize: 2 });
    for (const k of [6, 1, 3]) store.set(u32Key(k), new Uint8Array([k, 1]));
    const tuples = new Set<unknown>();
    const arrays = new Set<Uint8Array>();
    const seen: number[] = [];
    for (const entry of store.entries({ reuse: true })) {
      tuples.add(entry);
      arrays.add(entry[0]).add(entry[1]);
      seen.push(entry[0][0]!, entry[1][0]!);
    }
    assert.deepEqual(seen, [1, 1, 3, 3, 6, 6]);
    assert.equal(tuples.size, 1);
    assert.equal(arrays.size, 2);
    assert.equal(new Set(store.keys({ reuse: true })).size, 1);
    assert.equal(new Set(store.values({ reuse: true })).size, 1);
    assert.deepEqual([...store.keys()], [u32Key(1), u32Key(3), u32Key(6)]);
  });

  it("refuses options that are not an object or name an unknown option (EINVAL)", () => {
    const table = new OwnerTable({ owners: 2 });
    for (const bad of [null, 7, "owners", [4]]) {
      assert.throws(() => skStorageBackend.create(bad as never), { code: "EINVAL" }, String(bad));
      assert.throws(() => new OwnerTable(bad as never), { code: "EINVAL" }, String(bad));
      assert.throws(() => new SkStorageMap(table, bad as never), { code: "EINVAL" }, String(bad));
    }
    const unknown: [string, () => unknown][] = [
      ["store", () => skStorageBackend.create({ owner: 4 } as never)],
      ["table", () => new OwnerTable({ owners: 4, inlineByte: 8 } as never)],
      ["map", () => new SkStorageMap(table, { valueSize: 4, interne: true } as never)],
    ];
    for (const [what, create] of unknown) {
      assert.throws(
        create,
        (err: Error & { code?: string }) =>
          err.code === "EINVAL" &&
          /unknown option '\w+' \(did you mean '\w+'\?\)/.test(err.message),
        what,
      );
    }
  });

  it("answers ENOMEM for in-range options whose product cannot be allocated", () => {
    // Each within its range (owners <= 2^24, inlineBytes <= 4096): a 64 GiB inline area.
    const options = { owners: 2 ** 24, inlineBytes: 4096 };
    assert.throws(() => skStorageBackend.create(options), { code: "ENOMEM" });
    assert.throws(() => new OwnerTable(options), { code: "ENOMEM" });
    assert.throws(() => new SkStorageStore({ ...options, valueSize: 4096 }), { code: "ENOMEM" });
  });
});
