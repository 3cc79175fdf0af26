/**
 * Integer keys in the byte-keyed Store view: 4-byte little-endian u32, as the kernel's
 * array-like maps take them.
 *
 * @module
 */

import { allocBytes } from "./pool.ts";
import { StoreError } from "./store_error.ts";

/**
 * Encodes an integer key as 4 little-endian bytes.
 *
 * @param key An integer in 0..2^32-1.
 * @returns A new 4-byte array (from {@linkcode allocBytes}: cheap under Deno too).
 * @throws {StoreError} `EINVAL` when `key` is not a u32.
 *
 * @example
 * ```ts
 * import { u32Key } from "@kvkit/store";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(u32Key(258), new Uint8Array([2, 1, 0, 0]));
 * ```
 */
export function u32Key(key: number): Uint8Array {
  if (!Number.isInteger(key) || key < 0 || key > 0xffff_ffff) {
    throw new StoreError("EINVAL", `key ${key} is not a u32`);
  }
  const out = allocBytes(4);
  out[0] = key & 0xff;
  out[1] = (key >>> 8) & 0xff;
  out[2] = (key >>> 16) & 0xff;
  out[3] = key >>> 24;
  return out;
}

/**
 * Decodes a 4-byte little-endian key.
 *
 * @param key A 4-byte array.
 * @returns The u32 it holds.
 * @throws {StoreError} `EINVAL` when `key` is not 4 bytes long.
 *
 * @example
 * ```ts
 * import { readU32Key, u32Key } from "@kvkit/store";
 * import assert from "node:assert/strict";
 *
 * assert.equal(readU32Key(u32Key(1023)), 1023);
 * ```
 */
export function readU32Key(key: Uint8Array): number {
  if (key.length !== 4) throw new StoreError("EINVAL", `key length ${key.length} is not 4`);
  return (key[0]! | key[1]! << 8 | key[2]! << 16 | key[3]! << 24) >>> 0;
}
