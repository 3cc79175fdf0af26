/**
 * The `rhash` backend of the kvkit catalog.
 *
 * @module
 */

import type { Backend, Store } from "@kvkit/store";
import { Rhash, type RhashOptions } from "./rhash.ts";

/**
 * The `rhash` backend: opens {@linkcode Rhash}s by name from the catalog or as a plugin.
 *
 * @example Opening a store through the backend
 * ```ts
 * import { rhashBackend } from "@kvkit/rhash";
 * import assert from "node:assert/strict";
 *
 * const store = rhashBackend.create({ keySize: 8, valueSize: 8, maxEntries: 100 });
 * assert.equal(store.backend, "rhash");
 * assert.equal(store.capabilities.fullError, "E2BIG");
 * assert.throws(() => rhashBackend.create({ maxEntries: 10, nelemHint: 11 }), { code: "EINVAL" });
 * ```
 */
export const rhashBackend: Backend<RhashOptions> = {
  name: "rhash",
  summary: "resizable hash map (BPF_MAP_TYPE_RHASH): grows and shrinks with load, " +
    "maxEntries is a hard limit",
  create: (options?: Partial<RhashOptions>): Store => new Rhash(options),
};
