/**
 * A storage map: one fixed-size value per owner, inline when the owner table's inline area
 * has room, else on the fallback path.
 *
 * @module
 */

import { allocBytes, checkFlags, checkOptions, checkPresence, StoreError } from "@kvkit/store";
import { coreOf } from "./_internals.ts";
import { ELEM_BYTES, type LocalStorage, type MapState } from "./_local_storage.ts";
import { F_CREATE, MAX_VALUE_SIZE } from "./constants.ts";
import type { OwnerTable } from "./owner_table.ts";

/** Options of {@linkcode SkStorageMap}. */
export interface SkStorageMapOptions {
  /** Value size in bytes, 1..65536. */
  valueSize: number;
  /**
   * The name a reloaded program re-creates the map by: a closed map with the same name,
   * value size and interning is reattached (same inline slot, same data). Unnamed maps are
   * destroyed when closed.
   */
  name?: string;
  /**
   * Keep each distinct value once in a shared, reference-counted table and a 2-byte index
   * per owner (at most 65536 distinct values). Default `false`.
   */
  interned?: boolean;
  /** Set `false` to take the fallback path even when the inline area has room. Default `true`. */
  inline?: boolean;
}

// The option names a map reads: checkOptions refuses any other.
const OPTION_NAMES = ["valueSize", "name", "interned", "inline"] as const;

/** Memory of one map. */
export interface MapMemory {
  /** Inline area reserved in every owner: `owners * per-owner bytes`, charged to the table. */
  readonly inline: number;
  /** Elements and values on the fallback path, charged to the map's creator. */
  readonly fallback: number;
  /** The shared value table of an interned map (0 otherwise), charged to the map's creator. */
  readonly interned: number;
}

/**
 * Per-owner storage with a fixed value size, like a `BPF_MAP_TYPE_SK_STORAGE` map. Creating
 * it reserves the same offset in every owner's inline area when the area has room (and
 * fewer than 32 maps are inline); otherwise it takes the fallback path: the owner's storage
 * record, its 16-slot cache at the map's cache index, then a walk of the owner's list.
 *
 * | operation | inline | fallback |
 * | --- | --- | --- |
 * | get / has / set / view | O(1) | O(1) on a cache hit, else O(the owner's fallback maps) |
 * | delete | O(1) | O(the owner's fallback maps) |
 * | clear / destroy | O(owners) | O(values) |
 *
 * @example An inline map and a fallback map
 * ```ts
 * import { OwnerTable, SkStorageMap, F_CREATE } from "@kvkit/sk-storage";
 * import assert from "node:assert/strict";
 *
 * const table = new OwnerTable({ owners: 8, inlineBytes: 8 });
 * const small = new SkStorageMap(table, { name: "small", valueSize: 8 });
 * const big = new SkStorageMap(table, { name: "big", valueSize: 32 });
 * assert.equal(small.inline, true);
 * assert.equal(big.inline, false); // no room left: fallback path
 * const owner = table.createOwner();
 * small.view(owner, F_CREATE)![0] = 7; // a live view, like bpf_sk_storage_get's pointer
 * assert.equal(small.get(owner)![0], 7);
 * big.set(owner, new Uint8Array(32).fill(1));
 * table.destroyOwner(owner);
 * assert.equal(small.size + big.size, 0);
 * ```
 */
export class SkStorageMap {
  readonly #core: LocalStorage;
  readonly #map: MapState;
  readonly #reattached: boolean;
  readonly #zero: Uint8Array;
  #open = true;

  /**
   * Creates a map over `table`, or reattaches a closed map of the same name, value size and
   * interning (a reloaded program). A closed map of the same name with another shape is
   * destroyed and a new one created.
   *
   * @param table The owner table.
   * @param options Value size, name, interning, inline.
   * @throws {StoreError} `EINVAL` for options that are not an object, an unknown option name
   * or a bad value; `EEXIST` when a map of that name is open.
   */
  constructor(table: OwnerTable, options: SkStorageMapOptions) {
    const core = coreOf(table);
    const o = checkOptions("sk-storage map", options, OPTION_NAMES);
    const { valueSize, name, interned = false, inline = true } = o;
    if (
      typeof valueSize !== "number" || !Number.isInteger(valueSize) || valueSize < 1 ||
      valueSize > MAX_VALUE_SIZE
    ) {
      throw new StoreError(
        "EINVAL",
        `valueSize ${valueSize} is not an integer in 1..${MAX_VALUE_SIZE}`,
      );
    }
    if (name !== undefined && typeof name !== "string") {
      throw new StoreError("EINVAL", `map name ${String(name)} is not a string`);
    }
    if (typeof interned !== "boolean" || typeof inline !== "boolean") {
      throw new StoreError("EINVAL", "interned and inline must be booleans");
    }
    const { map, reattached } = core.openMap(name, valueSize, interned, inline);
    this.#core = core;
    this.#map = map;
    this.#reattached = reattached;
    this.#zero = new Uint8Array(valueSize);
  }

