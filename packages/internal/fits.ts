/**
 * The cheap tests a store of one key length and one value length (htab, rhash) runs on its
 * hot paths before the full checks of `@kvkit/store`, which name what is wrong and throw: a call
 * that passes needs no other check, so the common call pays a few comparisons and no more.
 *
 * @module
 */

/**
 * Whether `key` is a `Uint8Array` of `keySize` bytes.
 *
 * @param key What the caller passed as a key.
 * @param keySize The store's key length.
 * @returns `true` when no further key check is needed.
 *
 * @example The cheap test, then the full check
 * ```ts
 * import { fitsKey } from "@kvkit/internal";
 * import assert from "node:assert/strict";
 *
 * assert.equal(fitsKey(new Uint8Array(4), 4), true);
 * assert.equal(fitsKey(new Uint8Array(3), 4), false); // then checkKey throws EINVAL
 * assert.equal(fitsKey([1, 2, 3, 4], 4), false);
 * ```
 */
export function fitsKey(key: unknown, keySize: number): boolean {
  return key instanceof Uint8Array && key.length === keySize;
}

/**
 * Whether a `getInto(key, out, offset, flags)` call needs no check: no flags, a key of
 * `keySize` bytes, and room for `valueSize` bytes in `out` at an integer `offset ≥ 0`.
 *
 * @param key What the caller passed as a key.
 * @param keySize The store's key length.
 * @param out What the caller passed as the buffer.
 * @param offset Where in `out` the value would go.
 * @param valueSize The store's value length.
 * @param flags The lookup flags.
 * @returns `true` when `checkLookup` would pass.
 *
 * @example A call that fits, and three that go to checkLookup
 * ```ts
 * import { fitsLookup } from "@kvkit/internal";
 * import assert from "node:assert/strict";
 *
 * const key = new Uint8Array(4);
 * assert.equal(fitsLookup(key, 4, new Uint8Array(10), 2, 8, 0), true);
 * assert.equal(fitsLookup(key, 4, new Uint8Array(10), 3, 8, 0), false); // no room
 * assert.equal(fitsLookup(key, 4, new Uint8Array(10), 0.5, 8, 0), false);
 * assert.equal(fitsLookup(key, 4, new Uint8Array(10), 0, 8, 4), false); // flags
 * ```
 */
export function fitsLookup(
  key: unknown,
  keySize: number,
  out: unknown,
  offset: number,
  valueSize: number,
  flags: number,
): boolean {
  return flags === 0 && key instanceof Uint8Array && key.length === keySize &&
    out instanceof Uint8Array && typeof offset === "number" && (offset | 0) === offset &&
    offset >= 0 &&
    offset + valueSize <= out.length;
}
