/**
 * The `uptr-kv` backend: a {@linkcode UptrKvOwner} behind the byte-keyed Store contract.
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
import { META_ENTRIES, VALUE_MAX, VALUE_MIN } from "./layout.ts";
import { type UptrKvOptions, UptrKvOwner } from "./uptr_kv_owner.ts";

/** Options of the `uptr-kv` backend: those of {@linkcode UptrKvOwner}. */
export type UptrKvStoreOptions = UptrKvOptions;

/**
 * A uptr-kv store as a {@linkcode Store}: 4-byte little-endian u32 keys 0..1023, values of
 * 1..4096 bytes (E2BIG above), ordered by key.
 *
 * Admission is a function of the entries alone, so it can be predicted exactly: a `set` that
 * keeps a present key's length always succeeds (in place); any other `set` succeeds when the
 * entries after it fit the canonical packing - keys ascending, each value rounded up to 8
 * bytes and placed in the first of `maxPages` pages with room - and is `ENOSPC` otherwise,
 * even if a free run happens to exist. An admitted value goes to the first free run that
 * fits (adding a page when none does); when the layout is too fragmented for that, every
 * value is repacked canonically first.
 *
 * | operation | cost |
 * | --- | --- |
 * | get / has / in-place set | O(value size) |
 * | set that allocates | O(pages + granules scanned); O(1024 + pages × 512) when over half full or after a program delete |
 * | delete | O(value size) |
 * | nextKey, size | O(1024) |
 *
 * @example
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
   */
  constructor(options: Partial<UptrKvStoreOptions> = {}) {
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
    if (mode === NOEXIST && present !== undefined) {
      throw new StoreError("EEXIST", `key ${k} exists`);
    }
    if (mode === EXIST && present === undefined) {
      throw new StoreError("ENOENT", `key ${k} not found`);
    }
    if (present !== value.length) {
      if (!this.owner.canonicalFits(k, value.length)) {
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
   * The next present key in ascending order.
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
    for (; k < META_ENTRIES; k++) if (this.owner.has(k)) return u32Key(k);
    return undefined;
  }

  /**
   * Every entry, keys ascending, as copies.
   *
   * @returns An iterator of `[key, value]`.
   */
  *entries(): IterableIterator<[Uint8Array, Uint8Array]> {
    for (let k = 0; k < META_ENTRIES; k++) {
      const value = this.owner.get(k);
      if (value !== undefined) yield [u32Key(k), value];
    }
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