  /** The map's name, if it has one. */
  get name(): string | undefined {
    return this.#map.name;
  }

  /** The value size in bytes. */
  get valueSize(): number {
    return this.#map.valueSize;
  }

  /** Whether values are interned. */
  get interned(): boolean {
    return this.#map.intern !== undefined;
  }

  /** Whether the map lives in the inline area (else the fallback path). */
  get inline(): boolean {
    return this.#map.inlineBit >= 0;
  }

  /** The map's offset in every owner's inline area, -1 on the fallback path. */
  get inlineOffset(): number {
    return this.#map.inlineOffset;
  }

  /** The map's slot in the owners' 16-slot storage cache, -1 when inline. */
  get cacheIndex(): number {
    return this.#map.cacheIdx;
  }

  /** Whether this handle reattached a closed map (a reload) rather than creating one. */
  get reattached(): boolean {
    return this.#reattached;
  }

  /** Distinct values held by an interned map (0 otherwise). */
  get distinctValues(): number {
    return this.#map.intern?.live ?? 0;
  }

  /** The number of owners with a value. */
  get size(): number {
    return this.#map.count;
  }

  #check(): void {
    if (!this.#open) throw new StoreError("EINVAL", `map ${this.#map.name ?? ""} is closed`);
  }

  #checkValue(value: Uint8Array, what: string): void {
    if (!(value instanceof Uint8Array) || value.length !== this.#map.valueSize) {
      throw new StoreError(
        "EINVAL",
        `${what} length ${value?.length} is not the value size ${this.#map.valueSize}`,
      );
    }
  }

  // Resolves flags, owner and init, creating the value when asked; -1 when absent.
  #lookup(owner: number, flags: number, init: Uint8Array | undefined): number {
    this.#check();
    if (flags !== 0 && flags !== F_CREATE) {
      throw new StoreError("EINVAL", `bad get flags ${String(flags)} (only F_CREATE)`);
    }
    const core = this.#core;
    const slot = core.slotOf(owner);
    if (init !== undefined) this.#checkValue(init, "init value");
    const at = core.locate(this.#map, slot);
    if (at >= 0 || flags === 0) return at;
    const value = init ?? this.#zero;
    core.checkCreate(this.#map, slot, value);
    return core.create(this.#map, slot, value);
  }

  /**
   * Whether the owner has a value.
   *
   * @param owner A live owner id.
   * @returns `true` when present.
   * @throws {StoreError} `ENOENT` for a stale owner id, `EINVAL` for a malformed one or a
   * closed map.
   *
   * @example Whether an owner has a value
   * ```ts
   * import { OwnerTable, SkStorageMap } from "@kvkit/sk-storage";
   * import assert from "node:assert/strict";
   *
   * const table = new OwnerTable({ owners: 1 });
   * const map = new SkStorageMap(table, { valueSize: 1 });
   * assert.equal(map.has(table.createOwner()), false);
   * ```
   */
  has(owner: number): boolean {
    this.#check();
    return this.#core.locate(this.#map, this.#core.slotOf(owner)) >= 0;
  }

  /**
   * A copy of the owner's value, like `bpf_sk_storage_get`: with {@linkcode F_CREATE} an
   * absent value is created first, zeroed or as a copy of `init`. The copy is carved from a
   * shared slab (`allocBytes` of `@kvkit/store`), so it may start past byte 0 of its
   * `buffer`: view it with its `byteOffset`. The hot read path is
   * {@linkcode SkStorageMap.getInto}, which allocates nothing.
   *
   * @param owner A live owner id.
   * @param flags 0 or `F_CREATE`.
   * @param init The value to create with (F_CREATE only); zeroes when omitted.
   * @returns The value, or `undefined` when absent (and not created).
   * @throws {StoreError} `EINVAL` for bad flags, a malformed owner id, an `init` of the wrong
   * length or a closed map; `ENOENT` for a stale owner id; `ENOMEM` when the create would
   * charge the owner past `optmemMax`; `ENOSPC` when an interned map holds 65536 values.
   *
   * @example Creating a value on first lookup
   * ```ts
   * import { OwnerTable, SkStorageMap, F_CREATE } from "@kvkit/sk-storage";
   * import assert from "node:assert/strict";
   *
   * const table = new OwnerTable({ owners: 1, inlineBytes: 4 });
   * const map = new SkStorageMap(table, { valueSize: 2 });
   * const id = table.createOwner();
   * assert.equal(map.get(id), undefined);
   * assert.deepEqual(map.get(id, F_CREATE, new Uint8Array([1, 2])), new Uint8Array([1, 2]));
   * assert.deepEqual(map.get(id, F_CREATE, new Uint8Array([3, 4])), new Uint8Array([1, 2]));
   * ```
   */
  get(owner: number, flags = 0, init?: Uint8Array): Uint8Array | undefined {
    const at = this.#lookup(owner, flags, init);
    if (at < 0) return undefined;
    const out = allocBytes(this.#map.valueSize);
    this.#core.read(this.#map, at, out, 0);
    return out;
  }

  /**
   * Copies the owner's value into `out` without allocating: the hot read path.
   *
   * @param owner A live owner id.
   * @param out At least `valueSize` bytes from `offset`.
   * @param offset Where in `out` to write.
   * @param flags 0 or `F_CREATE` (creates a zeroed value).
   * @returns `false` when the owner has no value (and `out` is untouched).
   * @throws {StoreError} as {@linkcode SkStorageMap.get}; `EINVAL` when `out` is too short.
   *
   * @example Reading into a caller-owned buffer
   * ```ts
   * import { OwnerTable, SkStorageMap } from "@kvkit/sk-storage";
   * import assert from "node:assert/strict";
   *
   * const table = new OwnerTable({ owners: 1, inlineBytes: 4 });
   * const map = new SkStorageMap(table, { valueSize: 4 });
   * const id = table.createOwner();
   * map.set(id, new Uint8Array([1, 2, 3, 4]));
   * const out = new Uint8Array(8);
   * assert.equal(map.getInto(id, out, 4), true);
   * assert.deepEqual(out, new Uint8Array([0, 0, 0, 0, 1, 2, 3, 4]));
   * ```
   */
  getInto(owner: number, out: Uint8Array, offset = 0, flags = 0): boolean {
    if (
      !(out instanceof Uint8Array) || !Number.isInteger(offset) || offset < 0 ||
      offset + this.#map.valueSize > out.length
    ) {
      throw new StoreError(
        "EINVAL",
        `out has no room for ${this.#map.valueSize} bytes at ${String(offset)}`,
      );
    }
    const at = this.#lookup(owner, flags, undefined);
    if (at < 0) return false;
    this.#core.read(this.#map, at, out, offset);
    return true;
  }

  /**
   * A live view of the owner's value (writes through), like the pointer `bpf_sk_storage_get`
   * returns. Valid until the value, its owner or the map is freed; a fallback view also ends
   * when the map's arena grows, so take a new view after creating values.
   *
   * @param owner A live owner id.
   * @param flags 0 or `F_CREATE`.
   * @param init The value to create with (F_CREATE only).
   * @returns The view, or `undefined` when absent.
   * @throws {StoreError} `EOPNOTSUPP` on an interned map (its values are shared: use `set`);
   * otherwise as {@linkcode SkStorageMap.get}.
   *
   * @example Updating a value in place through its view
   * ```ts
   * import { OwnerTable, SkStorageMap, F_CREATE } from "@kvkit/sk-storage";
   * import assert from "node:assert/strict";
   *
   * const table = new OwnerTable({ owners: 1, inlineBytes: 8 });
   * const counters = new SkStorageMap(table, { valueSize: 8 });
   * const id = table.createOwner();
   * const v = counters.view(id, F_CREATE)!;
   * v[0]!++;
   * assert.equal(counters.get(id)![0], 1);
   * ```
   */
  view(owner: number, flags = 0, init?: Uint8Array): Uint8Array | undefined {
    if (this.#map.intern !== undefined) {
      throw new StoreError("EOPNOTSUPP", `map ${this.#map.name ?? ""} is interned: no live views`);
    }
    const at = this.#lookup(owner, flags, init);
    if (at < 0) return undefined;
    return this.#core.bufferOf(this.#map).subarray(at, at + this.#map.valueSize);
  }

  /**
   * Reads a little-endian u32 field of the owner's value without allocating.
   *
   * @param owner A live owner id.
   * @param field Byte offset of the field in the value.
   * @returns The field, or `undefined` when the owner has no value.
   * @throws {StoreError} `EINVAL` when the field is not inside the value; else as `get`.
   *
   * @example Reading a u32 field
   * ```ts
   * import { OwnerTable, SkStorageMap } from "@kvkit/sk-storage";
   * import assert from "node:assert/strict";
   *
   * const table = new OwnerTable({ owners: 1, inlineBytes: 8 });
   * const map = new SkStorageMap(table, { valueSize: 8 });
   * const id = table.createOwner();
   * map.set(id, new Uint8Array([0, 0, 0, 0, 1, 1, 0, 0]));
   * assert.equal(map.readU32(id, 4), 257);
   * ```
   */
  readU32(owner: number, field = 0): number | undefined {
    this.#check();
    const map = this.#map;
    if (!(field >= 0 && field + 4 <= map.valueSize && Number.isInteger(field))) {
      throw new StoreError(
        "EINVAL",
        `u32 field at ${field} is not inside a ${map.valueSize} B value`,
      );
    }
    const core = this.#core;
    let at = core.locate(map, core.slotOf(owner));
    if (at < 0) return undefined;
    let b = core.bufferOf(map);
    if (map.intern !== undefined) {
      at = (b[at]! | b[at + 1]! << 8) * map.valueSize;
      b = map.intern.values;
    }
    at += field;
    return (b[at]! | b[at + 1]! << 8 | b[at + 2]! << 16 | b[at + 3]! << 24) >>> 0;
  }

  /**
   * Creates or replaces the owner's value.
   *
   * @param owner A live owner id.
   * @param value `valueSize` bytes (copied).
   * @param flags `ANY` (0), `NOEXIST` or `EXIST`.
   * @throws {StoreError} `EINVAL` for bad flags (`F_LOCK` included), a malformed owner id,
   * a wrong value length or a closed map; `ENOENT` for a stale owner id or `EXIST` on an
   * absent value; `EEXIST` for `NOEXIST` on a present value; `ENOMEM` / `ENOSPC` as `get`.
   *
   * @example Creating and replacing values by flag
   * ```ts
   * import { OwnerTable, SkStorageMap } from "@kvkit/sk-storage";
   * import { NOEXIST } from "@kvkit/store";
   * import assert from "node:assert/strict";
   *
   * const table = new OwnerTable({ owners: 1 });
   * const map = new SkStorageMap(table, { valueSize: 1 });
   * const id = table.createOwner();
   * map.set(id, new Uint8Array([5]), NOEXIST);
   * assert.throws(() => map.set(id, new Uint8Array([6]), NOEXIST), { code: "EEXIST" });
   * ```
   */
  set(owner: number, value: Uint8Array, flags = 0): void {
    this.#check();
    const mode = checkFlags(flags, false);
    const core = this.#core;
    const slot = core.slotOf(owner);
    this.#checkValue(value, "value");
    const at = core.locate(this.#map, slot);
    checkPresence(mode, at >= 0);
    if (at >= 0) {
      core.write(this.#map, at, value);
      return;
    }
    core.checkCreate(this.#map, slot, value);
    core.create(this.#map, slot, value);
  }

  /**
   * Removes the owner's value.
   *
   * @param owner A live owner id.
   * @returns `false` when it had none.
   * @throws {StoreError} `ENOENT` / `EINVAL` for a stale / malformed id or closed map.
   *
   * @example Deleting an owner's value
   * ```ts
   * import { OwnerTable, SkStorageMap, F_CREATE } from "@kvkit/sk-storage";
   * import assert from "node:assert/strict";
   *
   * const table = new OwnerTable({ owners: 1 });
   * const map = new SkStorageMap(table, { valueSize: 1 });
   * const id = table.createOwner();
   * map.get(id, F_CREATE);
   * assert.equal(map.delete(id), true);
   * assert.equal(map.delete(id), false);
   * ```
   */
  delete(owner: number): boolean {
    this.#check();
    return this.#core.remove(this.#map, this.#core.slotOf(owner));
  }

  /**
   * Removes every owner's value; the map keeps its inline reservation.
   *
   * @example Clearing every owner's value
   * ```ts
   * import { OwnerTable, SkStorageMap, F_CREATE } from "@kvkit/sk-storage";
   * import assert from "node:assert/strict";
   *
   * const table = new OwnerTable({ owners: 2 });
   * const map = new SkStorageMap(table, { valueSize: 1 });
   * map.get(table.createOwner(), F_CREATE);
   * map.clear();
   * assert.equal(map.size, 0);
   * ```
   */
  clear(): void {
    this.#check();
    this.#core.clearMap(this.#map);
  }

  /**
   * The owners holding a value, ascending by slot. The next owner is found before one is
   * yielded, so the consumer may delete the yielded owner's value.
   *
   * @returns An iterator of owner ids.
   *
   * @example Listing the owners with a value
   * ```ts
   * import { OwnerTable, SkStorageMap, F_CREATE } from "@kvkit/sk-storage";
   * import assert from "node:assert/strict";
   *
   * const table = new OwnerTable({ owners: 3 });
   * const map = new SkStorageMap(table, { valueSize: 1 });
   * const [a, b, c] = [table.createOwner(), table.createOwner(), table.createOwner()];
   * map.get(c, F_CREATE);
   * map.get(a, F_CREATE);
   * assert.deepEqual([...map.owners()], [a, c]);
   * ```
   */
  *owners(): IterableIterator<number> {
    this.#check();
    const core = this.#core;
    let slot = core.nextSlot(this.#map, 0);
    while (slot >= 0 && this.#open) {
      const next = core.nextSlot(this.#map, slot + 1);
      yield core.idOf[slot]!;
      slot = next >= 0 ? core.nextSlot(this.#map, next) : -1;
    }
  }

  /**
   * The map's memory: its inline reservation (charged to the table) and its fallback
   * elements, values and interned table (charged to the map's creator).
   *
   * @returns Byte counts.
   *
   * @example Memory of a fallback map
   * ```ts
   * import { OwnerTable, SkStorageMap, F_CREATE } from "@kvkit/sk-storage";
   * import assert from "node:assert/strict";
   *
   * const table = new OwnerTable({ owners: 4, inlineBytes: 0 });
   * const map = new SkStorageMap(table, { valueSize: 16 });
   * map.get(table.createOwner(), F_CREATE);
   * assert.deepEqual(map.memory(), { inline: 0, fallback: 24 + 16, interned: 0 });
   * ```
   */
  memory(): MapMemory {
    const map = this.#map;
    const core = this.#core;
    if (map.inlineBit >= 0) {
      return {
        inline: core.capacity * map.dataSize,
        fallback: 0,
        interned: map.intern?.byteLength() ?? 0,
      };
    }
    return {
      inline: 0,
      fallback: map.count * (ELEM_BYTES + map.dataSize),
      interned: map.intern?.byteLength() ?? 0,
    };
  }

  /**
   * Closes this handle. A named map keeps its inline reservation and data, to be
   * reattached by a new map of the same name, value size and interning (a program reload);
   * an unnamed map is destroyed.
   *
   * @example Reattaching a named map after a reload
   * ```ts
   * import { OwnerTable, SkStorageMap } from "@kvkit/sk-storage";
   * import assert from "node:assert/strict";
   *
   * const table = new OwnerTable({ owners: 1, inlineBytes: 8 });
   * const v1 = new SkStorageMap(table, { name: "state", valueSize: 4 });
   * const id = table.createOwner();
   * v1.set(id, new Uint8Array([1, 2, 3, 4]));
   * v1.close();
   * const v2 = new SkStorageMap(table, { name: "state", valueSize: 4 });
   * assert.equal(v2.reattached, true);
   * assert.deepEqual(v2.get(id), new Uint8Array([1, 2, 3, 4]));
   * ```
   */
  close(): void {
    this.#check();
    this.#open = false;
    if (this.#map.name === undefined) this.#core.destroyMap(this.#map);
    else this.#map.attached = false;
  }

  /**
   * Destroys the map: frees its values in every owner and returns its inline reservation.
   *
   * @example Destroying a map frees its inline reservation
   * ```ts
   * import { OwnerTable, SkStorageMap } from "@kvkit/sk-storage";
   * import assert from "node:assert/strict";
   *
   * const table = new OwnerTable({ owners: 1, inlineBytes: 8 });
   * const map = new SkStorageMap(table, { valueSize: 8 });
   * assert.equal(table.inlineFree, 0);
   * map.destroy();
   * assert.equal(table.inlineFree, 8);
   * ```
   */
  destroy(): void {
    this.#check();
    this.#open = false;
    this.#core.destroyMap(this.#map);
  }
}
