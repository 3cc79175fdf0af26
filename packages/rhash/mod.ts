/**
 * `@kvkit/rhash`: a resizable hash map of fixed-size binary keys and values, modelled on the
 * kernel's `BPF_MAP_TYPE_RHASH` (built on rhashtable). `maxEntries` is a hard limit, not a
 * bucket count: the table starts small, grows ×2 above 3/4 load and shrinks below 3/10 load,
 * incrementally (each operation moves a bounded number of elements), and the element arena
 * holding keys and values grows and shrinks with it. Updates of existing keys are in place.
 *
 * @example Growing and shrinking back
 * ```ts
 * import { Rhash } from "@kvkit/rhash";
 * import assert from "node:assert/strict";
 *
 * const store = new Rhash({ keySize: 4, valueSize: 8, maxEntries: 100_000 });
 * const key = new Uint8Array(4);
 * const view = new DataView(key.buffer);
 * for (let i = 0; i < 50_000; i++) {
 *   view.setUint32(0, i, true);
 *   store.set(key, new Uint8Array(8));
 * }
 * const big = store.memoryUsage();
 * assert.ok(store.bucketCount >= 65_536);
 * for (let i = 0; i < 50_000; i++) {
 *   view.setUint32(0, i, true);
 *   store.delete(key);
 * }
 * assert.equal(store.size, 0);
 * assert.ok(store.memoryUsage() < big / 100);
 * store.checkValid();
 * ```
 *
 * @module
 */

import type { Backend } from "@kvkit/store";
import { rhashBackend, type RhashBackendOptions } from "./rhash_backend.ts";

export * from "./constants.ts";
export * from "./rhash.ts";
export * from "./rhash_backend.ts";
export * from "./shared_rhash.ts";

/**
 * The backend under the name plugin loaders look for: {@linkcode rhashBackend}.
 *
 * @example Opening a store through the alias
 * ```ts
 * import { backend } from "@kvkit/rhash";
 * import assert from "node:assert/strict";
 *
 * assert.equal(backend.create({ keySize: 4, valueSize: 4, maxEntries: 8 }).backend, "rhash");
 * ```
 */
export const backend: Backend<RhashBackendOptions> = rhashBackend;

// The contract types this package's API mentions, so its documentation is complete.
export type {
  Backend,
  Batch,
  BatchOptions,
  Capabilities,
  IterateOptions,
  SizeRange,
  Store,
  StoreBase,
} from "@kvkit/store";

// The shared map's base class and the types its signatures use.
export { SharedTable } from "@kvkit/internal";
export type { RecoverReport, SharedHandle, SharedTableInit, TableHash } from "@kvkit/internal";
