/**
 * Validation of a backend's options object as a whole.
 *
 * @module
 */

import { StoreError } from "./store_error.ts";

// The smallest number of single-character edits turning `a` into `b` (for "did you mean").
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(
        prev[j]! + 1,
        row[j - 1]! + 1,
        prev[j - 1]! + (a[i - 1]!.toLowerCase() === b[j - 1]!.toLowerCase() ? 0 : 1),
      );
    }
    prev = row;
  }
  return prev[b.length]!;
}

/**
 * Checks the options given to `Backend.create` (or a store's constructor) before any of them
 * is read: they must be `undefined` or a plain object (no prototype but `Object.prototype`)
 * whose every own name is one the backend knows. A misspelt option would otherwise silently
 * mean its default.
 *
 * @param backend The backend's name, for the message.
 * @param options The options as given.
 * @param known Every option name the backend reads.
 * @returns The options, `{}` for `undefined`.
 * @throws {StoreError} `EINVAL` when `options` is not an object, or naming the first unknown
 * option with the closest known name and the list of known ones.
 *
 * @example
 * ```ts
 * import { checkOptions } from "@kvkit/store";
 * import assert from "node:assert/strict";
 *
 * const known = ["keySize", "valueSize", "maxEntries"] as const;
 * assert.deepEqual(checkOptions("htab", { maxEntries: 4 }, known), { maxEntries: 4 });
 * assert.throws(
 *   () => checkOptions("htab", { maxEntrie: 4 }, known),
 *   /htab: unknown option 'maxEntrie' \(did you mean 'maxEntries'\?\); known: keySize, valueSize, maxEntries/,
 * );
 * assert.throws(() => checkOptions("htab", null, known), { code: "EINVAL" });
 * ```
 */
export function checkOptions<T extends object>(
  backend: string,
  options: T | null | undefined,
  known: readonly string[],
): Partial<T> {
  if (options === undefined) return {};
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw new StoreError(
      "EINVAL",
      `${backend}: options must be an object (got ${options === null ? "null" : typeof options})`,
    );
  }
  // A plain object only: stores read options as properties, inherited ones too, so an object
  // with a prototype (a Map, a Date, `Object.create({ maxEntrie: 4 })`) could smuggle in names
  // this check never sees.
  const proto = Object.getPrototypeOf(options);
  if (proto !== Object.prototype && proto !== null) {
    throw new StoreError("EINVAL", `${backend}: options must be a plain object`);
  }
  for (const name of Reflect.ownKeys(options)) {
    if (typeof name === "string" && known.includes(name)) continue;
    const shown = String(name);
    let hint = "";
    if (typeof name === "string") {
      let best = 3;
      for (const k of known) {
        const d = editDistance(name, k);
        if (d < best) [best, hint] = [d, ` (did you mean '${k}'?)`];
      }
    }
    throw new StoreError(
      "EINVAL",
      `${backend}: unknown option '${shown}'${hint}; known: ${known.join(", ")}`,
    );
  }
  return options;
}
