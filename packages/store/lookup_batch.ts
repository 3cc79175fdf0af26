/**
 * The generic batch lookup, built on `nextKey` like the kernel's `generic_map_lookup_batch`.
 *
 * @module
 */

import type { Batch, BatchOptions, Store } from "./store.ts";
import { checkBatchCount } from "./check.ts";
import { copyBytes } from "./pool.ts";

/**
 * Returns up to `count` entries of `store` after `cursor`, for stores without a native batch.
 * The cursor is the last key returned; the next call continues at `store.nextKey(cursor)`, and
 * the walk is complete when a batch comes back with an `undefined` cursor. With `delete`, the
 * returned entries are removed; a hash map restarts from its first key after a removed one,
 * which is then exactly the rest of the walk.
 *
 * @param store The store to read.
 * @param cursor `undefined` to start, else the `cursor` of the previous batch.
 * @param count The most entries to return; at least 1.
 * @param options `delete: true` removes the returned entries.
 * @returns The entries and the cursor, `undefined` once the walk is complete.
 * @throws {StoreError} `EINVAL` when `count` is not a positive integer.
 *
 * @example Walking a store in batches of two
 * ```ts
 * import { lookupBatch, u32Key } from "@kvkit/store";
 * import { openStore } from "@kvkit/backends";
 * import assert from "node:assert/strict";
 *
 * const store = openStore("map", { keySize: 4, valueSize: 1 });
 * for (let i = 0; i < 5; i++) store.set(u32Key(i), new Uint8Array([i]));
 * let cursor: Uint8Array | undefined;
 * let seen = 0;
 * do {
 *   const batch = lookupBatch(store, cursor, 2);
 *   seen += batch.keys.length;
 *   cursor = batch.cursor;
 * } while (cursor !== undefined);
 * assert.equal(seen, 5);
 * ```
 */
export function lookupBatch(
  store: Store,
  cursor: Uint8Array | undefined,
  count: number,
  options?: BatchOptions,
): Batch {
  checkBatchCount(count);
  const remove = options?.delete === true;
  const keys: Uint8Array[] = [];
  const values: Uint8Array[] = [];
  // No look-ahead past the last returned key: a store that makes walking by nextKey cheap for
  // the key it returned last keeps that advantage across batches. The end shows as a batch
  // that finds no next key, possibly an empty one.
  let key = store.nextKey(cursor);
  while (key !== undefined) {
    const value = store.get(key);
    if (value !== undefined) {
      keys.push(key);
      values.push(value);
      // A removed key continues at its successor (ordered stores) or at the first key (hash
      // maps), which after removing everything returned so far is the rest of the walk.
      if (remove) store.delete(key);
    }
    // The cursor is a copy of its own: a caller who scrubs or reuses the keys it was given
    // must not move the walk.
    if (keys.length === count) return { keys, values, cursor: copyBytes(key) };
    key = store.nextKey(key);
  }
  return { keys, values, cursor: undefined };
}

/**
 * Iterates the entries of a store through `nextKey` and `get`. The next key is found before an
 * entry is yielded, so the consumer may delete the yielded key.
 *
 * @param store The store to walk.
 * @returns An iterator of `[key, value]` copies.
 *
 * @example
 * ```ts
 * import { entriesByNextKey, u32Key } from "@kvkit/store";
 * import { openStore } from "@kvkit/backends";
 * import assert from "node:assert/strict";
 *
 * const store = openStore("map", { keySize: 4, valueSize: 1 });
 * store.set(u32Key(1), new Uint8Array([9]));
 * assert.deepEqual([...entriesByNextKey(store)], [[u32Key(1), new Uint8Array([9])]]);
 * ```
 */
export function* entriesByNextKey(store: Store): IterableIterator<[Uint8Array, Uint8Array]> {
  let key = store.nextKey();
  while (key !== undefined) {
    const value = store.get(key);
    const next = store.nextKey(key);
    if (value !== undefined) yield [key, value];
    key = next;
  }
}
