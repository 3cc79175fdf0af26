import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { type Capabilities, checkKey, checkLookup, F_LOCK } from "@kvkit/store";
import { fitsKey, fitsLookup } from "./mod.ts";

const caps = (keySize: number, valueSize: number): Capabilities => ({
  keySize: { min: keySize, max: keySize },
  valueSize: { min: valueSize, max: valueSize },
  maxEntries: 8,
  ordered: false,
  fullError: "E2BIG",
  valueTooBig: "EINVAL",
  lock: false,
});
const passes = (fn: () => void): boolean => {
  try {
    fn();
    return true;
  } catch {
    return false;
  }
};

describe("fits", () => {
  it("a call that fits is one the full checks of @kvkit/store pass", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 1, max: 8 }),
        fc.oneof(fc.nat(9).map((n) => new Uint8Array(n)), fc.constant([1, 2, 3, 4] as never)),
        fc.oneof(fc.nat(20).map((n) => new Uint8Array(n)), fc.constant(null as never)),
        fc.constantFrom(0, 1, 3, -1, 0.5, NaN),
        fc.constantFrom(0, F_LOCK, 1, 0.5),
        (ks, vs, key, out, offset, flags) => {
          if (fitsKey(key, ks)) assert.ok(passes(() => checkKey(caps(ks, vs), key)));
          if (fitsLookup(key, ks, out, offset, vs, flags)) {
            assert.ok(passes(() => checkLookup(caps(ks, vs), key, out, offset, flags)));
          }
        },
      ),
    );
  });
});
