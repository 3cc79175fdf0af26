/**
 * Keys as htab and rhash hold them: little-endian 32-bit words, the tail of the last word
 * zero-padded, so a key compares and hashes word by word.
 *
 * @module
 */

import { murmurMix } from "./murmur3.ts";

/**
 * Writes the `length` bytes of `bytes` from `from` into `words` from index `base` as
 * little-endian words, the last word's unused bytes zero.
 *
 * @param bytes Holds the key.
 * @param from Where the key starts in `bytes`.
 * @param length The key's length in bytes.
 * @param words Where the words go: `ceil(length / 4)` of them from `base`.
 * @param base Index of the first word.
 *
 * @example A 6-byte key in two words
 * ```ts
 * import { loadWords } from "@kvkit/internal";
 * import assert from "node:assert/strict";
 *
 * const words = new Int32Array(3).fill(-1);
 * loadWords(new Uint8Array([9, 1, 0, 0, 0, 2, 3]), 1, 6, words, 1);
 * assert.deepEqual([...words], [-1, 1, 0x0302]);
 * ```
 */
export function loadWords(
  bytes: Uint8Array,
  from: number,
  length: number,
  words: Int32Array,
  base: number,
): void {
  const full = from + (length & ~3);
  const end = from + length;
  let o = base;
  let i = from;
  for (; i < full; i += 4) {
    words[o++] = bytes[i]! | bytes[i + 1]! << 8 | bytes[i + 2]! << 16 | bytes[i + 3]! << 24;
  }
  if (i < end) {
    let w = 0;
    for (let shift = 0; i < end; i++, shift += 8) w |= bytes[i]! << shift;
    words[o] = w;
  }
}

/**
 * {@linkcode loadWords} and MurmurHash3's block step in the same pass: writes the words and
 * returns the running hash after mixing each into `seed` (before the finalizer; htab folds the
 * length in first, rhash does not).
 *
 * @param key The key's bytes (at least `length` of them).
 * @param length The key's length in bytes.
 * @param words Where the words go: `ceil(length / 4)` of them from `base`.
 * @param base Index of the first word.
 * @param seed The MurmurHash3 seed.
 * @returns The running hash, an int32: {@linkcode murmurWords} over the words written.
 *
 * @example Equals loading, then hashing
 * ```ts
 * import { loadWordsMurmur, murmurWords } from "@kvkit/internal";
 * import assert from "node:assert/strict";
 *
 * const key = new Uint8Array([1, 2, 3, 4, 5]);
 * const words = new Int32Array(2);
 * const h = loadWordsMurmur(key, 5, words, 0, 7);
 * assert.deepEqual([...words], [0x04030201, 5]);
 * assert.equal(h, murmurWords(words, 0, 2, 7));
 * ```
 */
export function loadWordsMurmur(
  key: Uint8Array,
  length: number,
  words: Int32Array,
  base: number,
  seed: number,
): number {
  const full = length & ~3;
  let h = seed | 0;
  let o = base;
  let i = 0;
  for (; i < full; i += 4) {
    const w = key[i]! | key[i + 1]! << 8 | key[i + 2]! << 16 | key[i + 3]! << 24;
    words[o++] = w;
    h = murmurMix(h, w);
  }
  if (i < length) {
    let w = 0;
    for (let shift = 0; i < length; i++, shift += 8) w |= key[i]! << shift;
    words[o] = w;
    h = murmurMix(h, w);
  }
  return h;
}
