/**
 * Update flags for `Store.set`, numbered as the kernel's `BPF_ANY`, `BPF_NOEXIST`,
 * `BPF_EXIST` and `BPF_F_LOCK`.
 *
 * @module
 */

import { StoreError } from "./store_error.ts";

/**
 * Create a new entry or update an existing one (`BPF_ANY`).
 *
 * @example
 * ```ts
 * import { ANY, EXIST, NOEXIST, u32Key } from "@kvkit/store";
 * import { openStore } from "@kvkit/backends";
 * import assert from "node:assert/strict";
 *
 * const store = openStore("map", { keySize: 4, valueSize: 1 });
 * store.set(u32Key(1), new Uint8Array([1]), NOEXIST); // create only
 * store.set(u32Key(1), new Uint8Array([2]), EXIST); // update only
 * store.set(u32Key(2), new Uint8Array([3]), ANY); // either
 * assert.throws(() => store.set(u32Key(3), new Uint8Array([4]), EXIST), { code: "ENOENT" });
 * ```
 */
export const ANY = 0;
/** Create a new entry only; a present key is `EEXIST` (`BPF_NOEXIST`). */
export const NOEXIST = 1;
/** Update an existing entry only; an absent key is `ENOENT` (`BPF_EXIST`). */
export const EXIST = 2;
/** Update under the value's lock; `EINVAL` on stores without locked updates (`BPF_F_LOCK`). */
export const F_LOCK = 4;

/**
 * Validates update flags as the kernel does: unknown bits, `NOEXIST|EXIST` together, and
 * `F_LOCK` on a store without locked updates are `EINVAL`.
 *
 * @param flags The flags passed to `set`.
 * @param lock Whether the store supports `F_LOCK`.
 * @returns The update mode: {@linkcode ANY}, {@linkcode NOEXIST} or {@linkcode EXIST}.
 * @throws {StoreError} `EINVAL` for bad flags.
 *
 * @example
 * ```ts
 * import { checkFlags, EXIST, F_LOCK, NOEXIST } from "@kvkit/store";
 * import assert from "node:assert/strict";
 *
 * assert.equal(checkFlags(NOEXIST, false), NOEXIST);
 * assert.equal(checkFlags(EXIST | F_LOCK, true), EXIST);
 * assert.throws(() => checkFlags(F_LOCK, false), { code: "EINVAL" });
 * assert.throws(() => checkFlags(8, true), { code: "EINVAL" });
 * ```
 */
export function checkFlags(flags: number, lock: boolean): number {
  if (
    !Number.isInteger(flags) || flags < 0 || flags > 7 || (flags & 3) === 3 ||
    ((flags & F_LOCK) !== 0 && !lock)
  ) {
    throw new StoreError(
      "EINVAL",
      `bad update flags ${String(flags)}${lock ? "" : " (store has no F_LOCK)"}`,
    );
  }
  return flags & 3;
}
