/**
 * Keys, values and operations generated from a store's capabilities.
 *
 * @module
 */

import { type Capabilities, F_LOCK, NOEXIST } from "@kvkit/store";
import fc from "fast-check";

const le32 = (n: number): Uint8Array =>
  new Uint8Array([n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24]);

/**
 * The `i`-th of many distinct valid keys, for filling a store.
 *
 * @param caps The store's capabilities.
 * @param i The index, from 0.
 * @returns The key, or `undefined` when the store has fewer valid keys.
 */
export function distinctKey(caps: Capabilities, i: number): Uint8Array | undefined {
  const { keyRange, keySize } = caps;
  if (keyRange !== undefined) {
    return keyRange.min + i <= keyRange.max ? le32(keyRange.min + i) : undefined;
  }
  let len = keySize.min;
  while (len < keySize.max && len < 4 && i >= 256 ** len) len++;
  if (len < 4 && i >= 256 ** len) return undefined;
  const key = new Uint8Array(len);
  // The index in the last bytes, big-endian, and a varied first byte so hashes spread.
  for (let b = len - 1, n = i; b >= 0 && b >= len - 4; b--, n = Math.floor(n / 256)) {
    key[b] = n & 0xff;
  }
  if (len > 4) key[0] = (i * 37) & 0xff;
  return key;
}

/**
 * A deterministic pool of valid keys, small enough that operations collide: integer keys
 * across byte boundaries, variable-length keys that extend each other.
 *
 * @param caps The store's capabilities.
 * @param size How many keys, at most (integer stores may add a few boundary keys).
 * @returns The keys.
 */
export function keyPool(caps: Capabilities, size: number): Uint8Array[] {
  const { keySize, keyRange } = caps;
  if (keyRange !== undefined && keyRange.max - keyRange.min >= 256) {
    // Integer keys across a byte boundary, where little-endian bytes and numbers sort apart.
    const pool = new Set<number>();
    for (const k of [255, 256, 257, 511, 512, keyRange.max - 1, keyRange.max]) {
      if (k >= keyRange.min && k <= keyRange.max) pool.add(k);
    }
    for (let i = 0; pool.size < size && keyRange.min + i <= keyRange.max; i++) {
      pool.add(keyRange.min + i);
    }
    return [...pool].slice(0, Math.max(size, 7)).map(le32);
  }
  if (keyRange !== undefined || keySize.min === keySize.max) {
    const pool: Uint8Array[] = [];
    for (let i = 0; pool.length < size; i++) {
      const k = distinctKey(caps, i);
      if (k === undefined) break;
      pool.push(k);
    }
    return pool;
  }
  // Variable-length keys over a small alphabet, so they share prefixes and extend each other.
  const alphabet = [0x00, 0x01, 0x7f, 0xff];
  const seen = new Set<string>();
  const pool: Uint8Array[] = [];
  let seed = 12345;
  const rand = (n: number) => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return (seed >>> 8) % n;
  };
  const maxLen = Math.min(keySize.max, keySize.min + 4);
  for (let tries = 0; pool.length < size && tries < size * 50; tries++) {
    const len = keySize.min + rand(maxLen - keySize.min + 1);
    const key = Uint8Array.from({ length: len }, () => alphabet[rand(alphabet.length)]!);
    const id = key.join(",");
    if (!seen.has(id)) seen.add(id), pool.push(key);
  }
  if (keySize.max <= 4096) pool.push(new Uint8Array(keySize.max).fill(0x7f));
  return pool;
}

/**
 * Keys every store must reject with EINVAL: wrong lengths and out-of-range integers.
 *
 * @param caps The store's capabilities.
 * @returns The keys.
 */
export function invalidKeys(caps: Capabilities): Uint8Array[] {
  const { keySize, keyRange } = caps;
  const keys: Uint8Array[] = [];
  if (keySize.min > 0) keys.push(new Uint8Array(keySize.min - 1));
  if (keySize.max < 1 << 16) keys.push(new Uint8Array(keySize.max + 1));
  if (keyRange !== undefined) {
    if (keyRange.max < 0xffff_ffff) keys.push(le32(keyRange.max + 1), le32(0xffff_ffff));
    if (keyRange.min > 0) keys.push(le32(keyRange.min - 1));
  }
  return keys;
}

/**
 * Value lengths the store accepts, a few of them.
 *
 * @param caps The store's capabilities.
 * @returns The lengths.
 */
export function validValueLengths(caps: Capabilities): number[] {
  const { valueSize, valueSizes } = caps;
  if (valueSizes !== undefined) return [...valueSizes];
  const max = Math.min(valueSize.max, Math.max(valueSize.min, 4096));
  // Odd lengths too, where a store rounds lengths (slots, size classes, words) they differ.
  const odd = [9, 129, 1025, 2049].filter((n) => n > valueSize.min && n < max);
  return [...new Set([valueSize.min, max, Math.floor((valueSize.min + max) / 2), ...odd])];
}

