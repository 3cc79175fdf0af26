/**
 * MurmurHash3 (x86, 32-bit), Austin Appleby's: the fast seeded hash htab and rhash used before
 * HalfSipHash, kept for `hash: "murmur3"` (reproducible layouts, the fastest lookups). Not
 * flood-resistant: its block step has seed-independent collisions
 * ({@linkcode murmurCollisions}), so anyone can choose keys that share one hash whatever the
 * seed.
 *
 * Keys are read as little-endian 32-bit words, the last one zero-padded (htab and rhash keys
 * have a fixed length per table, so padding keeps the hash a function of the key).
 *
 * @module
 */

// The block step's multipliers.
const C1 = 0xcc9e2d51 | 0;
const C2 = 0x1b873593 | 0;
// Added after each block's multiply by 5.
const N = 0xe6546b64 | 0;
// fmix32's multipliers.
const F1 = 0x85ebca6b | 0;
const F2 = 0xc2b2ae35 | 0;

/**
 * Mixes one 32-bit word into the running hash (MurmurHash3's block step).
 *
 * @param h The running hash (the seed before the first word).
 * @param w The next key word.
 * @returns The new running hash, an int32.
 *
 * @example SMHasher's check of a 4-byte key
 * ```ts
 * import { murmurFinish, murmurMix } from "@kvkit/internal";
 * import assert from "node:assert/strict";
 *
 * // MurmurHash3_x86_32 of the 4 bytes 0x21 0x43 0x65 0x87, seed 0x5082edee (SMHasher's check).
 * assert.equal(murmurFinish(murmurMix(0x5082edee, 0x87654321) ^ 4) >>> 0, 0x2362f9de);
 * ```
 */
export function murmurMix(h: number, w: number): number {
  w = Math.imul(w, C1);
  w = (w << 15) | (w >>> 17);
  h ^= Math.imul(w, C2);
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + N) | 0;
}

/**
 * MurmurHash3's finalizer (fmix32): every input bit reaches every output bit, so the low bits
 * that select a bucket depend on the whole key. The reference XORs in the length first.
 *
 * @param h The running hash.
 * @returns The final hash, an int32.
 *
 * @example The hash of no bytes
 * ```ts
 * import { murmurFinish } from "@kvkit/internal";
 * import assert from "node:assert/strict";
 *
 * assert.equal(murmurFinish(0), 0); // MurmurHash3 of no bytes, seed 0
 * ```
 */
export function murmurFinish(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, F1);
  h ^= h >>> 13;
  h = Math.imul(h, F2);
  return h ^ (h >>> 16);
}

/**
 * The running MurmurHash3 state after mixing `n` words of `words` from `base` into `seed`
 * (before the finalizer).
 *
 * @param words The key's words.
 * @param base Index of the first word.
 * @param n How many words.
 * @param seed The seed.
 * @returns The running hash, an int32.
 *
 * @example Mixing two words
 * ```ts
 * import { murmurMix, murmurWords } from "@kvkit/internal";
 * import assert from "node:assert/strict";
 *
 * assert.equal(murmurWords(new Int32Array([5, 6]), 0, 2, 9), murmurMix(murmurMix(9, 5), 6));
 * ```
 */
export function murmurWords(words: Int32Array, base: number, n: number, seed: number): number {
  let h = seed | 0;
  for (let i = 0; i < n; i++) h = murmurMix(h, words[base + i]!);
  return h;
}
