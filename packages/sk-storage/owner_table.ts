/**
 * The owner table: owners (sockets, connections, sessions) as struct-of-arrays, each with a
 * fixed-size inline area that storage maps reserve slots in.
 *
 * @module
 */

import { checkOptions, intOption, StoreError } from "@kvkit/store";
import { internals } from "./_internals.ts";
import { LocalStorage } from "./_local_storage.ts";
import { checkValid } from "./_check_valid.ts";
import { describeTable } from "./_describe.ts";
import { MAX_INLINE_AREA, MAX_INLINE_BYTES, MAX_OWNERS } from "./constants.ts";

// The option names the table reads: checkOptions refuses any other.
const OPTION_NAMES = ["owners", "inlineBytes", "optmemMax"] as const;

/** Options of {@linkcode OwnerTable}. */
export interface OwnerTableOptions {
  /** The most live owners (slots), 1..2^24. */
  owners: number;
  /**
   * Bytes of inline area per owner, fixed for the table's life (the kernel's run-time
   * constant); 0 (the default) means no inline area: every map takes the fallback path.
   */
  inlineBytes?: number;
  /**
   * The most fallback bytes one owner may be charged (the kernel's `optmem_max`); a create
   * past it is `ENOMEM`. 0 (the default) means no limit. Inline values are never charged.
   */
  optmemMax?: number;
}

/** Where an owner table's memory goes. */
export interface TableMemory {
  /** Owner arrays plus the inline area: charged to the table, like the socket itself. */
  readonly table: number;
  /** The inline area: `owners * inlineBytes` (part of `table`). */
  readonly inlineArea: number;
  /** Inline area reserved by maps, over all owners. */
  readonly inlineReserved: number;
  /** Inline bytes holding a value (owners with a value times the map's per-owner bytes). */
  readonly inlineUsed: number;
  /** Buffers of the fallback path (storage records, elements, value arenas, interned tables). */
  readonly fallback: number;
  /** `table + fallback`. */
  readonly total: number;
}

/**
 * A fixed-capacity table of owners. Each owner has an id, an inline area of `inlineBytes`
 * bytes at `slot * inlineBytes` in one buffer, a 32-bit inline mask (which inline maps it has
 * a value in), a storage pointer for the fallback path and its fallback charge. Owner ids
 * are `generation * 2^24 + slot`: the first owner of slot `s` is id `s`, and a destroyed
 * owner's id is stale forever - using it is `ENOENT`, never another owner's data.
 *
 * | operation | cost |
 * | --- | --- |
 * | createOwner | O(1) |
 * | destroyOwner | O(inline maps + the owner's fallback values) |
 * | isOwner | O(1) |
 * | memory | O(maps) |
 *
 * @example Stale owner ids after destroy
 * ```ts
 * import { OwnerTable, SkStorageMap, F_CREATE } from "@kvkit/sk-storage";
 * import assert from "node:assert/strict";
 *
 * const table = new OwnerTable({ owners: 4, inlineBytes: 16 });
 * const conn = table.createOwner();
 * const rtt = new SkStorageMap(table, { name: "rtt", valueSize: 8 });
 * rtt.get(conn, F_CREATE)!;
 * table.destroyOwner(conn);
 * assert.throws(() => rtt.get(conn), { code: "ENOENT" });
 * const next = table.createOwner(); // same slot, new generation
 * assert.notEqual(next, conn);
 * assert.equal(rtt.get(next), undefined);
 * ```
 */
export class OwnerTable {
  readonly #core: LocalStorage;

  /**
   * Creates an empty table with every slot free.
   *
   * @param options The slot count, inline area size and per-owner fallback limit.
   * @throws {StoreError} `EINVAL` for options that are not an object, an unknown option name
   * or an option out of range; `ENOMEM` when the table cannot be allocated (an inline area
   * `owners * inlineBytes` above {@linkcode MAX_INLINE_AREA}, or more than the machine gives).
   *
   * @example Creating a table, and options it refuses
   * ```ts
   * import { OwnerTable } from "@kvkit/sk-storage";
   * import assert from "node:assert/strict";
   *
   * assert.equal(new OwnerTable({ owners: 4, inlineBytes: 8 }).capacity, 4);
   * assert.throws(() => new OwnerTable({ owners: 2 ** 24, inlineBytes: 4096 }), { code: "ENOMEM" });
   * assert.throws(() => new OwnerTable({ owner: 4 } as never), { code: "EINVAL" });
   * ```
   */
  constructor(options: OwnerTableOptions) {
    const o = checkOptions("sk-storage owner table", options, OPTION_NAMES);
    const owners = intOption("owners", o.owners, -1, 1, MAX_OWNERS);
    if (owners < 0) throw new StoreError("EINVAL", "owners is required");
    const inlineBytes = intOption("inlineBytes", o.inlineBytes, 0, 0, MAX_INLINE_BYTES);
    const optmemMax = intOption("optmemMax", o.optmemMax, 0, 0, 0xffff_ffff);
    // Each option is in range, but their product may not be: the inline area is one buffer.
    const area = owners * inlineBytes;
    if (area > MAX_INLINE_AREA) {
      throw new StoreError(
        "ENOMEM",
        `inline area of ${owners} owners x ${inlineBytes} bytes = ${area} bytes, above ${MAX_INLINE_AREA}`,
      );
    }
    try {
      this.#core = new LocalStorage(owners, inlineBytes, optmemMax);
    } catch (err) {
      // The runtime's RangeError ("allocation failed", "invalid typed array length").
      throw new StoreError(
        "ENOMEM",
        `cannot allocate a table of ${owners} owners x ${inlineBytes} inline bytes: ${err}`,
      );
    }
  }

