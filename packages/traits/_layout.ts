/**
 * The RFC's header layout (include/net/trait.h): two 64-bit words, `high` then `low`, stored
 * little-endian, followed by the values packed in ascending key order. JavaScript bit operations
 * are 32-bit, so each word is handled as two 32-bit halves.
 *
 * @module
 */

/** Bytes of the fixed header (`struct __trait_hdr`: `u64 high; u64 low;`). */
export const HEADER_SIZE = 16;
/** Offset of bits 0..31 of `high` (the high bit of each key's size code). */
export const HIGH_LO = 0;
/** Offset of bits 32..63 of `high`. */
export const HIGH_HI = 4;
/** Offset of bits 0..31 of `low` (the low bit of each key's size code). */
export const LOW_LO = 8;
/** Offset of bits 32..63 of `low`. */
export const LOW_HI = 12;
/** Number of keys: one bit of each header word per key. */
export const MAX_KEYS = 64;
/** Keys per 32-bit half of a header word. */
export const HALF_BITS = 32;

/**
 * Counts the set bits of a 32-bit integer (the kernel's `hweight32`), branch-free.
 *
 * @param x A 32-bit integer (any sign).
 * @returns The number of set bits, 0..32.
 */
export function popcount32(x: number): number {
  x = x - ((x >>> 1) & 0x55555555);
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
}
