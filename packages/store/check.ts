/**
 * Argument checks shared by every store, in the kernel's order: flags, then key, then value.
 *
 * @module
 */

import { checkFlags, EXIST, F_LOCK, NOEXIST } from "./flags.ts";
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

/**
 * The presence rule of an update, after the argument checks and before the full check, as the
 * kernel's `check_flags`: `NOEXIST` on a present key is `EEXIST`, `EXIST` on an absent key is
 * `ENOENT`.
 *
 * @param mode The update mode returned by {@linkcode checkUpdate} or {@linkcode checkFlags}.
 * @param present Whether the key is present.
 * @throws {StoreError} `EEXIST` or `ENOENT`.
 *
 * @example
 * ```ts
 * import { ANY, checkPresence, EXIST, NOEXIST } from "@kvkit/store";
 * import assert from "node:assert/strict";
 *
 * checkPresence(ANY, true);
 * checkPresence(EXIST, true);
 * assert.throws(() => checkPresence(NOEXIST, true), { code: "EEXIST" });
 * assert.throws(() => checkPresence(EXIST, false), { code: "ENOENT" });
 * ```
 */
export function checkPresence(mode: number, present: boolean): void {
  if (present) {
    if (mode === NOEXIST) throw new StoreError("EEXIST", "key exists (NOEXIST)");
  } else if (mode === EXIST) {
    throw new StoreError("ENOENT", "key not found (EXIST)");
  }
}

/**
 * Checks that `out` has room for `length` bytes at `offset`.
 *
 * @param out The caller's output buffer.
 * @param offset Where in `out` the bytes would start.
 * @param length How many bytes would be written.
 * @throws {StoreError} `EINVAL` when `out` is not a `Uint8Array`, `offset` is not a
 * non-negative integer, or the bytes do not fit.
 *
 * @example
 * ```ts
 * import { checkRoom } from "@kvkit/store";
 * import assert from "node:assert/strict";
 *
 * checkRoom(new Uint8Array(8), 4, 4);
 * assert.throws(() => checkRoom(new Uint8Array(8), 5, 4), { code: "EINVAL" });
 * assert.throws(() => checkRoom(new Uint8Array(8), -1, 1), { code: "EINVAL" });
 * ```
 */
export function checkRoom(out: Uint8Array, offset: number, length: number): void {
  if (!(out instanceof Uint8Array)) {
    throw new StoreError("EINVAL", `output is not a Uint8Array (got ${typeof out})`);
  }
  if (!Number.isInteger(offset) || offset < 0 || offset + length > out.length) {
    throw new StoreError(
      "EINVAL",
      `output of length ${out.length} has no room for ${length} bytes at offset ${String(offset)}`,
    );
  }
}

/**
 * Checks all arguments of `getInto` in the kernel's order (`BPF_MAP_LOOKUP_ELEM`: flags, key,
 * then the value buffer). Flags are `0` or `F_LOCK` where the store has locked reads. For a
 * store of one value length, `out` must have room for it whether or not the key is present;
 * a store of several lengths checks the room of the value it finds ({@linkcode checkRoom}).
 *
 * @param caps The store's capabilities.
 * @param key The key.
 * @param out The caller's output buffer.
 * @param offset Where in `out` the value would start.
 * @param flags `0`, or `F_LOCK` for a locked read.
 * @throws {StoreError} `EINVAL` for bad flags, a bad key, or no room in `out`.
 *
 * @example
 * ```ts
 * import { checkLookup, F_LOCK, type Capabilities } from "@kvkit/store";
 * import assert from "node:assert/strict";
 *
 * const caps: Capabilities = {
 *   keySize: { min: 4, max: 4 }, valueSize: { min: 8, max: 8 }, maxEntries: 16,
 *   ordered: false, fullError: "E2BIG", valueTooBig: "EINVAL", lock: false,
 * };
 * checkLookup(caps, new Uint8Array(4), new Uint8Array(8), 0, 0);
 * assert.throws(() => checkLookup(caps, new Uint8Array(4), new Uint8Array(7), 0, 0), { code: "EINVAL" });
 * assert.throws(() => checkLookup(caps, new Uint8Array(4), new Uint8Array(8), 0, F_LOCK), { code: "EINVAL" });
 * ```
 */
export function checkLookup(
  caps: Capabilities,
  key: Uint8Array,
  out: Uint8Array,
  offset: number,
  flags: number,
): void {
  if (flags !== 0 && !(flags === F_LOCK && caps.lock)) {
    throw new StoreError(
      "EINVAL",
      `bad lookup flags ${String(flags)}${caps.lock ? "" : " (store has no F_LOCK)"}`,
    );
  }
  checkKey(caps, key);
  const { min, max } = caps.valueSize;
  checkRoom(out, offset, min === max && caps.valueSizes === undefined ? max : 0);
}

/**
 * Checks the `count` of a batch lookup: a positive integer, as the kernel's
 * `BPF_MAP_LOOKUP_BATCH` takes it.
 *
 * @param count The most entries the caller asked for.
 * @throws {StoreError} `EINVAL` when `count` is not a positive integer.
 *
 * @example Counts a batch accepts
 * ```ts
 * import { checkBatchCount } from "@kvkit/store";
 * import assert from "node:assert/strict";
 *
 * checkBatchCount(64);
 * assert.throws(() => checkBatchCount(0), { code: "EINVAL" });
 * assert.throws(() => checkBatchCount(1.5), { code: "EINVAL" });
 * ```
 */
export function checkBatchCount(count: number): void {
  if (!Number.isInteger(count) || count < 1) {
    throw new StoreError("EINVAL", `batch count ${String(count)} is not a positive integer`);
  }
}
