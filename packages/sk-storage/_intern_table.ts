/**
 * The shared, reference-counted value table of an interned map: each distinct value is stored
 * once, owners hold a 2-byte index into it.
 *
 * @module
 */

import { StoreError } from "@kvkit/store";
import { INTERN_MAX } from "./constants.ts";
import { halfSipWords, loadWords, randomWords } from "@kvkit/internal";

// Distinct values the table starts with room for; it doubles up to INTERN_MAX.
const INITIAL_VALUES = 16;
// Marks an empty bucket of the open-addressing index (buckets hold id + 1).
const EMPTY = 0;

/** Makes the value bytes of a table of `bytes` bytes (a parameter so tests can refuse). */
export type AllocValues = (bytes: number) => Uint8Array;

const allocValues: AllocValues = (bytes) => new Uint8Array(bytes);

/**
 * Distinct values with a reference count each, found by value through a linear-probing index
 * (deletion by backward shift, so no tombstones) at most half full. Buckets come from
 * HalfSipHash-1-3 under a random key per table, so values chosen to collide (as anyone can
 * for an unkeyed hash: 32,773 four-byte values sharing one FNV-1a bucket made each set walk
 * the whole run) spread like random ones.
 */
export class InternTable {
  readonly valueSize: number;
  /** Value bytes, `valueSize` per id. */
  values: Uint8Array;
  /** Owners referring to each id; 0 means the id is free. */
  refcnt: Uint32Array;
  #hashes: Uint32Array;
  #index: Int32Array;
  #free: Int32Array;
  #freeTop = 0;
  #top = 0;
  /** Distinct values held. */
  live = 0;
  readonly #k0: number;
  readonly #k1: number;
  readonly #alloc: AllocValues;
  // The value being hashed, as the little-endian words halfSipWords reads (the last one
  // zero-padded past valueSize).
  readonly #words: Int32Array;

  /**
   * @param valueSize Bytes per value.
   * @param alloc Makes the value bytes (tests pass one that fails like an exhausted runtime).
   * @throws {StoreError} `ENOMEM` when the first values cannot be allocated.
   */
  constructor(valueSize: number, alloc: AllocValues = allocValues) {
    this.valueSize = valueSize;
    this.#alloc = alloc;
    const key = randomWords(new Int32Array(2));
    this.#k0 = key[0]!;
    this.#k1 = key[1]!;
    this.#words = new Int32Array(Math.ceil(valueSize / 4));
    this.values = this.#allocValues(INITIAL_VALUES * valueSize);
    this.refcnt = new Uint32Array(INITIAL_VALUES);
    this.#hashes = new Uint32Array(INITIAL_VALUES);
    this.#free = new Int32Array(INITIAL_VALUES);
    this.#index = new Int32Array(INITIAL_VALUES * 2);
  }

  /** Bytes of the buffers held. */
  byteLength(): number {
    return this.values.byteLength + this.refcnt.byteLength + this.#hashes.byteLength +
      this.#free.byteLength + this.#index.byteLength;
  }

  /** The id holding `value`, or -1. */
  find(value: Uint8Array): number {
    const mask = this.#index.length - 1;
    const size = this.valueSize;
    for (let b = this.#hash(value, 0) & mask;; b = (b + 1) & mask) {
      const slot = this.#index[b]!;
      if (slot === EMPTY) return -1;
      const id = slot - 1;
      const base = id * size;
      let i = 0;
      while (i < size && this.values[base + i] === value[i]) i++;
      if (i === size) return id;
    }
  }

  // HalfSipHash-1-3 of the value at `bytes[offset..]`, as a u32: the value read into words,
  // then the word form every table shares.
  #hash(bytes: Uint8Array, offset: number): number {
    const n = this.valueSize;
    const words = this.#words;
    loadWords(bytes, offset, n, words, 0);
    return halfSipWords(words, 0, words.length, n, this.#k0, this.#k1) >>> 0;
  }

  /** Whether {@linkcode InternTable.acquire} of `value` finds or has room for it. */
  canAcquire(value: Uint8Array): boolean {
    return this.live < INTERN_MAX || this.find(value) >= 0;
  }

