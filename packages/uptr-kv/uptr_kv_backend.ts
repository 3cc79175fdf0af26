/**
 * The `uptr-kv` backend: a {@linkcode UptrKvOwner} behind the byte-keyed Store contract.
 *
 * @module
 */

import {
  allocBytes,
  type Backend,
  type Capabilities,
  checkKey,
  checkLookup,
  checkPresence,
  checkRoom,
  checkUpdate,
  isStoreError,
  type IterateOptions,
  readU32Key,
  type Store,
  StoreBase,
  StoreError,
} from "@kvkit/store";
import { META_ENTRIES, VALUE_MAX, VALUE_MIN } from "./layout.ts";
import { type UptrKvOptions, UptrKvOwner } from "./uptr_kv_owner.ts";

// Writes integer key `k` (0..1023) into `out` as a 4-byte little-endian key.
function writeKey(k: number, out: Uint8Array): Uint8Array {
  out[0] = k & 0xff;
  out[1] = k >>> 8;
  out[2] = 0;
  out[3] = 0;
  return out;
}

/** Options of the `uptr-kv` backend: those of {@linkcode UptrKvOwner}. */
export type UptrKvStoreOptions = UptrKvOptions;

/**
 * A uptr-kv store as a {@linkcode Store}: 4-byte little-endian u32 keys 0..1023, values of
 * 1..4096 bytes (E2BIG above), ordered by key.
 *
 * Admission is a function of the value lengths alone, and monotone: a `set` that keeps a
 * present key's length always succeeds (in place); any other `set` succeeds when the lengths
 * after it pass {@linkcode UptrKvOwner.admits} - each value charged its size class (its
 * 8-byte slot rounded up to a power of two; slots of up to 128 bytes may instead be charged
 * their own length plus 120 bytes per page boundary), the total at most `maxPages` pages -
 * and is `ENOSPC` otherwise, even if a free run happens to exist. So every state the store
 * reached can be rebuilt from empty in any order (save and load work), and a delete always
 * makes room for a value no larger than the one deleted. An admitted value goes to the first
 * free run that fits (adding a page when none does); when the layout is too fragmented for
 * that, every value is repacked canonically first, which admitted values always fit.
 *
 * The read path of hot loops is {@linkcode UptrKvStore.getInto}: it copies into the caller's
 * buffer and allocates nothing. Copies that `get`, `nextKey` and iteration return are carved
 * from a shared slab (`allocBytes`); `entries({ reuse: true })` reuses its arrays instead.
 *
 * | operation | cost |
 * | --- | --- |
 * | get / getInto / has / in-place set | O(value size) |
 * | set that allocates | O(pages + granules scanned); O(1024 + pages × 512) when over half full or after a program delete |
 * | delete | O(value size) |
 * | nextKey, size | O(1024) |
 * | entries / keys / values | O(1024 + value bytes) for the whole walk |
 *
 * @example ENOSPC, E2BIG and ordered keys
 * ```ts
 * import { UptrKvStore } from "@kvkit/uptr-kv";
 * import { u32Key } from "@kvkit/store";
 * import assert from "node:assert/strict";
 *
 * const store = new UptrKvStore({ maxPages: 1 });
 * store.set(u32Key(7), new Uint8Array(4000));
 * assert.throws(() => store.set(u32Key(8), new Uint8Array(100)), { code: "ENOSPC" });
 * assert.throws(() => store.set(u32Key(8), new Uint8Array(4097)), { code: "E2BIG" });
 * assert.deepEqual(store.nextKey(u32Key(3)), u32Key(7));
 * ```
 */
export class UptrKvStore extends StoreBase implements Store {
  /** The catalog name. */
  readonly backend = "uptr-kv";
  /** Keys 0..1023 as 4-byte LE, values 1..4096 bytes, ordered, `ENOSPC` when full. */
  readonly capabilities: Capabilities = {
    keySize: { min: 4, max: 4 },
    valueSize: { min: VALUE_MIN, max: VALUE_MAX },
    keyRange: { min: 0, max: META_ENTRIES - 1 },
    maxEntries: META_ENTRIES,
    ordered: true,
    fullError: "ENOSPC",
    valueTooBig: "E2BIG",
    lock: false,
  };
  /** The owner underneath: its regions can be shared with Workers. */
  readonly owner: UptrKvOwner;

  /**
   * Creates an empty store.
   *
   * @param options Consistency, shared or plain buffers, and the page limit.
   * @throws {StoreError} `EINVAL` for options that are not an object, an unknown option name,
   * or a bad value.
   */
  constructor(options?: Partial<UptrKvStoreOptions>) {
    super();
    this.owner = new UptrKvOwner(options);
  }

