/**
 * Test fixture plugin: a 64-slot integer-keyed array store (u32 keys 0..63, fixed value size,
 * ordered), loaded by path the way a third-party store would be. Small on purpose: the
 * harness must size every workload down to it.
 *
 * @module
 */

import {
  type Backend,
  type Capabilities,
  checkKey,
  checkUpdate,
  EXIST,
  NOEXIST,
  readU32Key,
  type Store,
  StoreBase,
  StoreError,
  u32Key,
} from "@kvkit/store";

const SLOTS = 64;

class Array64Store extends StoreBase implements Store {
  readonly backend = "array64";
  readonly capabilities: Capabilities;
  readonly #values: Uint8Array;
  readonly #present = new Uint8Array(SLOTS);
  #size = 0;

  constructor(valueSize: number) {
    super();
    this.capabilities = {
      keySize: { min: 4, max: 4 },
      valueSize: { min: valueSize, max: valueSize },
      keyRange: { min: 0, max: SLOTS - 1 },
      maxEntries: SLOTS,
      ordered: true,
      fullError: "ENOSPC",
      valueTooBig: "EINVAL",
      lock: false,
    };
    this.#values = new Uint8Array(SLOTS * valueSize);
  }

  get size(): number {
    return this.#size;
  }

  #slot(key: Uint8Array): number {
    checkKey(this.capabilities, key);
    return readU32Key(key);
  }

  get(key: Uint8Array): Uint8Array | undefined {
    const k = this.#slot(key);
    const n = this.capabilities.valueSize.max;
    return this.#present[k] === 1 ? this.#values.slice(k * n, k * n + n) : undefined;
  }

  has(key: Uint8Array): boolean {
    return this.#present[this.#slot(key)] === 1;
  }

  set(key: Uint8Array, value: Uint8Array, flags = 0): void {
    const mode = checkUpdate(this.capabilities, key, value, flags);
    const k = readU32Key(key);
    const present = this.#present[k] === 1;
    if (mode === NOEXIST && present) throw new StoreError("EEXIST", `key ${k} exists`);
    if (mode === EXIST && !present) throw new StoreError("ENOENT", `key ${k} not found`);
    this.#values.set(value, k * value.length);
    if (!present) this.#present[k] = 1, this.#size++;
  }

  delete(key: Uint8Array): boolean {
    const k = this.#slot(key);
    if (this.#present[k] !== 1) return false;
    this.#present[k] = 0;
    this.#size--;
    return true;
  }

  clear(): void {
    this.#present.fill(0);
    this.#size = 0;
  }

  nextKey(key?: Uint8Array): Uint8Array | undefined {
    for (let k = key === undefined ? 0 : this.#slot(key) + 1; k < SLOTS; k++) {
      if (this.#present[k] === 1) return u32Key(k);
    }
    return undefined;
  }

  *entries(): IterableIterator<[Uint8Array, Uint8Array]> {
    for (let k = 0; k < SLOTS; k++) {
      if (this.#present[k] === 1) yield [u32Key(k), this.get(u32Key(k))!];
    }
  }

  memoryUsage(): number {
    return this.#values.byteLength + this.#present.byteLength;
  }
}

/** The fixture backend: options `valueSize` (1..64, default 8); other options are ignored. */
export const backend: Backend<{ valueSize: number }> = {
  name: "array64",
  summary: "test fixture: 64 u32 keys in one typed array",
  create(options = {}): Store {
    const valueSize = options.valueSize ?? 8;
    if (!Number.isInteger(valueSize) || valueSize < 1 || valueSize > 64) {
      throw new StoreError("EINVAL", `valueSize ${valueSize} not in 1..64`);
    }
    return new Array64Store(valueSize);
  },
};
