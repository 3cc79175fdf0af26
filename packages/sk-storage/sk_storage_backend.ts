/**
 * The `sk-storage` backend: one storage map over a table of N owners, behind the
 * {@linkcode Store} contract.
 *
 * @module
 */

import {
  allocBytes,
  type Backend,
  type Capabilities,
  checkKey,
  checkLookup,
  checkOptions,
  checkPresence,
  checkUpdate,
  intOption,
  type IterateOptions,
  type Store,
  StoreBase,
  StoreError,
} from "@kvkit/store";
import { coreOf } from "./_internals.ts";
import type { LocalStorage, MapState } from "./_local_storage.ts";
import { describeTable } from "./_describe.ts";
import { INTERN_MAX, MAX_INLINE_BYTES, MAX_OWNERS, MAX_VALUE_SIZE } from "./constants.ts";
import { OwnerTable } from "./owner_table.ts";
import { SkStorageMap } from "./sk_storage_map.ts";

/** Options of the `sk-storage` backend. */
export interface SkStorageStoreOptions {
  /** Owners in the table: keys are u32 owner ids 0..owners-1 (default 1024). */
  owners: number;
  /** Value size in bytes (default 8). */
  valueSize: number;
  /**
   * Inline area per owner (default: the map's per-owner bytes, so the map is inline);
   * 0 puts the map on the fallback path.
   */
  inlineBytes: number;
  /**
   * Intern values: a shared value table and a 2-byte index per owner (default `false`). With
   * more than 65535 owners this caps the store at 65535 values (`maxEntries`, `ENOSPC`).
   */
  interned: boolean;
}

// An interned store holds at most INTERN_MAX - 1 values, so the value table always has room
// for one more: replacing a value takes the new one before dropping the old, and with
// INTERN_MAX distinct values held that replace would fail (ENOSPC) on a present key.
const INTERNED_MAX_ENTRIES = INTERN_MAX - 1;

// The option names the Store view reads: checkOptions refuses any other.
const OPTION_NAMES = ["owners", "valueSize", "inlineBytes", "interned"] as const;

// Writes owner slot `slot` into `out` as a 4-byte little-endian key.
const writeKey = (slot: number, out: Uint8Array): Uint8Array => {
  out[0] = slot & 0xff;
  out[1] = (slot >>> 8) & 0xff;
  out[2] = (slot >>> 16) & 0xff;
  out[3] = slot >>> 24;
  return out;
};
const slotOfKey = (key: Uint8Array): number =>
  (key[0]! | key[1]! << 8 | key[2]! << 16 | key[3]! << 24) >>> 0;

/**
 * One {@linkcode SkStorageMap} over an {@linkcode OwnerTable} whose owners 0..N-1 all
 * exist; key `k` (4-byte LE u32) is owner `k`, present when that owner has a value. Ordered:
 * keys ascend by owner id.
 *
 * | operation | inline | fallback |
 * | --- | --- | --- |
 * | get / getInto / has / set / delete | O(1) | O(1) (one map: always a cache hit) |
 * | nextKey | O(owners to the next value) | same |
 * | entries / keys / values | O(owners) for the whole walk | same |
 * | clear | O(owners) | O(values) |
 *
 * Every owner can hold a value (`maxEntries` = owners, `fullError` `E2BIG` unreachable),
 * except an interned store over more than 65535 owners: it holds at most 65535 values and a
 * new key past that is `ENOSPC` (the value table's limit). `optmemMax` is not an option here
 * (`EINVAL`): with one map every fallback create charges an owner the same bytes, so it would
 * refuse all creates or none; it stays on {@linkcode OwnerTable}. Options whose product
 * cannot be allocated (`owners * inlineBytes` above `MAX_INLINE_AREA`, 4 GiB) are `ENOMEM`.
 *
 * The read path of hot loops is {@linkcode SkStorageStore.getInto}: it copies into the
 * caller's buffer and allocates nothing. Copies that `get`, `nextKey` and iteration return are
 * carved from a shared slab (`allocBytes`); `entries({ reuse: true })` reuses its arrays.
 *
 * @example Owner ids as keys
 * ```ts
 * import { SkStorageStore } from "@kvkit/sk-storage";
 * import { u32Key } from "@kvkit/store";
 * import assert from "node:assert/strict";
 *
 * const store = new SkStorageStore({ owners: 16, valueSize: 4 });
 * store.set(u32Key(3), new Uint8Array([1, 2, 3, 4]));
 * assert.equal(store.size, 1);
 * assert.throws(() => store.set(u32Key(16), new Uint8Array(4)), { code: "EINVAL" });
 * assert.equal(store.map.inline, true);
 * ```
 */
