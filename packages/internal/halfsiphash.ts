/**
 * HalfSipHash (Aumasson and Bernstein's SipHash on 32-bit words, the kernel's `hsiphash` on
 * 32-bit machines): a keyed hash. Without its 64-bit key nobody can choose keys that share a
 * hash, which is what a hash table fed from outside needs; a seeded MurmurHash3 cannot give
 * that (its block step has seed-independent collisions, see {@linkcode murmurCollisions}).
 *
 * The hash tables use HalfSipHash-1-3 (one compression round per 4-byte word, three
 * finalization rounds, as the kernel's `hsiphash`) with a 32-bit result. The fast forms take
 * the key already read as little-endian 32-bit words (what htab and rhash store): for a key whose
 * length is not a multiple of 4 the last word holds the tail bytes, zero-padded, so every form
 * equals {@linkcode halfSipHash} over the key's bytes.
 *
 * @module
 */

// The initialization constants of HalfSipHash: "\0\0\0\0" ^ "lyge" and "tedb".
const INIT2 = 0x6c796765;
const INIT3 = 0x74656462;
// XORed into v2 before the finalization rounds (32-bit output).
const FINAL = 0xff;
// Bytes per word.
const WORD_BYTES = 4;

/**
 * HalfSipHash-c-d of `bytes[offset..offset + length)` under the key `(k0, k1)` (the key's bytes
 * 0..3 and 4..7 read little-endian), 32-bit result: the reference algorithm, byte by byte, for
 * any round counts. The tables use the word forms ({@linkcode halfSipWords} and the fixed-size
 * ones), which equal it for `cRounds = 1, dRounds = 3`.
 *
 * @param bytes The message.
 * @param offset Where it starts in `bytes`.
 * @param length Its length in bytes.
 * @param k0 Key word 0.
 * @param k1 Key word 1.
 * @param cRounds Compression rounds per word (1 for HalfSipHash-1-3).
 * @param dRounds Finalization rounds (3 for HalfSipHash-1-3).
 * @returns The hash as an unsigned 32-bit integer.
 *
 * @example The reference implementation's first HalfSipHash-2-4 vector
 * ```ts
 * import { halfSipHash } from "@kvkit/internal";
 * import assert from "node:assert/strict";
 *
 * assert.equal(halfSipHash(new Uint8Array(0), 0, 0, 0x03020100, 0x07060504, 2, 4), 0x5b9f35a9);
 * ```
 */
export function halfSipHash(
  bytes: Uint8Array,
  offset: number,
  length: number,
  k0: number,
  k1: number,
  cRounds = 1,
  dRounds = 3,
): number {
  const v = new Int32Array([k0, k1, k0 ^ INIT2, k1 ^ INIT3]);
  const end = offset + (length & ~3);
  let i = offset;
  for (; i < end; i += WORD_BYTES) {
    const m = bytes[i]! | bytes[i + 1]! << 8 | bytes[i + 2]! << 16 | bytes[i + 3]! << 24;
    v[3] = v[3]! ^ m;
    for (let r = 0; r < cRounds; r++) sipRound(v);
    v[0] = v[0]! ^ m;
  }
  // The last block: the tail bytes, the length's low byte on top.
  let b = length << 24;
  for (let s = 0; i < offset + length; i++, s += 8) b |= bytes[i]! << s;
  v[3] = v[3]! ^ b;
  for (let r = 0; r < cRounds; r++) sipRound(v);
  v[0] = v[0]! ^ b;
  v[2] = v[2]! ^ FINAL;
  for (let r = 0; r < dRounds; r++) sipRound(v);
  return (v[1]! ^ v[3]!) >>> 0;
}

