/**
 * {@linkcode SharedHtab}: `BPF_MAP_TYPE_HASH` shared by Workers.
 *
 * @module
 */

import { checkOptions, intOption, type Store } from "@kvkit/store";
import {
  roundUpPow2,
  SharedTable,
  type SharedTableInit,
  sharedTableInit,
  type TableHash,
} from "@kvkit/internal";

/** Options of a {@linkcode SharedHtab}: htab's, and how long a lock is waited for. */
export interface SharedHtabOptions {
  /** Key length in bytes, 1..65535 (default 4). */
  keySize: number;
  /** Value length in bytes, 1..2^24 (default 8). */
  valueSize: number;
  /** The most entries, 1..2^26 (default 1024); also the bucket count (rounded up to 2^n). */
  maxEntries: number;
  /** The hash seed (u32); default random. Fix it only for reproducible tests. */
  seed: number;
  /**
   * `"auto"` (default) and `"halfsiphash"`: HalfSipHash-1-3 with a random key (a shared table
   * cannot re-key itself under its readers, so it is keyed from the start); `"murmur3"`:
   * MurmurHash3, faster, floodable by anyone.
   */
  hash: TableHash;
  /** How long a lock is waited for before `EBUSY`, in ms, 1..600,000 (default 2000). */
  lockTimeoutMs: number;
}

const OPTION_NAMES: readonly (keyof SharedHtabOptions)[] = [
  "keySize",
  "valueSize",
  "maxEntries",
  "seed",
  "hash",
  "lockTimeoutMs",
];

/**
 * An htab whose every array lives in SharedArrayBuffers: any number of Workers (up to 64) read
 * and write it at once. Writers lock one bucket; readers lock nothing. An update links a new
 * element before unlinking the old one (as `htab_map_update_elem`), so a plain reader never
 * sees a torn value and never misses a key that stays present. `F_LOCK` updates copy in place
 * under the value's lock, and `F_LOCK` reads copy under it (`BPF_F_LOCK`).
 *
 * @example A map, a handle, and a second attachment (a Worker does the same with the handle)
 * ```ts
 * import { SharedHtab } from "@kvkit/htab";
 * import { F_LOCK, u32Key } from "@kvkit/store";
 * import assert from "node:assert/strict";
 *
 * const map = new SharedHtab({ keySize: 4, valueSize: 4, maxEntries: 1000 });
 * const other = SharedHtab.attach(map.share()); // new Worker(...).postMessage(map.share())
 * map.set(u32Key(7), new Uint8Array([1, 2, 3, 4]));
 * const out = new Uint8Array(4);
 * assert.ok(other.getInto(u32Key(7), out, 0, F_LOCK));
 * assert.deepEqual(out, new Uint8Array([1, 2, 3, 4]));
 * assert.equal(other.size, 1);
 * other.close();
 * map.close();
 * ```
 */
export class SharedHtab extends SharedTable implements Store {
  /**
   * Creates a shared htab: `maxEntries` elements and the buckets allocated now (pages are
   * touched as elements are first used).
   *
   * @param options Sizes, the entry limit, hash, seed, lock wait.
   * @throws {StoreError} `EINVAL` for bad options, `ENOMEM` when the buffers cannot be allocated.
   */
  constructor(options?: Partial<SharedHtabOptions>) {
    super("htab", { init: SharedHtab.#init(options) });
  }

  /**
   * Attaches to a shared htab from its handle (what {@linkcode SharedTable.share} returned,
   * posted to this Worker).
   *
   * @param handle The handle.
   * @returns A store over the same map.
   * @throws {StoreError} `EINVAL` for anything that is not a live shared htab's handle.
   */
  static attach(handle: unknown): SharedTable {
    return new SharedTable("htab", { attach: handle });
  }

  static #init(options?: Partial<SharedHtabOptions>): SharedTableInit {
    const opts = checkOptions("htab", options, OPTION_NAMES);
    const maxEntries = intOption("maxEntries", opts.maxEntries, 1024, 1, 1 << 26);
    // The kernel's n_buckets: max_entries rounded up to a power of two, fixed for life.
    const buckets = roundUpPow2(maxEntries);
    return sharedTableInit(opts, maxEntries, buckets, buckets);
  }
}