  static {
    // SkStorageMap and the Store view work on the table's local storage itself.
    internals.coreOf = (table) =>
      typeof table === "object" && table !== null && #core in table ? table.#core : undefined;
  }

  /** The number of slots: the most live owners. */
  get capacity(): number {
    return this.#core.capacity;
  }

  /** Inline area bytes per owner. */
  get inlineBytes(): number {
    return this.#core.inlineBytes;
  }

  /** Inline area bytes not reserved by any map. */
  get inlineFree(): number {
    let free = this.#core.inlineBytes;
    for (const r of this.#core.reservations) free -= r.size;
    return free;
  }

  /** The per-owner fallback limit in bytes; 0 means none. */
  get optmemMax(): number {
    return this.#core.optmemMax;
  }

  /** The number of live owners. */
  get size(): number {
    return this.#core.owners;
  }

  /**
   * Creates an owner with no values. Freed slots are reused most-recent first, each time
   * with a new generation.
   *
   * @returns The new owner's id.
   * @throws {StoreError} `ENOSPC` when every slot holds a live owner.
   *
   * @example Filling every slot
   * ```ts
   * import { OwnerTable } from "@kvkit/sk-storage";
   * import assert from "node:assert/strict";
   *
   * const table = new OwnerTable({ owners: 2 });
   * assert.equal(table.createOwner(), 0);
   * assert.equal(table.createOwner(), 1);
   * assert.throws(() => table.createOwner(), { code: "ENOSPC" });
   * ```
   */
  createOwner(): number {
    return this.#core.createOwner();
  }

  /**
   * Destroys an owner and frees its values in every map (inline and fallback); its id
   * becomes stale.
   *
   * @param id A live owner id.
   * @throws {StoreError} `ENOENT` for a destroyed (stale) id, `EINVAL` for a number that is
   * not an owner id of this table.
   *
   * @example Destroying an owner makes its id stale
   * ```ts
   * import { OwnerTable } from "@kvkit/sk-storage";
   * import assert from "node:assert/strict";
   *
   * const table = new OwnerTable({ owners: 2 });
   * const id = table.createOwner();
   * table.destroyOwner(id);
   * assert.equal(table.isOwner(id), false);
   * assert.throws(() => table.destroyOwner(id), { code: "ENOENT" });
   * assert.throws(() => table.destroyOwner(-1), { code: "EINVAL" });
   * ```
   */
  destroyOwner(id: number): void {
    this.#core.destroyOwner(id);
  }

  /**
   * Whether `id` names a live owner.
   *
   * @param id Any number.
   * @returns `false` for stale and malformed ids.
   *
   * @example Checking ids
   * ```ts
   * import { OwnerTable } from "@kvkit/sk-storage";
   * import assert from "node:assert/strict";
   *
   * const table = new OwnerTable({ owners: 1 });
   * assert.equal(table.isOwner(table.createOwner()), true);
   * assert.equal(table.isOwner(1), false);
   * ```
   */
  isOwner(id: number): boolean {
    return this.#core.isOwner(id);
  }

  /**
   * The live owner ids, ascending by slot.
   *
   * @returns An iterator of owner ids.
   *
   * @example Listing the live owners
   * ```ts
   * import { OwnerTable } from "@kvkit/sk-storage";
   * import assert from "node:assert/strict";
   *
   * const table = new OwnerTable({ owners: 3 });
   * const a = table.createOwner(), b = table.createOwner();
   * table.destroyOwner(a);
   * assert.deepEqual([...table.owners()], [b]);
   * ```
   */
  *owners(): IterableIterator<number> {
    const idOf = this.#core.idOf;
    for (let slot = 0; slot < idOf.length; slot++) if (idOf[slot]! >= 0) yield idOf[slot]!;
  }

  /**
   * The slot of an owner id: where its inline area starts is `slot * inlineBytes`.
   *
   * @param id A live owner id.
   * @returns The slot, 0..capacity-1.
   * @throws {StoreError} `ENOENT` for a stale id, `EINVAL` for a malformed one.
   *
   * @example A reused slot with a new generation
   * ```ts
   * import { OwnerTable } from "@kvkit/sk-storage";
   * import assert from "node:assert/strict";
   *
   * const table = new OwnerTable({ owners: 2 });
   * const a = table.createOwner();
   * table.destroyOwner(a);
   * const b = table.createOwner();
   * assert.equal(table.slotOf(b), 0);
   * assert.equal(b, 2 ** 24); // generation 1, slot 0
   * ```
   */
  slotOf(id: number): number {
    return this.#core.slotOf(id);
  }

  /**
   * The fallback bytes charged to an owner (storage record and elements; the kernel's
   * `sk_omem_alloc`). Inline values are not charged.
   *
   * @param id A live owner id.
   * @returns Bytes.
   * @throws {StoreError} `ENOENT` / `EINVAL` for a stale / malformed id.
   *
   * @example What a fallback value costs its owner
   * ```ts
   * import { OwnerTable, SkStorageMap, F_CREATE } from "@kvkit/sk-storage";
   * import assert from "node:assert/strict";
   *
   * const table = new OwnerTable({ owners: 1, inlineBytes: 0 });
   * const map = new SkStorageMap(table, { valueSize: 8 });
   * const id = table.createOwner();
   * map.get(id, F_CREATE);
   * assert.equal(table.ownerCharge(id), 68 + 24 + 8); // storage record + element + value
   * ```
   */
  ownerCharge(id: number): number {
    return this.#core.omem[this.#core.slotOf(id)]!;
  }

  /**
   * Where the table's memory goes, inline (charged to the table) and fallback (charged to
   * the maps' creators).
   *
   * @returns The byte counts.
   *
   * @example Inline area and reservations
   * ```ts
   * import { OwnerTable, SkStorageMap } from "@kvkit/sk-storage";
   * import assert from "node:assert/strict";
   *
   * const table = new OwnerTable({ owners: 10, inlineBytes: 16 });
   * new SkStorageMap(table, { valueSize: 4 });
   * const m = table.memory();
   * assert.equal(m.inlineArea, 160);
   * assert.equal(m.inlineReserved, 40);
   * assert.equal(m.total, m.table + m.fallback);
   * ```
   */
  memory(): TableMemory {
    const core = this.#core;
    let reserved = 0;
    let used = 0;
    for (const r of core.reservations) {
      reserved += r.size;
      used += r.map.count * r.size;
    }
    const table = core.tableBytes();
    const fallback = core.fallbackBytes();
    return {
      table,
      inlineArea: core.capacity * core.inlineBytes,
      inlineReserved: core.capacity * reserved,
      inlineUsed: used,
      fallback,
      total: table + fallback,
    };
  }

  /**
   * Draws the inline area map (which map has which offset, how many owners use it), the
   * fallback maps and the first owners.
   *
   * @returns Lines of text.
   *
   * @example Drawing an inline map
   * ```ts
   * import { OwnerTable, SkStorageMap } from "@kvkit/sk-storage";
   * import assert from "node:assert/strict";
   *
   * const table = new OwnerTable({ owners: 4, inlineBytes: 8 });
   * new SkStorageMap(table, { name: "flags", valueSize: 4 });
   * const lines = table.describe().split("\n");
   * assert.equal(lines[3], "  0 |AAAA....| 8");
   * assert.equal(lines[4], "  A 0..3 map 'flags' value 4 B, mask bit 0, 0/0 owners");
   * ```
   */
  describe(): string {
    return describeTable(this.#core, "sk-storage owner table");
  }

  /**
   * Walks the table and checks every invariant: live and free slots, inline reservations
   * and masks, storage lists and caches, per-owner charges, map counts and lists, interned
   * reference counts. For tests; O(owners + values).
   *
   * @throws {Error} naming the first broken invariant.
   *
   * @example Checking a table after a destroy
   * ```ts
   * import { OwnerTable } from "@kvkit/sk-storage";
   *
   * const table = new OwnerTable({ owners: 4, inlineBytes: 8 });
   * table.destroyOwner(table.createOwner());
   * table.checkValid();
   * ```
   */
  checkValid(): void {
    checkValid(this.#core);
  }
}
