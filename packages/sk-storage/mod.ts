/**
 * `@kvkit/sk-storage`: per-owner local storage (per socket, per connection, per session)
 * modelled on the kernel's BPF socket-local storage and the inline-storage proposal. An
 * {@linkcode OwnerTable} keeps owners as struct-of-arrays with a fixed inline area each;
 * each {@linkcode SkStorageMap} takes the same offset in every owner's inline area while
 * there is room, else the fallback path (per-owner storage record, 16-slot cache, list).
 * Maps reattach on reload by name and shape, may intern their values, and are accounted
 * inline vs fallback with an optional per-owner limit. {@linkcode SkStorageStore} is the
 * `sk-storage` backend of the catalog.
 *
 * @example Per-connection state
 * ```ts
 * import { F_CREATE, OwnerTable, SkStorageMap } from "@kvkit/sk-storage";
 * import assert from "node:assert/strict";
 *
 * const table = new OwnerTable({ owners: 1024, inlineBytes: 16 });
 * const bytesIn = new SkStorageMap(table, { name: "bytes_in", valueSize: 8 });
 * const conn = table.createOwner();
 * const v = bytesIn.view(conn, F_CREATE)!;
 * new DataView(v.buffer, v.byteOffset, 8).setFloat64(0, 1500, true);
 * // A copy from get() may be a region of a pooled buffer: read it through its byteOffset.
 * const copy = bytesIn.get(conn)!;
 * assert.equal(new DataView(copy.buffer, copy.byteOffset, 8).getFloat64(0, true), 1500);
 * // Or read into a buffer you own, with no copy made.
 * const out = new Float64Array(1);
 * assert.equal(bytesIn.getInto(conn, new Uint8Array(out.buffer)), true);
 * assert.equal(out[0], 1500);
 * table.destroyOwner(conn); // frees its values in every map
 * assert.equal(bytesIn.size, 0);
 * ```
 *
 * @module
 */

import type { Backend } from "@kvkit/store";
import { skStorageBackend, type SkStorageStoreOptions } from "./sk_storage_backend.ts";

export * from "./constants.ts";
export * from "./owner_table.ts";
export * from "./sk_storage_map.ts";
export * from "./sk_storage_backend.ts";
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

/**
 * The package's backend under the name every plugin exports, so
 * `loadBackend("@kvkit/sk-storage")` and the tools open it from this module's specifier; the
 * same object as {@linkcode skStorageBackend}.
 *
 * @example Opening a store through the package's backend
 * ```ts
 * import { backend } from "@kvkit/sk-storage";
 * import { u32Key } from "@kvkit/store";
 * import assert from "node:assert/strict";
 *
 * const store = backend.create({ owners: 4, valueSize: 2 });
 * store.set(u32Key(3), new Uint8Array([1, 2]));
 * assert.equal(backend.name, "sk-storage");
 * assert.deepEqual(store.get(u32Key(3)), new Uint8Array([1, 2]));
 * ```
 */
export const backend: Backend<SkStorageStoreOptions> = skStorageBackend;
