/**
 * rhashtable's resize policy, in the kernel's words (`rht_grow_above_75`, `rht_shrink_below_30`,
 * the size `rhashtable_shrink` picks): shared by `Rhash` and the shared map.
 *
 * @module
 */

/** The smallest table (rhashtable's `HASH_MIN_SIZE`). */
export const HASH_MIN_SIZE = 4;

/**
 * The most buckets a table has: the bucket is `hash & (buckets - 1)` on int32s, so the mask must
 * stay below 2^31 (a mask of 2^32 - 1 would be -1 and keep the sign).
 */
export const TABLE_MAX = 2 ** 31;

/**
 * `rht_grow_above_75`: more elements than 3/4 of the buckets (and a table that can double).
 *
 * @param nelems Elements in the store.
 * @param size Buckets of the table.
 * @returns Whether to grow to `2 · size`.
 */
export function growAbove75(nelems: number, size: number): boolean {
  return nelems > (size >>> 2) * 3 && size < TABLE_MAX;
}

/**
 * `rht_shrink_below_30`: fewer elements than 3/10 of the buckets, above the smallest table. Then
 * {@linkcode shrinkSize} is always below `size` (it is at most `size / 2`).
 *
 * @param nelems Elements in the store.
 * @param size Buckets of the table.
 * @returns Whether to shrink to {@linkcode shrinkSize}.
 */
export function shrinkBelow30(nelems: number, size: number): boolean {
  return size > HASH_MIN_SIZE && nelems < size * 3 / 10;
}

/**
 * The size `rhashtable_shrink` picks: `roundup_pow_of_two(nelems · 3/2)`, at least
 * {@linkcode HASH_MIN_SIZE} (a load of 2/3 or less after the shrink).
 *
 * @param nelems Elements in the store.
 * @returns Buckets of the shrunk table.
 */
export function shrinkSize(nelems: number): number {
  return Math.max(HASH_MIN_SIZE, roundUpPow2(Math.ceil(nelems * 3 / 2)));
}

/**
 * The smallest power of two at or above `n`.
 *
 * @param n A positive number.
 * @returns The power of two.
 */
export function roundUpPow2(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}
