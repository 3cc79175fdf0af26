// Opening bytes received from elsewhere: every header either opens with a used size within
// the capacity, or is rejected with EINVAL - never an out-of-bounds read or another error.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { isStoreError } from "@kvkit/store";
import { PROFILES, type TraitProfile, Traits } from "./mod.ts";

// The used size a header describes, computed bit by bit with bigints.
function usedOf(header: Uint8Array, sizes: readonly number[]): number {
  const view = new DataView(header.buffer, header.byteOffset, 16);
  const high = view.getBigUint64(0, true), low = view.getBigUint64(8, true);
  let used = 16;
  for (let k = 0n; k < 64n; k++) {
    const code = Number(((high >> k) & 1n) << 1n | ((low >> k) & 1n));
    if (code !== 0) used += sizes[code - 1]!;
  }
  return used;
}

// Opens `area` and checks the outcome against the reference; reads every key when it opens.
function check(area: Uint8Array, capacity: number, profile: TraitProfile): void {
  const used = area.length >= 16 ? usedOf(area, profile.sizes) : Infinity;
  let t: Traits;
  try {
    t = Traits.open(area, { capacity, profile });
  } catch (err) {
    assert.ok(isStoreError(err, "EINVAL"), `unexpected ${err}`);
    assert.ok(capacity < 16 || used > capacity, `rejected a header of ${used} B in ${capacity} B`);
    return;
  }
  assert.ok(used <= capacity);
  assert.equal(t.usedSize, used);
  // Reads stay within the used region: each key's value is where the layout says.
  const out = new Uint8Array(16);
  let off = 16;
  for (let k = t.nextKey(); k !== -1; k = t.nextKey(k)) {
    const len = t.get(k, out);
    assert.deepEqual(out.subarray(0, len), area.subarray(off, off + len));
    off += len;
  }
  assert.equal(off, used);
  // The allocation-free reader agrees on bytes trimmed to the capacity.
  const first = t.nextKey();
  if (first !== -1) {
    assert.equal(
      Traits.peek(area.subarray(0, capacity), first, out, profile),
      t.valueLength(first),
    );
  }
}

const profile = fc.constantFrom(...Object.values(PROFILES));

describe("Traits.open on untrusted bytes", () => {
  it("accepts exactly the headers that fit: random bytes", () => {
    fc.assert(
      fc.property(
        profile,
        fc.uint8Array({ minLength: 0, maxLength: 200 }),
        fc.nat(200),
        (p, bytes, cap) => {
          const capacity = Math.min(cap, bytes.length);
          check(bytes, capacity, p);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("accepts exactly the headers that fit: sparse random headers", () => {
    // Few bits set, so many headers fit and their values are read.
    const word = fc.array(fc.integer({ min: 0, max: 63 }), { maxLength: 6 }).map((bits) => {
      let w = 0n;
      for (const b of bits) w |= 1n << BigInt(b);
      return w;
    });
    fc.assert(
      fc.property(profile, word, word, fc.integer({ min: 0, max: 160 }), (p, high, low, cap) => {
        const area = new Uint8Array(160).map((_, i) => i);
        const view = new DataView(area.buffer);
        view.setBigUint64(0, high, true);
        view.setBigUint64(8, low, true);
        check(area, cap, p);
      }),
      { numRuns: 300 },
    );
  });

  it("accepts exactly the headers that fit: mutated valid stores", () => {
    fc.assert(
      fc.property(
        profile,
        fc.array(fc.tuple(fc.integer({ min: 0, max: 63 }), fc.integer({ min: 0, max: 2 })), {
          maxLength: 8,
        }),
        fc.array(fc.integer({ min: 0, max: 127 }), { minLength: 1, maxLength: 4 }),
        fc.integer({ min: 0, max: 40 }),
        (p, entries, flips, slack) => {
          const area = new Uint8Array(16 + 8 * 16 + 40);
          const t = Traits.init(area, { profile: p });
          for (const [k, code] of entries) {
            try {
              t.set(k, new Uint8Array(p.sizes[code]!).fill(k));
            } catch { /* EBUSY on a repeated key: keep the first */ }
          }
          for (const bit of flips) area[bit >> 3]! ^= 1 << (bit & 7);
          check(area, Math.min(area.length, t.usedSize + slack), p);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("rejects areas shorter than a header and capacities beyond the area", () => {
    for (const n of [0, 1, 15]) {
      assert.throws(() => Traits.open(new Uint8Array(n)), { code: "EINVAL" });
    }
    assert.throws(() => Traits.open(new Uint8Array(32), { capacity: 33 }), { code: "EINVAL" });
    assert.throws(() => Traits.open(new Uint8Array(32), { capacity: -1 }), { code: "EINVAL" });
    assert.throws(() => Traits.open(new Uint8Array(32), { profile: [4, 2, 8] }), {
      code: "EINVAL",
    });
  });
});