export class SkStorageStore extends StoreBase implements Store {
  /** The catalog name. */
  readonly backend = "sk-storage";
  /**
   * u32 keys 0..owners-1, the fixed value size, ordered; `maxEntries` owners with `E2BIG`
   * (never reached), or 65535 with `ENOSPC` for an interned store over more owners.
   */
  readonly capabilities: Capabilities;
  /** The owner table; owners 0..N-1 are created up front. */
  readonly table: OwnerTable;
  /** The store's map, named `sk-storage`. */
  readonly map: SkStorageMap;
  readonly #core: LocalStorage;
  readonly #state: MapState;
  readonly #owners: number;
  readonly #valueSize: number;

  /**
   * Creates the table, its N owners and the map.
   *
   * @param options Owners, value size, inline area, interning.
   * @throws {StoreError} `EINVAL` for options that are not an object, an unknown option name
   * (`optmemMax` too), or an option out of range; `ENOMEM` when the table cannot be allocated.
   */
  constructor(options?: Partial<SkStorageStoreOptions>) {
    super();
    const optmemMax = (options as { optmemMax?: unknown } | null | undefined)?.optmemMax;
    if (optmemMax !== undefined) {
      throw new StoreError(
        "EINVAL",
        `optmemMax ${String(optmemMax)} is not a Store view option (use OwnerTable)`,
      );
    }
    const o = checkOptions("sk-storage", options, OPTION_NAMES);
    const owners = intOption("owners", o.owners, 1024, 1, MAX_OWNERS);
    const valueSize = intOption("valueSize", o.valueSize, 8, 1, MAX_VALUE_SIZE);
    const interned = o.interned ?? false;
    if (typeof interned !== "boolean") {
      throw new StoreError("EINVAL", `interned ${String(interned)} is not a boolean`);
    }
    const perOwner = interned ? 2 : valueSize;
    const inlineBytes = intOption("inlineBytes", o.inlineBytes, perOwner, 0, MAX_INLINE_BYTES);
    this.#owners = owners;
    this.#valueSize = valueSize;
    this.table = new OwnerTable({ owners, inlineBytes });
    for (let i = 0; i < owners; i++) this.table.createOwner();
    this.map = new SkStorageMap(this.table, { name: "sk-storage", valueSize, interned });
    this.#core = coreOf(this.table);
    this.#state = this.#core.maps[0]!;
    const capped = interned && owners > INTERNED_MAX_ENTRIES;
    this.capabilities = {
      keySize: { min: 4, max: 4 },
      valueSize: { min: valueSize, max: valueSize },
      keyRange: { min: 0, max: owners - 1 },
      maxEntries: capped ? INTERNED_MAX_ENTRIES : owners,
      ordered: true,
      fullError: capped ? "ENOSPC" : "E2BIG",
      valueTooBig: "EINVAL",
      lock: false,
    };
  }

  /** The number of owners with a value. */
  get size(): number {
    return this.map.size;
  }

