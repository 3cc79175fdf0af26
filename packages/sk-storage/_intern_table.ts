/**
 * The shared, reference-counted value table of an interned map: each distinct value is stored
 * once, owners hold a 2-byte index into it.
 *
 * @module
 */

import { StoreError } from "@kvkit/store";
import { INTERN_MAX } from "./constants.ts";

// Distinct values the table starts with room for; it doubles up to INTERN_MAX.
const INITIAL_VALUES = 16;
// Marks an empty bucket of the open-addressing index (buckets hold id + 1).
const EMPTY = 0;

function fnv1a(bytes: Uint8Array, offset: number, length: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < length; i++) {
    h = Math.imul(h ^ bytes[offset + i]!, 0x01000193);
  }
  return h >>> 0;
}

/**
 * Distinct values with a reference count each, found by value through a linear-probing index
 * (deletion by backward shift, so no tombstones).
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

  constructor(valueSize: number) {
    this.valueSize = valueSize;
    this.values = new Uint8Array(INITIAL_VALUES * valueSize);
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
    for (let b = fnv1a(value, 0, size) & mask;; b = (b + 1) & mask) {
      const slot = this.#index[b]!;
      if (slot === EMPTY) return -1;
      const id = slot - 1;
      const base = id * size;
      let i = 0;
      while (i < size && this.values[base + i] === value[i]) i++;
      if (i === size) return id;
    }
  }

  /** Whether {@linkcode InternTable.acquire} of `value` would succeed. */
  canAcquire(value: Uint8Array): boolean {
    return this.live < INTERN_MAX || this.find(value) >= 0;
  }

  /**
   * A reference to `value`: its id, with the count raised (a new id with count 1 when new).
   * @throws {StoreError} `ENOSPC` when the value is new and the table holds INTERN_MAX values.
   */
  acquire(value: Uint8Array): number {
    let id = this.find(value);
    if (id >= 0) {
      this.refcnt[id]!++;
      return id;
    }
    if (this.live >= INTERN_MAX) {
      throw new StoreError("ENOSPC", `interned value table full (${INTERN_MAX} distinct values)`);
    }
    if (this.#freeTop > 0) {
      id = this.#free[--this.#freeTop]!;
    } else {
      if (this.#top === this.refcnt.length) this.#grow();
      id = this.#top++;
    }
    this.values.set(value.subarray(0, this.valueSize), id * this.valueSize);
    this.refcnt[id] = 1;
    this.#hashes[id] = fnv1a(this.values, id * this.valueSize, this.valueSize);
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

  #grow(): void {
    const n = Math.min(this.refcnt.length * 2, INTERN_MAX);
    const values = new Uint8Array(n * this.valueSize);
    values.set(this.values);
    this.values = values;
    const refcnt = new Uint32Array(n);
    refcnt.set(this.refcnt);
    this.refcnt = refcnt;
    const hashes = new Uint32Array(n);
    hashes.set(this.#hashes);
    this.#hashes = hashes;
    const free = new Int32Array(n);
    free.set(this.#free);
    this.#free = free;
    this.#index = new Int32Array(n * 2);
    for (let id = 0; id < this.#top; id++) if (this.refcnt[id] !== 0) this.#insert(id);
  }
}
