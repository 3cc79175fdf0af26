/**
 * Seeded, deterministic randomness for the harness: the same seed gives the same keys, values
 * and query order on every run and every runtime.
 *
 * @module
 */

/**
 * A bijective mix of a u32 (Wellons' lowbias32): distinct inputs give distinct outputs, so
 * `mix32(i)` makes unique, well-spread keys from indices.
 *
 * @param x Any integer; its low 32 bits are used.
 * @returns A u32.
 */
export function mix32(x: number): number {
  x = (x ^ (x >>> 16)) >>> 0;
  x = Math.imul(x, 0x7feb352d);
  x = (x ^ (x >>> 15)) >>> 0;
  x = Math.imul(x, 0x846ca68b);
  return (x ^ (x >>> 16)) >>> 0;
}

/** A small, fast PRNG (mulberry32) with a u32 state. */
export class Rng {
  #state: number;

  /** @param seed Any integer. */
  constructor(seed: number) {
    this.#state = mix32(seed ^ 0x9e3779b9) >>> 0;
  }

  /** @returns The next u32. */
  u32(): number {
    let t = (this.#state = (this.#state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /**
   * @param n The bound, at least 1.
   * @returns An integer in 0..n-1.
   */
  below(n: number): number {
    return n <= 0x1_0000_0000 ? Math.floor((this.u32() / 0x1_0000_0000) * n) : 0;
  }

  /** @param out Filled with random bytes. */
  fill(out: Uint8Array): void {
    let i = 0;
    for (; i + 4 <= out.length; i += 4) {
      const r = this.u32();
      out[i] = r;
      out[i + 1] = r >>> 8;
      out[i + 2] = r >>> 16;
      out[i + 3] = r >>> 24;
    }
    if (i < out.length) {
      let r = this.u32();
      for (; i < out.length; i++, r >>>= 8) out[i] = r;
    }
  }
}

/**
 * A seeded permutation of 0..domain-1 without a table: a bijective mix on the smallest power
 * of two holding `domain`, cycle-walked until the result falls inside the domain.
 *
 * @param i An index in 0..domain-1.
 * @param domain The size of the permuted range, 1..2^32.
 * @param seed The permutation's seed.
 * @returns The image of `i`, in 0..domain-1.
 */
export function permute(i: number, domain: number, seed: number): number {
  if (domain <= 1) return 0;
  const bits = Math.ceil(Math.log2(domain));
  const mask = bits >= 32 ? 0xffff_ffff : (1 << bits) - 1;
  const half = Math.max(1, bits >>> 1);
  const salt = mix32(seed) & mask;
  let x = i;
  do {
    // Each step is a bijection on `bits` bits: xor, odd multiply, xorshift.
    x = (x ^ salt) & mask;
    x = Math.imul(x, 0x2c1b3c6d | 1) & mask;
    x = (x ^ (x >>> half)) & mask;
    x = Math.imul(x, 0x297a2d39 | 1) & mask;
    x = (x ^ (x >>> half)) >>> 0 & mask;
    x >>>= 0;
  } while (x >= domain);
  return x;
}
