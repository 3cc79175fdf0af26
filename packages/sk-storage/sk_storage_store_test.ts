// What the Store view promises beyond the conformance suite: its capabilities say what `set`
// throws at the limits the suite's small tables cannot reach.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { EXIST, u32Key } from "@kvkit/store";
import { skStorageBackend, SkStorageStore } from "./mod.ts";

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
});
