/**
 * The Linux kernel's jhash (include/linux/jhash.h: Bob Jenkins' lookup3, `JHASH_INITVAL`
 * 0xdeadbeef) and the hash of its BPF hash maps, `htab_map_hash` (kernel/bpf/hashtab.c):
 * `jhash2(key words, key_size / 4, hashrnd)` when the key size is a multiple of 4, else
 * `jhash(key, key_size, hashrnd)`. htab's `hash: "jhash"` uses it to lay keys out exactly as a
 * kernel map does. Not flood-resistant: with a known seed (`BPF_F_ZERO_SEED` is 0) anyone can
 * compute which keys share a bucket.
 *
 * The kernel reads words in host byte order; these functions read them little-endian (x86, and
 * every host kvkit's `Uint8Array` keys come from in practice), and jhash's tail switch
 * (`c += k[11] << 24` ... `a += k[0]`) is a little-endian read of the zero-padded tail. So on a
 * key held as zero-padded little-endian words, both of the kernel's cases are one function,
 * {@linkcode jhashWords}.
 *
 * @module
 */

/** lookup3's arbitrary initial value, the kernel's `JHASH_INITVAL`. */
export const JHASH_INITVAL = 0xdeadbeef;

// The running state (a, b) of the last mix, returned beside c without an allocation.
let ma = 0;
let mb = 0;

// __jhash_mix: mixes three words reversibly; leaves a and b in (ma, mb), returns c.
function mix(a: number, b: number, c: number): number {
  a = (a - c) | 0;
  a ^= (c << 4) | (c >>> 28);
  c = (c + b) | 0;
  b = (b - a) | 0;
  b ^= (a << 6) | (a >>> 26);
  a = (a + c) | 0;
  c = (c - b) | 0;
  c ^= (b << 8) | (b >>> 24);
  b = (b + a) | 0;
  a = (a - c) | 0;
  a ^= (c << 16) | (c >>> 16);
  c = (c + b) | 0;
  b = (b - a) | 0;
  b ^= (a << 19) | (a >>> 13);
  a = (a + c) | 0;
  c = (c - b) | 0;
  c ^= (b << 4) | (b >>> 28);
  b = (b + a) | 0;
  ma = a;
  mb = b;
  return c;
}

/**
 * lookup3's final mix (`__jhash_final`) of the three state words, returning `c`: the last step
 * of every jhash of 1..12 bytes and of the last block of longer keys.
 *
 * @param a First state word.
 * @param b Second state word.
 * @param c Third state word.
 * @returns The hash, an int32.
 *
 * @example The kernel's jhash_1word, by hand
 * ```ts
 * import { JHASH_INITVAL, jhashFinal, jhashWords } from "@kvkit/internal";
 * import assert from "node:assert/strict";
 *
 * const i = (JHASH_INITVAL + 4) | 0; // length 4 bytes, seed 0
 * assert.equal(jhashFinal(i + 7, i, i), jhashWords(new Int32Array([7]), 0, 1, 4, 0));
 * ```
 */
export function jhashFinal(a: number, b: number, c: number): number {
  a |= 0;
  b |= 0;
  c |= 0;
  c ^= b;
  c = (c - ((b << 14) | (b >>> 18))) | 0;
  a ^= c;
  a = (a - ((c << 11) | (c >>> 21))) | 0;
  b ^= a;
  b = (b - ((a << 25) | (a >>> 7))) | 0;
  c ^= b;
  c = (c - ((b << 16) | (b >>> 16))) | 0;
  a ^= c;
  a = (a - ((c << 4) | (c >>> 28))) | 0;
  b ^= a;
  b = (b - ((a << 14) | (a >>> 18))) | 0;
  c ^= b;
  return (c - ((b << 24) | (b >>> 8))) | 0;
}

/**
 * The kernel's `htab_map_hash` of a key held as `n` zero-padded little-endian words (as htab
 * stores keys): `jhash2(words, n, seed)` when `length` is `4n`, else `jhash(bytes, length,
 * seed)` - the same computation on a little-endian host (the state starts at
 * `JHASH_INITVAL + length + seed` either way, blocks of three words are mixed while more than
 * three remain, and jhash's byte tail is the padded last word).
 *
 * @param words Holds the key's words.
 * @param base Index of the first word.
 * @param n The number of words, `ceil(length / 4)`.
 * @param length The key's length in bytes.
 * @param seed The kernel's `hashrnd` (0 for `BPF_F_ZERO_SEED`).
 * @returns The hash, an int32 (`>>> 0` for the kernel's u32).
 *
 * @example One function for both of the kernel's cases
 * ```ts
 * import { jhash, jhash2, jhashWords } from "@kvkit/internal";
 * import assert from "node:assert/strict";
 *
 * const bytes = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]);
 * const words = new Int32Array(bytes.buffer);
 * assert.equal(jhashWords(words, 0, 2, 8, 0), jhash2(words, 0, 2, 0)); // key_size 8
 * const odd = new Int32Array([0x04030201, 0x05]); // 5 bytes, zero-padded
 * assert.equal(jhashWords(odd, 0, 2, 5, 0), jhash(bytes, 0, 5, 0)); // key_size 5
 * ```
 */
