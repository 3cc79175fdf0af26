/**
 * Keys that defeat a seeded MurmurHash3, for tests and benchmarks of hash flooding.
 *
 * @module
 */

// MurmurHash3's block multipliers and their inverses modulo 2^32.
const C1 = 0xcc9e2d51 | 0;
const C2 = 0x1b873593 | 0;
const C1_INV = inverse(C1);
const C2_INV = inverse(C2);
// The differential: flipping this bit of one mixed block word and DELTA_B of the next leaves the
// running hash unchanged whatever it was (the bit moves to bit 31 through the rotate by 13, and a
// top-bit difference survives `* 5 + n` unchanged, then cancels against DELTA_B).
const DELTA_A = 0x0004_0000;
const DELTA_B = 0x8000_0000 | 0;
// Bytes per block pair.
const PAIR_BYTES = 8;

// The inverse of an odd `a` modulo 2^32 (Newton's iteration; each step doubles the good bits).
function inverse(a: number): number {
  let x = a;
  for (let i = 0; i < 5; i++) x = Math.imul(x, 2 - Math.imul(a, x));
  return x;
}

// A key word as MurmurHash3's block step sees it after its two multiplies and rotate, and back.
function mixed(w: number): number {
  w = Math.imul(w, C1);
  return Math.imul((w << 15) | (w >>> 17), C2);
}
function unmixed(k: number): number {
  k = Math.imul(k, C2_INV);
  return Math.imul((k >>> 15) | (k << 17), C1_INV);
}

/**
 * `count` distinct keys of `keySize` bytes that share one MurmurHash3 (x86, 32-bit) for EVERY
 * seed: key `i` takes, in block pair `j` (words `2j` and `2j + 1`), either the base pair or its
 * partner differing by the seed-independent differential, as bit `j` of `i` says. `p` pairs give
 * 2^p keys, so `keySize` must be at least `8 · ceil(log2 count)`. Words past the pairs come from
 * `salt`, so different salts give disjoint families (each with its own shared hash).
 *
 * This is the hash flooding attack on htab and rhash before HalfSipHash became their default.
 *
 * @param count How many keys, 1..2^24.
 * @param keySize Key length in bytes.
 * @param salt Picks the family (any integer).
 * @returns The keys.
 * @throws {RangeError} When `keySize` is too short for `count` keys.
 *
 * @example Sixteen 32-byte keys with one MurmurHash3 whatever the seed
 * ```ts
 * import { murmurCollisions, murmurFinish, murmurWords } from "@kvkit/internal";
 * import assert from "node:assert/strict";
 *
 * const keys = murmurCollisions(16, 32);
 * const seed = 0x1234;
 * const hashes = keys.map((k) => murmurFinish(murmurWords(new Int32Array(k.buffer), 0, 8, seed)));
 * assert.equal(new Set(hashes).size, 1);
 * assert.equal(new Set(keys.map((k) => k.join())).size, 16);
 * ```
 */
export function murmurCollisions(count: number, keySize: number, salt = 0): Uint8Array[] {
  let pairs = 0;
  while (2 ** pairs < count) pairs++;
  if (!Number.isInteger(count) || count < 1 || count > 2 ** 24 || pairs * PAIR_BYTES > keySize) {
    throw new RangeError(`${count} colliding keys need ${pairs * PAIR_BYTES} B, not ${keySize}`);
  }
  const nWords = Math.ceil(keySize / 4);
  // The base words, a simple LCG from the salt; word pairs are (base, partner).
  const base = new Int32Array(nWords);
  let s = (salt | 0) ^ 0x2545f491;
  for (let i = 0; i < nWords; i++) base[i] = s = (Math.imul(s, 1664525) + 1013904223) | 0;
  // The tail of the last word must stay zero (keys are zero-padded words).
  if (keySize % 4 !== 0) base[nWords - 1]! &= (1 << (8 * (keySize % 4))) - 1;
  const partner = base.slice();
  for (let j = 0; j < pairs; j++) {
    partner[2 * j] = unmixed(mixed(base[2 * j]!) ^ DELTA_A);
    partner[2 * j + 1] = unmixed(mixed(base[2 * j + 1]!) ^ DELTA_B);
  }
  const keys: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const words = base.slice();
    for (let j = 0; j < pairs; j++) {
      if ((i >>> j) & 1) {
        words[2 * j] = partner[2 * j]!;
        words[2 * j + 1] = partner[2 * j + 1]!;
      }
    }
    keys.push(new Uint8Array(words.buffer, 0, keySize));
  }
  return keys;
}