// One SipRound on 32-bit words (the reference's, for halfSipHash; the fast forms inline it).
function sipRound(v: Int32Array): void {
  v[0] = v[0]! + v[1]!;
  v[1] = (v[1]! << 5 | v[1]! >>> 27) ^ v[0]!;
  v[0] = v[0]! << 16 | v[0]! >>> 16;
  v[2] = v[2]! + v[3]!;
  v[3] = (v[3]! << 8 | v[3]! >>> 24) ^ v[2]!;
  v[0] = v[0]! + v[3]!;
  v[3] = (v[3]! << 7 | v[3]! >>> 25) ^ v[0]!;
  v[2] = v[2]! + v[1]!;
  v[1] = (v[1]! << 13 | v[1]! >>> 19) ^ v[2]!;
  v[2] = v[2]! << 16 | v[2]! >>> 16;
}

/**
 * HalfSipHash-1-3 of a key held as `n` little-endian 32-bit words at `words[base..]`, `length`
 * bytes long (the last word zero-padded when `length` is not a multiple of 4).
 *
 * @param words The words.
 * @param base Index of the key's first word.
 * @param n The key's words: `ceil(length / 4)`.
 * @param length The key's length in bytes.
 * @param k0 Key word 0.
 * @param k1 Key word 1.
 * @returns The hash, an int32 (`>>> 0` gives {@linkcode halfSipHash}'s value).
 *
 * @example Equals the byte-wise hash over a zero-padded key
 * ```ts
 * import { halfSipHash, halfSipWords } from "@kvkit/internal";
 * import assert from "node:assert/strict";
 *
 * const key = new Uint8Array([1, 2, 3, 4, 5, 6, 0, 0]); // 6 bytes, padded to 2 words
 * const words = new Int32Array(key.buffer);
 * assert.equal(halfSipWords(words, 0, 2, 6, 7, 9) >>> 0, halfSipHash(key, 0, 6, 7, 9));
 * ```
 */
export function halfSipWords(
  words: Int32Array,
  base: number,
  n: number,
  length: number,
  k0: number,
  k1: number,
): number {
  let v0 = k0 | 0;
  let v1 = k1 | 0;
  let v2 = k0 ^ INIT2;
  let v3 = k1 ^ INIT3;
  const full = length >>> 2;
  for (let i = 0; i < full; i++) {
    const m = words[base + i]!;
    v3 ^= m;
    v0 = (v0 + v1) | 0;
    v1 = (v1 << 5 | v1 >>> 27) ^ v0;
    v0 = v0 << 16 | v0 >>> 16;
    v2 = (v2 + v3) | 0;
    v3 = (v3 << 8 | v3 >>> 24) ^ v2;
    v0 = (v0 + v3) | 0;
    v3 = (v3 << 7 | v3 >>> 25) ^ v0;
    v2 = (v2 + v1) | 0;
    v1 = (v1 << 13 | v1 >>> 19) ^ v2;
    v2 = v2 << 16 | v2 >>> 16;
    v0 ^= m;
  }
  return finish(v0, v1, v2, v3, length << 24 | (full < n ? words[base + full]! : 0));
}

/**
 * HalfSipHash-1-3 of a 4-byte key given as one little-endian word: equals
 * {@linkcode halfSipWords} over that word.
 *
 * @param w The key.
 * @param k0 Key word 0.
 * @param k1 Key word 1.
 * @returns The hash, an int32.
 *
 * @example Equals the word form over one word
 * ```ts
 * import { halfSip1, halfSipWords } from "@kvkit/internal";
 * import assert from "node:assert/strict";
 *
 * assert.equal(halfSip1(42, 1, 2), halfSipWords(new Int32Array([42]), 0, 1, 4, 1, 2));
 * ```
 */
export function halfSip1(w: number, k0: number, k1: number): number {
  let v0 = k0 | 0;
  let v1 = k1 | 0;
  let v2 = k0 ^ INIT2;
  let v3 = k1 ^ INIT3 ^ w;
  v0 = (v0 + v1) | 0;
  v1 = (v1 << 5 | v1 >>> 27) ^ v0;
  v0 = v0 << 16 | v0 >>> 16;
  v2 = (v2 + v3) | 0;
  v3 = (v3 << 8 | v3 >>> 24) ^ v2;
  v0 = (v0 + v3) | 0;
  v3 = (v3 << 7 | v3 >>> 25) ^ v0;
  v2 = (v2 + v1) | 0;
  v1 = (v1 << 13 | v1 >>> 19) ^ v2;
  v2 = v2 << 16 | v2 >>> 16;
  return finish(v0 ^ w, v1, v2, v3, 4 << 24);
}

