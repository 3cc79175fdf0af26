/**
 * Node layout of the qp-trie arenas. Every node is two int32 words in one `Int32Array`; a
 * branch's children (its twigs) are a contiguous block of nodes, the child for bitmap bit `b`
 * sitting at `twigs + popcount(bitmap & ((1 << b) - 1))`.
 *
 * ```
 * branch  word 0: 0 | 1 (BRANCH) | nibble index (13 bits) | bitmap (17 bits)
 *         word 1: node index of the first twig
 * leaf    word 0: 0 | 0 | key length (1..MAX_KEY_LENGTH)
 *         word 1: heap offset of the key; its record is the value (padded to a word) then
 *                 the key (padded to a word), so both start on 4-byte boundaries
 * free    word 0: FREE | block size      (first node of a block on a free list)
 *         word 1: next free block of that size, or -1
 * ```
 *
 * @module
 */

/** Words per node: word 0 says what the node is, word 1 where its data lives. */
export const NODE_WORDS = 2;
/** Node 0 is the root; it is a leaf or a branch, never a twig. */
export const ROOT = 0;
/** Bits 0..16 of a branch's word 0: which of its 17 slots have a child. */
export const BITMAP_MASK = 0x1ffff;
/** Bitmap bit 0 is the slot of the key that ends at the branch, so it sorts first. */
export const END_BIT = 0;
/** The nibble index sits right above the bitmap. */
export const INDEX_SHIFT = 17;
/** 13 bits of nibble index: byte offset * 2 + (0 for the high nibble, 1 for the low). */
export const INDEX_MASK = 0x1fff;
/** Bit 30 of word 0 marks a branch; clear for a leaf (bit 31 stays clear: small integers). */
export const BRANCH = 0x40000000;
/** Bit 29 of word 0 marks the first node of a block on a free list (leaf lengths stay below). */
export const FREE = 0x20000000;
/** The largest key the 13-bit nibble index can address (its last nibble is 8191). */
export const MAX_KEY_LENGTH = 4096;
/** Twig blocks hold 2..17 nodes; one free list per size. */
export const MAX_TWIGS = 17;

/**
 * Counts the set bits of a 32-bit integer.
 *
 * @param x The integer.
 * @returns The number of set bits.
 */
export function popcount(x: number): number {
  x = x - ((x >>> 1) & 0x55555555);
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

/** Set bits of every 9-bit integer: a 17-bit bitmap's popcount is two loads, not a SWAR chain. */
export const POPCOUNT9: Uint8Array = new Uint8Array(512).map((_, i) => popcount(i));

/**
 * The bitmap bit a key selects at a nibble index: 0 when the key has no such nibble (it ends
 * at or before the branch), else 1 + the nibble's value.
 *
 * @param bytes The bytes holding the key.
 * @param offset Where the key starts in `bytes`.
 * @param length The key length.
 * @param index The nibble index.
 * @returns The bitmap bit, 0..16.
 */
export function nibbleBit(
  bytes: Uint8Array,
  offset: number,
  length: number,
  index: number,
): number {
  const b = index >>> 1;
  if (b >= length) return END_BIT;
  const byte = bytes[offset + b]!;
  return 1 + ((index & 1) === 0 ? byte >>> 4 : byte & 15);
}