  /**
   * A copy of the value of owner `key` (carved from a shared slab by `allocBytes`).
   *
   * @param key A 4-byte LE owner id, 0..owners-1.
   * @returns The copy, or `undefined` when that owner has none.
   * @throws {StoreError} `EINVAL` for a bad key.
   */
  get(key: Uint8Array): Uint8Array | undefined {
    // The inline test of getInto: the full check (which throws) only when it fails.
    if (!(key instanceof Uint8Array) || key.length !== 4) checkKey(this.capabilities, key);
    const slot = (key[0]! | key[1]! << 8 | key[2]! << 16 | key[3]! << 24) >>> 0;
    if (slot >= this.#owners) checkKey(this.capabilities, key);
    const at = this.#core.locate(this.#state, slot);
    if (at < 0) return undefined;
    const out = allocBytes(this.#valueSize);
    this.#core.read(this.#state, at, out, 0);
    return out;
  }

  /**
   * Copies the value of owner `key` into `out` at `offset`, allocating nothing: the read path
   * of hot loops.
   *
   * @param key A 4-byte LE owner id, 0..owners-1.
   * @param out Receives the value; needs `valueSize` bytes from `offset`, present key or not.
   * @param offset Where in `out` the value starts (default 0).
   * @param flags `0` (no locked reads: `F_LOCK` is `EINVAL`).
   * @returns `true` with the value copied; `false`, `out` untouched, when the owner has none.
   * @throws {StoreError} `EINVAL` for bad flags, a bad key or no room in `out`.
   *
   * @example Reading into a caller-owned buffer
   * ```ts
   * import { SkStorageStore } from "@kvkit/sk-storage";
   * import { u32Key } from "@kvkit/store";
   * import assert from "node:assert/strict";
   *
   * const store = new SkStorageStore({ owners: 4, valueSize: 2 });
   * store.set(u32Key(3), new Uint8Array([7, 8]));
   * const out = new Uint8Array(4);
   * assert.equal(store.getInto(u32Key(3), out, 2), true);
   * assert.deepEqual(out, new Uint8Array([0, 0, 7, 8]));
   * assert.equal(store.getInto(u32Key(2), out), false);
   * assert.throws(() => store.getInto(u32Key(4), out), { code: "EINVAL" }); // no owner 4
   * ```
   */
  override getInto(key: Uint8Array, out: Uint8Array, offset = 0, flags = 0): boolean {
    // One inline test for the common case; the full check (which throws) only when it fails.
    if (
      flags !== 0 || !(key instanceof Uint8Array) || key.length !== 4 ||
      !(out instanceof Uint8Array) || typeof offset !== "number" || (offset >>> 0) !== offset ||
      offset + this.#valueSize > out.length
    ) {
      checkLookup(this.capabilities, key, out, offset, flags);
    }
    const slot = (key[0]! | key[1]! << 8 | key[2]! << 16 | key[3]! << 24) >>> 0;
    if (slot >= this.#owners) checkKey(this.capabilities, key);
    // Owner ids are slots here: every owner exists from the start, none is ever destroyed.
    const at = this.#core.locate(this.#state, slot);
    if (at < 0) return false;
    this.#core.read(this.#state, at, out, offset);
    return true;
  }

  /**
   * Whether owner `key` has a value.
   *
   * @param key A 4-byte LE owner id, 0..owners-1.
   * @returns `true` when it has one.
   * @throws {StoreError} `EINVAL` for a bad key.
   */
  has(key: Uint8Array): boolean {
    checkKey(this.capabilities, key);
    return this.map.has(slotOfKey(key));
  }

  /**
   * Creates or replaces owner `key`'s value per `flags`, in place.
   *
   * @param key A 4-byte LE owner id, 0..owners-1.
   * @param value `valueSize` bytes, copied.
   * @param flags `ANY`, `NOEXIST` or `EXIST`.
   * @throws {StoreError} `EINVAL` for bad flags, key or length; `EEXIST` / `ENOENT` per
   * `flags`; `ENOSPC` for a new value of an interned store holding 65535.
   */
  set(key: Uint8Array, value: Uint8Array, flags = 0): void {
    const mode = checkUpdate(this.capabilities, key, value, flags);
    const owner = slotOfKey(key);
    const present = this.map.has(owner);
    checkPresence(mode, present);
    const { maxEntries, fullError } = this.capabilities;
    if (!present && this.map.size >= maxEntries) {
      throw new StoreError(fullError, `store full (${maxEntries} values), owner ${owner} has none`);
    }
    this.map.set(owner, value);
  }

  /**
   * Removes owner `key`'s value.
   *
   * @param key A 4-byte LE owner id, 0..owners-1.
   * @returns `false` when it had none.
   * @throws {StoreError} `EINVAL` for a bad key.
   */
  delete(key: Uint8Array): boolean {
    checkKey(this.capabilities, key);
    return this.map.delete(slotOfKey(key));
  }

  /** Removes every owner's value; the owners and the map's reservation stay. */
  clear(): void {
    this.map.clear();
  }

  /**
   * The next owner id with a value, ascending, as a copy.
   *
   * @param key `undefined` for the first; any valid owner key, with a value or not.
   * @returns The next key, or `undefined` after the last.
   * @throws {StoreError} `EINVAL` for a bad key.
   */
  nextKey(key?: Uint8Array): Uint8Array | undefined {
    let from = 0;
    if (key !== undefined) {
      checkKey(this.capabilities, key);
      from = slotOfKey(key) + 1;
    }
    const slot = this.#core.nextSlot(this.#state, from);
    return slot < 0 ? undefined : writeKey(slot, allocBytes(4));
  }

  /**
   * Every `[owner key, value]`, ascending by owner id: copies, or with `{ reuse: true }` one
   * tuple, key array and value array overwritten at every step. The consumer may delete any
   * key during the walk (the next owner is looked up only when the walk resumes).
   *
   * @param options `reuse: true` yields reused arrays instead of copies.
   * @returns An iterator of `[key, value]`.
   *
   * @example Walking values with reused arrays
   * ```ts
   * import { SkStorageStore } from "@kvkit/sk-storage";
   * import { u32Key } from "@kvkit/store";
   * import assert from "node:assert/strict";
   *
   * const store = new SkStorageStore({ owners: 8, valueSize: 1 });
   * store.set(u32Key(5), new Uint8Array([50]));
   * store.set(u32Key(2), new Uint8Array([20]));
   * const seen: number[] = [];
   * for (const [key, value] of store.entries({ reuse: true })) seen.push(key[0]!, value[0]!);
   * assert.deepEqual(seen, [2, 20, 5, 50]);
   * ```
   */
  *entries(options?: IterateOptions): IterableIterator<[Uint8Array, Uint8Array]> {
    const core = this.#core;
    const state = this.#state;
    const vs = this.#valueSize;
    const reuse = options?.reuse === true;
    const entry: [Uint8Array, Uint8Array] | undefined = reuse
      ? [new Uint8Array(4), new Uint8Array(vs)]
      : undefined;
    // nextSlot's walk, inlined so each entry is located once.
    const ids = core.idOf;
    for (let slot = 0; slot < core.capacity && state.count !== 0; slot++) {
      if (ids[slot]! < 0) continue;
      const at = core.locate(state, slot);
      if (at < 0) continue;
      if (entry !== undefined) {
        writeKey(slot, entry[0]);
        core.read(state, at, entry[1], 0);
        yield entry;
      } else {
        const value = allocBytes(vs);
        core.read(state, at, value, 0);
        yield [writeKey(slot, allocBytes(4)), value];
      }
    }
  }

  /**
   * Every owner key with a value, ascending: copies, or one reused array with
   * `{ reuse: true }`.
   *
   * @param options `reuse: true` yields the same array at every step.
   * @returns An iterator of keys.
   */
  override *keys(options?: IterateOptions): IterableIterator<Uint8Array> {
    const core = this.#core;
    const state = this.#state;
    const reused = options?.reuse === true ? new Uint8Array(4) : undefined;
    for (let slot = core.nextSlot(state, 0); slot >= 0; slot = core.nextSlot(state, slot + 1)) {
      yield writeKey(slot, reused ?? allocBytes(4));
    }
  }

  /**
   * Every value, ascending by owner id: copies, or one reused array with `{ reuse: true }`.
   *
   * @param options `reuse: true` yields the same array at every step.
   * @returns An iterator of values.
   */
  override *values(options?: IterateOptions): IterableIterator<Uint8Array> {
    const core = this.#core;
    const state = this.#state;
    const vs = this.#valueSize;
    const reused = options?.reuse === true ? new Uint8Array(vs) : undefined;
    for (let slot = core.nextSlot(state, 0); slot >= 0; slot = core.nextSlot(state, slot + 1)) {
      const value = reused ?? allocBytes(vs);
      core.read(state, core.locate(state, slot), value, 0);
      yield value;
    }
  }

  /**
   * The bytes of the owner table (owner arrays, inline area) and the fallback buffers.
   *
   * @returns The byte count.
   */
  memoryUsage(): number {
    return this.table.memory().total;
  }

  /**
   * Walks the owner table and throws when an invariant does not hold (the conformance suite
   * calls it after every operation).
   *
   * @throws {Error} naming the broken invariant.
   */
  checkValid(): void {
    this.table.checkValid();
  }

  /**
   * Draws the owner table: the inline area map, the fallback path, the first owners.
   *
   * @returns Lines of text.
   */
  describe(): string {
    return describeTable(this.#core, `sk-storage store: ${this.size} values`);
  }
}

/** The `sk-storage` backend of the catalog. */
export const skStorageBackend: Backend<SkStorageStoreOptions> = {
  name: "sk-storage",
  summary:
    "per-owner storage: a value per u32 owner id, inline in each owner or on a fallback path",
  create: (options?: Partial<SkStorageStoreOptions>): Store => new SkStorageStore(options),
};
