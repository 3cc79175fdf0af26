/**
 * `@kvkit/backends`: the catalog of kvkit stores. Open any built-in store by name, list them,
 * or load a third-party store from a module that exports `backend`. It also holds the `map`
 * store ({@linkcode MapStore}), a plain `Map`: the everyday baseline.
 *
 * @example Opening a store from the catalog
 * ```ts
 * import { listBackends, openStore } from "@kvkit/backends";
 * import { u32Key } from "@kvkit/store";
 * import assert from "node:assert/strict";
 *
 * const store = openStore("map", { keySize: 4, valueSize: 8, maxEntries: 100 });
 * store.set(u32Key(7), new Uint8Array(8));
 * assert.ok(store.has(u32Key(7)));
 * assert.ok(listBackends().some((b) => b.name === "rhash"));
 * ```
 *
 * @module
 */

export * from "./catalog.ts";
export * from "./map_store.ts";
export * from "./map_store_backend.ts";
// The contract types this package's signatures use, so its documentation is complete.
export type {
  AnyBackend,
  Backend,
  Batch,
  BatchOptions,
  Capabilities,
  IterateOptions,
  SizeRange,
  Store,
  StoreBase,
} from "@kvkit/store";
