/**
 * The `map` backend of the catalog: {@linkcode MapStore} by name.
 *
 * @module
 */

import type { Backend, Store } from "@kvkit/store";
import { MapStore, type MapStoreOptions } from "./map_store.ts";

/**
 * The `map` backend of the catalog: a {@linkcode MapStore}, a plain `Map` with fixed key and
 * value sizes.
 *
 * @example Creating a store through the backend
 * ```ts
 * import { mapBackend } from "@kvkit/backends";
 * import { u32Key } from "@kvkit/store";
 * import assert from "node:assert/strict";
 *
 * const store = mapBackend.create({ keySize: 4, valueSize: 1 });
 * store.set(u32Key(1), new Uint8Array([5]));
 * assert.equal(store.backend, "map");
 * assert.throws(() => mapBackend.create({ keySise: 4 } as never), { code: "EINVAL" });
 * ```
 */
export const mapBackend: Backend<MapStoreOptions> = {
  name: "map",
  summary: "plain Map keyed by the latin1 string of the key bytes (the everyday baseline)",
  create: (options?: Partial<MapStoreOptions>): Store => new MapStore(options),
};