  /** The number of entries. */
  get size(): number {
    return this.owner.size;
  }

  /**
   * A copy of the value of `key`.
   *
   * @param key A 4-byte LE key, 0..1023.
   * @returns The copy, or `undefined` when absent.
   */
  get(key: Uint8Array): Uint8Array | undefined {
    checkKey(this.capabilities, key);
    return this.owner.get(readU32Key(key));
  }

  /**
   * Copies the value of `key` into `out` at `offset`, allocating nothing: the read path of
   * hot loops.
   *
   * @param key A 4-byte LE key, 0..1023.
   * @param out Receives the value; needs room for the value found (1..4096 bytes).
   * @param offset Where in `out` the value starts (default 0).
   * @param flags `0` (no locked reads: `F_LOCK` is `EINVAL`).
   * @returns `true` with the value copied; `false`, `out` untouched, when absent.
   * @throws {StoreError} `EINVAL` for bad flags, a bad key, or no room in `out` for the value
   * found (`out` untouched).
   *
   * @example Reading into a caller-owned buffer
   * ```ts
   * import { UptrKvStore } from "@kvkit/uptr-kv";
   * import { u32Key } from "@kvkit/store";
   * import assert from "node:assert/strict";
   *
   * const store = new UptrKvStore({ shared: false });
   * store.set(u32Key(5), new Uint8Array([1, 2, 3]));
   * const out = new Uint8Array(8);
   * assert.equal(store.getInto(u32Key(5), out, 4), true);
   * assert.deepEqual(out, new Uint8Array([0, 0, 0, 0, 1, 2, 3, 0]));
   * assert.equal(store.getInto(u32Key(6), out), false);
   * assert.throws(() => store.getInto(u32Key(5), out, 6), { code: "EINVAL" }); // 3 bytes at 6
   * ```
   */
  override getInto(key: Uint8Array, out: Uint8Array, offset = 0, flags = 0): boolean {
    // One inline test for the common case; the full checks (which throw) only when it fails.
    if (
      flags !== 0 || !(key instanceof Uint8Array) || key.length !== 4 ||
      !(out instanceof Uint8Array) || typeof offset !== "number" || (offset >>> 0) !== offset
    ) {
      checkLookup(this.capabilities, key, out, offset, flags);
    }
    const k = (key[0]! | key[1]! << 8 | key[2]! << 16 | key[3]! << 24) >>> 0;
    if (k >= META_ENTRIES) checkKey(this.capabilities, key);
    const program = this.owner.program;
    const n = program.sizeOf(k);
    if (n === undefined) return false;
    if (offset + n > out.length) checkRoom(out, offset, n);
    try {
      program.getInto(k, out, offset);
      return true;
    } catch (err) {
      // A program (a Worker) deleted the key since sizeOf: absent.
      if (isStoreError(err, "ENOENT")) return false;
      throw err;
    }
  }

  /**
   * Whether `key` is present.
   *
   * @param key A 4-byte LE key, 0..1023.
   * @returns `true` when present.
   */
  has(key: Uint8Array): boolean {
    checkKey(this.capabilities, key);
    return this.owner.has(readU32Key(key));
  }

  /**
   * Creates or updates `key` (see the class doc for the admission rule).
   *
   * @param key A 4-byte LE key, 0..1023.
   * @param value 1..4096 bytes, copied.
   * @param flags `ANY`, `NOEXIST` or `EXIST`.
   */
  set(key: Uint8Array, value: Uint8Array, flags = 0): void {
    const mode = checkUpdate(this.capabilities, key, value, flags);
    const k = readU32Key(key);
    const present = this.owner.program.sizeOf(k);
    checkPresence(mode, present !== undefined);
    if (present !== value.length) {
      if (!this.owner.admits(k, value.length)) {
        throw new StoreError(
          "ENOSPC",
          `key ${k} (${value.length} bytes): the values would not fit in ${this.owner.maxPages} pages`,
        );
      }
    }
    this.owner.put(k, value, { repack: true });
  }

  /**
   * Removes `key`.
   *
   * @param key A 4-byte LE key, 0..1023.
   * @returns `false` when it was absent.
   */
  delete(key: Uint8Array): boolean {
    checkKey(this.capabilities, key);
    return this.owner.delete(readU32Key(key));
  }

  /** Removes every entry; allocated pages stay allocated. */
  clear(): void {
    this.owner.clear();
  }

