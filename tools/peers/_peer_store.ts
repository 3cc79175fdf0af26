/**
 * The Store contract over a JS collection, so every harness workload runs on the libraries a
 * JS user would pick instead of kvkit. Keys and values are `Uint8Array` copies held by the
 * collection; checks and errors are the contract's (fixed key and value sizes, `E2BIG` when
 * full).
 *
 * @module
 */

import { MapStore, type MapStoreOptions } from "@kvkit/backends";
import {
  type Capabilities,
  checkKey,
  checkLookup,
  checkOptions,
  checkPresence,
  checkUpdate,
  compareBytes,
  copyBytes,
  type IterateOptions,
  type Store,
  StoreBase,
  StoreError,
} from "@kvkit/store";

/** The option names every peer reads: the catalog `map`'s. */
export const PEER_OPTION_NAMES: readonly string[] = ["keySize", "valueSize", "maxEntries"];

/**
 * Options every peer takes: exactly the catalog `map`'s (key and value sizes, the entry
 * limit), so a peer and `map` run every harness group on the same data.
 */
export type PeerOptions = MapStoreOptions;

/**
 * The collection operations a peer supplies: the `Map` interface, so a library's map or tree
 * that has it (sorted-btree's `BTree`, thi.ng's `HashMap`) is passed as it is.
 */
export interface PeerCollection {
  /** The number of entries. */
  readonly size: number;
  /** The stored value (not a copy) or `undefined`. */
  get(key: Uint8Array): Uint8Array | undefined;
  /** Whether the key is present. */
  has(key: Uint8Array): boolean;
  /** Stores the given arrays as they are (the Store copies first). */
  set(key: Uint8Array, value: Uint8Array): void;
  /** Removes a key; `false` when absent. */
  delete(key: Uint8Array): boolean;
  /** Removes everything. */
  clear(): void;
  /** The entries in the collection's own order, as stored. */
  entries(): IterableIterator<[Uint8Array, Uint8Array]>;
}

/**
 * An ordered collection's successor query: the smallest key greater than `key`, or the first
 * key for `undefined`; `undefined` past the last.
 */
export type PeerAfter = (key: Uint8Array | undefined) => Uint8Array | undefined;

/**
 * A Store over a {@linkcode PeerCollection}. Reads go the contract's way, as fast as the
 * library allows, so the harness compares like with like: `getInto` copies the stored value
 * into the caller's buffer (no allocation), copies handed out come from the contract's pool
 * (`copyBytes`), and `entries({ reuse: true })` overwrites one tuple in place.
 *
 * | operation | cost |
 * | --- | --- |
 * | get / getInto / set / delete | the collection's (O(1) hash, O(log n) tree) plus a key or value copy |
 * | nextKey | ordered: the collection's successor query; unordered: O(1) along a walk |
 */
export class PeerStore extends StoreBase implements Store {
  readonly backend: string;
  readonly capabilities: Capabilities;
  readonly #coll: PeerCollection;
  readonly #after: PeerAfter | undefined;
  readonly #entryOverhead: number;
  #walkKey: Uint8Array | undefined;
  #walk: Iterator<[Uint8Array, Uint8Array]> | undefined;

  /**
   * @param backend The peer's catalog-style name.
   * @param coll The collection.
   * @param options Key and value sizes and the entry limit; another name is `EINVAL`.
   * @param entryOverhead Estimated bytes per entry beyond key and value bytes, for
   * `memoryUsage()` (the harness measures the heap itself).
   * @param after The successor query of an ordered collection; absent for an unordered one.
   * @throws {StoreError} `EINVAL` for options that are not an object, an unknown option name
   * (named with this peer's name) or a size out of range (the `map`'s ranges).
   */
  constructor(
    backend: string,
    coll: PeerCollection,
    options: Partial<PeerOptions> | undefined,
    entryOverhead: number,
    after?: PeerAfter,
  ) {
    super();
    checkOptions(backend, options, PEER_OPTION_NAMES);
    this.backend = backend;
    this.#coll = coll;
    this.#after = after;
    this.#entryOverhead = entryOverhead;
    // The same options mean the same sizes, limit and errors as the catalog's `map`: read
    // them the map's way (a MapStore is a Map and a few fields), ordered where the peer is.
    this.capabilities = { ...new MapStore(options).capabilities, ordered: after !== undefined };
  }

  /** The number of entries. */
  get size(): number {
    return this.#coll.size;
  }

