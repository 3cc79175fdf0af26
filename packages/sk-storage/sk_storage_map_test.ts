import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { F_CREATE, OwnerTable, SkStorageMap } from "@kvkit/sk-storage";
import { EXIST, F_LOCK, NOEXIST } from "@kvkit/store";

const bytes = (...b: number[]): Uint8Array => new Uint8Array(b);

describe("storage map lifecycle", () => {
  it("refuses a table that is not an OwnerTable with EINVAL", () => {
    for (const bad of [{}, null, 1, "table", { capacity: 4 }]) {
      assert.throws(
        () => new SkStorageMap(bad as never, { valueSize: 4 }),
        { code: "EINVAL", message: /is not an OwnerTable/ },
        String(bad),
      );
    }
  });

  it("takes the same inline offset in every owner while room remains, then falls back", () => {
    const table = new OwnerTable({ owners: 4, inlineBytes: 10 });
    const a = new SkStorageMap(table, { valueSize: 4 });
    const b = new SkStorageMap(table, { valueSize: 6 });
    const c = new SkStorageMap(table, { valueSize: 1 });
    assert.deepEqual([a.inlineOffset, b.inlineOffset, c.inlineOffset], [0, 4, -1]);
    assert.equal(c.cacheIndex, 0);
    a.destroy();
    // The returned reservation is reused first fit.
    const d = new SkStorageMap(table, { valueSize: 3 });
    assert.equal(d.inlineOffset, 0);
    assert.equal(table.inlineFree, 1);
    table.checkValid();
  });

  it("gives fallback maps the least used cache index", () => {
    const table = new OwnerTable({ owners: 1 });
    const maps = Array.from({ length: 17 }, () => new SkStorageMap(table, { valueSize: 1 }));
    assert.deepEqual(maps.map((m) => m.cacheIndex), [...Array(16).keys(), 0]);
    maps[3]!.destroy();
    assert.equal(new SkStorageMap(table, { valueSize: 1 }).cacheIndex, 3);
  });

  it("keeps many fallback maps per owner apart through the cache and the list walk", () => {
    const table = new OwnerTable({ owners: 2 });
    const maps = Array.from({ length: 20 }, () => new SkStorageMap(table, { valueSize: 1 }));
    const o = table.createOwner();
    maps.forEach((m, i) => m.set(o, bytes(i)));
    for (let round = 0; round < 2; round++) {
      maps.forEach((m, i) => assert.deepEqual(m.get(o), bytes(i)));
    }
    maps[5]!.delete(o);
    maps[16]!.delete(o); // shares cache index 0 with map 0
    assert.deepEqual(maps[0]!.get(o), bytes(0));
    assert.equal(maps[16]!.get(o), undefined);
    table.checkValid();
  });

  it("get with F_CREATE creates zeroed or given values, once", () => {
    for (const inlineBytes of [0, 8]) {
      const table = new OwnerTable({ owners: 2, inlineBytes });
      const map = new SkStorageMap(table, { valueSize: 3 });
      const o = table.createOwner();
      assert.equal(map.get(o), undefined);
      assert.equal(map.size, 0);
      assert.deepEqual(map.get(o, F_CREATE), bytes(0, 0, 0));
      map.set(o, bytes(1, 2, 3));
      assert.deepEqual(map.get(o, F_CREATE, bytes(7, 7, 7)), bytes(1, 2, 3));
      const p = table.createOwner();
      assert.deepEqual(map.get(p, F_CREATE, bytes(7, 7, 7)), bytes(7, 7, 7));
      assert.throws(() => map.get(p, 2), { code: "EINVAL" });
      assert.throws(() => map.get(p, F_CREATE, bytes(1)), { code: "EINVAL" });
      assert.equal(map.size, 2);
      table.checkValid();
    }
  });

  it("zeroes a re-created inline value rather than showing the previous owner's bytes", () => {
    const table = new OwnerTable({ owners: 1, inlineBytes: 2 });
    const map = new SkStorageMap(table, { valueSize: 2 });
    const a = table.createOwner();
    map.set(a, bytes(5, 5));
    table.destroyOwner(a);
    const b = table.createOwner();
    assert.deepEqual(map.get(b, F_CREATE), bytes(0, 0));
  });

  it("set honours NOEXIST, EXIST and rejects F_LOCK, leaving the value as it was", () => {
    const table = new OwnerTable({ owners: 1 });
    const map = new SkStorageMap(table, { valueSize: 1 });
    const o = table.createOwner();
    assert.throws(() => map.set(o, bytes(1), EXIST), { code: "ENOENT" });
    map.set(o, bytes(1), NOEXIST);
    assert.throws(() => map.set(o, bytes(2), NOEXIST), { code: "EEXIST" });
    assert.throws(() => map.set(o, bytes(2), F_LOCK), { code: "EINVAL" });
    assert.throws(() => map.set(o, bytes(2, 2)), { code: "EINVAL" });
    map.set(o, bytes(3), EXIST);
    assert.deepEqual(map.get(o), bytes(3));
  });

  it("destroying a map frees its values in every owner and returns its reservation", () => {
    const table = new OwnerTable({ owners: 8, inlineBytes: 8 });
    const inline = new SkStorageMap(table, { valueSize: 8 });
    const fallback = new SkStorageMap(table, { valueSize: 16 });
    const other = new SkStorageMap(table, { valueSize: 4 });
    const owners = Array.from({ length: 8 }, () => table.createOwner());
    for (const o of owners) {
      inline.get(o, F_CREATE);
      fallback.get(o, F_CREATE);
      other.get(o, F_CREATE);
    }
    fallback.destroy();
    table.checkValid();
    assert.equal(table.memory().fallback > 0, true);
    assert.equal(table.ownerCharge(owners[0]!), 68 + 24 + 4);
    inline.destroy();
    assert.equal(table.inlineFree, 8);
    assert.throws(() => inline.get(owners[0]!), { code: "EINVAL" });
    other.destroy();
    for (const o of owners) assert.equal(table.ownerCharge(o), 0);
    table.checkValid();
  });

  it("owners() lets the consumer delete the yielded owner", () => {
    const table = new OwnerTable({ owners: 6, inlineBytes: 0 });
    const map = new SkStorageMap(table, { valueSize: 1 });
    const ids = Array.from({ length: 6 }, () => table.createOwner());
    for (const o of ids) if (o % 2 === 0) map.get(o, F_CREATE);
    const seen: number[] = [];
    for (const o of map.owners()) {
      seen.push(o);
      map.delete(o);
    }
    assert.deepEqual(seen, [0, 2, 4]);
    assert.equal(map.size, 0);
  });
});

