/**
 * The Store contract over a JS collection, so every harness workload runs on the libraries a
 * JS user would pick instead of kvkit. Keys and values are `Uint8Array` copies held by the
 * collection; checks and errors are the contract's (fixed key and value sizes, `E2BIG` when
 * full).
 *
 * @module
 */

import {
  type Capabilities,
  checkKey,
  checkUpdate,
  compareBytes,
  EXIST,
  intOption,
  NOEXIST,
  type Store,
  StoreBase,
  StoreError,
} from "@kvkit/store";

/** Options every peer takes, like the catalog's `map`. */
export interface PeerOptions {
  /** Key length in bytes (default 4). */
  keySize: number;
  /** Value length in bytes (default 8). */
  valueSize: number;
  /** The most entries; a new key past it is `E2BIG` (default 2^24). */
  maxEntries: number;
}

/** The collection operations a peer supplies. */
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
  /** Ordered collections: the smallest key greater than `key`, or the first for `undefined`. */
  after?(key: Uint8Array | undefined): Uint8Array | undefined;
}

/**
 * A Store over a {@linkcode PeerCollection}.
 *
 * | operation | cost |
 * | --- | --- |
 * | get / set / delete | the collection's (O(1) hash, O(log n) tree) plus a key copy |
 * | nextKey | ordered: the collection's successor query; unordered: O(1) along a walk |
 */
export class PeerStore extends StoreBase implements Store {
  readonly backend: string;
  readonly capabilities: Capabilities;
  readonly #coll: PeerCollection;
  readonly #entryOverhead: number;
  #walkKey: Uint8Array | undefined;
  #walk: Iterator<[Uint8Array, Uint8Array]> | undefined;

  /**
   * @param backend The peer's catalog-style name.
   * @param coll The collection.
   * @param options Key and value sizes and the entry limit.
   * @param entryOverhead Estimated bytes per entry beyond key and value bytes, for
   * `memoryUsage()` (the harness measures the heap itself).
   */
  constructor(
    backend: string,
    coll: PeerCollection,
    options: Partial<PeerOptions>,
    entryOverhead: number,
  ) {
    super();
    this.backend = backend;
    this.#coll = coll;
    this.#entryOverhead = entryOverhead;
    const keySize = intOption("keySize", options.keySize, 4, 1, 1 << 16);
    const valueSize = intOption("valueSize", options.valueSize, 8, 1, 1 << 24);
    const maxEntries = intOption("maxEntries", options.maxEntries, 1 << 24, 1, 2 ** 32);
    this.capabilities = {
      keySize: { min: keySize, max: keySize },
      valueSize: { min: valueSize, max: valueSize },
      maxEntries,
      ordered: coll.after !== undefined,
      fullError: "E2BIG",
      valueTooBig: "EINVAL",
      lock: false,
    };
  }

  /** The number of entries. */
  get size(): number {
    return this.#coll.size;
  }

  /** @inheritdoc */
  get(key: Uint8Array): Uint8Array | undefined {
    checkKey(this.capabilities, key);
    return this.#coll.get(key)?.slice();
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
    if (mode === NOEXIST && present) throw new StoreError("EEXIST", "key exists");
    if (mode === EXIST && !present) throw new StoreError("ENOENT", "key not found");
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
    if (coll.after !== undefined) return coll.after(key)?.slice();
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
    return next.done ? undefined : next.value[0].slice();
  }

  /** @inheritdoc */
  *entries(): IterableIterator<[Uint8Array, Uint8Array]> {
    for (const [k, v] of this.#coll.entries()) yield [k.slice(), v.slice()];
  }

  /** @inheritdoc */
  override *keys(): IterableIterator<Uint8Array> {
    for (const [k] of this.#coll.entries()) yield k.slice();
  }

  /** @inheritdoc */
  override *values(): IterableIterator<Uint8Array> {
    for (const [, v] of this.#coll.entries()) yield v.slice();
  }

  /** An estimate: key and value bytes plus the collection's per-entry overhead. */
  memoryUsage(): number {
    const { keySize, valueSize } = this.capabilities;
    return this.#coll.size * (this.#entryOverhead + 2 * 64 + keySize.max + valueSize.max) + 64;
  }
}
