/**
 * Random hash keys and seeds for the tables, from `crypto.getRandomValues` where the runtime has
 * it (Deno, Node, Bun, browsers, Workers), else `Math.random`.
 *
 * @module
 */

type Crypto = { getRandomValues?: (a: Int32Array) => Int32Array };

/**
 * Fills `out` with random 32-bit words.
 *
 * @param out The words to fill.
 * @returns `out`.
 *
 * @example A 64-bit HalfSipHash key
 * ```ts
 * import { randomWords } from "@kvkit/internal";
 * import assert from "node:assert/strict";
 *
 * const key = randomWords(new Int32Array(2)); // a 64-bit HalfSipHash key
 * assert.equal(key.length, 2);
 * ```
 */
export function randomWords(out: Int32Array): Int32Array {
  const c = (globalThis as { crypto?: Crypto }).crypto;
  if (typeof c?.getRandomValues === "function") return c.getRandomValues(out);
  for (let i = 0; i < out.length; i++) out[i] = (Math.random() * 2 ** 32) | 0;
  return out;
}

/**
 * A random u32, for a table's seed.
 *
 * @returns An integer in 0..2^32-1.
 *
 * @example A table seed
 * ```ts
 * import { randomSeed } from "@kvkit/internal";
 * import assert from "node:assert/strict";
 *
 * const seed = randomSeed();
 * assert.ok(Number.isInteger(seed) && seed >= 0 && seed < 2 ** 32);
 * ```
 */
export function randomSeed(): number {
  return randomWords(new Int32Array(1))[0]! >>> 0;
}

/**
 * The 64-bit HalfSipHash key a fixed u32 `seed` stands for: `(seed, fmix32(seed ^ 0x9e3779b9))`.
 * A fixed seed gives a reproducible layout, and a key anyone who knows the seed can flood; a
 * table fed from outside keeps its random key.
 *
 * @param seed A u32.
 * @param out Where to write the two key words.
 * @returns `out`.
 *
 * @example A seed stands for one key
 * ```ts
 * import { seedKey } from "@kvkit/internal";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(seedKey(7, new Int32Array(2)), seedKey(7, new Int32Array(2)));
 * assert.notDeepEqual(seedKey(7, new Int32Array(2)), seedKey(8, new Int32Array(2)));
 * ```
 */
export function seedKey(seed: number, out: Int32Array): Int32Array {
  let h = (seed ^ 0x9e3779b9) | 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  out[0] = seed | 0;
  out[1] = h ^ (h >>> 16);
  return out;
}