describe("reload", () => {
  for (const inlineBytes of [0, 16]) {
    it(`reattaches a closed map of the same name and size to its slot and data (inlineBytes ${inlineBytes})`, () => {
      const table = new OwnerTable({ owners: 4, inlineBytes });
      const keep = new SkStorageMap(table, { name: "keep", valueSize: 4 });
      const v1 = new SkStorageMap(table, { name: "conn", valueSize: 8 });
      const o = table.createOwner();
      v1.set(o, bytes(1, 2, 3, 4, 5, 6, 7, 8));
      keep.set(o, bytes(9, 9, 9, 9));
      const offset = v1.inlineOffset;
      assert.throws(() => new SkStorageMap(table, { name: "conn", valueSize: 8 }), {
        code: "EEXIST",
      });
      v1.close();
      assert.throws(() => v1.get(o), { code: "EINVAL" });
      // Data of a closed map is still freed with its owner.
      const v2 = new SkStorageMap(table, { name: "conn", valueSize: 8 });
      assert.equal(v2.reattached, true);
      assert.equal(v2.inlineOffset, offset);
      assert.deepEqual(v2.get(o), bytes(1, 2, 3, 4, 5, 6, 7, 8));
      v2.close();
      // A new layout: a new slot, the old data freed.
      const v3 = new SkStorageMap(table, { name: "conn", valueSize: 12 });
      assert.equal(v3.reattached, false);
      assert.equal(v3.get(o), undefined);
      assert.deepEqual(keep.get(o), bytes(9, 9, 9, 9));
      table.checkValid();
    });
  }

  it("frees a closed unnamed map at once", () => {
    const table = new OwnerTable({ owners: 1, inlineBytes: 4 });
    new SkStorageMap(table, { valueSize: 4 }).close();
    assert.equal(table.inlineFree, 4);
  });

  it("frees a closed map's values when their owner goes", () => {
    const table = new OwnerTable({ owners: 2, inlineBytes: 0 });
    const v1 = new SkStorageMap(table, { name: "x", valueSize: 2 });
    const o = table.createOwner();
    v1.set(o, bytes(1, 1));
    v1.close();
    table.destroyOwner(o);
    table.checkValid();
    assert.equal(new SkStorageMap(table, { name: "x", valueSize: 2 }).size, 0);
  });
});

