/**
 * The contract every kvkit store implements, so one conformance suite, one benchmark harness
 * and one explorer work on any of them, built-in or plugin.
 *
 * @module
 */

import type { ErrorCode } from "./store_error.ts";

/** An inclusive range of byte lengths. */
export interface SizeRange {
  /** The smallest accepted length in bytes. */
  readonly min: number;
  /** The largest accepted length in bytes. */
  readonly max: number;
}

/** What keys, values, limits and ordering a store instance accepts. */
export interface Capabilities {
  /** Accepted key lengths; any other length is `EINVAL`. */
  readonly keySize: SizeRange;
  /** Accepted value lengths; shorter is `EINVAL`, longer is {@linkcode Capabilities.valueTooBig}. */
  readonly valueSize: SizeRange;
  /** When set, only these value lengths (within `valueSize`) are accepted; others are `EINVAL`. */
  readonly valueSizes?: readonly number[];
  /** For integer-keyed stores: keys are 4-byte little-endian u32 in this inclusive range. */
  readonly keyRange?: { readonly min: number; readonly max: number };
  /** The most entries the store can hold (`max_entries`). */
  readonly maxEntries: number;
  /** Whether `nextKey` and iteration yield ascending byte order (integer keys ascending). */
  readonly ordered: boolean;
  /** The error a new key gets when the store is full: `E2BIG` (hash maps) or `ENOSPC`. */
  readonly fullError: "E2BIG" | "ENOSPC";
  /** The error for a value longer than `valueSize.max`. */
  readonly valueTooBig: "E2BIG" | "EINVAL";
  /** Whether `set` accepts `F_LOCK`. */
  readonly lock: boolean;
}

/** Options of {@linkcode Store.lookupBatch}. */
export interface BatchOptions {
  /** Remove the returned entries from the store (`BPF_MAP_LOOKUP_AND_DELETE_BATCH`). */
  readonly delete?: boolean;
}

/** One batch of entries and the cursor to continue from. */
export interface Batch {
  /** The keys, copies. */
  readonly keys: Uint8Array[];
  /** The values, copies, in the order of `keys`. */
  readonly values: Uint8Array[];
  /** Pass to the next call to continue; `undefined` when the walk is complete. */
  readonly cursor: Uint8Array | undefined;
}

/**
 * A key-value store of byte keys and byte values. Returned bytes are always copies; a call
 * that throws a `StoreError` leaves the store unchanged.
 *
 * @example
 * ```ts
 * import { type Store, u32Key } from "@kvkit/store";
 * import { openStore } from "@kvkit/backends";
 * import assert from "node:assert/strict";
 *
 * const store: Store = openStore("map", { keySize: 4, valueSize: 2, maxEntries: 2 });
 * store.set(u32Key(1), new Uint8Array([1, 1]));
 * store.set(u32Key(2), new Uint8Array([2, 2]));
 * assert.throws(() => store.set(u32Key(3), new Uint8Array(2)), { code: store.capabilities.fullError });
 * assert.deepEqual([...store.keys()].length, 2);
 * ```
 */
export interface Store {
  /** The catalog name of the backend that made this store. */
  readonly backend: string;
  /** What this instance accepts. */
  readonly capabilities: Capabilities;
  /** The number of entries. */
  readonly size: number;
  /** A copy of the value of `key`, or `undefined` when absent. */
  get(key: Uint8Array): Uint8Array | undefined;
  /** Whether `key` is present. */
  has(key: Uint8Array): boolean;
  /** Creates or updates `key` according to `flags` (`ANY`, `NOEXIST`, `EXIST`, `F_LOCK`). */
  set(key: Uint8Array, value: Uint8Array, flags?: number): void;
  /** Removes `key`; `false` when it was absent. */
  delete(key: Uint8Array): boolean;
  /** Removes every entry. */
  clear(): void;
  /**
   * The key after `key` (BPF `get_next_key`): the first key for `undefined`; for a key that is
   * not present, the first key (hash maps) or the successor (ordered stores); `undefined` after
   * the last.
   */
  nextKey(key?: Uint8Array): Uint8Array | undefined;
  /** Every entry, as copies. */
  entries(): IterableIterator<[Uint8Array, Uint8Array]>;
  /** Every key, as copies. */
  keys(): IterableIterator<Uint8Array>;
  /** Every value, as copies. */
  values(): IterableIterator<Uint8Array>;
  /** Same as {@linkcode Store.entries}. */
  [Symbol.iterator](): IterableIterator<[Uint8Array, Uint8Array]>;
  /**
   * Up to `count` entries after `cursor` (from the start when `undefined`). A native batch that
   * moves whole units (a hash bucket) throws `ENOSPC` when the next unit holds more than `count`
   * entries and nothing was copied yet - retry with a larger count, as with the kernel's batch
   * ops. A store whose cursor entry was deleted in between may throw `EAGAIN`: restart the walk.
   */
  lookupBatch(cursor: Uint8Array | undefined, count: number, options?: BatchOptions): Batch;
  /** The bytes of the buffers this store holds, slack included. */
  memoryUsage(): number;
  /**
   * Optional: the store's own memory layout drawn as annotated text (the explorer's `dump`).
   * Stores without it are shown as a generic entry table.
   */
  describe?(): string;
}

/**
 * A named factory of stores, the unit the catalog and plugins deal in. A plugin is a module
 * that exports one as `backend`.
 *
 * @example A backend that opens the catalog's `map` under its own name
 * ```ts
 * import type { Backend, Store } from "@kvkit/store";
 * import { openStore } from "@kvkit/backends";
 * import assert from "node:assert/strict";
 *
 * export const backend: Backend<{ valueSize: number }> = {
 *   name: "tiny",
 *   summary: "fixed 4-byte keys, values of valueSize bytes",
 *   create: (options): Store => openStore("map", { keySize: 4, valueSize: options?.valueSize ?? 8 }),
 * };
 * assert.equal(backend.create({ valueSize: 2 }).capabilities.valueSize.max, 2);
 * ```
 */
export interface Backend<Options = Record<string, unknown>> {
  /** The catalog name, e.g. `"rhash"`. */
  readonly name: string;
  /** One line saying what the store is. */
  readonly summary: string;
  /** Opens a new, empty store. Bad options are `EINVAL`. */
  create(options?: Partial<Options>): Store;
}

export type { ErrorCode };
