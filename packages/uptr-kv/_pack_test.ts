import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { admits, classBytes, pack, slotBytes } from "./_pack.ts";

describe("admission rule and canonical packing", () => {
  it("rounds slots up to power-of-two classes", () => {
    assert.deepEqual([1, 8, 9, 100, 129, 2049, 4096].map(classBytes), [
      8,
      8,
      16,
      128,
      256,
      4096,
      4096,
    ]);
  });

  it("packs every admitted set canonically: by class, largest first, in place order", () => {
    const sizes = fc.array(
      fc.oneof(
        fc.integer({ min: 1, max: 128 }),
        fc.integer({ min: 1, max: 4096 }),
        fc.constantFrom(2048, 2056, 1024, 1032, 4096, 136),
      ),
      { maxLength: 200 },
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }), sizes, (maxPages, list) => {
        const s = new Int32Array(1024);
        list.forEach((n, k) => (s[k] = n));
        if (!admits(s, maxPages)) return;
        const plan = pack(s, maxPages);
        assert.ok(plan !== undefined, "an admitted set fits");
        // The canonical layout (not the fallback): positions rise along the class order.
        const keys = list.map((_, k) => k).sort((a, b) =>
          classBytes(s[b]!) - classBytes(s[a]!) || a - b
        );
        let end = 0;
        for (const k of keys) {
          const at = plan.page[k]! * 4096 + plan.offset[k]!;
          assert.ok(at >= end, `key ${k} placed in order`);
          assert.ok(plan.offset[k]! + slotBytes(s[k]!) <= 4096, "within its page");
          assert.ok(plan.page[k]! < maxPages);
          end = at + slotBytes(s[k]!);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it("admits a subset and a shrunk value of every admitted set", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.array(fc.integer({ min: 1, max: 4096 }), { minLength: 1, maxLength: 60 }),
        fc.nat(),
        fc.nat(),
        (maxPages, list, i, shrink) => {
          const s = new Int32Array(1024);
          list.forEach((n, k) => (s[k] = n));
          if (!admits(s, maxPages)) return;
          const k = i % list.length;
          s[k] = 1 + (shrink % s[k]!);
          assert.ok(admits(s, maxPages), "shrunk");
          s[k] = 0;
          assert.ok(admits(s, maxPages), "removed");
        },
      ),
      { numRuns: 2000 },
    );
  });
});
