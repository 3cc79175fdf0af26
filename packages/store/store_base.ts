/**
 * The parts of a {@linkcode Store} that follow from the rest, for backends to extend.
 *
 * @module
 */

import { checkLookup, checkRoom } from "./check.ts";
import { lookupBatch } from "./lookup_batch.ts";
import type { Batch, BatchOptions, IterateOptions, Store } from "./store.ts";

/**
 * A base class for stores: `extends StoreBase implements Store`, then implement the rest of
 * {@linkcode Store}; `keys()`, `values()` and `[Symbol.iterator]()` follow from `entries()`,
 * `getInto` copies what `get` returns, `lookupBatch` is the generic batch built on `nextKey`,
 * and `close()` does nothing. Override any of them with a native version (a store's own
 * `getInto` should allocate nothing: it is the read path of hot loops).
 *
 * @example A store of one fixed key
 * ```ts
 * import { type Capabilities, checkKey, checkUpdate, type Store, StoreBase } from "@kvkit/store";
 * import assert from "node:assert/strict";
 *
 * class OneSlot extends StoreBase implements Store {
 *   readonly backend = "one-slot";
 *   readonly capabilities: Capabilities = {
 *     keySize: { min: 1, max: 1 }, valueSize: { min: 1, max: 1 }, maxEntries: 1,
 *     ordered: true, fullError: "ENOSPC", valueTooBig: "EINVAL", lock: false,
 *   };
 *   #entry: [number, number] | undefined;
 *   get size(): number { return this.#entry ? 1 : 0; }
 *   get(key: Uint8Array): Uint8Array | undefined {
 *     checkKey(this.capabilities, key);
 *     return this.#entry?.[0] === key[0] ? new Uint8Array([this.#entry![1]]) : undefined;
 *   }
 *   has(key: Uint8Array): boolean { return this.get(key) !== undefined; }
 *   set(key: Uint8Array, value: Uint8Array, flags = 0): void {
 *     checkUpdate(this.capabilities, key, value, flags);
 *     this.#entry = [key[0]!, value[0]!];
 *   }
 *   delete(key: Uint8Array): boolean {
 *     const had = this.has(key);
 *     if (had) this.#entry = undefined;
 *     return had;
 *   }
 *   clear(): void { this.#entry = undefined; }
 *   nextKey(key?: Uint8Array): Uint8Array | undefined {
 *     const k = this.#entry?.[0];
 *     return k !== undefined && (key === undefined || key[0]! < k) ? new Uint8Array([k]) : undefined;
 *   }
 *   *entries(): IterableIterator<[Uint8Array, Uint8Array]> {
 *     if (this.#entry) yield [new Uint8Array([this.#entry[0]]), new Uint8Array([this.#entry[1]])];
 *   }
 *   memoryUsage(): number { return 16; }
 * }
 *
 * const store = new OneSlot();
 * store.set(new Uint8Array([7]), new Uint8Array([1]));
 * assert.deepEqual([...store.keys()], [new Uint8Array([7])]);
 * assert.equal(store.lookupBatch(undefined, 4).keys.length, 1);
 * const out = new Uint8Array(1);
 * assert.equal(store.getInto(new Uint8Array([7]), out), true);
 * assert.deepEqual(out, new Uint8Array([1]));
 * ```
 */
export abstract class StoreBase {
  /**
   * Copies the value of `key` into `out` at `offset`: the default built on `get`, which
   * allocates the copy it then copies. Stores override it with a native version.
   *
   * @param key The key.
   * @param out Where the value goes.
   * @param offset Where in `out` it starts.
   * @param flags `0`, or `F_LOCK` where `capabilities.lock`.
   * @returns `true` when present and copied; `false`, `out` untouched, when absent.
   * @throws {StoreError} `EINVAL` for bad flags, a bad key, or no room in `out`.
   */
  getInto(this: Store, key: Uint8Array, out: Uint8Array, offset = 0, flags = 0): boolean {
    checkLookup(this.capabilities, key, out, offset, flags);
    const value = this.get(key);
    if (value === undefined) return false;
    checkRoom(out, offset, value.length);
    out.set(value, offset);
    return true;
  }

  /**
   * Every key, in the order of `entries()`.
   *
   * @param options `reuse: true` is passed on to `entries()`.
   * @returns An iterator of keys.
   */
  *keys(this: Store, options?: IterateOptions): IterableIterator<Uint8Array> {
    for (const [key] of this.entries(options)) yield key;
  }

  /**
   * Every value, in the order of `entries()`.
   *
   * @param options `reuse: true` is passed on to `entries()`.
   * @returns An iterator of values.
   */
  *values(this: Store, options?: IterateOptions): IterableIterator<Uint8Array> {
    for (const [, value] of this.entries(options)) yield value;
  }

  /**
   * Same as `entries()`.
   *
   * @returns An iterator of `[key, value]` copies.
   */
  [Symbol.iterator](this: Store): IterableIterator<[Uint8Array, Uint8Array]> {
    return this.entries();
  }

  /**
   * Up to `count` entries after `cursor`: the generic batch built on `nextKey`
   * ({@linkcode lookupBatch}).
   *
   * @param cursor `undefined` to start, else the previous batch's cursor.
   * @param count The most entries, at least 1.
   * @param options `delete: true` removes the returned entries.
   * @returns The entries and the cursor, `undefined` once the walk is complete.
   */
  lookupBatch(
    this: Store,
    cursor: Uint8Array | undefined,
    count: number,
    options?: BatchOptions,
  ): Batch {
    return lookupBatch(this, cursor, count, options);
  }

  /** Releases nothing: the default for stores that hold only memory. */
  close(): void {}

  /** Same as `close()`, so `using store = ...` closes the store at the end of its scope. */
  [Symbol.dispose](this: Store): void {
    this.close();
  }
}
