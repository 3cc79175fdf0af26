import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { decodeMeta, UptrKvOwner, UptrKvProgram } from "./mod.ts";

// Every invariant of the layout: attach validates bounds, alignment and overlaps; the page
// count in the control region matches the data buffer; usage adds up.
function checkValid(owner: UptrKvOwner): void {
  UptrKvProgram.attach(owner.regions);
  const u = owner.usage();
  assert.ok(owner.regions.data.byteLength >= u.pages * 4096);
  assert.equal(u.freeBytes + u.slotBytes, u.pages * 4096);
  assert.equal(u.perPage.reduce((s, p) => s + p.usedBytes, 0), u.slotBytes);
  assert.equal(u.keys, owner.size);
}

// A value's slot length: rounded up to 8 bytes.
function n8(n: number): number {
  return Math.ceil(n / 8) * 8;
}

function slotOf(owner: UptrKvOwner, key: number) {
  return decodeMeta(new Uint32Array(owner.regions.meta)[key]!);
}

describe("owner side", () => {
  it("places values first fit: the lowest free run of the lowest page", () => {
    const owner = new UptrKvOwner();
    owner.put(0, new Uint8Array(100)); // [0, 104)
    owner.put(1, new Uint8Array(8)); // [104, 112)
    owner.put(2, new Uint8Array(3000)); // [112, 3112)
    owner.delete(0);
    owner.put(3, new Uint8Array(50)); // fits the hole at 0
    assert.deepEqual(slotOf(owner, 3), { page: 0, offset: 0, size: 50 });
    owner.put(4, new Uint8Array(1000)); // no run of 1000 in page 0: a new page
    assert.deepEqual(slotOf(owner, 4), { page: 1, offset: 0, size: 1000 });
    owner.put(5, new Uint8Array(900)); // page 0 still has [3112, 4096)
    assert.deepEqual(slotOf(owner, 5), { page: 0, offset: 3112, size: 900 });
    checkValid(owner);
  });

  it("grows by one page at a time up to maxPages, then ENOSPC leaves everything as it was", () => {
    const owner = new UptrKvOwner({ maxPages: 3 });
    assert.equal(owner.regions.data.byteLength, 4096);
    for (let k = 0; k < 3; k++) {
      owner.put(k, new Uint8Array(4000).fill(k + 1));
      assert.equal(owner.pageCount, k + 1);
      assert.equal(owner.regions.data.byteLength, (k + 1) * 4096);
    }
    const meta = new Uint8Array(owner.regions.meta).slice();
    const data = new Uint8Array(owner.regions.data).slice();
    assert.throws(() => owner.put(9, new Uint8Array(100)), { code: "ENOSPC" });
    assert.throws(() => owner.put(0, new Uint8Array(4001)), { code: "ENOSPC" });
    assert.deepEqual(new Uint8Array(owner.regions.meta), meta);
    assert.deepEqual(new Uint8Array(owner.regions.data), data);
    assert.equal(owner.memoryUsage(), 4096 + 3 * 4096 + 4128);
  });

  it("re-sizing a key moves it and keeps the rest; same size overwrites in place", () => {
    const owner = new UptrKvOwner();
    owner.put(1, new Uint8Array([1, 1]));
    const before = slotOf(owner, 1);
    owner.put(1, new Uint8Array([2, 2]));
    assert.deepEqual(slotOf(owner, 1), before);
    owner.put(1, new Uint8Array(20).fill(3));
    assert.notDeepEqual(slotOf(owner, 1), before);
    assert.deepEqual(owner.get(1), new Uint8Array(20).fill(3));
  });

  it("compaction slides a page's values to its start and keeps them", () => {
    const owner = new UptrKvOwner();
    for (let k = 0; k < 6; k++) owner.put(k, new Uint8Array(500).fill(k));
    owner.delete(0);
    owner.delete(2);
    owner.delete(4);
    assert.equal(owner.usage().perPage[0]!.largestFree, 4096 - 6 * 504);
    assert.equal(owner.compact(0), 4096 - 3 * 504);
    assert.equal(owner.usage().perPage[0]!.largestFree, 4096 - 3 * 504);
    for (const k of [1, 3, 5]) assert.deepEqual(owner.get(k), new Uint8Array(500).fill(k));
    assert.throws(() => owner.compact(1), { code: "EINVAL" });
    checkValid(owner);
  });

  it("put with repack succeeds where first fit fails but the values fit when packed", () => {
    const owner = new UptrKvOwner({ maxPages: 1 });
    owner.put(0, new Uint8Array(2000).fill(1));
    owner.put(1, new Uint8Array(1000).fill(2));
    owner.put(2, new Uint8Array(1000).fill(3));
    owner.delete(1); // holes of 1000 and 96 bytes
    assert.throws(() => owner.put(3, new Uint8Array(1050)), { code: "ENOSPC" });
    owner.put(3, new Uint8Array(1050).fill(4), { repack: true });
    assert.deepEqual(owner.get(0), new Uint8Array(2000).fill(1));
    assert.deepEqual(owner.get(2), new Uint8Array(1000).fill(3));
    assert.deepEqual(owner.get(3), new Uint8Array(1050).fill(4));
    checkValid(owner);
  });

  it("reports usage and draws its layout", () => {
    const owner = new UptrKvOwner();
    owner.put(7, new Uint8Array(4096));
    owner.put(9, new Uint8Array(3));
    const u = owner.usage();
    assert.deepEqual(
      { keys: u.keys, pages: u.pages, valueBytes: u.valueBytes, slotBytes: u.slotBytes },
      { keys: 2, pages: 2, valueBytes: 4099, slotBytes: 4104 },
    );
    assert.deepEqual(u.perPage[1], {
      page: 1,
      keys: 1,
      usedBytes: 8,
      freeBytes: 4088,
      largestFree: 4088,
    });
    const text = owner.describe();
    assert.match(text, /2 keys, 2\/8 pages/);
    assert.match(text, /7 +0x0fff8000 +0 +0 +4096/);
    assert.match(text, /page 0 \[#{64}\]/);
    assert.match(text, /page 1 \[\+\.{63}\]/);
  });

  it("matches a Map model under random puts, deletes, compactions and repacks", () => {
    const op = fc.oneof(
      fc.record({
        t: fc.constant("put" as const),
        key: fc.nat(15),
        n: fc.oneof(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 1, max: 4096 })),
        repack: fc.boolean(),
      }),
      fc.record({ t: fc.constant("delete" as const), key: fc.nat(15) }),
      fc.record({ t: fc.constant("compact" as const), page: fc.nat(3) }),
      fc.constant({ t: "repack" as const }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
        const owner = new UptrKvOwner({ maxPages: 3 });
        const model = new Map<number, Uint8Array>();
        let fill = 0;
        for (const o of ops) {
          const meta = new Uint8Array(owner.regions.meta).slice();
          try {
            if (o.t === "put") {
              const v = new Uint8Array(o.n).fill(++fill);
              owner.put(o.key, v, { repack: o.repack });
              model.set(o.key, v);
            } else if (o.t === "delete") {
              assert.equal(owner.delete(o.key), model.delete(o.key));
            } else if (o.t === "compact") {
              if (o.page < owner.pageCount) owner.compact(o.page);
            } else owner.repack();
          } catch (err) {
            assert.equal((err as { code?: string }).code, "ENOSPC");
            assert.deepEqual(new Uint8Array(owner.regions.meta), meta, "unchanged after ENOSPC");
          }
          checkValid(owner);
          assert.equal(owner.size, model.size);
          for (const [k, v] of model) assert.deepEqual(owner.get(k), v);
        }
      }),
      { numRuns: 60 },
    );
  });

  it("places and admits exactly as the metadata says, also after program deletes", () => {
    // The reference reads every metadata entry each time: the owner keeps its free space
    // between calls and must notice a program's delete.
    const firstFitFromMeta = (owner: UptrKvOwner, n: number) => {
      const used = new Uint8Array(owner.pageCount * 4096);
      for (const word of new Uint32Array(owner.regions.meta)) {
        const e = decodeMeta(word);
        if (e !== undefined) {
          used.fill(1, e.page * 4096 + e.offset, e.page * 4096 + e.offset + n8(e.size));
        }
      }
      for (let page = 0; page < owner.pageCount; page++) {
        for (let off = 0; off + n8(n) <= 4096; off += 8) {
          const at = page * 4096 + off;
          if (used.subarray(at, at + n8(n)).every((b) => b === 0)) return { page, offset: off };
        }
      }
      return owner.pageCount < owner.maxPages ? { page: owner.pageCount, offset: 0 } : undefined;
    };
    const packs = (sizes: Map<number, number>, maxPages: number): boolean => {
      const fill = new Array<number>(maxPages).fill(0);
      for (const k of [...sizes.keys()].sort((a, b) => a - b)) {
        const p = fill.findIndex((f) => f + n8(sizes.get(k)!) <= 4096);
        if (p < 0) return false;
        fill[p] = fill[p]! + n8(sizes.get(k)!);
      }
      return true;
    };
    const op = fc.oneof(
      {
        arbitrary: fc.record({
          t: fc.constant("put" as const),
          key: fc.nat(15),
          n: fc.oneof(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 1, max: 4096 })),
        }),
        weight: 4,
      },
      fc.record({ t: fc.constant("delete" as const), key: fc.nat(15) }),
      {
        arbitrary: fc.record({ t: fc.constant("programDelete" as const), key: fc.nat(15) }),
        weight: 3,
      },
      fc.record({ t: fc.constant("compact" as const), page: fc.nat(2) }),
      fc.constant({ t: "repack" as const }),
      fc.constant({ t: "clear" as const }),
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3 }),
        fc.array(op, { minLength: 10, maxLength: 40 }),
        (max, ops) => {
          const owner = new UptrKvOwner({ maxPages: max });
          const program = UptrKvProgram.attach(owner.regions);
          for (const o of ops) {
            if (o.t === "put") {
              const sizes = new Map<number, number>();
              for (let k = 0; k < 16; k++) {
                const n = owner.program.sizeOf(k);
                if (n !== undefined) sizes.set(k, n);
              }
              const inPlace = sizes.get(o.key) === o.n;
              sizes.set(o.key, o.n);
              assert.equal(owner.canonicalFits(o.key, o.n), packs(sizes, max), "admission");
              const fit = firstFitFromMeta(owner, o.n);
              try {
                owner.put(o.key, new Uint8Array(o.n));
              } catch (err) {
                assert.equal((err as { code?: string }).code, "ENOSPC");
                assert.equal(fit, undefined, "ENOSPC only when no run fits");
                continue;
              }
              if (!inPlace) assert.deepEqual(slotOf(owner, o.key), { ...fit, size: o.n });
            } else if (o.t === "delete") owner.delete(o.key);
            else if (o.t === "programDelete") {
              if (program.has(o.key)) program.delete(o.key);
            } else if (o.t === "compact") {
              if (o.page < owner.pageCount) owner.compact(o.page);
            } else if (o.t === "repack") {
              try {
                owner.repack();
              } catch (err) {
                assert.equal((err as { code?: string }).code, "ENOSPC");
              }
            } else owner.clear();
            checkValid(owner);
          }
        },
      ),
      { numRuns: 80 },
    );
  });

  it("rejects bad options and keys with EINVAL", () => {
    assert.throws(() => new UptrKvOwner({ maxPages: 9 }), { code: "EINVAL" });
    assert.throws(() => new UptrKvOwner({ maxPages: 0 }), { code: "EINVAL" });
    const owner = new UptrKvOwner();
    assert.throws(() => owner.put(1024, new Uint8Array(1)), { code: "EINVAL" });
    assert.throws(() => owner.put(1.5, new Uint8Array(1)), { code: "EINVAL" });
    assert.throws(() => owner.delete(-1), { code: "EINVAL" });
  });
});
