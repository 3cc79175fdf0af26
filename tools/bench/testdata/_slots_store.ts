/**
 * The base of the harness's test fixture plugins: 64 u32-keyed slots (keys 0..63, ordered by
 * key, `ENOSPC` when full) with the contract's checks; a fixture says only how it keeps a
 * slot's value.
 *
 * @module
 */

import {
  type Capabilities,
  checkKey,
  checkPresence,
  checkUpdate,
  readU32Key,
  type Store,
  StoreBase,
  u32Key,
} from "@kvkit/store";

/** The number of slots, and so of keys (0..63). */
export const SLOTS = 64;

/**
 * The capabilities of a slot store: 4-byte keys in 0..63, ordered, `ENOSPC` when full.
 *
 * @param valueSize The value lengths taken.
 * @param valueTooBig The code for a value longer than them.
 * @returns The capabilities.
 */
export function slotCapabilities(
  valueSize: { min: number; max: number },
  valueTooBig: Capabilities["valueTooBig"],
): Capabilities {
  return {
    keySize: { min: 4, max: 4 },
    valueSize,
    keyRange: { min: 0, max: SLOTS - 1 },
    maxEntries: SLOTS,
    ordered: true,
    fullError: "ENOSPC",
    valueTooBig,
    lock: false,
  };
}

/** 64 slots behind the Store contract; subclasses keep the values. */
export abstract class SlotStore extends StoreBase implements Store {
  abstract readonly backend: string;
  abstract readonly capabilities: Capabilities;
  readonly #present = new Uint8Array(SLOTS);
  #size = 0;

  /**
   * The value of a present slot, as a new array.
   *
   * @param slot The slot (the key).
   * @returns The value.
   */
  protected abstract readValue(slot: number): Uint8Array;
  /**
   * Keeps a slot's value.
   *
   * @param slot The slot (the key).
   * @param value The value (checked).
   */
  protected abstract writeValue(slot: number, value: Uint8Array): void;
  /** The bytes the values take. */
  protected abstract valueBytes(): number;

  /** The number of entries. */
  get size(): number {
    return this.#size;
  }

  #slot(key: Uint8Array): number {
    checkKey(this.capabilities, key);
    return readU32Key(key);
  }

  /** @inheritdoc */
  get(key: Uint8Array): Uint8Array | undefined {
    const k = this.#slot(key);
    return this.#present[k] === 1 ? this.readValue(k) : undefined;
  }

  /** @inheritdoc */
  has(key: Uint8Array): boolean {
    return this.#present[this.#slot(key)] === 1;
  }

  /** @inheritdoc */
  set(key: Uint8Array, value: Uint8Array, flags = 0): void {
    const mode = checkUpdate(this.capabilities, key, value, flags);
    const k = readU32Key(key);
    const present = this.#present[k] === 1;
    checkPresence(mode, present);
    this.writeValue(k, value);
    if (!present) this.#present[k] = 1, this.#size++;
  }

  /** @inheritdoc */
  delete(key: Uint8Array): boolean {
    const k = this.#slot(key);
    if (this.#present[k] !== 1) return false;
    this.#present[k] = 0;
    this.#size--;
    return true;
  }

  /** @inheritdoc */
  clear(): void {
    this.#present.fill(0);
    this.#size = 0;
  }

  /** @inheritdoc */
  nextKey(key?: Uint8Array): Uint8Array | undefined {
    for (let k = key === undefined ? 0 : this.#slot(key) + 1; k < SLOTS; k++) {
      if (this.#present[k] === 1) return u32Key(k);
    }
    return undefined;
  }

  /** @inheritdoc */
  *entries(): IterableIterator<[Uint8Array, Uint8Array]> {
    for (let k = 0; k < SLOTS; k++) {
      if (this.#present[k] === 1) yield [u32Key(k), this.readValue(k)];
    }
  }

  /** @inheritdoc */
  memoryUsage(): number {
    return this.#present.byteLength + this.valueBytes();
  }
}
