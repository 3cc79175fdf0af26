/**
 * {@linkcode SharedRhash}: the resizable hash map shared by Workers.
 *
 * @module
 */

import { checkOptions, intOption, type Store, StoreError } from "@kvkit/store";
import {
  HASH_MIN_SIZE,
  roundUpPow2,
  SharedTable,
  type SharedTableInit,
  sharedTableInit,
  type TableHash,
} from "@kvkit/internal";
import { HASH_DEFAULT_SIZE, NELEM_HINT_MAX } from "./constants.ts";

/** Options of a {@linkcode SharedRhash}: rhash's, and how long a lock is waited for. */
export interface SharedRhashOptions {
  /** Key length in bytes, 1..65535 (default 4). */
  keySize: number;
  /** Value length in bytes, 1..2^24 (default 8). */
  valueSize: number;
  /**
   * The most elements, 1..2^25 (default 2^20: a shared map reserves its elements and largest
   * tables at creation - pages are touched only as they are used - so the default is smaller
   * than `Rhash`'s 2^24; elements of `maxEntries` × their size past 2^31 - 1 bytes are
   * `ENOMEM`).
   */
  maxEntries: number;
  /** Expected elements (`nelem_hint`), 0..65535: the first table's size; 0: 64 buckets. */
  nelemHint: number;
  /** The hash seed (u32); default random. Fix it only for reproducible tests. */
  seed: number;
  /**
   * `"auto"` (default) and `"halfsiphash"`: HalfSipHash-1-3 with a random key for life (a
   * shared map does not re-key); `"murmur3"`: MurmurHash3, faster, floodable by anyone.
   */
  hash: TableHash;
  /** How long a lock is waited for before `EBUSY`, in ms, 1..600,000 (default 2000). */
  lockTimeoutMs: number;
}

const OPTION_NAMES: readonly (keyof SharedRhashOptions)[] = [
  "keySize",
  "valueSize",
  "maxEntries",
  "nelemHint",
  "seed",
  "hash",
  "lockTimeoutMs",
];

/**
 * An rhash whose every array lives in SharedArrayBuffers: any number of Workers (up to 64) read
 * and write it at once, and it grows above 3/4 load and shrinks below 3/10 while they do (the
 * agent whose write crossed the line moves the buckets; a lookup never waits for it). Updates
 * copy the value in place, as the kernel's rhash does: a plain read racing a plain write may
 * see part of each. `F_LOCK` on the write and on the read (`getInto(key, out, 0, F_LOCK)`)
 * makes both take the value's lock: never torn.
 *
 * @example Locked writes and reads of one value from two attachments
 * ```ts
 * import { SharedRhash } from "@kvkit/rhash";
 * import { F_LOCK, u32Key } from "@kvkit/store";
 * import assert from "node:assert/strict";
 *
 * const map = new SharedRhash({ keySize: 4, valueSize: 64, maxEntries: 1000, nelemHint: 1 });
 * const worker = SharedRhash.attach(map.share()); // in a Worker: attach the posted handle
 * for (let i = 0; i < 100; i++) map.set(u32Key(i), new Uint8Array(64).fill(i));
 * worker.set(u32Key(5), new Uint8Array(64).fill(0xee), F_LOCK);
 * const out = new Uint8Array(64);
 * assert.ok(map.getInto(u32Key(5), out, 0, F_LOCK));
 * assert.ok(out.every((b) => b === 0xee));
 * assert.ok(map.bucketCount >= 128); // grew from 4 buckets
 * worker.close();
 * map.close();
 * ```
 */
export class SharedRhash extends SharedTable implements Store {
  /**
   * Creates a shared rhash: its elements and the two tables' largest sizes are reserved now;
   * pages are touched as they are first used.
   *
   * @param options Sizes, the limit, the size hint, hash, seed, lock wait.
   * @throws {StoreError} `EINVAL` for bad options, `ENOMEM` when the buffers cannot be allocated.
   */
  constructor(options?: Partial<SharedRhashOptions>) {
    super("rhash", { init: SharedRhash.#init(options) });
  }

  /**
   * Attaches to a shared rhash from its handle (what {@linkcode SharedTable.share} returned,
   * posted to this Worker).
   *
   * @param handle The handle.
   * @returns A store over the same map.
   * @throws {StoreError} `EINVAL` for anything that is not a live shared rhash's handle.
   */
  static attach(handle: unknown): SharedTable {
    return new SharedTable("rhash", { attach: handle });
  }

  static #init(options?: Partial<SharedRhashOptions>): SharedTableInit {
    const opts = checkOptions("rhash", options, OPTION_NAMES);
    const maxEntries = intOption("maxEntries", opts.maxEntries, 1 << 20, 1, 1 << 25);
    const hint = intOption("nelemHint", opts.nelemHint, 0, 0, NELEM_HINT_MAX);
    if (hint > maxEntries) {
      throw new StoreError("EINVAL", `nelemHint ${hint} is above maxEntries ${maxEntries}`);
    }
    // Tables grow while more than 3/4 full, so the largest holds maxEntries at 3/4 load.
    const maxBuckets = Math.max(HASH_MIN_SIZE, roundUpPow2(Math.ceil(maxEntries * 4 / 3)));
    const first = hint === 0
      ? HASH_DEFAULT_SIZE
      : Math.max(HASH_MIN_SIZE, roundUpPow2(Math.ceil(hint * 4 / 3)));
    return sharedTableInit(opts, maxEntries, Math.min(first, maxBuckets), maxBuckets);
  }
}
