/**
 * `@kvkit/store`: the contract every kvkit store implements - the {@linkcode Store} and
 * {@linkcode Backend} interfaces, the BPF update flags, {@linkcode StoreError} with the
 * kernel's errno, u32 key helpers, the byte order of ordered stores and the generic batch
 * lookup built on `nextKey`.
 *
 * @example Validating a write the way every store does
 * ```ts
 * import { checkUpdate, NOEXIST, StoreError, u32Key, type Capabilities } from "@kvkit/store";
 * import assert from "node:assert/strict";
 *
 * const caps: Capabilities = {
 *   keySize: { min: 4, max: 4 }, valueSize: { min: 2, max: 8 }, valueSizes: [2, 4, 8],
 *   keyRange: { min: 0, max: 63 }, maxEntries: 64, ordered: true, fullError: "ENOSPC",
 *   valueTooBig: "EINVAL", lock: false,
 * };
 * assert.equal(checkUpdate(caps, u32Key(5), new Uint8Array(4), NOEXIST), NOEXIST);
 * assert.throws(() => checkUpdate(caps, u32Key(5), new Uint8Array(3), 0), StoreError);
 * ```
 *
 * @module
 */

export * from "./store.ts";
export * from "./store_error.ts";
export * from "./flags.ts";
export * from "./check.ts";
export * from "./u32_key.ts";
export * from "./compare_bytes.ts";
export * from "./lookup_batch.ts";
export * from "./store_base.ts";
export * from "./int_option.ts";
export * from "./options.ts";
export * from "./pool.ts";
