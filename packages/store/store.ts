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
  /** Whether `set` and `getInto` accept `F_LOCK` (updates and reads under the value's lock). */
  readonly lock: boolean;
}

/** Options of {@linkcode Store.lookupBatch}. */
export interface BatchOptions {
  /** Remove the returned entries from the store (`BPF_MAP_LOOKUP_AND_DELETE_BATCH`). */
  readonly delete?: boolean;
}

/** Options of {@linkcode Store.entries}, {@linkcode Store.keys} and {@linkcode Store.values}. */
export interface IterateOptions {
  /**
   * Yield the same arrays at every step, overwritten in place (sorted-btree's `reusedArray`):
   * one `[key, value]` tuple, one value array, and one key array per key length, so a walk
   * allocates nothing per entry. What the caller keeps it must copy; an array yielded earlier
   * changes as the walk goes on. A store without a reusing walk ignores it and yields copies.
   */
  readonly reuse?: boolean;
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
 * A key-value store of byte keys and byte values. Returned bytes are always copies (carved
 * from a shared slab, see `allocBytes`); a call that throws a `StoreError` leaves the
 * store unchanged. The read path of hot loops is {@linkcode Store.getInto}, which copies into
 * the caller's buffer and allocates nothing.
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
  /**
   * Copies the value of `key` into `out` at `offset`, allocating nothing (the kernel's
   * `BPF_MAP_LOOKUP_ELEM`, which copies into the caller's buffer).
   *
   * @param key The key.
   * @param out Where the value goes.
   * @param offset Where in `out` it starts (default 0).
   * @param flags `0` (default), or `F_LOCK` for a read under the value's lock where
   * `capabilities.lock`.
   * @returns `true` with the value copied when present; `false`, `out` untouched, when absent.
   * @throws {StoreError} `EINVAL` for bad flags, a bad key, or no room in `out` (for a store of
   * one value length checked whether or not the key is present, else for the value found).
   */
  getInto(key: Uint8Array, out: Uint8Array, offset?: number, flags?: number): boolean;
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
  /**
   * Every entry, as copies (or reused arrays, with `{ reuse: true }`). The consumer may delete
   * any key during the walk; every key present throughout is yielded once.
   */
  entries(options?: IterateOptions): IterableIterator<[Uint8Array, Uint8Array]>;
  /** Every key, in the order of `entries()`. */
  keys(options?: IterateOptions): IterableIterator<Uint8Array>;
  /** Every value, in the order of `entries()`. */
  values(options?: IterateOptions): IterableIterator<Uint8Array>;
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
   * Releases what the store holds outside this realm's memory (a kernel map's fd, a shared
   * map's attachment); a no-op for the in-memory stores. Calls after `close` are the store's
   * to refuse. Also `[Symbol.dispose]`, so `using store = openStore(...)` closes it.
   */
  close(): void;
  /** Same as {@linkcode Store.close}. */
  [Symbol.dispose](): void;
  /**
   * Optional: the store's own memory layout drawn as annotated text (the explorer's `dump`).
   * Stores without it are shown as a generic entry table.
   */
  describe?(): string;
  /**
   * Optional: walks the whole structure and throws when an invariant does not hold (as
   * sorted-btree's `checkValid`). The conformance suite calls it after every operation.
   */
  checkValid?(): void;
  /**
   * Optional, for stores with prefix queries: the longest present key that is a prefix of
   * `key` (a copy), or `undefined` when none is.
   */
  longestPrefixOf?(key: Uint8Array): Uint8Array | undefined;
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
  /**
   * Opens a new, empty store. Options are checked as a whole (`checkOptions`): an
   * unknown name or a wrong type is `EINVAL`, sizes the machine cannot allocate `ENOMEM`.
   */
  create(options?: Partial<Options>): Store;
}

/** A backend of any options type, as catalogs, tools and the conformance suite hold them. */
// deno-lint-ignore no-explicit-any
export type AnyBackend = Backend<any>;

export type { ErrorCode };
