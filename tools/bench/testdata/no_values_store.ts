/**
 * Test fixture plugin: 64 u32 keys (0..63) whose values are NOT kept - only their lengths; `get`
 * answers zero bytes of that length. It holds a few hundred bytes whatever the values, so the
 * harness's heap growth per entry for it shows what the harness itself adds to the reading.
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

class NoValuesStore extends StoreBase implements Store {
  readonly backend = "no-values";
  readonly capabilities: Capabilities = {
    keySize: { min: 4, max: 4 },
    valueSize: { min: 0, max: 1 << 24 },
    keyRange: { min: 0, max: SLOTS - 1 },
    maxEntries: SLOTS,
    ordered: true,
    fullError: "ENOSPC",
    valueTooBig: "E2BIG",
    lock: false,
  };
  readonly #present = new Uint8Array(SLOTS);
  readonly #lengths = new Uint32Array(SLOTS);
  #size = 0;

  get size(): number {
    return this.#size;
  }

  #slot(key: Uint8Array): number {
    checkKey(this.capabilities, key);
    return readU32Key(key);
  }

  get(key: Uint8Array): Uint8Array | undefined {
    const k = this.#slot(key);
    return this.#present[k] === 1 ? new Uint8Array(this.#lengths[k]!) : undefined;
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
    this.#lengths[k] = value.length;
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
    return this.#present.byteLength + this.#lengths.byteLength;
  }
}

/** The fixture backend; options are ignored. */
export const backend: Backend<Record<string, unknown>> = {
  name: "no-values",
  summary: "test fixture: 64 u32 keys, values not kept",
  create(): Store {
    return new NoValuesStore();
  },
};
