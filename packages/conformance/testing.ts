/**
 * `@kvkit/conformance/testing`: the pieces of the suite that a store package's own tests reuse -
 * the reference {@linkcode Model}, {@linkcode observe} (a call's outcome as a value), hex
 * helpers, and the key pools the suite draws from.
 *
 * @example A package test against the model
 * ```ts
 * import { hex, Model, observe } from "@kvkit/conformance/testing";
 * import { openStore } from "@kvkit/backends";
 * import { NOEXIST, u32Key } from "@kvkit/store";
 * import assert from "node:assert/strict";
 *
 * const store = openStore("map", { keySize: 4, valueSize: 2, maxEntries: 4 });
 * const model = new Model(store.capabilities);
 * for (const flags of [0, NOEXIST]) {
 *   const key = u32Key(1), value = new Uint8Array([1, 2]);
 *   assert.deepEqual(observe(() => store.set(key, value, flags)), model.set(key, value, flags));
 * }
 * assert.equal(hex(store.nextKey()!), "01000000");
 * ```
 *
 * @module
 */

import assert from "node:assert/strict";
import { isStoreError, type Store } from "@kvkit/store";

export { hex, Model, observe, type Outcome, unhex } from "./_model.ts";
export { distinctKey, invalidKeys, keyPool, validValueLengths } from "./_arbitraries.ts";
export { serveWorker, spawnWorker, type WorkerClient, workerSkipReason } from "./workers.ts";

/** Whether `allocBytes` of `@kvkit/store` carves copies from a slab here (not under Bun). */
export const POOLED: boolean = !("Bun" in globalThis);

/**
 * Asserts that the copies `store` hands out - `get(key)`, `nextKey()`, `entries()`, `keys()`,
 * `values()`, and any `more` the caller collected from the store's own API - are regions of a
 * pooled slab, and still copies. Only meaningful where {@linkcode POOLED}.
 *
 * @param store A store holding `key`.
 * @param key A present key.
 * @param more Copies from the store's typed API.
 *
 * @example Checking a store's copies
 * ```ts
 * import { assertPooledCopies, POOLED } from "@kvkit/conformance/testing";
 * import { openStore } from "@kvkit/backends";
 * import { u32Key } from "@kvkit/store";
 *
 * const store = openStore("map", { keySize: 4, valueSize: 8 });
 * store.set(u32Key(1), new Uint8Array(8).fill(1));
 * if (POOLED) assertPooledCopies(store, u32Key(1));
 * ```
 */
export function assertPooledCopies(store: Store, key: Uint8Array, more: Uint8Array[] = []): void {
  const first = store.get(key);
  assert.ok(first !== undefined, "the key is present");
  const copies = [
    first,
    store.nextKey()!,
    ...[...store.entries()].flat(),
    ...store.keys(),
    ...store.values(),
    ...more,
  ];
  for (const c of copies) assert.ok(c.buffer.byteLength > c.length, "a pooled region");
  const before = first.slice();
  first.fill(first[0]! ^ 0xff);
  assert.deepEqual(store.get(key), before, "a pooled copy is still a copy");
}

/** What {@linkcode walkBatches} saw. */
export interface BatchWalk {
  /** Every key the batches returned, in order (copies). */
  readonly keys: Uint8Array[];
  /** `"done"` when a batch came back without a cursor; `"EAGAIN"` when the store said restart. */
  readonly end: "done" | "EAGAIN";
}

/**
 * Walks `store` with `lookupBatch` from `cursor`, calling `between` with each batch's keys
 * before continuing, until the walk ends or the store answers `EAGAIN`. Any other error
 * propagates; a walk of more than `maxCalls` batches fails.
 *
 * @param store The store.
 * @param options `count` per batch; `remove` for lookup-and-delete; where to start; what to do
 * between batches; the most calls.
 * @returns The keys and how the walk ended.
 *
 * @example A walk that deletes as it goes
 * ```ts
 * import { walkBatches } from "@kvkit/conformance/testing";
 * import { openStore } from "@kvkit/backends";
 * import { u32Key } from "@kvkit/store";
 * import assert from "node:assert/strict";
 *
 * const store = openStore("map", { keySize: 4, valueSize: 1 });
 * for (let k = 0; k < 5; k++) store.set(u32Key(k), new Uint8Array([k]));
 * const walk = walkBatches(store, { count: 2, remove: true });
 * assert.equal(walk.end, "done");
 * assert.equal(walk.keys.length, 5);
 * assert.equal(store.size, 0);
 * ```
 */
export function walkBatches(
  store: Store,
  options: {
    readonly count: number;
    readonly remove?: boolean;
    readonly cursor?: Uint8Array;
    readonly between?: (keys: Uint8Array[]) => void;
    readonly maxCalls?: number;
  },
): BatchWalk {
  const keys: Uint8Array[] = [];
  let cursor = options.cursor;
  for (let calls = 0; calls < (options.maxCalls ?? 10_000); calls++) {
    let batch;
    try {
      batch = store.lookupBatch(cursor, options.count, { delete: options.remove === true });
    } catch (err) {
      if (isStoreError(err, "EAGAIN")) return { keys, end: "EAGAIN" };
      throw err;
    }
    keys.push(...batch.keys);
    if (batch.cursor === undefined) return { keys, end: "done" };
    cursor = batch.cursor;
    options.between?.(batch.keys);
  }
  throw new Error("the batch walk does not end");
}
