/**
 * A third-party store as a kvkit plugin: an ordered map of variable-length keys kept in a
 * sorted array. It imports nothing from kvkit but `@kvkit/store`, exports `backend`, and so
 * loads into every kvkit tool by path:
 *
 * ```sh
 * deno task explore ./examples/plugins/sorted_array_store.ts
 * ```
 *
 * @module
 */

import {
  type Backend,
  type Capabilities,
  checkKey,
  checkUpdate,
  compareBytes,
  entriesByNextKey,
  EXIST,
  NOEXIST,
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

/** An ordered store: keys 1..maxKeyLength bytes in ascending byte order, binary search. */
export class SortedArrayStore extends StoreBase implements Store {
  readonly backend = "sorted-array";
  readonly capabilities: Capabilities;
  readonly #keys: Uint8Array[] = [];
  readonly #values: Uint8Array[] = [];

  constructor(options: Partial<SortedArrayOptions> = {}) {
    super();
    const { maxKeyLength = 16, valueSize = 8, maxEntries = 1024 } = options;
    for (const [name, n] of Object.entries({ maxKeyLength, valueSize, maxEntries })) {
      if (!Number.isInteger(n) || n < 1) {
        throw new StoreError("EINVAL", `${name} ${n} is not a positive integer`);
      }
    }
    this.capabilities = {
      keySize: { min: 1, max: maxKeyLength },
      valueSize: { min: valueSize, max: valueSize },
      maxEntries,
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

  get size(): number {
    return this.#keys.length;
  }
  get(key: Uint8Array): Uint8Array | undefined {
    checkKey(this.capabilities, key);
    const i = this.#find(key);
    return i >= 0 ? this.#values[i]!.slice() : undefined;
  }
  has(key: Uint8Array): boolean {
    checkKey(this.capabilities, key);
    return this.#find(key) >= 0;
  }
  set(key: Uint8Array, value: Uint8Array, flags = 0): void {
    const mode = checkUpdate(this.capabilities, key, value, flags);
    const i = this.#find(key);
    if (i >= 0) {
      if (mode === NOEXIST) throw new StoreError("EEXIST", "key exists");
      this.#values[i] = new Uint8Array(value);
      return;
    }
    if (mode === EXIST) throw new StoreError("ENOENT", "key not found");
    if (this.#keys.length >= this.capabilities.maxEntries) {
      throw new StoreError("ENOSPC", `store is full (${this.capabilities.maxEntries} entries)`);
    }
    this.#keys.splice(-i - 1, 0, new Uint8Array(key));
    this.#values.splice(-i - 1, 0, new Uint8Array(value));
  }
  delete(key: Uint8Array): boolean {
    checkKey(this.capabilities, key);
    const i = this.#find(key);
    if (i < 0) return false;
    this.#keys.splice(i, 1);
    this.#values.splice(i, 1);
    return true;
  }
  clear(): void {
    this.#keys.length = this.#values.length = 0;
  }
  nextKey(key?: Uint8Array): Uint8Array | undefined {
    if (key === undefined) return this.#keys[0]?.slice();
    checkKey(this.capabilities, key);
    const i = this.#find(key);
    return this.#keys[i >= 0 ? i + 1 : -i - 1]?.slice();
  }
  entries(): IterableIterator<[Uint8Array, Uint8Array]> {
    return entriesByNextKey(this);
  }
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