  /**
   * The next present key in ascending order, as a copy.
   *
   * @param key `undefined` for the first key; any valid key, present or not.
   * @returns The next key, or `undefined` after the last.
   */
  nextKey(key?: Uint8Array): Uint8Array | undefined {
    let k = 0;
    if (key !== undefined) {
      checkKey(this.capabilities, key);
      k = readU32Key(key) + 1;
    }
    for (; k < META_ENTRIES; k++) if (this.owner.has(k)) return writeKey(k, allocBytes(4));
    return undefined;
  }

  /**
   * Every entry, keys ascending: copies, or with `{ reuse: true }` one `[key, value]` tuple,
   * one key array and one value array per value length, overwritten at every step. The
   * consumer may delete any key during the walk.
   *
   * @param options `reuse: true` yields reused arrays instead of copies.
   * @returns An iterator of `[key, value]`.
   *
   * @example Walking values of several lengths with reused arrays
   * ```ts
   * import { UptrKvStore } from "@kvkit/uptr-kv";
   * import { u32Key } from "@kvkit/store";
   * import assert from "node:assert/strict";
   *
   * const store = new UptrKvStore({ shared: false });
   * store.set(u32Key(2), new Uint8Array([20]));
   * store.set(u32Key(1), new Uint8Array([10, 11]));
   * const seen: number[][] = [];
   * for (const [key, value] of store.entries({ reuse: true })) seen.push([key[0]!, ...value]);
   * assert.deepEqual(seen, [[1, 10, 11], [2, 20]]);
   * ```
   */
  *entries(options?: IterateOptions): IterableIterator<[Uint8Array, Uint8Array]> {
    if (options?.reuse !== true) {
      for (let k = 0; k < META_ENTRIES; k++) {
        const value = this.owner.get(k);
        if (value !== undefined) yield [writeKey(k, allocBytes(4)), value];
      }
      return;
    }
    const key = new Uint8Array(4);
    const entry: [Uint8Array, Uint8Array] = [key, key];
    const read = this.#reusingReader();
    for (let k = 0; k < META_ENTRIES; k++) {
      const value = read(k);
      if (value === undefined) continue;
      writeKey(k, key);
      entry[1] = value;
      yield entry;
    }
  }

  /**
   * Every present key, ascending: copies, or one reused array with `{ reuse: true }`.
   *
   * @param options `reuse: true` yields the same array at every step.
   * @returns An iterator of keys.
   */
  override *keys(options?: IterateOptions): IterableIterator<Uint8Array> {
    const reused = options?.reuse === true ? new Uint8Array(4) : undefined;
    for (let k = 0; k < META_ENTRIES; k++) {
      if (this.owner.has(k)) yield writeKey(k, reused ?? allocBytes(4));
    }
  }

  /**
   * Every value, keys ascending: copies, or one reused array per value length with
   * `{ reuse: true }`.
   *
   * @param options `reuse: true` yields reused arrays instead of copies.
   * @returns An iterator of values.
   */
  override *values(options?: IterateOptions): IterableIterator<Uint8Array> {
    const read = options?.reuse === true ? this.#reusingReader() : undefined;
    for (let k = 0; k < META_ENTRIES; k++) {
      const value = read === undefined ? this.owner.get(k) : read(k);
      if (value !== undefined) yield value;
    }
  }

  // The reader of a reusing walk: reads key `k` into the walk's array of its length (views
  // of one 4 KB buffer, made on first use); `undefined` when absent.
  #reusingReader(): (k: number) => Uint8Array | undefined {
    const program = this.owner.program;
    const buffer = new Uint8Array(VALUE_MAX);
    const views: (Uint8Array | undefined)[] = [];
    return (k) => {
      const n = program.sizeOf(k);
      if (n === undefined) return undefined;
      const view = views[n] ??= buffer.subarray(0, n);
      try {
        program.getInto(k, view);
        return view;
      } catch (err) {
        // A program (a Worker) deleted the key since sizeOf: absent.
        if (isStoreError(err, "ENOENT")) return undefined;
        throw err;
      }
    };
  }

  /**
   * The bytes of the metadata, the allocated data pages and the control region.
   *
   * @returns The byte count.
   */
  memoryUsage(): number {
    return this.owner.memoryUsage();
  }

  /**
   * The metadata entries and the page occupancy, drawn as text.
   *
   * @returns The drawing.
   */
  describe(): string {
    return this.owner.describe();
  }
}

/** The `uptr-kv` backend of the catalog. */
export const uptrKvBackend: Backend<UptrKvStoreOptions> = {
  name: "uptr-kv",
  summary: "1024 integer keys, 1 B-4 KB values in shared metadata + on-demand 4 KB pages " +
    "(Workers attach; manifest-driven layout migration)",
  create: (options?: Partial<UptrKvStoreOptions>): Store => new UptrKvStore(options),
};
