/**
 * A test fixture: a third-party store plugin the explorer loads by file path. An ordered store
 * of variable-length byte keys (1..maxKeyLength) in a sorted array, with a `describe()` layout.
 *
 * @module
 */

import {
  type Backend,
  type Capabilities,
  checkKey,
  checkUpdate,
  compareBytes,
  EXIST,
  NOEXIST,
  type Store,
  StoreBase,
  StoreError,
} from "@kvkit/store";

/** Options of the fixture store. */
export interface SortedOptions {
  /** Longest key in bytes (default 16). */
  maxKeyLength: number;
  /** Value length (default 4). */
  valueSize: number;
  /** Most entries (default 16). */
  maxEntries: number;
}

class SortedStore extends StoreBase implements Store {
  readonly backend = "sorted-fixture";
  readonly capabilities: Capabilities;
  readonly #keys: Uint8Array[] = [];
  readonly #values: Uint8Array[] = [];

  constructor(o: Partial<SortedOptions>) {
    super();
    const maxKey = o.maxKeyLength ?? 16;
    const valueSize = o.valueSize ?? 4;
    if (!Number.isInteger(maxKey) || maxKey < 1 || !Number.isInteger(valueSize) || valueSize < 1) {
      throw new StoreError("EINVAL", `bad options ${JSON.stringify(o)}`);
    }
    this.capabilities = {
      keySize: { min: 1, max: maxKey },
      valueSize: { min: valueSize, max: valueSize },
      maxEntries: o.maxEntries ?? 16,
      ordered: true,
      fullError: "ENOSPC",
      valueTooBig: "E2BIG",
      lock: false,
    };
  }

  // Index of the first key >= key.
  #find(key: Uint8Array): number {
    let lo = 0;
    let hi = this.#keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (compareBytes(this.#keys[mid]!, key) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  #at(key: Uint8Array): number {
    const i = this.#find(key);
    return i < this.#keys.length && compareBytes(this.#keys[i]!, key) === 0 ? i : -1;
  }

  get size(): number {
    return this.#keys.length;
  }
  get(key: Uint8Array): Uint8Array | undefined {
    checkKey(this.capabilities, key);
    const i = this.#at(key);
    return i < 0 ? undefined : this.#values[i]!.slice();
  }
  has(key: Uint8Array): boolean {
    checkKey(this.capabilities, key);
    return this.#at(key) >= 0;
  }
  set(key: Uint8Array, value: Uint8Array, flags = 0): void {
    const mode = checkUpdate(this.capabilities, key, value, flags);
    const i = this.#find(key);
    const present = i < this.#keys.length && compareBytes(this.#keys[i]!, key) === 0;
    if (mode === NOEXIST && present) throw new StoreError("EEXIST", "key exists");
    if (mode === EXIST && !present) throw new StoreError("ENOENT", "key not found");
    if (present) {
      this.#values[i] = value.slice();
      return;
    }
    if (this.#keys.length >= this.capabilities.maxEntries) {
      throw new StoreError("ENOSPC", `full (${this.capabilities.maxEntries} entries)`);
    }
    this.#keys.splice(i, 0, key.slice());
    this.#values.splice(i, 0, value.slice());
  }
  delete(key: Uint8Array): boolean {
    checkKey(this.capabilities, key);
    const i = this.#at(key);
    if (i < 0) return false;
    this.#keys.splice(i, 1);
    this.#values.splice(i, 1);
    return true;
  }
  clear(): void {
    this.#keys.length = 0;
    this.#values.length = 0;
  }
  nextKey(key?: Uint8Array): Uint8Array | undefined {
    if (key === undefined) return this.#keys[0]?.slice();
    checkKey(this.capabilities, key);
    let i = this.#find(key);
    if (i < this.#keys.length && compareBytes(this.#keys[i]!, key) === 0) i++;
    return this.#keys[i]?.slice();
  }
  *entries(): IterableIterator<[Uint8Array, Uint8Array]> {
    for (let k = this.nextKey(); k !== undefined; k = this.nextKey(k)) {
      const v = this.get(k);
      if (v !== undefined) yield [k, v];
    }
  }
  memoryUsage(): number {
    let n = 64;
    for (const k of this.#keys) n += k.length + this.capabilities.valueSize.max + 32;
    return n;
  }
  longestPrefixOf(key: Uint8Array): Uint8Array | undefined {
    for (let n = Math.min(key.length, this.capabilities.keySize.max); n > 0; n--) {
      if (this.#at(key.subarray(0, n)) >= 0) return key.slice(0, n);
    }
    return undefined;
  }
  describe(): string {
    return `sorted-fixture: ${this.#keys.length} keys in one sorted array\n` +
      this.#keys.map((k, i) => `  [${i}] ${k.length} B`).join("\n");
  }
}

/** The fixture backend, exported as a plugin must. */
export const backend: Backend<SortedOptions> = {
  name: "sorted-fixture",
  summary: "test fixture: sorted array of variable-length keys",
  create: (options?: Partial<SortedOptions>): Store => new SortedStore(options ?? {}),
};
