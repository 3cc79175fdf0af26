/**
 * A third-party store as a kvkit plugin: an ordered map of variable-length keys kept in a
 * sorted array. It imports nothing from kvkit but `@kvkit/store`, exports `backend`, and so
 * loads into every kvkit tool by path:
 *
 * ```sh
 * deno task explore ./examples/plugins/sorted_array_store.ts
 * ```
 *
 * What a plugin writes itself: the reads and writes of its structure, each starting with the
 * contract's checks (`checkOptions`, `checkUpdate` + `checkPresence`, `checkKey`,
 * `checkLookup`), and copies from `copyBytes`. `StoreBase` gives the rest (`keys`, `values`,
 * the batch lookup, `close`); `describe` and `longestPrefixOf` are optional extras the
 * explorer shows (`dump`, `lpm`).
 *
 * @module
 */

import {
  type Backend,
  type Capabilities,
  checkKey,
  checkLookup,
  checkOptions,
  checkPresence,
  checkUpdate,
  compareBytes,
  copyBytes,
  entriesByNextKey,
  intOption,
  type Store,
  StoreBase,
  StoreError,
} from "@kvkit/store";

/** Options of the sorted-array store. */
export interface SortedArrayOptions {
  /** Longest key in bytes (default 16). */
  maxKeyLength: number;
  /** Value length in bytes (default 8). */
  valueSize: number;
  /** The most entries; a new key past it is `ENOSPC` (default 1024). */
  maxEntries: number;
}

// Every option name the constructor reads: checkOptions refuses any other.
const OPTION_NAMES = ["maxKeyLength", "valueSize", "maxEntries"] as const;

/**
 * An ordered store: keys 1..maxKeyLength bytes in ascending byte order, found by binary
 * search in one sorted array.
 *
 * | operation | cost |
 * | --- | --- |
 * | get / getInto / has / nextKey | O(log n) |
 * | set of a new key / delete | O(n) (the arrays shift) |
 *
 * @example
 * ```ts
 * import { SortedArrayStore } from "./sorted_array_store.ts";
 * import assert from "node:assert/strict";
 *
 * const store = new SortedArrayStore({ valueSize: 1 });
 * const key = (s: string) => new TextEncoder().encode(s);
 * store.set(key("pear"), new Uint8Array([2]));
 * store.set(key("apple"), new Uint8Array([1]));
 * const out = new Uint8Array(1);
 * assert.equal(store.getInto(key("pear"), out), true);
 * assert.deepEqual(out, new Uint8Array([2]));
 * assert.deepEqual(store.nextKey(), key("apple"));
 * ```
 */
export class SortedArrayStore extends StoreBase implements Store {
  /** The catalog name of the plugin. */
  readonly backend: string = "sorted-array";
  /** Keys 1..maxKeyLength bytes, one value size, ordered, `ENOSPC` when full. */
  readonly capabilities: Capabilities;
  readonly #keys: Uint8Array[] = [];
  readonly #values: Uint8Array[] = [];

  /**
   * Makes an empty store.
   *
   * @param options Longest key, value size and the entry limit.
   * @throws {StoreError} `EINVAL` for options that are not an object, an unknown option name
   * or a value out of range.
   */
  constructor(options?: Partial<SortedArrayOptions>) {
    super();
    const o = checkOptions("sorted-array", options, OPTION_NAMES);
    const maxKeyLength = intOption("maxKeyLength", o.maxKeyLength, 16, 1, 1 << 16);
    const valueSize = intOption("valueSize", o.valueSize, 8, 1, 1 << 20);
    this.capabilities = {
      keySize: { min: 1, max: maxKeyLength },
      valueSize: { min: valueSize, max: valueSize },
      maxEntries: intOption("maxEntries", o.maxEntries, 1024, 1, 1 << 24),
      ordered: true,
      fullError: "ENOSPC",
      valueTooBig: "EINVAL",
      lock: false,
    };
  }

