/**
 * The byte order of ordered stores.
 *
 * @module
 */

/**
 * Compares two byte strings in big-endian lexicographic order; a key sorts before its own
 * extensions.
 *
 * @param a The first key.
 * @param b The second key.
 * @returns A negative number, zero or a positive number as `a` sorts before, equal to or after `b`.
 *
 * @example
 * ```ts
 * import { compareBytes } from "@kvkit/store";
 * import assert from "node:assert/strict";
 *
 * assert.ok(compareBytes(new Uint8Array([1]), new Uint8Array([1, 0])) < 0);
 * assert.ok(compareBytes(new Uint8Array([2]), new Uint8Array([1, 255])) > 0);
 * assert.equal(compareBytes(new Uint8Array([3]), new Uint8Array([3])), 0);
 * ```
 */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d;
  }
  return a.length - b.length;
}
