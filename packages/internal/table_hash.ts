/**
 * The `hash` option htab and rhash share: which hash spreads keys over the buckets.
 *
 * @module
 */

import { StoreError } from "@kvkit/store";

/**
 * The key hash of a hash table: `"auto"` (MurmurHash3 until a flood, then HalfSipHash-1-3),
 * `"halfsiphash"` (keyed from the start) or `"murmur3"` (for life). Each table documents what
 * the choice means for it (`HtabHash`, `RhashHash`).
 */
export type TableHash = "auto" | "halfsiphash" | "murmur3";

/** The values of {@linkcode TableHash}. */
export const TABLE_HASHES: readonly TableHash[] = ["auto", "halfsiphash", "murmur3"];

/**
 * Reads the `hash` option: `undefined` is `"auto"`. A table that offers more than
 * {@linkcode TABLE_HASHES} (htab's `"jhash"`, the kernel's own hash) passes its own list.
 *
 * @param value What the caller passed.
 * @param choices The names this table accepts (default {@linkcode TABLE_HASHES}); must hold
 * `"auto"`, the default.
 * @returns The hash.
 * @throws {StoreError} `EINVAL` for anything but one of `choices`.
 *
 * @example The default, a choice, a table's own choice, and a mistake
 * ```ts
 * import { hashOption, TABLE_HASHES } from "@kvkit/internal";
 * import assert from "node:assert/strict";
 *
 * assert.equal(hashOption(undefined), "auto");
 * assert.equal(hashOption("murmur3"), "murmur3");
 * assert.throws(() => hashOption("jhash"), { code: "EINVAL" });
 * assert.equal(hashOption("jhash", [...TABLE_HASHES, "jhash"]), "jhash");
 * assert.throws(() => hashOption("sha256"), { code: "EINVAL" });
 * ```
 */
export function hashOption<T extends string = TableHash>(
  value: unknown,
  // TABLE_HASHES is the default list; T is then TableHash.
  choices: readonly T[] = TABLE_HASHES as readonly string[] as readonly T[],
): T {
  if (value === undefined) return "auto" as T;
  if (typeof value !== "string" || !choices.includes(value as T)) {
    throw new StoreError("EINVAL", `hash ${String(value)} is not one of ${choices.join(", ")}`);
  }
  return value as T;
}