/**
 * HalfSipHash-1-3 of an 8-byte key given as two little-endian words: equals
 * {@linkcode halfSipWords} over those words.
 *
 * @param w0 The key's first word.
 * @param w1 The key's second word.
 * @param k0 Key word 0.
 * @param k1 Key word 1.
 * @returns The hash, an int32.
 *
 * @example Equals the word form over two words
 * ```ts
 * import { halfSip2, halfSipWords } from "@kvkit/internal";
 * import assert from "node:assert/strict";
 *
 * assert.equal(halfSip2(1, -1, 3, 4), halfSipWords(new Int32Array([1, -1]), 0, 2, 8, 3, 4));
 * ```
 */
export function halfSip2(w0: number, w1: number, k0: number, k1: number): number {
  let v0 = k0 | 0;
  let v1 = k1 | 0;
  let v2 = k0 ^ INIT2;
  let v3 = k1 ^ INIT3 ^ w0;
  v0 = (v0 + v1) | 0;
  v1 = (v1 << 5 | v1 >>> 27) ^ v0;
  v0 = v0 << 16 | v0 >>> 16;
  v2 = (v2 + v3) | 0;
  v3 = (v3 << 8 | v3 >>> 24) ^ v2;
  v0 = (v0 + v3) | 0;
  v3 = (v3 << 7 | v3 >>> 25) ^ v0;
  v2 = (v2 + v1) | 0;
  v1 = (v1 << 13 | v1 >>> 19) ^ v2;
  v2 = v2 << 16 | v2 >>> 16;
  v0 ^= w0;
  v3 ^= w1;
  v0 = (v0 + v1) | 0;
  v1 = (v1 << 5 | v1 >>> 27) ^ v0;
  v0 = v0 << 16 | v0 >>> 16;
  v2 = (v2 + v3) | 0;
  v3 = (v3 << 8 | v3 >>> 24) ^ v2;
  v0 = (v0 + v3) | 0;
  v3 = (v3 << 7 | v3 >>> 25) ^ v0;
  v2 = (v2 + v1) | 0;
  v1 = (v1 << 13 | v1 >>> 19) ^ v2;
  v2 = v2 << 16 | v2 >>> 16;
  return finish(v0 ^ w1, v1, v2, v3, 8 << 24);
}

// The last block `b` (tail bytes and length), then the three finalization rounds; v1 ^ v3.
function finish(v0: number, v1: number, v2: number, v3: number, b: number): number {
  v3 ^= b;
  v0 = (v0 + v1) | 0;
  v1 = (v1 << 5 | v1 >>> 27) ^ v0;
  v0 = v0 << 16 | v0 >>> 16;
  v2 = (v2 + v3) | 0;
  v3 = (v3 << 8 | v3 >>> 24) ^ v2;
  v0 = (v0 + v3) | 0;
  v3 = (v3 << 7 | v3 >>> 25) ^ v0;
  v2 = (v2 + v1) | 0;
  v1 = (v1 << 13 | v1 >>> 19) ^ v2;
  v2 = v2 << 16 | v2 >>> 16;
  v0 ^= b;
  v2 ^= FINAL;
  for (let r = 0; r < 3; r++) {
    v0 = (v0 + v1) | 0;
    v1 = (v1 << 5 | v1 >>> 27) ^ v0;
    v0 = v0 << 16 | v0 >>> 16;
    v2 = (v2 + v3) | 0;
    v3 = (v3 << 8 | v3 >>> 24) ^ v2;
    v0 = (v0 + v3) | 0;
    v3 = (v3 << 7 | v3 >>> 25) ^ v0;
    v2 = (v2 + v1) | 0;
    v1 = (v1 << 13 | v1 >>> 19) ^ v2;
    v2 = v2 << 16 | v2 >>> 16;
  }
  return v1 ^ v3;
}
