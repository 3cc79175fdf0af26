/**
 * Argument checks shared by every store, in the kernel's order: flags, then key, then value.
 *
 * @module
 */

import { checkFlags } from "./flags.ts";
import type { Capabilities } from "./store.ts";
import { StoreError } from "./store_error.ts";

/**
 * Checks a key against a store's capabilities: its length and, for integer keys, its range.
 *
 * @param caps The store's capabilities.
 * @param key The key given by the caller.
 * @throws {StoreError} `EINVAL` for a wrong length or an out-of-range integer key.
 *
 * @example
 * ```ts
 * import { checkKey, u32Key, type Capabilities } from "@kvkit/store";
 * import assert from "node:assert/strict";
 *
 * const caps: Capabilities = {
 *   keySize: { min: 4, max: 4 }, valueSize: { min: 8, max: 8 }, keyRange: { min: 0, max: 63 },
 *   maxEntries: 64, ordered: true, fullError: "ENOSPC", valueTooBig: "EINVAL", lock: false,
 * };
 * checkKey(caps, u32Key(63));
 * assert.throws(() => checkKey(caps, u32Key(64)), { code: "EINVAL" });
 * assert.throws(() => checkKey(caps, new Uint8Array(3)), { code: "EINVAL" });
 * ```
 */
export function checkKey(caps: Capabilities, key: Uint8Array): void {
  const { min, max } = caps.keySize;
  if (!(key instanceof Uint8Array)) {
    throw new StoreError("EINVAL", `key is not a Uint8Array (got ${typeof key})`);
  }
  if (key.length < min || key.length > max) {
    throw new StoreError(
      "EINVAL",
      `key length ${key.length} not in ${min === max ? min : `${min}..${max}`}`,
    );
  }
  const range = caps.keyRange;
  if (range !== undefined) {
    const k = (key[0]! | key[1]! << 8 | key[2]! << 16 | key[3]! << 24) >>> 0;
    if (k < range.min || k > range.max) {
      throw new StoreError("EINVAL", `key ${k} not in ${range.min}..${range.max}`);
    }
  }
}

/**
 * Checks a value length against a store's capabilities.
 *
 * @param caps The store's capabilities.
 * @param value The value given by the caller.
 * @throws {StoreError} `EINVAL` for a length the store does not take, or
 * `caps.valueTooBig` for one above the maximum.
 *
 * @example
 * ```ts
 * import { checkValue, type Capabilities } from "@kvkit/store";
 * import assert from "node:assert/strict";
 *
 * const caps: Capabilities = {
 *   keySize: { min: 4, max: 4 }, valueSize: { min: 1, max: 4096 }, maxEntries: 1024,
 *   ordered: true, fullError: "ENOSPC", valueTooBig: "E2BIG", lock: false,
 * };
 * checkValue(caps, new Uint8Array(4096));
 * assert.throws(() => checkValue(caps, new Uint8Array(4097)), { code: "E2BIG" });
 * assert.throws(() => checkValue(caps, new Uint8Array(0)), { code: "EINVAL" });
 * ```
 */
export function checkValue(caps: Capabilities, value: Uint8Array): void {
  const { min, max } = caps.valueSize;
  if (!(value instanceof Uint8Array)) {
    throw new StoreError("EINVAL", "value is not a Uint8Array");
  }
  const n = value.length;
  if (n > max) {
    throw new StoreError(caps.valueTooBig, `value length ${n} above the maximum ${max}`);
  }
  if (n < min || (caps.valueSizes !== undefined && !caps.valueSizes.includes(n))) {
    const sizes = caps.valueSizes?.join("/") ?? (min === max ? `${min}` : `${min}..${max}`);
    throw new StoreError("EINVAL", `value length ${n} not in ${sizes}`);
  }
}

/**
 * Checks all arguments of `set` in the kernel's order (flags, key, value).
 *
 * @param caps The store's capabilities.
 * @param key The key.
 * @param value The value.
 * @param flags The update flags.
 * @returns The update mode: `ANY`, `NOEXIST` or `EXIST`.
 * @throws {StoreError} `EINVAL` / `E2BIG` as {@linkcode checkFlags}, {@linkcode checkKey} and
 * {@linkcode checkValue} say.
 *
 * @example
 * ```ts
 * import { checkUpdate, NOEXIST, type Capabilities } from "@kvkit/store";
 * import assert from "node:assert/strict";
 *
 * const caps: Capabilities = {
 *   keySize: { min: 8, max: 8 }, valueSize: { min: 8, max: 8 }, maxEntries: 16,
 *   ordered: false, fullError: "E2BIG", valueTooBig: "EINVAL", lock: false,
 * };
 * assert.equal(checkUpdate(caps, new Uint8Array(8), new Uint8Array(8), NOEXIST), NOEXIST);
 * assert.throws(() => checkUpdate(caps, new Uint8Array(8), new Uint8Array(9), 0), { code: "EINVAL" });
 * ```
 */
export function checkUpdate(
  caps: Capabilities,
  key: Uint8Array,
  value: Uint8Array,
  flags: number,
): number {
  const mode = checkFlags(flags, caps.lock);
  checkKey(caps, key);
  checkValue(caps, value);
  return mode;
}
