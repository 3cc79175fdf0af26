/**
 * The key hash of htab: MurmurHash3 (x86, 32-bit) over the key read as little-endian 32-bit
 * words, the last word zero-padded. Keys have a fixed length per table, so padding the tail
 * instead of mixing it byte by byte keeps the hash a function of the key alone.
 *
 * @module
 */

// MurmurHash3 body constants.
const C1 = 0xcc9e2d51 | 0;
// Second body multiplier.
const C2 = 0x1b873593 | 0;
// Added after each block's multiply by 5.
const N = 0xe6546b64 | 0;
// fmix32 multipliers.
const F1 = 0x85ebca6b | 0;
// Second fmix32 multiplier.
const F2 = 0xc2b2ae35 | 0;

/**
 * Mixes one 32-bit word into the running hash (MurmurHash3 block step).
 *
 * @param h The running hash.
 * @param w The next key word.
 * @returns The new running hash, an int32.
 */
export function mixWord(h: number, w: number): number {
  w = Math.imul(w, C1);
  w = (w << 15) | (w >>> 17);
  h ^= Math.imul(w, C2);
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + N) | 0;
}

/**
 * Finishes a hash (MurmurHash3 fmix32 after folding in the length), spreading every input bit
 * into the low bits that select the bucket.
 *
 * @param h The running hash.
 * @param len The key length in bytes.
 * @returns The final hash, an int32.
 */
export function finish(h: number, len: number): number {
  h ^= len;
  h ^= h >>> 16;
  h = Math.imul(h, F1);
  h ^= h >>> 13;
  h = Math.imul(h, F2);
  return h ^ (h >>> 16);
}

/**
 * Hashes a word-aligned key stored in `words` at `base` (what the table keeps per element).
 *
 * @param words The key arena.
 * @param base The index of the key's first word.
 * @param nwords The key length in words.
 * @param len The key length in bytes.
 * @param seed The table's seed.
 * @returns The hash, an int32.
 */
export function hashWords(
  words: Int32Array,
  base: number,
  nwords: number,
  len: number,
  seed: number,
): number {
  let h = seed;
  for (let i = 0; i < nwords; i++) h = mixWord(h, words[base + i]!);
  return finish(h, len);
}