  /** The index of `key`, or `-(insertion point) - 1` when absent. */
  #find(key: Uint8Array): number {
    let lo = 0, hi = this.#keys.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const c = compareBytes(this.#keys[mid]!, key);
      if (c === 0) return mid;
      if (c < 0) lo = mid + 1;
      else hi = mid - 1;
    }
    return -lo - 1;
  }

  /** The number of entries. */
  get size(): number {
    return this.#keys.length;
  }

  /**
   * A copy of the value of `key`.
   *
   * @param key 1..maxKeyLength bytes.
   * @returns The copy, or `undefined` when absent.
   */
  get(key: Uint8Array): Uint8Array | undefined {
    checkKey(this.capabilities, key);
    const i = this.#find(key);
    return i >= 0 ? copyBytes(this.#values[i]!) : undefined;
  }

  /**
   * Copies the value of `key` into `out` at `offset`, allocating nothing.
   *
   * @param key 1..maxKeyLength bytes.
   * @param out Receives the value; needs `valueSize` bytes from `offset`.
   * @param offset Where in `out` the value starts (default 0).
   * @param flags `0` (no locked reads).
   * @returns `true` with the value copied; `false`, `out` untouched, when absent.
   */
  override getInto(key: Uint8Array, out: Uint8Array, offset = 0, flags = 0): boolean {
    checkLookup(this.capabilities, key, out, offset, flags);
    const i = this.#find(key);
    if (i < 0) return false;
    out.set(this.#values[i]!, offset);
    return true;
  }

  /**
   * Whether `key` is present.
   *
   * @param key 1..maxKeyLength bytes.
   * @returns `true` when present.
   */
  has(key: Uint8Array): boolean {
    checkKey(this.capabilities, key);
    return this.#find(key) >= 0;
  }

  /**
   * Creates or updates `key` according to `flags`.
   *
   * @param key 1..maxKeyLength bytes, copied.
   * @param value `valueSize` bytes, copied (`copyBytes`: a Node `Buffer`'s own `slice()` is a
   * view, not a copy).
   * @param flags `ANY`, `NOEXIST` or `EXIST`.
   */
  set(key: Uint8Array, value: Uint8Array, flags = 0): void {
    const mode = checkUpdate(this.capabilities, key, value, flags);
    const i = this.#find(key);
    checkPresence(mode, i >= 0);
    if (i >= 0) {
      this.#values[i] = copyBytes(value);
      return;
    }
    if (this.#keys.length >= this.capabilities.maxEntries) {
      throw new StoreError("ENOSPC", `store is full (${this.capabilities.maxEntries} entries)`);
    }
    this.#keys.splice(-i - 1, 0, copyBytes(key));
    this.#values.splice(-i - 1, 0, copyBytes(value));
  }

  /**
   * Removes `key`.
   *
   * @param key 1..maxKeyLength bytes.
   * @returns `false` when it was absent.
   */
  delete(key: Uint8Array): boolean {
    checkKey(this.capabilities, key);
    const i = this.#find(key);
    if (i < 0) return false;
    this.#keys.splice(i, 1);
    this.#values.splice(i, 1);
    return true;
  }

  /** Removes every entry. */
  clear(): void {
    this.#keys.length = this.#values.length = 0;
  }

  /**
   * The smallest key above `key`, as a copy.
   *
   * @param key `undefined` for the first key; any valid key, present or not.
   * @returns The next key, or `undefined` after the last.
   */
  nextKey(key?: Uint8Array): Uint8Array | undefined {
    let i = 0;
    if (key !== undefined) {
      checkKey(this.capabilities, key);
      const at = this.#find(key);
      i = at >= 0 ? at + 1 : -at - 1;
    }
    const next = this.#keys[i];
    return next === undefined ? undefined : copyBytes(next);
  }

  /**
   * Every entry in ascending key order, as copies (walked by `nextKey`, so the consumer may
   * delete any key on the way). `{ reuse: true }` is accepted and yields copies too.
   *
   * @returns An iterator of `[key, value]`.
   */
  entries(): IterableIterator<[Uint8Array, Uint8Array]> {
    return entriesByNextKey(this);
  }

  /**
   * The longest present key that is a prefix of `key` (the explorer's `lpm`).
   *
   * @param key Any bytes.
   * @returns A copy of that key, or `undefined` when none is.
   */
  longestPrefixOf(key: Uint8Array): Uint8Array | undefined {
    for (let n = Math.min(key.length, this.capabilities.keySize.max); n > 0; n--) {
      if (this.#find(key.subarray(0, n)) >= 0) return copyBytes(key, 0, n);
    }
    return undefined;
  }

  /**
   * The layout drawn as text (the explorer's `dump`).
   *
   * @returns One line per key.
   */
  describe(): string {
    return `${this.backend}: ${this.#keys.length} keys in one sorted array\n` +
      this.#keys.map((k, i) => `  [${i}] ${k.length} B`).join("\n");
  }

  /**
   * An estimate: per entry the key and value bytes and two array objects.
   *
   * @returns The estimated bytes.
   */
  memoryUsage(): number {
    let bytes = 64;
    for (const k of this.#keys) bytes += k.byteLength + this.capabilities.valueSize.max + 2 * 96;
    return bytes;
  }
}

/** The plugin's backend: what `loadBackend("./examples/plugins/sorted_array_store.ts")` finds. */
export const backend: Backend<SortedArrayOptions> = {
  name: "sorted-array",
  summary: "ordered map of variable-length keys in a sorted array (example plugin)",
  create: (options?: Partial<SortedArrayOptions>): Store => new SortedArrayStore(options),
};