describe("interning", () => {
  for (const inline of [true, false]) {
    it(`shares equal values and frees them when the last reference goes (inline ${inline})`, () => {
      const table = new OwnerTable({ owners: 100, inlineBytes: 2 });
      const map = new SkStorageMap(table, { valueSize: 32, interned: true, inline });
      assert.equal(map.inline, inline);
      const owners = Array.from({ length: 100 }, () => table.createOwner());
      owners.forEach((o, i) => map.set(o, new Uint8Array(32).fill(i % 5)));
      assert.equal(map.distinctValues, 5);
      assert.deepEqual(map.get(owners[7]!), new Uint8Array(32).fill(2));
      table.checkValid();
      // Replacing a value moves the reference.
      map.set(owners[0]!, new Uint8Array(32).fill(9));
      assert.equal(map.distinctValues, 6);
      map.set(owners[0]!, new Uint8Array(32).fill(1));
      assert.equal(map.distinctValues, 5);
      for (const o of owners.slice(0, 50)) table.destroyOwner(o);
      for (const o of owners.slice(50, 99)) map.delete(o);
      assert.equal(map.distinctValues, 1);
      table.checkValid();
      map.delete(owners[99]!);
      assert.equal(map.distinctValues, 0);
      table.checkValid();
    });
  }

  it("keeps a 2-byte index per owner instead of the value and refuses live views", () => {
    const table = new OwnerTable({ owners: 10, inlineBytes: 64 });
    const plain = new SkStorageMap(table, { valueSize: 32 });
    const interned = new SkStorageMap(table, { valueSize: 32, interned: true });
    assert.equal(plain.memory().inline, 10 * 32);
    assert.equal(interned.memory().inline, 10 * 2);
    assert.equal(interned.inlineOffset, 32);
    const o = table.createOwner();
    assert.throws(() => interned.view(o, F_CREATE), { code: "EOPNOTSUPP" });
    const v = interned.get(o, F_CREATE)!;
    v[0] = 1; // a copy: the shared zero value is untouched
    assert.deepEqual(interned.get(o), new Uint8Array(32));
    assert.equal(interned.readU32(o), 0);
  });
});

describe("accounting", () => {
  it("splits inline (table) and fallback (map creator) bytes", () => {
    const table = new OwnerTable({ owners: 100, inlineBytes: 8 });
    const inline = new SkStorageMap(table, { valueSize: 8 });
    const fallback = new SkStorageMap(table, { valueSize: 8 });
    const before = table.memory();
    assert.equal(before.table, 100 * (24 + 8));
    assert.equal(before.inlineReserved, 800);
    for (let i = 0; i < 10; i++) {
      const o = table.createOwner();
      inline.get(o, F_CREATE);
      fallback.get(o, F_CREATE);
    }
    const after = table.memory();
    assert.equal(after.table, before.table);
    assert.equal(after.inlineUsed, 80);
    assert.equal(after.fallback > before.fallback, true);
    assert.deepEqual(inline.memory(), { inline: 800, fallback: 0, interned: 0 });
    assert.deepEqual(fallback.memory(), { inline: 0, fallback: 10 * (24 + 8), interned: 0 });
    assert.equal(table.ownerCharge(0), 68 + 24 + 8);
    assert.equal(table.ownerCharge(1), 68 + 24 + 8);
  });

  it("enforces the per-owner limit with ENOMEM, changing nothing, never for inline values", () => {
    const table = new OwnerTable({ owners: 2, inlineBytes: 8, optmemMax: 68 + 2 * (24 + 16) });
    const inline = new SkStorageMap(table, { valueSize: 8 });
    const maps = [0, 1, 2].map(() => new SkStorageMap(table, { valueSize: 16 }));
    const o = table.createOwner();
    inline.get(o, F_CREATE);
    maps[0]!.get(o, F_CREATE);
    maps[1]!.set(o, new Uint8Array(16));
    assert.equal(table.ownerCharge(o), 68 + 80);
    assert.throws(() => maps[2]!.get(o, F_CREATE), { code: "ENOMEM" });
    assert.throws(() => maps[2]!.set(o, new Uint8Array(16)), { code: "ENOMEM" });
    assert.equal(maps[2]!.size, 0);
    table.checkValid();
    maps[0]!.delete(o);
    maps[2]!.get(o, F_CREATE);
    // Another owner has its own budget.
    const p = table.createOwner();
    maps[2]!.get(p, F_CREATE);
    table.checkValid();
  });
});

