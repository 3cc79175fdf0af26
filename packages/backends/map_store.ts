/**
 * The `map` backend: a plain `Map` keyed by the latin1 string of the key bytes - what a
 * JavaScript user would write without kvkit, and the everyday baseline of every benchmark.
 *
 * @module
 */

import {
  type Backend,
  type Capabilities,
  checkKey,
  checkUpdate,
  EXIST,
  intOption,
  NOEXIST,
  type Store,
  StoreBase,
  StoreError,
} from "@kvkit/store";

/** Options of the `map` backend. */
export interface MapStoreOptions {
  /** Key length in bytes (default 4). */
  keySize: number;
  /** Value length in bytes (default 8). */
  valueSize: number;
  /** The most entries; a new key past it is `E2BIG` (default 2^24). */
  maxEntries: number;
}

// A real copy also of a Node Buffer, whose slice() is a view.
const copy = (bytes: Uint8Array): Uint8Array => new Uint8Array(bytes);
const latin1 = (bytes: Uint8Array): string => String.fromCharCode.apply(null, bytes as never);
const fromLatin1 = (s: string): Uint8Array => {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
};

/**
 * A `Map<string, Uint8Array>` with fixed key and value sizes behind the {@linkcode Store}
 * contract. Unordered: iteration and `nextKey` follow insertion order.
 *
 * | operation | cost |
 * | --- | --- |
 * | get / set / delete | O(key size) expected |
 * | nextKey after the previous result | O(1) amortised |
 * | nextKey of any other present key | O(n) |
 *
 * @example
 * ```ts
 * import { MapStore } from "@kvkit/backends";
 * import { u32Key, NOEXIST } from "@kvkit/store";
 * import assert from "node:assert/strict";
 *
 * const store = new MapStore({ keySize: 4, valueSize: 2 });
 * store.set(u32Key(1), new Uint8Array([1, 2]), NOEXIST);
 * assert.deepEqual(store.get(u32Key(1)), new Uint8Array([1, 2]));
 * assert.throws(() => store.set(u32Key(1), new Uint8Array(2), NOEXIST), { code: "EEXIST" });
 * ```
 */
export class MapStore extends StoreBase implements Store {
  /** The catalog name, `"map"`. */
  readonly backend = "map";
  /** Fixed key and value sizes, `maxEntries`, unordered, full is `E2BIG`. */
  readonly capabilities: Capabilities;
  readonly #map = new Map<string, Uint8Array>();
  // The iterator of the last nextKey walk, so a walk by nextKey is O(n) overall, not O(n²).
  #walkKey: string | undefined;
  #walk: Iterator<string> | undefined;

  /**
   * Makes an empty store.
   *
   * @param options Key and value sizes and the entry limit.
   */
  constructor(options: Partial<MapStoreOptions> = {}) {
    super();
    const keySize = intOption("keySize", options.keySize, 4, 1, 1 << 16);
    const valueSize = intOption("valueSize", options.valueSize, 8, 1, 1 << 24);
    const maxEntries = intOption("maxEntries", options.maxEntries, 1 << 24, 1, 2 ** 32);
    this.capabilities = {
      keySize: { min: keySize, max: keySize },
      valueSize: { min: valueSize, max: valueSize },
      maxEntries,
      ordered: false,
      fullError: "E2BIG",
      valueTooBig: "EINVAL",
      lock: false,
    };
  }

  /** The number of entries. */
  get size(): number {
    return this.#map.size;
  }

  /** The value of `key` as a copy, or `undefined`. */
  get(key: Uint8Array): Uint8Array | undefined {
    checkKey(this.capabilities, key);
    const value = this.#map.get(latin1(key));
    return value === undefined ? undefined : copy(value);
  }

  /** Whether `key` is present. */
  has(key: Uint8Array): boolean {
    checkKey(this.capabilities, key);
    return this.#map.has(latin1(key));
  }

  /** Creates or updates `key` according to `flags`. */
  set(key: Uint8Array, value: Uint8Array, flags = 0): void {
    const mode = checkUpdate(this.capabilities, key, value, flags);
    const k = latin1(key);
    const present = this.#map.has(k);
    if (mode === NOEXIST && present) throw new StoreError("EEXIST", "key exists");
    if (mode === EXIST && !present) throw new StoreError("ENOENT", "key not found");
    if (!present && this.#map.size >= this.capabilities.maxEntries) {
      throw new StoreError("E2BIG", `store is full (${this.capabilities.maxEntries} entries)`);
    }
    this.#map.set(k, copy(value));
  }

  /** Removes `key`; `false` when it was absent. */
  delete(key: Uint8Array): boolean {
    checkKey(this.capabilities, key);
    const k = latin1(key);
    // A key deleted and set again moves to the end of the Map: forget a walk parked on it.
    if (k === this.#walkKey) this.#walk = this.#walkKey = undefined;
    return this.#map.delete(k);
  }

  /** Removes every entry. */
  clear(): void {
    this.#map.clear();
    this.#walk = this.#walkKey = undefined;
  }

  /** The key after `key` in insertion order; the first key for an absent key. */
  nextKey(key?: Uint8Array): Uint8Array | undefined {
    if (key !== undefined) checkKey(this.capabilities, key);
    const k = key === undefined ? undefined : latin1(key);
    if (k === undefined || !this.#map.has(k)) {
      this.#walk = this.#map.keys();
    } else if (k !== this.#walkKey || this.#walk === undefined) {
      this.#walk = this.#map.keys();
      while (this.#walk.next().value !== k);
    }
    const next = this.#walk.next();
    this.#walkKey = next.done ? undefined : next.value;
    return next.done ? undefined : fromLatin1(next.value);
  }

  /** Every entry, as copies, in insertion order. */
  *entries(): IterableIterator<[Uint8Array, Uint8Array]> {
    for (const [k, v] of this.#map) yield [fromLatin1(k), copy(v)];
  }

  /** Every key, as copies. */
  override *keys(): IterableIterator<Uint8Array> {
    for (const k of this.#map.keys()) yield fromLatin1(k);
  }

  /** Every value, as copies. */
  override *values(): IterableIterator<Uint8Array> {
    for (const v of this.#map.values()) yield copy(v);
  }

  /**
   * An estimate, since V8 does not expose a Map's footprint: the hash table with its slack,
   * and per entry the key string (16 B header) and a Uint8Array (~96 B object and
   * backing-store record) holding the value bytes.
   */
  memoryUsage(): number {
    const { keySize, valueSize } = this.capabilities;
    // V8's ordered hash table: capacity a power of two >= size (at least 4), 3 words an entry
    // plus one bucket word per 2 entries - the slack a growing Map keeps.
    const capacity = Math.max(4, 2 ** Math.ceil(Math.log2(Math.max(1, this.#map.size))));
    const table = capacity * 3 * 8 + (capacity / 2) * 8;
    const entry = 16 + ((keySize.max + 7) & ~7) + 96 + valueSize.max;
    return 64 + table + this.#map.size * entry;
  }
}

/** The `map` backend of the catalog. */
export const mapBackend: Backend<MapStoreOptions> = {
  name: "map",
  summary: "plain Map keyed by the latin1 string of the key bytes (the everyday baseline)",
  create: (options?: Partial<MapStoreOptions>): Store => new MapStore(options),
};
