/**
 * The `htab` backend of the kvkit catalog.
 *
 * @module
 */

import type { Backend, Store } from "@kvkit/store";
import { type SharedHandle, sharedRoute } from "@kvkit/internal";
import { Htab, type HtabOptions } from "./htab.ts";
import { SharedHtab, type SharedHtabOptions } from "./shared_htab.ts";

/**
 * Options of the `htab` backend: a {@linkcode Htab}'s; with `shared: true` a
 * {@linkcode SharedHtab}'s (adds `lockTimeoutMs`); or `attach` alone, a handle from a shared
 * map's `share()`, to attach to it.
 */
export type HtabBackendOptions = HtabOptions & SharedHtabOptions & {
  /** Keep the map in SharedArrayBuffers, for Workers ({@linkcode SharedHtab}). */
  shared: boolean;
  /** Attach to the shared map this handle (from `share()`) stands for. */
  attach: SharedHandle;
};

function create(options?: Partial<HtabBackendOptions>): Store {
  const route = sharedRoute("htab", options);
  if (route.to === "attach") return SharedHtab.attach(route.handle);
  if (route.to === "shared") return new SharedHtab(route.options);
  return new Htab(route.options as Partial<HtabOptions>);
}

/**
 * The `htab` backend: opens an {@linkcode Htab}, the fixed-bucket preallocated hash map of
 * `BPF_MAP_TYPE_HASH`.
 *
 * @example Opening a table through the backend
 * ```ts
 * import { htabBackend } from "@kvkit/htab";
 * import { u32Key } from "@kvkit/store";
 * import assert from "node:assert/strict";
 *
 * const store = htabBackend.create({ keySize: 4, valueSize: 4, maxEntries: 16 });
 * store.set(u32Key(3), new Uint8Array([1, 2, 3, 4]));
 * assert.equal(store.size, 1);
 * assert.equal(store.capabilities.fullError, "E2BIG");
 * ```
 */
export const htabBackend: Backend<HtabBackendOptions> = {
  name: "htab",
  summary: "fixed-bucket preallocated hash map (BPF_MAP_TYPE_HASH), the kernel baseline",
  create,
};
