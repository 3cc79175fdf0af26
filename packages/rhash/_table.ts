/**
 * A bucket table of `Rhash` (rhashtable's `struct bucket_table`); the resize policy is
 * `@kvkit/internal`'s (shared with the shared map).
 *
 * A store has one table, and a second one, the future table, while a resize runs; each has its
 * own buckets, hash and seed (or key), so code that walks both loops over `[tbl, future]`.
 *
 * @module
 */

import {
  halfSip1,
  halfSip2,
  halfSipWords,
  murmurFinish,
  murmurMix,
  murmurWords,
  randomSeed,
  randomWords,
  seedKey,
} from "@kvkit/internal";

/**
 * A link (bucket head or an element's next word) to no element: the end of a chain, an empty
 * bucket. Links hold element index + 1, so a fresh zero-filled Int32Array is an empty table
 * and starting a resize needs no O(buckets) fill.
 */
export const END = 0;

// How a store reads its keys (chosen once from keySize); the table hashes stored keys the same way.
/** Any key size: words compared one by one. */
export const KEY_WORDS = 0;
/** 4-byte keys: one word. */
export const KEY_U32 = 1;
/** 8-byte keys: two words. */
export const KEY_U64 = 2;

/** Buckets, and the hash that spreads keys over them. */
export class Table {
  /** Head link of each bucket's chain (element index + 1, or {@linkcode END}). */
  readonly buckets: Int32Array;
  /** `buckets.length - 1`: a hash's bucket is `hash & mask`. */
  readonly mask: number;
  /** Hashed by HalfSipHash-1-3 under (`k0`, `k1`), else by MurmurHash3 under `seed`. */
  readonly keyed: boolean;
  readonly seed: number;
  readonly k0: number;
  readonly k1: number;

  /**
   * An empty table (every bucket {@linkcode END}: the engine hands out zeroed memory).
   *
   * @param size Buckets, a power of two.
   * @param keyed Whether it hashes with HalfSipHash-1-3.
   * @param seed A fixed u32 seed (the key derives from it when keyed), or -1 for random ones.
   * @throws {RangeError} When the buckets cannot be allocated.
   */
  constructor(size: number, keyed: boolean, seed = -1) {
    this.buckets = new Int32Array(size);
    this.mask = size - 1;
    this.keyed = keyed;
    this.seed = seed === -1 ? randomSeed() : seed;
    if (keyed) {
      const k = seed === -1 ? randomWords(new Int32Array(2)) : seedKey(seed, new Int32Array(2));
      this.k0 = k[0]!;
      this.k1 = k[1]!;
    } else {
      this.k0 = this.k1 = 0;
    }
  }

  /**
   * The hash of a 4-byte key given as one word.
   *
   * @param w The key.
   * @returns The hash, an int32.
   */
  hash1(w: number): number {
    return this.keyed ? halfSip1(w, this.k0, this.k1) : murmurFinish(murmurMix(this.seed, w));
  }

  /**
   * The hash of an 8-byte key given as two words.
   *
   * @param w0 The key's first word.
   * @param w1 Its second word.
   * @returns The hash, an int32.
   */
  hash2(w0: number, w1: number): number {
    return this.keyed
      ? halfSip2(w0, w1, this.k0, this.k1)
      : murmurFinish(murmurMix(murmurMix(this.seed, w0), w1));
  }

  /**
   * The hash of a key of any length given as words.
   *
   * @param words The words.
   * @param base Index of the key's first word.
   * @param n The key's words.
   * @param length The key's length in bytes.
   * @returns The hash, an int32.
   */
  hashWords(words: Int32Array, base: number, n: number, length: number): number {
    return this.keyed
      ? halfSipWords(words, base, n, length, this.k0, this.k1)
      : murmurFinish(murmurWords(words, base, n, this.seed));
  }

  /**
   * The hash of a key stored at `elems[o..]`, as a lookup of that key computes it.
   *
   * @param elems The element arena.
   * @param o Index of the key's first word.
   * @param kind {@linkcode KEY_U32}, {@linkcode KEY_U64} or {@linkcode KEY_WORDS}.
   * @param n The key's words.
   * @param length The key's length in bytes.
   * @returns The hash, an int32.
   */
  hashStored(elems: Int32Array, o: number, kind: number, n: number, length: number): number {
    if (kind === KEY_U32) return this.hash1(elems[o]!);
    if (kind === KEY_U64) return this.hash2(elems[o]!, elems[o + 1]!);
    return this.hashWords(elems, o, n, length);
  }
}
