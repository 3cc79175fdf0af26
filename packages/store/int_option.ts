/**
 * Validation of a store's integer options.
 *
 * @module
 */

import { StoreError } from "./store_error.ts";

/**
 * Reads an integer option of `Backend.create`, rejecting anything but an integer in range.
 *
 * @param name The option's name, for the message.
 * @param value The option as given (`undefined` when not given).
 * @param fallback The default when not given.
 * @param min The smallest accepted value.
 * @param max The largest accepted value.
 * @returns `value`, or `fallback` when `value` is `undefined`.
 * @throws {StoreError} `EINVAL` naming the option, the value and the range.
 *
 * @example
 * ```ts
 * import { intOption } from "@kvkit/store";
 * import assert from "node:assert/strict";
 *
 * assert.equal(intOption("maxEntries", undefined, 1024, 1, 2 ** 24), 1024);
 * assert.equal(intOption("maxEntries", 8, 1024, 1, 2 ** 24), 8);
 * assert.throws(() => intOption("keySize", 0, 4, 1, 512), /keySize 0 is not an integer in 1..512/);
 * assert.throws(() => intOption("keySize", "8", 4, 1, 512), { code: "EINVAL" });
 * ```
 */
export function intOption(
  name: string,
  value: unknown,
  fallback: number,
  min: number,
  max: number,
): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw new StoreError("EINVAL", `${name} ${String(value)} is not an integer in ${min}..${max}`);
  }
  return value;
}
