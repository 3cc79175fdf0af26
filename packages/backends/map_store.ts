/**
 * The `map` store: a plain `Map` keyed by the latin1 string of the key bytes - what a
 * JavaScript user would write without kvkit, and the everyday baseline of every benchmark.
 *
 * @module
 */

import {
  allocBytes,
  type Batch,
  type BatchOptions,
  type Capabilities,
  checkBatchCount,
  checkKey,
  checkLookup,
  checkOptions,
  checkPresence,
  checkUpdate,
  copyBytes,
  intOption,
  type IterateOptions,
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
  /**
   * The most entries, 1..2^24 (default 2^24, the most a V8 `Map` holds); a new key past it is
   * `E2BIG`.
   */
  maxEntries: number;
}

// A V8 Map holds at most 2^24 entries (past that, set throws RangeError).
const MAX_ENTRIES = 1 << 24;

// The option names MapStore reads: checkOptions refuses any other.
const OPTION_NAMES = ["keySize", "valueSize", "maxEntries"] as const;
// Values up to this length are copied by a loop (a builtin call costs more than a short loop).
const LOOP_COPY_MAX = 16;
/**
 * A batch cursor is the key of the next entry to return followed by this many bytes: that
 * entry's identity number (u32, little-endian), so a cursor whose entry was deleted and set
 * again (which moves it to the end of the insertion order) is detected.
 */
export const MAP_CURSOR_ID_BYTES = 4;

// A real copy also of a Node Buffer, whose slice() is a view: the bytes the Map keeps.
const copy = (bytes: Uint8Array): Uint8Array => new Uint8Array(bytes);
const latin1 = (bytes: Uint8Array): string => String.fromCharCode.apply(null, bytes as never);
// Writes the key string `s` into `out` as bytes.
const fromLatin1 = (s: string, out: Uint8Array): Uint8Array => {
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
};
// Copies `src` into `out` at `offset`.
const copyInto = (src: Uint8Array, out: Uint8Array, offset: number): void => {
  const n = src.length;
  if (n <= LOOP_COPY_MAX) {
    for (let i = 0; i < n; i++) out[offset + i] = src[i]!;
  } else {
    out.set(src, offset);
  }
};