describe("model-based", () => {
  it("matches a Map model over random owners, maps and operations", () => {
    const op = fc.oneof(
      fc.record({ t: fc.constant("create" as const) }),
      fc.record({ t: fc.constant("destroy" as const), o: fc.nat(15) }),
      fc.record({
        t: fc.constant("set" as const),
        m: fc.nat(4),
        o: fc.nat(15),
        v: fc.nat(3),
        f: fc.nat(2),
      }),
      fc.record({ t: fc.constant("get" as const), m: fc.nat(4), o: fc.nat(15), c: fc.boolean() }),
      fc.record({ t: fc.constant("delete" as const), m: fc.nat(4), o: fc.nat(15) }),
      fc.record({ t: fc.constant("reload" as const), m: fc.nat(4), size: fc.boolean() }),
    );
    fc.assert(
      fc.property(
        fc.nat(12),
        fc.integer({ min: 0, max: 400 }),
        fc.array(op, { maxLength: 60 }),
        (inlineBytes, optmemMax, ops) => {
          const table = new OwnerTable({ owners: 6, inlineBytes, optmemMax });
          const specs = [3, 4, 5, 2, 6].map((valueSize, i) => ({
            name: `m${i}`,
            valueSize,
            interned: i % 2 === 1,
          }));
          const maps = specs.map((s) => new SkStorageMap(table, s));
          const model = specs.map(() => new Map<number, string>());
          const ids: number[] = []; // ever created, live or stale
          const live = new Set<number>();
          for (const o of ops) {
            if (o.t === "create") {
              try {
                const id = table.createOwner();
                ids.push(id);
                live.add(id);
              } catch (e) {
                assert.equal((e as { code: string }).code, "ENOSPC");
                assert.equal(live.size, 6);
              }
              continue;
            }
            if (o.t === "reload") {
              const spec = specs[o.m]!;
              maps[o.m]!.close();
              if (o.size) {
                specs[o.m] = { ...spec, valueSize: spec.valueSize === 7 ? 3 : 7 };
                model[o.m]!.clear();
              }
              maps[o.m] = new SkStorageMap(table, specs[o.m]!);
              assert.equal(maps[o.m]!.reattached, !o.size);
              continue;
            }
            const id = ids[o.o];
            if (id === undefined) continue;
            if (o.t === "destroy") {
              if (live.has(id)) {
                table.destroyOwner(id);
                live.delete(id);
                for (const m of model) m.delete(id);
              } else assert.throws(() => table.destroyOwner(id), { code: "ENOENT" });
              continue;
            }
            const map = maps[o.m]!;
            const m = model[o.m]!;
            const size = specs[o.m]!.valueSize;
            if (!live.has(id)) {
              assert.throws(() => map.has(id), { code: "ENOENT" });
              continue;
            }
            const value = new Uint8Array(size).fill(o.t === "set" ? o.v : 0);
            const key = value.join(",");
            const charge = table.ownerCharge(id);
            let outcome: string;
            try {
              if (o.t === "set") {
                map.set(id, value, o.f);
                outcome = "ok";
              } else if (o.t === "get") {
                outcome = map.get(id, o.c ? F_CREATE : 0)?.join(",") ?? "none";
              } else {
                outcome = String(map.delete(id));
              }
            } catch (e) {
              outcome = (e as { code: string }).code;
            }
            const had = m.get(id);
            let expected: string;
            const needsNew = had === undefined &&
              (o.t === "set" ? o.f !== EXIST : o.t === "get" && o.c);
            if (o.t === "set" && o.f === NOEXIST && had !== undefined) expected = "EEXIST";
            else if (o.t === "set" && o.f === EXIST && had === undefined) expected = "ENOENT";
            else if (
              needsNew && !map.inline && optmemMax > 0 &&
              charge + 24 + (map.interned ? 2 : size) + (charge === 0 ? 68 : 0) > optmemMax
            ) {
              expected = "ENOMEM";
            } else if (o.t === "set") {
              expected = "ok";
              m.set(id, key);
            } else if (o.t === "get") {
              if (had === undefined && o.c) m.set(id, key);
              expected = m.get(id) ?? "none";
            } else {
              expected = String(m.delete(id));
            }
            assert.equal(outcome, expected, `${JSON.stringify(o)}`);
            if (expected === "ENOMEM") assert.equal(table.ownerCharge(id), charge);
          }
          table.checkValid();
          maps.forEach((map, i) => {
            assert.equal(map.size, model[i]!.size);
            for (const [id, v] of model[i]!) assert.equal(map.get(id)!.join(","), v);
          });
        },
      ),
      { numRuns: 150 },
    );
  });
});
