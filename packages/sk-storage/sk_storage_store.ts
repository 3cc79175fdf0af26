/**
 * The `sk-storage` backend: one storage map over a table of N owners, behind the
 * {@linkcode Store} contract.
 *
 * @module
 */

import {
  type Backend,
  type Capabilities,
  checkKey,
  checkUpdate,
  EXIST,
  intOption,
  NOEXIST,
  type Store,
  StoreBase,
  StoreError,
} from "@kvkit/store";
import { type Core, coreOf, type MapState } from "./_core.ts";
import { describeTable } from "./_describe.ts";
import { INTERN_MAX, MAX_OWNERS, MAX_VALUE_SIZE } from "./constants.ts";
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

const keyOf = (slot: number): Uint8Array =>
  new Uint8Array([slot & 0xff, (slot >>> 8) & 0xff, (slot >>> 16) & 0xff, slot >>> 24]);
const slotOfKey = (key: Uint8Array): number =>
  (key[0]! | key[1]! << 8 | key[2]! << 16 | key[3]! << 24) >>> 0;

/**
 * One {@linkcode SkStorageMap} over an {@linkcode OwnerTable} whose owners 0..N-1 all
 * exist; key `k` (4-byte LE u32) is owner `k`, present when that owner has a value. Ordered:
 * keys ascend by owner id.
 *
 * | operation | inline | fallback |
 * | --- | --- | --- |
 * | get / has / set / delete | O(1) | O(1) (one map: always a cache hit) |
 * | nextKey | O(owners to the next value) | same |
 * | clear | O(owners) | O(values) |
 *
 * Every owner can hold a value (`maxEntries` = owners, `fullError` `E2BIG` unreachable),
 * except an interned store over more than 65535 owners: it holds at most 65535 values and a
 * new key past that is `ENOSPC` (the value table's limit). `optmemMax` is not an option here
 * (`EINVAL`): with one map every fallback create charges an owner the same bytes, so it would
 * refuse all creates or none; it stays on {@linkcode OwnerTable}.
 *
 * @example
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
  readonly #core: Core;
  readonly #state: MapState;

  /**
   * Creates the table, its N owners and the map.
   *
   * @param options Owners, value size, inline area, interning.
   * @throws {StoreError} `EINVAL` for an option out of range, or for `optmemMax`.
   */
  constructor(options: Partial<SkStorageStoreOptions> = {}) {
    super();
    const owners = intOption("owners", options.owners, 1024, 1, MAX_OWNERS);
    const valueSize = intOption("valueSize", options.valueSize, 8, 1, MAX_VALUE_SIZE);
    const interned = options.interned ?? false;
    if (typeof interned !== "boolean") {
      throw new StoreError("EINVAL", `interned ${String(interned)} is not a boolean`);
    }
    const perOwner = interned ? 2 : valueSize;
    const inlineBytes = intOption("inlineBytes", options.inlineBytes, perOwner, 0, 4096);
    const optmemMax = (options as { optmemMax?: unknown }).optmemMax;
    if (optmemMax !== undefined) {
      throw new StoreError(
        "EINVAL",
        `optmemMax ${String(optmemMax)} is not a Store view option (use OwnerTable)`,
      );
    }
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

  /** A copy of the value of owner `key`, `undefined` when that owner has none. */
  get(key: Uint8Array): Uint8Array | undefined {
    checkKey(this.capabilities, key);
    return this.map.get(slotOfKey(key));
  }

  /** Whether owner `key` has a value. */
  has(key: Uint8Array): boolean {
    checkKey(this.capabilities, key);
    return this.map.has(slotOfKey(key));
  }

  /** Creates or replaces owner `key`'s value per `flags` (`ANY`, `NOEXIST`, `EXIST`). */
  set(key: Uint8Array, value: Uint8Array, flags = 0): void {
    const mode = checkUpdate(this.capabilities, key, value, flags);
    const owner = slotOfKey(key);
    const present = this.map.has(owner);
    if (mode === NOEXIST && present) throw new StoreError("EEXIST", `owner ${owner} has a value`);
    if (mode === EXIST && !present) throw new StoreError("ENOENT", `owner ${owner} has no value`);
    const { maxEntries, fullError } = this.capabilities;
    if (!present && this.map.size >= maxEntries) {
      throw new StoreError(fullError, `store full (${maxEntries} values), owner ${owner} has none`);
    }
    this.map.set(owner, value);
  }

  /** Removes owner `key`'s value; `false` when it had none. */
  delete(key: Uint8Array): boolean {
    checkKey(this.capabilities, key);
    return this.map.delete(slotOfKey(key));
  }

  /** Removes every owner's value; the owners and the map's reservation stay. */
  clear(): void {
    this.map.clear();
  }

  /** The next owner id with a value, ascending; the first for `undefined`. */
  nextKey(key?: Uint8Array): Uint8Array | undefined {
    let from = 0;
    if (key !== undefined) {
      checkKey(this.capabilities, key);
      from = slotOfKey(key) + 1;
    }
    const slot = this.#core.nextSlot(this.#state, from);
    return slot < 0 ? undefined : keyOf(slot);
  }

  /** Every `[owner key, value]`, ascending by owner id, as copies. */
  *entries(): IterableIterator<[Uint8Array, Uint8Array]> {
    for (const owner of this.map.owners()) {
      yield [keyOf(owner), this.map.get(owner)!];
    }
  }

  /** Every owner key with a value, ascending. */
  override *keys(): IterableIterator<Uint8Array> {
    for (const owner of this.map.owners()) yield keyOf(owner);
  }

  /** Every value, ascending by owner id, as copies. */
  override *values(): IterableIterator<Uint8Array> {
    for (const owner of this.map.owners()) yield this.map.get(owner)!;
  }

  /** The bytes of the owner table (owner arrays, inline area) and the fallback buffers. */
  memoryUsage(): number {
    return this.table.memory().total;
  }

  /** Draws the owner table: the inline area map, the fallback path, the first owners. */
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
