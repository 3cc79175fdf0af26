/**
 * Deterministic keys and values fitted to what a store accepts: key `i` is always the same
 * bytes for the same spec and seed, distinct indices give distinct keys, so "present" keys
 * are indices `0..present-1` and "absent" keys are the indices after them.
 *
 * @module
 */

import { mix32, permute, Rng } from "./_rng.ts";

/** How a fitted store's keys look: byte strings of a length range, or u32 integers. */
export type KeySpec =
  | { readonly kind: "bytes"; readonly min: number; readonly max: number }
  | { readonly kind: "u32"; readonly min: number; readonly domain: number };

/**
 * How many distinct keys a spec can produce.
 *
 * @param spec The key spec.
 * @returns The number of distinct keys (capped at 2^32).
 */
export function keyDomain(spec: KeySpec): number {
  if (spec.kind === "u32") return spec.domain;
  // Lengths of 4+ bytes carry a bijective u32 in front; shorter fixed keys are permuted.
  return spec.min >= 4 ? 0x1_0000_0000 : Math.min(0x1_0000_0000, 256 ** spec.max);
}

/**
 * A short label of a key spec for tables: `8 B`, `4..255 B`, `u32 0..63`.
 *
 * @param spec The key spec.
 * @returns The label.
 */
export function keyLabel(spec: KeySpec): string {
  if (spec.kind === "u32") return `u32 ${spec.min}..${spec.min + spec.domain - 1}`;
  return spec.min === spec.max ? `${spec.min} B` : `${spec.min}..${spec.max} B`;
}

/** The length of key `i`. */
function keyLength(spec: KeySpec & { kind: "bytes" }, i: number, seed: number): number {
  if (spec.min === spec.max) return spec.min;
  return spec.min + (mix32(i ^ mix32(seed + 0x51)) % (spec.max - spec.min + 1));
}

/**
 * Writes key `i` into `out` (at least the spec's max length).
 *
 * @param spec The key spec.
 * @param i The key index, below {@linkcode keyDomain}.
 * @param seed The data set's seed.
 * @param out The buffer written from offset 0.
 * @returns The key's length.
 */
export function writeKey(spec: KeySpec, i: number, seed: number, out: Uint8Array): number {
  if (spec.kind === "u32") {
    const k = spec.min + permute(i, spec.domain, seed);
    out[0] = k;
    out[1] = k >>> 8;
    out[2] = k >>> 16;
    out[3] = k >>> 24;
    return 4;
  }
  const len = keyLength(spec, i, seed);
  if (len < 4) {
    let k = permute(i, 256 ** len, seed);
    for (let j = 0; j < len; j++, k = Math.floor(k / 256)) out[j] = k & 0xff;
    return len;
  }
  const head = mix32(i ^ mix32(seed));
  out[0] = head;
  out[1] = head >>> 8;
  out[2] = head >>> 16;
  out[3] = head >>> 24;
  // The tail: mulberry32 seeded by the index, inlined (this runs for every key of every build).
  let state = mix32(Math.imul(seed, 31) + i) >>> 0;
  for (let j = 4; j < len; j += 4) {
    let t = (state = (state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    t = (t ^ (t >>> 14)) >>> 0;
    out[j] = t;
    if (j + 1 < len) out[j + 1] = t >>> 8;
    if (j + 2 < len) out[j + 2] = t >>> 16;
    if (j + 3 < len) out[j + 3] = t >>> 24;
  }
  return len;
}

/**
 * Key `i` as a new array.
 *
 * @param spec The key spec.
 * @param i The key index.
 * @param seed The data set's seed.
 * @returns The key bytes.
 */
export function makeKey(spec: KeySpec, i: number, seed: number): Uint8Array {
  const out = new Uint8Array(spec.kind === "u32" ? 4 : spec.max);
  return out.slice(0, writeKey(spec, i, seed, out));
}

/**
 * Keys for a list of indices, as views into one flat buffer (few allocations, good locality
 * of the key bytes themselves, so the store's own accesses dominate).
 *
 * @param spec The key spec.
 * @param indices The key indices, in query order.
 * @param seed The data set's seed.
 * @returns One key per index.
 */
export function keyList(spec: KeySpec, indices: ArrayLike<number>, seed: number): Uint8Array[] {
  const width = spec.kind === "u32" ? 4 : spec.max;
  const flat = new Uint8Array(indices.length * width);
  const keys: Uint8Array[] = new Array(indices.length);
  for (let j = 0; j < indices.length; j++) {
    const at = j * width;
    const len = writeKey(spec, indices[j]!, seed, flat.subarray(at, at + width));
    keys[j] = flat.subarray(at, at + len);
  }
  return keys;
}

/**
 * `count` indices drawn from `0..range-1` in a seeded random order: a permutation when
 * `count <= range` (each index once), else with repeats.
 *
 * @param range The number of candidate indices.
 * @param count How many to draw.
 * @param seed The seed.
 * @returns The indices.
 */
export function shuffledIndices(range: number, count: number, seed: number): Uint32Array {
  const out = new Uint32Array(count);
  if (range <= 0) return out;
  if (count <= range) {
    for (let j = 0; j < count; j++) out[j] = permute(j, range, seed);
  } else {
    const rng = new Rng(seed);
    for (let j = 0; j < count; j++) out[j] = rng.below(range);
  }
  return out;
}

/**
 * A few distinct values of one length, so writes change bytes without allocating.
 *
 * @param length The value length.
 * @param seed The seed.
 * @param count How many values.
 * @returns The values.
 */
export function valuePool(length: number, seed: number, count = 4): Uint8Array[] {
  const rng = new Rng(seed ^ 0x7a11e);
  return Array.from({ length: count }, () => {
    const v = new Uint8Array(length);
    rng.fill(v);
    return v;
  });
}