/**
 * A `Map<string, Uint8Array>` with fixed key and value sizes behind the {@linkcode Store}
 * contract. Unordered: iteration and `nextKey` follow insertion order. The read path of hot
 * loops is {@linkcode MapStore.getInto}, which copies into the caller's buffer.
 *
 * | operation | cost |
 * | --- | --- |
 * | get / getInto / set / delete | O(key size) expected |
 * | nextKey after the previous result | O(1) amortised |
 * | nextKey of any other present key | O(n) |
 * | entries / keys / values | O(1) per entry |
 *
 * @example A Map behind the Store contract
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
  readonly #keySize: number;
  readonly #valueSize: number;
  // The iterator of the last nextKey walk, so a walk by nextKey is O(n) overall, not O(n²).
  #walkKey: string | undefined;
  #walk: Iterator<string> | undefined;
  // Identity numbers of entries a batch cursor named, by their value array: an update copies
  // into that array, a delete drops it and a new insertion makes another, so an entry keeps
  // its number exactly as long as it keeps its place in the insertion order. Assigned only
  // when a cursor is made, so the hot paths never touch it.
  readonly #ids = new WeakMap<Uint8Array, number>();
  #nextId = 0;
  // The iterator of the last batch, just past the entry its cursor names.
  #batchWalk: Iterator<[string, Uint8Array]> | undefined;
  #batchValue: Uint8Array | undefined;

  /**
   * Makes an empty store.
   *
   * @param options Key and value sizes and the entry limit.
   * @throws {StoreError} `EINVAL` for options that are not an object, an unknown option name,
   * or a size out of range.
   */
  constructor(options?: Partial<MapStoreOptions>) {
    super();
    const o = checkOptions("map", options, OPTION_NAMES);
    const keySize = intOption("keySize", o.keySize, 4, 1, 1 << 16);
    const valueSize = intOption("valueSize", o.valueSize, 8, 1, 1 << 24);
    const maxEntries = intOption("maxEntries", o.maxEntries, MAX_ENTRIES, 1, MAX_ENTRIES);
    this.#keySize = keySize;
    this.#valueSize = valueSize;
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

  /**
   * The value of `key` as a copy (from `allocBytes`).
   *
   * @param key `keySize` bytes.
   * @returns The copy, or `undefined` when absent.
   * @throws {StoreError} `EINVAL` for a wrong key length.
   */
  get(key: Uint8Array): Uint8Array | undefined {
    if (!(key instanceof Uint8Array) || key.length !== this.#keySize) {
      checkKey(this.capabilities, key);
    }
    const value = this.#map.get(latin1(key));
    return value === undefined ? undefined : copyBytes(value);
  }

  /**
   * Copies the value of `key` into `out` at `offset`, allocating no value copy: the read path
   * of hot loops.
   *
   * @param key `keySize` bytes.
   * @param out Receives the value; needs `valueSize` bytes from `offset`, present key or not.
   * @param offset Where in `out` the value starts (default 0).
   * @param flags `0` (the store has no locked reads: `F_LOCK` is `EINVAL`).
   * @returns `true` with the value copied; `false`, `out` untouched, when absent.
   * @throws {StoreError} `EINVAL` for bad flags, a wrong key length or no room in `out`.
   *
   * @example Reading into a caller-owned buffer
   * ```ts
   * import { MapStore } from "@kvkit/backends";
   * import { u32Key } from "@kvkit/store";
   * import assert from "node:assert/strict";
   *
   * const store = new MapStore({ keySize: 4, valueSize: 2 });
   * store.set(u32Key(1), new Uint8Array([1, 2]));
   * const out = new Uint8Array(4);
   * assert.equal(store.getInto(u32Key(1), out, 2), true);
   * assert.deepEqual(out, new Uint8Array([0, 0, 1, 2]));
   * assert.equal(store.getInto(u32Key(2), out), false);
   * assert.throws(() => store.getInto(u32Key(1), out, 3), { code: "EINVAL" });
   * ```
   */
  override getInto(key: Uint8Array, out: Uint8Array, offset = 0, flags = 0): boolean {
    // One inline test for the common case; the full check (which throws) only when it fails.
    if (
      flags !== 0 || !(key instanceof Uint8Array) || key.length !== this.#keySize ||
      !(out instanceof Uint8Array) || typeof offset !== "number" || (offset >>> 0) !== offset ||
      offset + this.#valueSize > out.length
    ) {
      checkLookup(this.capabilities, key, out, offset, flags);
    }
    const value = this.#map.get(latin1(key));
    if (value === undefined) return false;
    copyInto(value, out, offset);
    return true;
  }

  /**
   * Whether `key` is present.
   *
   * @param key `keySize` bytes.
   * @returns `true` when present.
   * @throws {StoreError} `EINVAL` for a wrong key length.
   */
  has(key: Uint8Array): boolean {
    checkKey(this.capabilities, key);
    return this.#map.has(latin1(key));
  }

  /**
   * Creates or updates `key` according to `flags`. A present key is updated in place: it keeps
   * its place in the insertion order, and a batch cursor naming it stays valid.
   *
   * @param key `keySize` bytes.
   * @param value `valueSize` bytes, copied.
   * @param flags `ANY`, `NOEXIST` or `EXIST`.
   * @throws {StoreError} `EINVAL` for bad flags or lengths, `EEXIST` / `ENOENT` per `flags`,
   * `E2BIG` for a new key in a full store.
   */
  set(key: Uint8Array, value: Uint8Array, flags = 0): void {
    const mode = checkUpdate(this.capabilities, key, value, flags);
    const k = latin1(key);
    const stored = this.#map.get(k);
    checkPresence(mode, stored !== undefined);
    if (stored !== undefined) {
      // In place: the entry keeps its array, so a batch cursor naming it stays valid.
      copyInto(value, stored, 0);
      return;
    }
    if (this.#map.size >= this.capabilities.maxEntries) {
      throw new StoreError("E2BIG", `store is full (${this.capabilities.maxEntries} entries)`);
    }
    this.#map.set(k, copy(value));
  }

  /**
   * Removes `key`.
   *
   * @param key `keySize` bytes.
   * @returns `false` when it was absent.
   * @throws {StoreError} `EINVAL` for a wrong key length.
   */
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
    this.#batchWalk = this.#batchValue = undefined;
  }

  /**
   * The key after `key` in insertion order, as a copy.
   *
   * @param key `undefined`, or `keySize` bytes.
   * @returns The first key for `undefined` or an absent key; `undefined` after the last.
   * @throws {StoreError} `EINVAL` for a wrong key length.
   */
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
    return next.done ? undefined : fromLatin1(next.value, allocBytes(this.#keySize));
  }

  /**
   * Every entry in insertion order: copies, or with `{ reuse: true }` one `[key, value]`
   * tuple overwritten at every step. The consumer may delete any key during the walk.
   *
   * @param options `reuse: true` yields the same tuple and arrays at every step.
   * @returns An iterator of `[key, value]`.
   *
   * @example Summing values with reused arrays
   * ```ts
   * import { MapStore } from "@kvkit/backends";
   * import { u32Key } from "@kvkit/store";
   * import assert from "node:assert/strict";
   *
   * const store = new MapStore({ keySize: 4, valueSize: 1 });
   * for (let k = 0; k < 3; k++) store.set(u32Key(k), new Uint8Array([k]));
   * let sum = 0;
   * for (const [, value] of store.entries({ reuse: true })) sum += value[0]!;
   * assert.equal(sum, 3);
   * ```
   */
  *entries(options?: IterateOptions): IterableIterator<[Uint8Array, Uint8Array]> {
    const ks = this.#keySize;
    if (options?.reuse === true) {
      const entry: [Uint8Array, Uint8Array] = [new Uint8Array(ks), new Uint8Array(this.#valueSize)];
      for (const [k, v] of this.#map) {
        fromLatin1(k, entry[0]);
        copyInto(v, entry[1], 0);
        yield entry;
      }
      return;
    }
    for (const [k, v] of this.#map) yield [fromLatin1(k, allocBytes(ks)), copyBytes(v)];
  }

  /**
   * Every key in insertion order: copies, or one reused array with `{ reuse: true }`.
   *
   * @param options `reuse: true` yields the same array at every step.
   * @returns An iterator of keys.
   */
  override *keys(options?: IterateOptions): IterableIterator<Uint8Array> {
    const ks = this.#keySize;
    const reused = options?.reuse === true ? new Uint8Array(ks) : undefined;
    for (const k of this.#map.keys()) yield fromLatin1(k, reused ?? allocBytes(ks));
  }

  /**
   * Every value in insertion order: copies, or one reused array with `{ reuse: true }`.
   *
   * @param options `reuse: true` yields the same array at every step.
   * @returns An iterator of values.
   */
  override *values(options?: IterateOptions): IterableIterator<Uint8Array> {
    if (options?.reuse !== true) {
      for (const v of this.#map.values()) yield copyBytes(v);
      return;
    }
    const reused = new Uint8Array(this.#valueSize);
    for (const v of this.#map.values()) {
      copyInto(v, reused, 0);
      yield reused;
    }
  }

  /**
   * Native batch lookup in insertion order. The cursor is the key of the next entry not yet
   * returned followed by that entry's identity number (4 bytes, little-endian; see
   * {@linkcode MAP_CURSOR_ID_BYTES}). If that entry was deleted in between (also deleted and
   * set again, which moves it to the end), the call throws `EAGAIN` and the caller restarts
   * from `undefined`. So a walk that ends without `EAGAIN` returned every key present
   * throughout exactly once; keys inserted during the walk come at its end. Consecutive
   * batches continue one `Map` iterator: O(count) per batch; a cursor from an older walk
   * costs one O(n) scan to find its place.
   *
   * @param cursor `undefined` to start, else the `cursor` of the previous batch.
   * @param count The most entries to return; a positive integer.
   * @param options `delete: true` removes the returned entries.
   * @returns The entries (copies) and the cursor, `undefined` once the walk is complete.
   * @throws {StoreError} `EINVAL` for a bad count or a cursor that is not `keySize + 4` bytes;
   * `EAGAIN` when the cursor's entry is gone or was set again.
   *
   * @example Drain in batches while a returned key comes back
   * ```ts
   * import { MapStore } from "@kvkit/backends";
   * import { u32Key } from "@kvkit/store";
   * import assert from "node:assert/strict";
   *
   * const store = new MapStore({ keySize: 4, valueSize: 1 });
   * for (let k = 0; k < 6; k++) store.set(u32Key(k), new Uint8Array([k]));
   * const first = store.lookupBatch(undefined, 2, { delete: true });
   * store.set(first.keys[1]!, new Uint8Array([1])); // key 1 again, now last
   * const rest = store.lookupBatch(first.cursor, 10, { delete: true });
   * assert.deepEqual(rest.keys.map((k) => k[0]), [2, 3, 4, 5, 1]);
   * assert.equal(rest.cursor, undefined);
   * assert.equal(store.size, 0);
   * ```
   */
  override lookupBatch(
    cursor: Uint8Array | undefined,
    count: number,
    options?: BatchOptions,
  ): Batch {
    checkBatchCount(count);
    const ks = this.#keySize;
    let walk: Iterator<[string, Uint8Array]>;
    let next: IteratorResult<[string, Uint8Array]>;
    if (cursor === undefined) {
      walk = this.#map.entries();
      next = walk.next();
    } else {
      if (!(cursor instanceof Uint8Array) || cursor.length !== ks + MAP_CURSOR_ID_BYTES) {
        throw new StoreError(
          "EINVAL",
          `cursor length ${(cursor as { length?: unknown })?.length} is not keySize + ` +
            `${MAP_CURSOR_ID_BYTES} (${ks + MAP_CURSOR_ID_BYTES})`,
        );
      }
      const k = latin1(cursor.subarray(0, ks));
      const id = (cursor[ks]! | cursor[ks + 1]! << 8 | cursor[ks + 2]! << 16 |
        cursor[ks + 3]! << 24) >>> 0;
      const value = this.#map.get(k);
      if (value === undefined || this.#ids.get(value) !== id) {
        throw new StoreError(
          "EAGAIN",
          `the cursor's entry was ${
            value === undefined ? "deleted" : "deleted and set again"
          }; restart`,
        );
      }
      if (this.#batchWalk !== undefined && this.#batchValue === value) {
        walk = this.#batchWalk;
      } else {
        // A cursor of an older walk: find the entry's place.
        walk = this.#map.entries();
        while (walk.next().value?.[1] !== value);
      }
      next = { done: false, value: [k, value] };
    }
    const remove = options?.delete === true;
    const keys: Uint8Array[] = [];
    const values: Uint8Array[] = [];
    while (!next.done && keys.length < count) {
      const [k, v] = next.value;
      keys.push(fromLatin1(k, allocBytes(ks)));
      values.push(copyBytes(v));
      // The live iterator has moved past `k` already, so removing it skips nothing.
      next = walk.next();
      if (remove) this.delete(keys[keys.length - 1]!);
    }
    this.#batchWalk = this.#batchValue = undefined;
    if (next.done) return { keys, values, cursor: undefined };
    const [k, v] = next.value;
    let id = this.#ids.get(v);
    if (id === undefined) {
      id = this.#nextId;
      this.#nextId = (this.#nextId + 1) >>> 0;
      this.#ids.set(v, id);
    }
    const out = fromLatin1(k, allocBytes(ks + MAP_CURSOR_ID_BYTES));
    out[ks] = id & 0xff;
    out[ks + 1] = (id >>> 8) & 0xff;
    out[ks + 2] = (id >>> 16) & 0xff;
    out[ks + 3] = id >>> 24;
    this.#batchWalk = walk;
    this.#batchValue = v;
    return { keys, values, cursor: out };
  }

  /**
   * An estimate, since V8 does not expose a Map's footprint: the hash table with its slack,
   * and per entry the key string (16 B header) and a Uint8Array (~96 B object and
   * backing-store record) holding the value bytes.
   *
   * @returns The estimated bytes.
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
