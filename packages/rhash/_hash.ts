/**
 * The hash of a key: murmur3's 32-bit block mix over the key's little-endian words, seeded per
 * table. Internal to `@kvkit/rhash`.
 *
 * @module
 */

// murmur3_32 block constants.
const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;
// murmur3_32 finalizer constants.
const F1 = 0x85ebca6b;
const F2 = 0xc2b2ae35;

/** Folds one 32-bit word into the running hash (murmur3's block step). */
export function mixWord(h: number, w: number): number {
  w = Math.imul(w, C1);
  w = (w << 15) | (w >>> 17);
  w = Math.imul(w, C2);
  h ^= w;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

/** murmur3's finalizer: every input bit reaches every output bit. */
export function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, F1);
  h ^= h >>> 13;
  h = Math.imul(h, F2);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The hash of a 4-byte key given as one word; equals `hashWords` over that one word. */
export function hash1(k: number, seed: number): number {
  return fmix(mixWord(seed, k));
}

/** The hash of an 8-byte key given as two words; equals `hashWords` over those two words. */
export function hash2(k0: number, k1: number, seed: number): number {
  return fmix(mixWord(mixWord(seed, k0), k1));
}

/** The hash of `n` words of `words` from `base`. Keys are zero-padded to whole words. */
export function hashWords(words: Int32Array, base: number, n: number, seed: number): number {
  let h = seed;
  for (let i = 0; i < n; i++) h = mixWord(h, words[base + i]!);
  return fmix(h);
}

/** A fresh random 32-bit seed for a new table. */
export function randomSeed(): number {
  const c = (globalThis as { crypto?: { getRandomValues?: (a: Uint32Array) => Uint32Array } })
    .crypto;
  if (c?.getRandomValues !== undefined) return c.getRandomValues(new Uint32Array(1))[0]!;
  return (Math.random() * 0x1_0000_0000) >>> 0;
}
