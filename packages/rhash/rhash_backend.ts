/**
 * The `rhash` backend of the kvkit catalog.
 *
 * @module
 */

import type { Backend, Store } from "@kvkit/store";
import { type SharedHandle, sharedRoute } from "@kvkit/internal";
import { Rhash, type RhashOptions } from "./rhash.ts";
import { SharedRhash, type SharedRhashOptions } from "./shared_rhash.ts";

/**
 * Options of the `rhash` backend: a {@linkcode Rhash}'s; with `shared: true` a
 * {@linkcode SharedRhash}'s (adds `lockTimeoutMs`); or `attach` alone, a handle from a shared
 * map's `share()`, to attach to it.
 */
export type RhashBackendOptions = RhashOptions & SharedRhashOptions & {
  /** Keep the map in SharedArrayBuffers, for Workers ({@linkcode SharedRhash}). */
  shared: boolean;
  /** Attach to the shared map this handle (from `share()`) stands for. */
  attach: SharedHandle;
};

function create(options?: Partial<RhashBackendOptions>): Store {
  const route = sharedRoute("rhash", options);
  if (route.to === "attach") return SharedRhash.attach(route.handle);
  if (route.to === "shared") return new SharedRhash(route.options);
  return new Rhash(route.options as Partial<RhashOptions>);
}

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
export const rhashBackend: Backend<RhashBackendOptions> = {
  name: "rhash",
  summary: "resizable hash map (BPF_MAP_TYPE_RHASH): grows and shrinks with load, " +
    "maxEntries is a hard limit",
  create,
};
