import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { F_CREATE, OWNER_SLOT_SPAN, OwnerTable, SkStorageMap } from "@kvkit/sk-storage";

describe("owner table", () => {
  it("hands out slot numbers as the first ids and reuses freed slots with a new generation", () => {
    const table = new OwnerTable({ owners: 3, inlineBytes: 8 });
    assert.deepEqual([table.createOwner(), table.createOwner(), table.createOwner()], [0, 1, 2]);
    assert.throws(() => table.createOwner(), { code: "ENOSPC" });
    table.destroyOwner(1);
    const reused = table.createOwner();
    assert.equal(reused, OWNER_SLOT_SPAN + 1);
    assert.equal(table.slotOf(reused), 1);
    assert.equal(table.size, 3);
    table.checkValid();
  });

  it("never lets a stale id reach the new owner of its slot (ENOENT)", () => {
    const table = new OwnerTable({ owners: 1, inlineBytes: 4 });
    const inline = new SkStorageMap(table, { name: "a", valueSize: 4 });
    const fallback = new SkStorageMap(table, { name: "b", valueSize: 4, inline: false });
    const old = table.createOwner();
    inline.set(old, new Uint8Array([1, 1, 1, 1]));
    fallback.set(old, new Uint8Array([2, 2, 2, 2]));
    table.destroyOwner(old);
    const fresh = table.createOwner();
    assert.equal(table.slotOf(fresh), 0);
    assert.throws(() => table.slotOf(old), { code: "ENOENT" });
    inline.set(fresh, new Uint8Array([9, 9, 9, 9]));
    fallback.set(fresh, new Uint8Array([8, 8, 8, 8]));
    for (const map of [inline, fallback]) {
      assert.throws(() => map.get(old), { code: "ENOENT" });
      assert.throws(() => map.has(old), { code: "ENOENT" });
      assert.throws(() => map.set(old, new Uint8Array(4)), { code: "ENOENT" });
      assert.throws(() => map.delete(old), { code: "ENOENT" });
      assert.throws(() => map.get(old, F_CREATE), { code: "ENOENT" });
    }
    assert.throws(() => table.destroyOwner(old), { code: "ENOENT" });
    assert.deepEqual(inline.get(fresh), new Uint8Array([9, 9, 9, 9]));
    assert.deepEqual(fallback.get(fresh), new Uint8Array([8, 8, 8, 8]));
    table.checkValid();
  });

  it("rejects malformed ids with EINVAL", () => {
    const table = new OwnerTable({ owners: 2 });
    const map = new SkStorageMap(table, { valueSize: 1 });
    table.createOwner();
    for (
      const bad of [-1, 1.5, NaN, 2, OWNER_SLOT_SPAN * 3 + 5, 2 ** 60, "0" as unknown as number]
    ) {
      assert.throws(() => map.get(bad), { code: "EINVAL" }, String(bad));
      assert.equal(table.isOwner(bad), false);
    }
    // Slot 1 exists in the table but was never created: a well-formed id of no owner.
    assert.throws(() => map.get(1), { code: "ENOENT" });
  });

  it("frees the owner's values in every map, inline and fallback, when destroyed", () => {
    const table = new OwnerTable({ owners: 4, inlineBytes: 12 });
    const maps = [
      new SkStorageMap(table, { name: "a", valueSize: 8 }),
      new SkStorageMap(table, { name: "b", valueSize: 8 }), // no room: fallback
      new SkStorageMap(table, { name: "c", valueSize: 4, interned: true }),
      new SkStorageMap(table, { name: "d", valueSize: 2, interned: true, inline: false }),
    ];
    assert.deepEqual(maps.map((m) => m.inline), [true, false, true, false]);
    const a = table.createOwner();
    const b = table.createOwner();
    for (const m of maps) {
      m.get(a, F_CREATE);
      m.get(b, F_CREATE);
    }
    table.destroyOwner(a);
    table.checkValid();
    assert.deepEqual(maps.map((m) => m.size), [1, 1, 1, 1]);
    assert.equal(table.ownerCharge(b) > 0, true);
    table.destroyOwner(b);
    table.checkValid();
    assert.deepEqual(maps.map((m) => m.size), [0, 0, 0, 0]);
    assert.deepEqual(maps.map((m) => m.distinctValues), [0, 0, 0, 0]);
  });

  it("validates its options", () => {
    assert.throws(() => new OwnerTable({ owners: 0 }), { code: "EINVAL" });
    assert.throws(() => new OwnerTable({ owners: 2 ** 24 + 1 }), { code: "EINVAL" });
    assert.throws(() => new OwnerTable({ owners: 1, inlineBytes: -1 }), { code: "EINVAL" });
    assert.throws(() => new OwnerTable({ owners: 1, optmemMax: 1.5 }), { code: "EINVAL" });
    assert.throws(() => new OwnerTable({} as never), { code: "EINVAL" });
  });

  it("describes the inline area: which map has which offset", () => {
    const table = new OwnerTable({ owners: 4, inlineBytes: 16 });
    const rtt = new SkStorageMap(table, { name: "rtt", valueSize: 8 });
    const mark = new SkStorageMap(table, { name: "mark", valueSize: 4 });
    const big = new SkStorageMap(table, { name: "big", valueSize: 64 });
    assert.deepEqual([rtt.inlineOffset, mark.inlineOffset, big.inline], [0, 8, false]);
    assert.equal(big.cacheIndex, 0);
    assert.equal(table.inlineFree, 4);
    const lines = table.describe().split("\n");
    assert.deepEqual(lines.slice(3, 6), [
      "  0 |AAAAAAAABBBB....| 16",
      "  A 0..7 map 'rtt' value 8 B, mask bit 0, 0/0 owners",
      "  B 8..11 map 'mark' value 4 B, mask bit 1, 0/0 owners",
    ]);
    assert.deepEqual(lines.slice(6, 8), [
      "fallback maps: 1",
      "  map 'big' value 64 B, cache index 0, 0 elements (24 + 64 B each)",
    ]);
  });
});