  /**
   * Makes sure {@linkcode InternTable.acquire} of `value` will succeed, growing the table if
   * it needs a new id, so a caller can check before it changes anything.
   * @throws {StoreError} `ENOSPC` when the value is new and the table holds INTERN_MAX values;
   * `ENOMEM` when the table cannot grow (the table is unchanged).
   */
  reserve(value: Uint8Array): void {
    if (this.find(value) >= 0) return;
    if (this.live >= INTERN_MAX) {
      throw new StoreError("ENOSPC", `interned value table full (${INTERN_MAX} distinct values)`);
    }
    if (this.#freeTop === 0 && this.#top === this.refcnt.length) this.#grow();
  }

  /**
   * A reference to `value`: its id, with the count raised (a new id with count 1 when new).
   * @throws {StoreError} as {@linkcode InternTable.reserve}, before changing anything.
   */
  acquire(value: Uint8Array): number {
    let id = this.find(value);
    if (id >= 0) {
      this.refcnt[id]!++;
      return id;
    }
    this.reserve(value);
    id = this.#freeTop > 0 ? this.#free[--this.#freeTop]! : this.#top++;
    this.values.set(value.subarray(0, this.valueSize), id * this.valueSize);
    this.refcnt[id] = 1;
    this.#hashes[id] = this.#hash(this.values, id * this.valueSize);
    this.#insert(id);
    this.live++;
    return id;
  }

  /** Drops one reference to `id`; the value is freed when none is left. */
  release(id: number): void {
    const n = this.refcnt[id]! - 1;
    this.refcnt[id] = n;
    if (n !== 0) return;
    this.#remove(id);
    this.#free[this.#freeTop++] = id;
    this.live--;
  }

  /** Frees every value. */
  reset(): void {
    this.refcnt.fill(0);
    this.#index.fill(EMPTY);
    this.#freeTop = this.#top = this.live = 0;
  }

  #insert(id: number): void {
    const mask = this.#index.length - 1;
    let b = this.#hashes[id]! & mask;
    while (this.#index[b] !== EMPTY) b = (b + 1) & mask;
    this.#index[b] = id + 1;
  }

  #remove(id: number): void {
    const index = this.#index;
    const mask = index.length - 1;
    let hole = this.#hashes[id]! & mask;
    while (index[hole] !== id + 1) hole = (hole + 1) & mask;
    index[hole] = EMPTY;
    // Backward shift: pull later members of the probe run into the hole so lookups that
    // stop at the first empty bucket still reach them.
    for (let j = (hole + 1) & mask; index[j] !== EMPTY; j = (j + 1) & mask) {
      const home = this.#hashes[index[j]! - 1]! & mask;
      const movable = hole <= j ? home <= hole || home > j : home <= hole && home > j;
      if (movable) {
        index[hole] = index[j]!;
        index[j] = EMPTY;
        hole = j;
      }
    }
  }

  #allocValues(bytes: number): Uint8Array {
    try {
      return this.#alloc(bytes);
    } catch (err) {
      // The runtime's RangeError ("Array buffer allocation failed", "invalid array length").
      throw new StoreError(
        "ENOMEM",
        `cannot allocate an interned value table of ${bytes} bytes: ${err}`,
      );
    }
  }

  // Every new array is made before any is installed: ENOMEM leaves the table as it was.
  #grow(): void {
    const n = Math.min(this.refcnt.length * 2, INTERN_MAX);
    const values = this.#allocValues(n * this.valueSize);
    let refcnt: Uint32Array, hashes: Uint32Array, free: Int32Array, index: Int32Array;
    try {
      refcnt = new Uint32Array(n);
      hashes = new Uint32Array(n);
      free = new Int32Array(n);
      index = new Int32Array(n * 2);
    } catch (err) {
      throw new StoreError("ENOMEM", `cannot grow an interned value table to ${n} values: ${err}`);
    }
    values.set(this.values);
    this.values = values;
    refcnt.set(this.refcnt);
    this.refcnt = refcnt;
    hashes.set(this.#hashes);
    this.#hashes = hashes;
    free.set(this.#free);
    this.#free = free;
    this.#index = index;
    for (let id = 0; id < this.#top; id++) if (this.refcnt[id] !== 0) this.#insert(id);
  }
}