export function jhashWords(
  words: Int32Array,
  base: number,
  n: number,
  length: number,
  seed: number,
): number {
  let a = (JHASH_INITVAL + length + seed) | 0;
  let b = a;
  let c = a;
  let i = base;
  // __jhash_mix inlined (a call returning three words costs ~2x on long keys under Deno).
  for (; n > 3; n -= 3, i += 3) {
    a = (a + words[i]!) | 0;
    b = (b + words[i + 1]!) | 0;
    c = (c + words[i + 2]!) | 0;
    a = (a - c) | 0;
    a ^= (c << 4) | (c >>> 28);
    c = (c + b) | 0;
    b = (b - a) | 0;
    b ^= (a << 6) | (a >>> 26);
    a = (a + c) | 0;
    c = (c - b) | 0;
    c ^= (b << 8) | (b >>> 24);
    b = (b + a) | 0;
    a = (a - c) | 0;
    a ^= (c << 16) | (c >>> 16);
    c = (c + b) | 0;
    b = (b - a) | 0;
    b ^= (a << 19) | (a >>> 13);
    a = (a + c) | 0;
    c = (c - b) | 0;
    c ^= (b << 4) | (b >>> 28);
    b = (b + a) | 0;
  }
  // The kernel's fall-through switch on the words left (3, 2 or 1; 0 only for no key).
  if (n === 0) return c;
  if (n === 3) c = (c + words[i + 2]!) | 0;
  if (n >= 2) b = (b + words[i + 1]!) | 0;
  return jhashFinal((a + words[i]!) | 0, b, c);
}

/**
 * The kernel's `jhash2`: lookup3's `hashword` over `n` 32-bit words.
 *
 * @param words The words.
 * @param base Index of the first word.
 * @param n How many words.
 * @param seed The initial value (`initval`).
 * @returns The hash, an int32.
 *
 * @example No words is the initial state
 * ```ts
 * import { jhash2 } from "@kvkit/internal";
 * import assert from "node:assert/strict";
 *
 * assert.equal(jhash2(new Int32Array(0), 0, 0, 0) >>> 0, 0xdeadbeef);
 * ```
 */
export function jhash2(words: Int32Array, base: number, n: number, seed: number): number {
  return jhashWords(words, base, n, n << 2, seed);
}

/**
 * The kernel's `jhash` over `length` bytes of `bytes` from `from`, written as the kernel writes
 * it (words read little-endian, the tail byte by byte): the reference the word forms are tested
 * against, not a hot path.
 *
 * @param bytes Holds the key.
 * @param from Where the key starts.
 * @param length The key's length in bytes.
 * @param seed The initial value (`initval`).
 * @returns The hash, an int32.
 *
 * @example lookup3's published check
 * ```ts
 * import { jhash } from "@kvkit/internal";
 * import assert from "node:assert/strict";
 *
 * const text = new TextEncoder().encode("Four score and seven years ago");
 * assert.equal(jhash(text, 0, text.length, 0) >>> 0, 0x17770551);
 * assert.equal(jhash(text, 0, text.length, 1) >>> 0, 0xcd628161);
 * ```
 */
export function jhash(bytes: Uint8Array, from: number, length: number, seed: number): number {
  const k = (i: number): number => bytes[from + i]!;
  const word = (i: number): number => k(i) | k(i + 1) << 8 | k(i + 2) << 16 | k(i + 3) << 24;
  let a = (JHASH_INITVAL + length + seed) | 0;
  let b = a;
  let c = a;
  let o = 0;
  for (; length > 12; length -= 12, o += 12) {
    c = mix((a + word(o)) | 0, (b + word(o + 4)) | 0, (c + word(o + 8)) | 0);
    a = ma;
    b = mb;
  }
  if (length === 0) return c;
  // The kernel's fall-through switch on the tail length, case 12 down to case 1.
  for (let i = length - 1; i >= 0; i--) {
    const add = k(o + i) << ((i & 3) << 3);
    if (i >= 8) c = (c + add) | 0;
    else if (i >= 4) b = (b + add) | 0;
    else a = (a + add) | 0;
  }
  return jhashFinal(a, b, c);
}