  /** @inheritdoc */
  get(key: Uint8Array): Uint8Array | undefined {
    checkKey(this.capabilities, key);
    const value = this.#coll.get(key);
    return value === undefined ? undefined : copyBytes(value);
  }

  /** @inheritdoc */
  override getInto(key: Uint8Array, out: Uint8Array, offset = 0, flags = 0): boolean {
    const caps = this.capabilities;
    const n = caps.valueSize.max;
    // Fast path: a key of the right length, no flags, room in `out`; else the full check
    // (which throws EINVAL in the kernel's order).
    if (
      flags !== 0 || !(key instanceof Uint8Array) || key.length !== caps.keySize.max ||
      !(out instanceof Uint8Array) ||
      typeof offset !== "number" || !(offset >= 0 && offset + n <= out.length) ||
      offset !== (offset | 0)
    ) {
      checkLookup(caps, key, out, offset, flags);
    }
    const value = this.#coll.get(key);
    if (value === undefined) return false;
    out.set(value, offset);
    return true;
  }

  /** @inheritdoc */
  has(key: Uint8Array): boolean {
    checkKey(this.capabilities, key);
    return this.#coll.has(key);
  }

  /** @inheritdoc */
  set(key: Uint8Array, value: Uint8Array, flags = 0): void {
    const mode = checkUpdate(this.capabilities, key, value, flags);
    const present = this.#coll.has(key);
    checkPresence(mode, present);
    if (!present && this.#coll.size >= this.capabilities.maxEntries) {
      throw new StoreError("E2BIG", `store is full (${this.capabilities.maxEntries} entries)`);
    }
    this.#coll.set(key.slice(), value.slice());
  }

  /** @inheritdoc */
  delete(key: Uint8Array): boolean {
    checkKey(this.capabilities, key);
    return this.#coll.delete(key);
  }

  /** @inheritdoc */
  clear(): void {
    this.#coll.clear();
    this.#walk = this.#walkKey = undefined;
  }

  /** @inheritdoc */
  nextKey(key?: Uint8Array): Uint8Array | undefined {
    if (key !== undefined) checkKey(this.capabilities, key);
    const coll = this.#coll;
    if (this.#after !== undefined) {
      const next = this.#after(key);
      return next === undefined ? undefined : copyBytes(next);
    }
    if (key === undefined || !coll.has(key)) {
      this.#walk = coll.entries();
    } else if (
      this.#walk === undefined || this.#walkKey === undefined ||
      compareBytes(key, this.#walkKey) !== 0
    ) {
      this.#walk = coll.entries();
      for (let r = this.#walk.next(); !r.done && compareBytes(r.value[0], key) !== 0;) {
        r = this.#walk.next();
      }
    }
    const next = this.#walk.next();
    this.#walkKey = next.done ? undefined : next.value[0];
    return next.done ? undefined : copyBytes(next.value[0]);
  }

  /** @inheritdoc */
  *entries(options?: IterateOptions): IterableIterator<[Uint8Array, Uint8Array]> {
    if (options?.reuse === true) {
      // One tuple and two arrays for the whole walk, overwritten at every step.
      const { keySize, valueSize } = this.capabilities;
      const entry: [Uint8Array, Uint8Array] = [
        new Uint8Array(keySize.max),
        new Uint8Array(valueSize.max),
      ];
      for (const [k, v] of this.#coll.entries()) {
        entry[0].set(k);
        entry[1].set(v);
        yield entry;
      }
      return;
    }
    for (const [k, v] of this.#coll.entries()) yield [copyBytes(k), copyBytes(v)];
  }

  /** @inheritdoc */
  override *keys(options?: IterateOptions): IterableIterator<Uint8Array> {
    if (options?.reuse === true) {
      for (const [k] of this.entries(options)) yield k;
      return;
    }
    for (const [k] of this.#coll.entries()) yield copyBytes(k);
  }

  /** @inheritdoc */
  override *values(options?: IterateOptions): IterableIterator<Uint8Array> {
    if (options?.reuse === true) {
      for (const [, v] of this.entries(options)) yield v;
      return;
    }
    for (const [, v] of this.#coll.entries()) yield copyBytes(v);
  }

  /** An estimate: key and value bytes plus the collection's per-entry overhead. */
  memoryUsage(): number {
    const { keySize, valueSize } = this.capabilities;
    return this.#coll.size * (this.#entryOverhead + 2 * 64 + keySize.max + valueSize.max) + 64;
  }
}
