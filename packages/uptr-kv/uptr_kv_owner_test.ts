import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { decodeMeta, encodeMeta, UptrKvOwner, UptrKvProgram } from "./mod.ts";

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
    const lines = owner.describe().split("\n");
    assert.equal(lines[1], "manifest: none");
    assert.ok(lines.includes("  7     0x0fff8000  0     0       4096  [0, 4096)"), "key 7's entry");
    assert.ok(lines.includes("  9     0x08010001  1     0       3     [0, 8)"), "key 9's entry");
    assert.equal(lines.at(-2), `  page 0 [${"#".repeat(64)}] 1 keys, 4096 used, largest free 0`);
    assert.equal(lines.at(-1), `  page 1 [+${".".repeat(63)}] 1 keys, 8 used, largest free 4088`);
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
    // The admission rule: power-of-two classes within the pages, or small slots (<= 128 B)
    // at their length plus 120 B per page boundary.
    const packs = (sizes: Map<number, number>, maxPages: number): boolean => {
      let classes = 0;
      let mixed = (maxPages - 1) * 120;
      for (const n of sizes.values()) {
        const cls = Math.max(8, 2 ** Math.ceil(Math.log2(n8(n))));
        classes += cls;
        mixed += n8(n) <= 128 ? n8(n) : cls;
      }
      return classes <= maxPages * 4096 || mixed <= maxPages * 4096;
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
              assert.equal(owner.admits(o.key, o.n), packs(sizes, max), "admission");
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

  it("never trusts the control words a Worker can write (pages, manifest count, version)", () => {
    for (const bad of [3, 9, -1, 0, 2 ** 31 - 1]) {
      const owner = new UptrKvOwner({ maxPages: 4 });
      owner.put(0, new Uint8Array(100).fill(1));
      const ctrl = new Int32Array(owner.regions.control);
      ctrl[2] = bad; // CTRL_NR_PAGES
      assert.equal(owner.pageCount, 1, `pages word ${bad}`);
      assert.equal(owner.usage().pages, 1);
      owner.put(1, new Uint8Array(4096).fill(2)); // needs page 1
      assert.equal(owner.usage().pages, 2);
      assert.equal(ctrl[2], 2, "the owner republishes its page count");
      assert.deepEqual(owner.get(1), new Uint8Array(4096).fill(2));
      UptrKvProgram.attach(owner.regions); // a valid store again
      checkValid(owner);
      ctrl[3] = bad; // CTRL_GENERATION
      ctrl[4] = bad; // CTRL_MANIFEST_VERSION
      const report = owner.applyManifest({
        version: 7,
        entries: [{ key: 0, name: "a", size: 100 }],
      });
      assert.equal(report.from, undefined, "no manifest applied by the owner yet");
      assert.equal(owner.program.manifestVersion, 7);
      const next = owner.applyManifest({ version: 8, entries: [{ key: 0, name: "a", size: 100 }] });
      assert.equal(next.from, 7, "the owner's own copy of the version, not the control word");
    }
  });

  it("checks the metadata entries it reads; delete or put of the key recovers", () => {
    // page_idx | page_off << 3 | (size - 1) << 15 | init, unchecked.
    const raw = (page: number, off: number, size: number) =>
      (page | off << 3 | (size - 1) << 15 | 1 << 27) >>> 0;
    const corrupt = [
      0xffffffff, // reserved bits
      encodeMeta({ page: 5, offset: 0, size: 8 }), // a page not allocated
      raw(0, 4088, 16), // past the page's end
      raw(0, 3, 8), // misaligned
    ];
    for (const [i, word] of corrupt.entries()) {
      const owner = new UptrKvOwner({ maxPages: 2 });
      owner.put(0, new Uint8Array(8).fill(1));
      owner.put(1, new Uint8Array(8).fill(2));
      const meta = new Uint32Array(owner.regions.meta);
      meta[1] = word;
      for (
        const [what, call] of [
          ["usage", () => owner.usage()],
          ["repack", () => owner.repack()],
          ["compact", () => owner.compact(0)],
          ["admits", () => owner.admits(2, 4096)],
          ["get", () => owner.get(1)],
        ] as const
      ) {
        assert.throws(call, { code: "EINVAL" }, `${what} of corrupt entry ${i}`);
      }
      assert.equal(meta[1], word, "nothing moved");
      assert.deepEqual(owner.corruptKeys(), [1], `corrupt entry ${i}`);
      if (i % 2 === 0) assert.equal(owner.delete(1), true);
      else owner.put(1, new Uint8Array(24).fill(3));
      owner.put(2, new Uint8Array(4096).fill(4));
      owner.repack();
      checkValid(owner);
      UptrKvProgram.attach(owner.regions);
      assert.deepEqual(owner.get(0), new Uint8Array(8).fill(1));
      assert.deepEqual(owner.get(2), new Uint8Array(4096).fill(4));
    }
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
