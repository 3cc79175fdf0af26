/**
 * `@kvkit/htab`: the fixed-bucket hash map of the kernel's `BPF_MAP_TYPE_HASH`, the baseline
 * the rhash and qp-trie proposals measure themselves against. `maxEntries` elements (plus one
 * spare) are preallocated in typed arrays; buckets are fixed for life; updates swap in a fresh
 * element so a reader never sees a key missing.
 *
 * @example A table of 1000 entries
 * ```ts
 * import { Htab } from "@kvkit/htab";
 * import { u32Key } from "@kvkit/store";
 * import assert from "node:assert/strict";
 *
 * const map = new Htab({ keySize: 4, valueSize: 4, maxEntries: 1000 });
 * map.set(u32Key(7), new Uint8Array([1, 2, 3, 4]));
 * const out = new Uint8Array(4);
 * assert.ok(map.getInto(u32Key(7), out));
 * assert.deepEqual(out, new Uint8Array([1, 2, 3, 4]));
 * assert.equal(map.bucketCount, 1024);
 * ```
 *
 * @module
 */

import type { Backend } from "@kvkit/store";
import { htabBackend, type HtabBackendOptions } from "./htab_backend.ts";

export * from "./htab.ts";
export * from "./htab_backend.ts";
export * from "./shared_htab.ts";

/**
 * The backend under the name plugin loaders look for: {@linkcode htabBackend}.
 *
 * @example Opening a store through the alias
 * ```ts
 * import { backend } from "@kvkit/htab";
 * import assert from "node:assert/strict";
 *
 * assert.equal(backend.create({ keySize: 4, valueSize: 4, maxEntries: 8 }).backend, "htab");
 * ```
 */
export const backend: Backend<HtabBackendOptions> = htabBackend;

// The contract types this package's signatures use, so its documentation is complete.
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