/** Value lengths the store rejects, with the error each gets. */
export function invalidValueLengths(caps: Capabilities): number[] {
  const { valueSize, valueSizes } = caps;
  const lengths: number[] = [];
  if (valueSize.min > 0) lengths.push(valueSize.min - 1);
  if (valueSize.max < 1 << 20) lengths.push(valueSize.max + 1);
  if (valueSizes !== undefined) {
    for (let n = valueSize.min; n <= valueSize.max; n++) {
      if (!valueSizes.includes(n)) {
        lengths.push(n);
        break;
      }
    }
  }
  return lengths;
}

/** One operation of a generated sequence. */
export type Op =
  | {
    readonly op: "set";
    readonly key: Uint8Array;
    readonly value: Uint8Array;
    readonly flags: number;
  }
  | { readonly op: "get" | "has" | "delete"; readonly key: Uint8Array }
  | {
    readonly op: "getInto";
    readonly key: Uint8Array;
    /** Room in `out` after `offset`, relative to the value's length (or the largest). */
    readonly room: "exact" | "short" | "long";
    readonly offset: number;
    readonly flags: number;
  }
  | { readonly op: "nextKey"; readonly key: Uint8Array | undefined }
  | { readonly op: "clear" }
  | {
    readonly op: "iterate";
    readonly how: "entries" | "keys" | "values" | "iterator";
    readonly reuse: boolean;
    readonly remove: boolean[];
  }
  | { readonly op: "batch"; readonly count: number; readonly delete: boolean };

/** Sequences of valid and invalid operations over a small key pool. */
export function opsArbitrary(caps: Capabilities, maxOps: number): fc.Arbitrary<Op[]> {
  const pool = keyPool(caps, Math.max(4, Math.min(caps.maxEntries + 2, 24)));
  const bad = invalidKeys(caps);
  const key = bad.length > 0
    ? fc.oneof({ weight: 12, arbitrary: fc.constantFrom(...pool) }, {
      weight: 1,
      arbitrary: fc.constantFrom(...bad),
    })
    : fc.constantFrom(...pool);
  const lengths = [...validValueLengths(caps), ...invalidValueLengths(caps)];
  const good = validValueLengths(caps);
  const length = fc.oneof(
    { weight: 10, arbitrary: fc.constantFrom(...good) },
    { weight: 1, arbitrary: fc.constantFrom(...lengths) },
  );
  const value = length.chain((n) => fc.uint8Array({ minLength: n, maxLength: n }));
  const flags = fc.oneof(
    { weight: 12, arbitrary: fc.constantFrom(0, 1, 2) },
    { weight: 1, arbitrary: fc.constantFrom(3, 4, 5, 8, -1, 0.5) },
  );
  const op: fc.Arbitrary<Op> = fc.oneof(
    { weight: 8, arbitrary: fc.record({ op: fc.constant("set" as const), key, value, flags }) },
    {
      weight: 3,
      arbitrary: fc.record({ op: fc.constantFrom("get" as const, "has" as const), key }),
    },
    {
      weight: 3,
      arbitrary: fc.record({
        op: fc.constant("getInto" as const),
        key,
        room: fc.oneof(
          { weight: 6, arbitrary: fc.constantFrom("exact" as const, "long" as const) },
          { weight: 1, arbitrary: fc.constant("short" as const) },
        ),
        offset: fc.constantFrom(0, 0, 3),
        flags: fc.oneof(
          { weight: 12, arbitrary: fc.constant(0) },
          { weight: 1, arbitrary: fc.constantFrom(F_LOCK, NOEXIST, 8, -1) },
        ),
      }),
    },
    { weight: 3, arbitrary: fc.record({ op: fc.constant("delete" as const), key }) },
    {
      weight: 2,
      arbitrary: fc.record({
        op: fc.constant("nextKey" as const),
        key: fc.option(key, { nil: undefined }),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        op: fc.constant("batch" as const),
        count: fc.integer({ min: 1, max: 5 }),
        delete: fc.boolean(),
      }),
    },
    { weight: 1, arbitrary: fc.constant({ op: "clear" as const }) },
    {
      weight: 1,
      arbitrary: fc.record({
        op: fc.constant("iterate" as const),
        how: fc.constantFrom(
          "entries" as const,
          "keys" as const,
          "values" as const,
          "iterator" as const,
        ),
        reuse: fc.boolean(),
        remove: fc.array(fc.boolean(), { maxLength: 30 }),
      }),
    },
  );
  return fc.array(op, { maxLength: maxOps, size: "max" });
}
