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
 * assert.equal(new DataView(bytesIn.get(conn)!.buffer).getFloat64(0, true), 1500);
 * table.destroyOwner(conn); // frees its values in every map
 * assert.equal(bytesIn.size, 0);
 * ```
 *
 * @module
 */

export * from "./constants.ts";
export * from "./owner_table.ts";
export * from "./sk_storage_map.ts";
export * from "./sk_storage_store.ts";
export { skStorageBackend as backend } from "./sk_storage_store.ts";
