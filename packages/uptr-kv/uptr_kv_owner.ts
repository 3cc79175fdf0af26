/**
 * The owner side (the RFC's user space): creates the shared regions, creates and re-sizes
 * keys, manages space (first-fit slots, growing by pages, compaction) and migrates the layout
 * when a new manifest is applied.
 *
 * @module
 */

import { checkOptions, intOption, isStoreError, StoreError } from "@kvkit/store";
import {
  CONTROL_BYTES,
  CTRL_FLAGS,
  CTRL_GENERATION,
  CTRL_MAGIC,
  CTRL_MANIFEST_VERSION,
  CTRL_MAX_PAGES,
  CTRL_NR_PAGES,
  FLAG_CONSISTENT,
  INIT_BIT,
  MAX_PAGES,
  META_BYTES,
  META_ENTRIES,
  PAGE_SIZE,
  SLOT_ALIGN,
  UPTR_KV_MAGIC,
  VALUE_MAX,
} from "./layout.ts";
import { encodeMeta } from "./meta_entry.ts";
import type { RegionBuffer, UptrKvRegions } from "./regions.ts";
import { UptrKvProgram } from "./uptr_kv_program.ts";
import type { Manifest, MigrationReport } from "./manifest.ts";
import { validateManifest } from "./manifest.ts";
import {
  admits,
  firstFit,
  GRANULES,
  largestFree,
  mark,
  occupancy,
  pack,
  slotBytes,
  slotOf,
  validWord,
} from "./_pack.ts";
import { lockKey, unlockKey } from "./_seqlock.ts";
import { FreeMap } from "./_free_map.ts";
import { hexWord } from "@kvkit/internal";
import { describeOwner } from "./_describe.ts";
import { internals } from "./_internals.ts";

/** Options of {@linkcode UptrKvOwner}. */
export interface UptrKvOptions {
  /**
   * Readers never see a half-written value: every access uses the per-key sequence counter
   * (default `true`). `false`: bare typed-array access, see {@linkcode UptrKvProgram}.
   */
  consistent: boolean;
  /** Allocate `SharedArrayBuffer`s (default `true`); `false`: plain `ArrayBuffer`s. */
  shared: boolean;
  /** The most data pages, 1..8 (default 8). */
  maxPages: number;
}

// The option names the owner reads: checkOptions refuses any other.
const UPTR_KV_OPTIONS = ["consistent", "shared", "maxPages"] as const;

/** Options of {@linkcode UptrKvOwner.put}. */
export interface OwnerPutOptions {
  /**
   * When no free run fits and no page can be added, repack every value in the canonical
   * order (by size class, largest first; see `repack`) with the new value; `ENOSPC`
   * only when even that does not fit. Default `false`.
   */
  readonly repack?: boolean;
}

/** Usage of one data page. */
export interface PageUsage {
  /** The page index. */
  readonly page: number;
  /** Values in the page. */
  readonly keys: number;
  /** Bytes taken by slots (value lengths rounded up to 8). */
  readonly usedBytes: number;
  /** Bytes not taken. */
  readonly freeBytes: number;
  /** The longest free run: the largest value a put can place here without compaction. */
  readonly largestFree: number;
}

/** Usage statistics of a store. */
export interface UptrKvUsage {
  /** Present keys. */
  readonly keys: number;
  /** Data pages allocated. */
  readonly pages: number;
  /** The most pages the owner may allocate. */
  readonly maxPages: number;
  /** Sum of the value lengths. */
  readonly valueBytes: number;
  /** Sum of the slot lengths (values rounded up to 8 bytes). */
  readonly slotBytes: number;
  /** Free bytes in the allocated pages. */
  readonly freeBytes: number;
  /** Per page. */
  readonly perPage: PageUsage[];
}

// One metadata change to commit: the key's new entry (0 to delete) and the bytes to write
// at the new slot (`undefined`: move the present value there). A move records the entry it
// was planned from (`from`): a program may delete the key before the owner holds it.
interface Change {
  readonly key: number;
  readonly word: number;
  readonly bytes: Uint8Array | undefined;
  readonly from?: number;
}

// Whether `c` moves the key's present value (rather than writing new bytes or deleting).
function isMove(c: Change): boolean {
  return c.bytes === undefined && c.word !== 0;
}

function allocate(shared: boolean, bytes: number, max: number): RegionBuffer {
  if (shared && typeof SharedArrayBuffer === "undefined") {
    throw new StoreError("EINVAL", "SharedArrayBuffer is unavailable here (pass shared: false)");
  }
  const opts = max > bytes ? { maxByteLength: max } : undefined;
  const buf = shared ? new SharedArrayBuffer(bytes, opts) : new ArrayBuffer(bytes, opts);
  const growable = buf as { growable?: boolean; resizable?: boolean };
  if (max > bytes && growable.growable !== true && growable.resizable !== true) {
    // A runtime without growable buffers: reserve every page up front.
    return shared ? new SharedArrayBuffer(max) : new ArrayBuffer(max);
  }
  return buf;
}

function grow(buf: RegionBuffer, bytes: number): void {
  if (buf.byteLength >= bytes) return;
  if (buf instanceof ArrayBuffer) buf.resize(bytes);
  else buf.grow(bytes);
}

function corrupt(key: number, word: number): StoreError {
  return new StoreError(
    "EINVAL",
    `metadata entry of key ${key} is corrupt (${hexWord(word)}): something other than the owner ` +
      `and its programs wrote the shared metadata; delete or overwrite the key to recover`,
  );
}

/**
 * The owner of a uptr-kv store: it alone creates keys and manages space. Values are 1 to
 * 4096 bytes; the metadata entry stores `size - 1` so 4096 fits in its 12-bit field. Slots
 * start on 8-byte boundaries (a value takes its length rounded up to 8) and never span two
 * pages. Programs attach to {@linkcode UptrKvOwner.regions}; the owner's own reads and
 * in-place writes go through {@linkcode UptrKvOwner.program}.
 *
 * Programs may delete keys at any time, also while the owner plans a move (put, compact,
 * repack, applyManifest): the owner re-reads every entry once it holds the keys, and a key
 * deleted meanwhile simply stays deleted (its move is dropped, its new slot stays free). So
 * these calls never fail because of a concurrent delete, and a call that throws a
 * `StoreError` changed nothing.
 *
 * | operation | cost |
 * | --- | --- |
 * | get / in-place put | O(value size) |
 * | put of a new key or size | O(pages + granules scanned from the page's first free one); after a program's delete, O(1024 + pages × 512) once to rebuild the free map |
 * | delete | O(slot size) |
 * | compact(page), repack, applyManifest | O(1024 + bytes moved) |
 * | size, usage | O(1024) |
 *
 * @example A full page makes the data region grow
 * ```ts
 * import { UptrKvOwner } from "@kvkit/uptr-kv";
 * import assert from "node:assert/strict";
 *
 * const owner = new UptrKvOwner();
 * owner.put(0, new Uint8Array(4096));
 * owner.put(1, new Uint8Array([1]));
 * assert.equal(owner.pageCount, 2); // page 0 is full: key 1 grew the data region
 * assert.throws(() => owner.put(2, new Uint8Array(4097)), { code: "E2BIG" });
 * ```
 */
export class UptrKvOwner {
  /** The shared regions: post them to Workers and attach there. */
  readonly regions: UptrKvRegions;
  /** The owner's own program handle, for reads and in-place writes. */
  readonly program: UptrKvProgram;
  /** Whether the store uses the per-key sequence counters. */
  readonly consistent: boolean;
  /** The most data pages. */
  readonly maxPages: number;
  readonly #meta: Uint32Array;
  readonly #ctrl: Int32Array;
  readonly #buf: RegionBuffer;
  #data: Uint8Array;
  #manifest: Manifest | undefined;
  // The owner's own copies of the control words only it writes (pages allocated, manifests
  // applied, manifest version): any Worker can write the control region, so the owner never
  // reads them back, and it republishes the page count on every commit.
  #pages = 1;
  #generation = 0;
  #version = 0;
  // Free space as of the owner's commits; rebuilt from the metadata after a program delete.
  readonly #free: FreeMap;

  /**
   * Creates a store with one data page.
   *
   * @param options Consistency, shared or plain buffers, and the page limit.
   * @throws {StoreError} `EINVAL` for options that are not an object, an unknown option name,
   * or a bad value.
   */
  constructor(options?: Partial<UptrKvOptions>) {
    const o = checkOptions("uptr-kv", options, UPTR_KV_OPTIONS);
    const { consistent = true, shared = true } = o;
    if (typeof consistent !== "boolean" || typeof shared !== "boolean") {
      throw new StoreError("EINVAL", "consistent and shared must be booleans");
    }
    this.maxPages = intOption("maxPages", o.maxPages, MAX_PAGES, 1, MAX_PAGES);
    this.consistent = consistent;
    const meta = allocate(shared, META_BYTES, META_BYTES);
    const control = allocate(shared, CONTROL_BYTES, CONTROL_BYTES);
    this.#buf = allocate(shared, PAGE_SIZE, this.maxPages * PAGE_SIZE);
    this.#meta = new Uint32Array(meta);
    this.#ctrl = new Int32Array(control);
    this.#data = new Uint8Array(this.#buf, 0, this.#buf.byteLength);
    this.#ctrl[CTRL_FLAGS] = consistent ? FLAG_CONSISTENT : 0;
    this.#ctrl[CTRL_NR_PAGES] = 1;
    this.#ctrl[CTRL_MAX_PAGES] = this.maxPages;
    Atomics.store(this.#ctrl, CTRL_MAGIC, UPTR_KV_MAGIC);
    this.#free = new FreeMap(this.#meta, this.#ctrl);
    this.regions = { meta, data: this.#buf, control };
    this.program = new UptrKvProgram(this.regions);
  }

  /**
   * Creates a store (same as `new UptrKvOwner(options)`), the RFC's `kv_store_init`.
   *
   * @param options Consistency, shared or plain buffers, and the page limit.
   * @returns The owner.
   *
   * @example Creating an owner over plain buffers
   * ```ts
   * import { UptrKvOwner } from "@kvkit/uptr-kv";
   * import assert from "node:assert/strict";
   *
   * const owner = UptrKvOwner.create({ maxPages: 2, shared: false });
   * assert.ok(owner.regions.data instanceof ArrayBuffer);
   * assert.equal(owner.usage().maxPages, 2);
   * ```
   */
  static create(options?: Partial<UptrKvOptions>): UptrKvOwner {
    return new UptrKvOwner(options);
  }

  /** Data pages allocated (1..maxPages), as the owner allocated them. */
  get pageCount(): number {
    return this.#pages;
  }

  /** The number of present keys (programs may delete keys, so it is counted). */
  get size(): number {
    let n = 0;
    for (let key = 0; key < META_ENTRIES; key++) if ((this.#meta[key]! & INIT_BIT) !== 0) n++;
    return n;
  }

  // Key `key`'s metadata entry, checked: the metadata is shared, and a Worker can write any
  // word there. A present entry must have no reserved bit set, lie on an allocated page, be
  // aligned and end inside its page (as attach checks); overlaps are attach's to find.
  #entry(key: number): number {
    const word = Atomics.load(this.#meta, key);
    if (word !== 0 && !validWord(word, this.#pages)) throw corrupt(key, word);
    return word;
  }

  /** The last manifest applied, or `undefined`. */
  get manifest(): Manifest | undefined {
    return this.#manifest;
  }

  #checkKey(key: number): void {
    if ((key >>> 0) !== key || key >= META_ENTRIES) {
      throw new StoreError("EINVAL", `key ${key} is not an integer in 0..${META_ENTRIES - 1}`);
    }
  }

  /**
   * Whether `key` is present.
   *
   * @param key An integer key, 0..1023.
   * @returns `true` when present.
   *
   * @example Whether a key is present
   * ```ts
   * import { UptrKvOwner } from "@kvkit/uptr-kv";
   * import assert from "node:assert/strict";
   *
   * const owner = new UptrKvOwner();
   * assert.equal(owner.has(0), false);
   * ```
   */
  has(key: number): boolean {
    return this.program.has(key);
  }

  /**
   * A copy of `key`'s value, or `undefined` when absent.
   *
   * @param key An integer key, 0..1023.
   * @returns The copy.
   * @throws {StoreError} `EINVAL` for a key out of range.
   *
   * @example Reading a copy
   * ```ts
   * import { UptrKvOwner } from "@kvkit/uptr-kv";
   * import assert from "node:assert/strict";
   *
   * const owner = new UptrKvOwner();
   * owner.put(1, new Uint8Array([9]));
   * assert.deepEqual(owner.get(1), new Uint8Array([9]));
   * assert.equal(owner.get(2), undefined);
   * ```
   */
  get(key: number): Uint8Array | undefined {
    if (!this.program.has(key)) return undefined;
    try {
      return this.program.get(key);
    } catch (err) {
      if (isStoreError(err, "ENOENT")) return undefined;
      throw err;
    }
  }

  /**
   * Creates or overwrites `key`. The same length overwrites in place; a new key or a new
   * length takes the first free run that fits (pages in order, lowest offset), adding a page
   * when none does; the old slot becomes free once the new one is published.
   *
   * @param key An integer key, 0..1023.
   * @param value 1..4096 bytes (copied).
   * @param options `repack: true` repacks every value before giving up.
   * @throws {StoreError} `EINVAL` for a bad key or an empty value; `E2BIG` above 4096 bytes;
   * `ENOSPC` when no page can take the value. The store is unchanged after an error.
   *
   * @example Running out of room, then shrinking a value to make some
   * ```ts
   * import { UptrKvOwner } from "@kvkit/uptr-kv";
   * import assert from "node:assert/strict";
   *
   * const owner = new UptrKvOwner({ maxPages: 1 });
   * owner.put(0, new Uint8Array(4000));
   * assert.throws(() => owner.put(1, new Uint8Array(100)), { code: "ENOSPC" });
   * owner.put(0, new Uint8Array(8)); // shrink: moved to a new slot, the old one freed
   * owner.put(1, new Uint8Array(100));
   * assert.equal(owner.size, 2);
   * ```
   */
  put(key: number, value: Uint8Array, options?: OwnerPutOptions): void {
    this.#checkKey(key);
    if (!(value instanceof Uint8Array)) throw new StoreError("EINVAL", "value is not a Uint8Array");
    const n = value.length;
    if (n === 0) throw new StoreError("EINVAL", "value length 0 not in 1..4096");
    if (n > VALUE_MAX) throw new StoreError("E2BIG", `value length ${n} above the maximum 4096`);
    if (this.program.sizeOf(key) === n) {
      try {
        this.program.put(key, value);
        return;
      } catch (err) {
        // A program deleted or the owner resized it meanwhile: allocate below.
        if (!isStoreError(err, "ENOENT") && !isStoreError(err, "EINVAL")) throw err;
      }
    }
    const bytes = new Uint8Array(value);
    const free = this.#free;
    free.sync();
    let pages = this.#pages;
    let fit = free.firstFit(pages, n);
    if (fit === undefined && pages < this.maxPages) fit = { page: pages++, offset: 0 };
    if (fit !== undefined) {
      this.#commit([{ key, word: encodeMeta({ ...fit, size: n }), bytes }]);
      return;
    }
    if (options?.repack === true) {
      const sizes = this.#sizes(key);
      sizes[key] = n;
      const changes = this.#repackChanges(sizes, new Map([[key, bytes]]));
      if (changes !== undefined) return void this.#commit(changes);
    }
    throw new StoreError(
      "ENOSPC",
      `no free run of ${slotBytes(n)} bytes for key ${key} in ${this.maxPages} pages`,
    );
  }

  /**
   * Whether the present values, with `key`'s length set to `size`, pass the Store view's
   * admission rule for a `set` that allocates. Each value is charged its size class (its
   * slot, the length rounded up to 8, rounded up to a power of two); the values are admitted
   * when the classes add up to at most the bytes of {@linkcode UptrKvOwner.maxPages} pages,
   * or when they do with slots of at most 128 bytes charged their own length plus 120 bytes
   * per page boundary. The rule only depends on the lengths and only loosens when a value is
   * removed or shrinks: a state the rule reached is reachable again from empty in any order,
   * and a delete makes room for any value no larger. Admitted values always fit the canonical
   * packing (values by class, largest first), which `put(..., { repack: true })` falls back
   * to. Values taking at most half the pages are always admitted (a class is less than twice
   * its slot), so only a fuller store adds up the 1024 entries.
   *
   * @param key An integer key, 0..1023.
   * @param size The key's new value length, 1..4096.
   * @returns `true` when admitted.
   * @throws {StoreError} `EINVAL` for a bad key or size.
   *
   * @example Asking before a put
   * ```ts
   * import { UptrKvOwner } from "@kvkit/uptr-kv";
   * import assert from "node:assert/strict";
   *
   * const owner = new UptrKvOwner({ maxPages: 1 });
   * owner.put(0, new Uint8Array(2000)); // class 2048
   * assert.equal(owner.admits(1, 2048), true); // 2048 + 2048
   * assert.equal(owner.admits(1, 2049), false); // class 4096
   * assert.equal(owner.admits(1, 128), true); // small: charged 128
   * assert.equal(owner.admits(0, 4096), true); // key 0 resized
   * ```
   */
  admits(key: number, size: number): boolean {
    this.#checkKey(key);
    if (!Number.isInteger(size) || size < 1 || size > VALUE_MAX) {
      throw new StoreError("EINVAL", `size ${size} not in 1..4096`);
    }
    const free = this.#free;
    free.sync();
    const present = this.program.sizeOf(key);
    // The map may still count a slot a program is freeing right now: an upper bound.
    const total = free.usedBytes - (present === undefined ? 0 : slotBytes(present)) +
      slotBytes(size);
    if (total * 2 <= this.maxPages * PAGE_SIZE) return true;
    const sizes = this.#sizes(key);
    sizes[key] = size;
    return admits(sizes, this.maxPages);
  }

  /**
   * Deletes `key`.
   *
   * @param key An integer key, 0..1023.
   * @returns `false` when it was absent (also when a program deleted it meanwhile).
   * @throws {StoreError} `EINVAL` for a key out of range.
   *
   * @example Deleting a key
   * ```ts
   * import { UptrKvOwner } from "@kvkit/uptr-kv";
   * import assert from "node:assert/strict";
   *
   * const owner = new UptrKvOwner();
   * owner.put(1, new Uint8Array(1));
   * assert.equal(owner.delete(1), true);
   * assert.equal(owner.delete(1), false);
   * ```
   */
  delete(key: number): boolean {
    this.#checkKey(key);
    if (this.#meta[key] === 0) return false;
    // A program may have deleted it meanwhile: then this call did not.
    return this.#commit([{ key, word: 0, bytes: undefined }]) > 0;
  }

  /**
   * Deletes every key; allocated pages stay allocated.
   *
   * @example Deleting every key
   * ```ts
   * import { UptrKvOwner } from "@kvkit/uptr-kv";
   * import assert from "node:assert/strict";
   *
   * const owner = new UptrKvOwner();
   * owner.put(1, new Uint8Array(1));
   * owner.clear();
   * assert.equal(owner.size, 0);
   * ```
   */
  clear(): void {
    const list: Change[] = [];
    for (let key = 0; key < META_ENTRIES; key++) {
      if (this.#meta[key] !== 0) list.push({ key, word: 0, bytes: undefined });
    }
    this.#commit(list);
  }

  /**
   * Defragments one page: slides its values to the start, in offset order, so the free
   * space becomes one run at the end.
   *
   * @param page A page index below {@linkcode UptrKvOwner.pageCount}.
   * @returns The free bytes at the end of the page afterwards (at least: a program may delete
   * a key of the page meanwhile).
   * @throws {StoreError} `EINVAL` for a page that is not allocated.
   *
   * @example Closing the holes of a page
   * ```ts
   * import { UptrKvOwner } from "@kvkit/uptr-kv";
   * import assert from "node:assert/strict";
   *
   * const owner = new UptrKvOwner();
   * owner.put(0, new Uint8Array(1000));
   * owner.put(1, new Uint8Array([7]));
   * owner.delete(0);
   * assert.equal(owner.usage().perPage[0]!.largestFree, 4096 - 1008);
   * assert.equal(owner.compact(0), 4088);
   * assert.deepEqual(owner.get(1), new Uint8Array([7]));
   * ```
   */
  compact(page: number): number {
    if (!Number.isInteger(page) || page < 0 || page >= this.pageCount) {
      throw new StoreError("EINVAL", `page ${page} is not allocated (${this.pageCount} pages)`);
    }
    const inPage: { key: number; from: number; offset: number; size: number }[] = [];
    for (let key = 0; key < META_ENTRIES; key++) {
      const from = this.#entry(key);
      const slot = slotOf(from);
      if (slot !== undefined && slot.page === page) inPage.push({ key, from, ...slot });
    }
    inPage.sort((a, b) => a.offset - b.offset);
    const list: Change[] = [];
    let end = 0;
    for (const { key, from, offset, size } of inPage) {
      if (offset !== end) {
        list.push({ key, word: encodeMeta({ page, offset: end, size }), bytes: undefined, from });
      }
      end += slotBytes(size);
    }
    list.sort((a, b) => a.key - b.key);
    this.#commit(list);
    return PAGE_SIZE - end;
  }

  /**
   * Repacks every value in the canonical order: by size class (the slot rounded up to a power
   * of two), largest first, keys ascending within a class, each slot right after the previous
   * one or at the start of the next page. Values that {@linkcode UptrKvOwner.admits} admits
   * always fit it; others (first fit may place more) get first fit decreasing instead.
   * Afterwards the free space of each page is one run at its end (apart from the slots of keys
   * a program deleted meanwhile).
   *
   * @throws {StoreError} `ENOSPC` (and nothing moves) in the rare case where the present
   * values, placed by first fit over time, fit neither packing.
   *
   * @example Repacking every value
   * ```ts
   * import { UptrKvOwner } from "@kvkit/uptr-kv";
   * import assert from "node:assert/strict";
   *
   * const owner = new UptrKvOwner();
   * owner.put(5, new Uint8Array(16));
   * owner.put(2, new Uint8Array([3]));
   * owner.repack();
   * assert.deepEqual(owner.get(2), new Uint8Array([3]));
   * assert.equal(owner.usage().perPage[0]!.largestFree, 4096 - 24);
   * ```
   */
  repack(): void {
    const changes = this.#repackChanges(this.#sizes(), new Map());
    // Values placed by first fit over time can fit where no packing we compute does. Then
    // nothing moves.
    if (changes === undefined) {
      throw new StoreError("ENOSPC", "the present values do not fit the canonical packing");
    }
    this.#commit(changes);
  }

  /**
   * Usage statistics: keys, pages, bytes used and free, per page.
   *
   * @returns The statistics.
   *
   * @example Value, slot and free bytes
   * ```ts
   * import { UptrKvOwner } from "@kvkit/uptr-kv";
   * import assert from "node:assert/strict";
   *
   * const owner = new UptrKvOwner();
   * owner.put(1, new Uint8Array(5));
   * const u = owner.usage();
   * assert.equal(u.valueBytes, 5);
   * assert.equal(u.slotBytes, 8);
   * assert.equal(u.freeBytes, 4088);
   * ```
   */
  usage(): UptrKvUsage {
    for (let key = 0; key < META_ENTRIES; key++) this.#entry(key);
    return this.#usage();
  }

  /**
   * The keys whose metadata entry is malformed: a reserved bit set, a page not allocated, a
   * misaligned slot or one past its page's end. Only something other than the owner and its
   * programs writes such an entry (the metadata is shared); reads, moves and `usage()` of the
   * store refuse them with `EINVAL`, and deleting or overwriting each key recovers.
   *
   * @returns The keys, ascending; empty for a sound store.
   *
   * @example Finding and recovering a corrupt entry
   * ```ts
   * import { UptrKvOwner } from "@kvkit/uptr-kv";
   * import assert from "node:assert/strict";
   *
   * const owner = new UptrKvOwner();
   * owner.put(4, new Uint8Array(8));
   * new Uint32Array(owner.regions.meta)[4] = 0xffffffff; // a stray write
   * assert.deepEqual(owner.corruptKeys(), [4]);
   * assert.throws(() => owner.get(4), { code: "EINVAL" });
   * owner.delete(4);
   * assert.deepEqual(owner.corruptKeys(), []);
   * ```
   */
  corruptKeys(): number[] {
    const keys: number[] = [];
    for (let key = 0; key < META_ENTRIES; key++) {
      const word = Atomics.load(this.#meta, key);
      if (word !== 0 && !validWord(word, this.#pages)) keys.push(key);
    }
    return keys;
  }

  // usage() without checking the entries (describe draws corrupt ones too).
  #usage(): UptrKvUsage {
    const pages = this.#pages;
    const used = occupancy(this.#meta);
    const perPage: PageUsage[] = [];
    const keysIn = new Array<number>(pages).fill(0);
    let keys = 0;
    let valueBytes = 0;
    let slotTotal = 0;
    for (let key = 0; key < META_ENTRIES; key++) {
      const slot = slotOf(this.#meta[key]!);
      if (slot === undefined) continue;
      keys++;
      valueBytes += slot.size;
      slotTotal += slotBytes(slot.size);
      keysIn[slot.page] = (keysIn[slot.page] ?? 0) + 1;
    }
    for (let page = 0; page < pages; page++) {
      let granules = 0;
      for (let g = 0; g < GRANULES; g++) granules += used[page * GRANULES + g]!;
      perPage.push({
        page,
        keys: keysIn[page]!,
        usedBytes: granules * SLOT_ALIGN,
        freeBytes: PAGE_SIZE - granules * SLOT_ALIGN,
        largestFree: largestFree(used, page),
      });
    }
    return {
      keys,
      pages,
      maxPages: this.maxPages,
      valueBytes,
      slotBytes: slotTotal,
      freeBytes: pages * PAGE_SIZE - slotTotal,
      perPage,
    };
  }

  /**
   * Rolls out a new program version: migrates the layout to `manifest`, all or nothing.
   * Present keys the manifest does not list are deleted; keys whose size changed are
   * re-created at the new size; absent keys are created; both get the entry's `default` or
   * zeros; keys with an unchanged size keep their values (a `default` does not touch them).
   * New values are first written into free space beside the old ones (growing the data
   * region as needed), then every changed entry is switched while its key is held, so a
   * consistent reader of one key sees the old or the new value, never a mix. When old and
   * new do not fit side by side, every value is repacked instead. A kept key that a program
   * deletes during the migration stays deleted (the report still lists it as kept).
   *
   * @param manifest The new manifest.
   * @returns What changed.
   * @throws {StoreError} `EINVAL`/`E2BIG` for a bad manifest; `ENOSPC` when the new layout
   * does not fit in the page limit. Nothing changes after an error.
   *
   * @example The RFC's v0 -> v1 rollout
   * ```ts
   * import { UptrKvOwner } from "@kvkit/uptr-kv";
   * import assert from "node:assert/strict";
   *
   * const owner = new UptrKvOwner();
   * owner.applyManifest({ version: 0, entries: [
   *   { key: 0, name: "a", size: 4 }, { key: 1, name: "b", size: 8 },
   *   { key: 2, name: "c", size: 4 }, { key: 3, name: "d", size: 8 },
   * ] });
   * owner.put(0, new Uint8Array([1, 2, 3, 4]));
   * const report = owner.applyManifest({ version: 1, entries: [
   *   { key: 0, name: "a", size: 4 },
   *   { key: 2, name: "c", size: 16, default: new Uint8Array(16).fill(2) },
   *   { key: 4, name: "e", size: 4, default: [4, 4, 4, 4] },
   *   { key: 6, name: "g", size: 8 }, { key: 8, name: "i", size: 8 },
   * ] });
   * assert.deepEqual(report.deleted, [1, 3]);
   * assert.deepEqual(owner.get(0), new Uint8Array([1, 2, 3, 4]));
   * assert.deepEqual(owner.get(6), new Uint8Array(8));
   * ```
   */
  applyManifest(manifest: Manifest): MigrationReport {
    validateManifest(manifest);
    const target = new Map(manifest.entries.map((e) => [e.key, e]));
    const kept: number[] = [];
    const created: number[] = [];
    const resized: number[] = [];
    const deleted: number[] = [];
    const fresh = new Map<number, Uint8Array>();
    for (let key = 0; key < META_ENTRIES; key++) {
      const entry = target.get(key);
      const present = this.program.sizeOf(key);
      if (entry === undefined) {
        if (present !== undefined) deleted.push(key);
        continue;
      }
      if (present === entry.size) {
        kept.push(key);
        continue;
      }
      (present === undefined ? created : resized).push(key);
      fresh.set(
        key,
        entry.default === undefined ? new Uint8Array(entry.size) : Uint8Array.from(entry.default),
      );
    }
    // Plan A: new values in free space while the old ones stay in place.
    for (let key = 0; key < META_ENTRIES; key++) this.#entry(key);
    const used = occupancy(this.#meta);
    let pages = this.#pages;
    let list: Change[] | undefined = [];
    for (const [key, bytes] of fresh) {
      let fit = firstFit(used, pages, bytes.length);
      if (fit === undefined && pages < this.maxPages) fit = { page: pages++, offset: 0 };
      if (fit === undefined) {
        list = undefined;
        break;
      }
      mark(used, fit.page, fit.offset, bytes.length);
      list.push({ key, word: encodeMeta({ ...fit, size: bytes.length }), bytes });
    }
    let repacked = false;
    if (list !== undefined) {
      for (const key of deleted) list.push({ key, word: 0, bytes: undefined });
      list.sort((a, b) => a.key - b.key);
    } else {
      // Plan B: repack the target layout.
      const sizes = new Int32Array(META_ENTRIES);
      for (const e of manifest.entries) sizes[e.key] = e.size;
      const changes = this.#repackChanges(sizes, fresh);
      if (changes === undefined) {
        const total = manifest.entries.reduce((s, e) => s + slotBytes(e.size), 0);
        throw new StoreError(
          "ENOSPC",
          `manifest v${manifest.version} (${total} bytes of slots) does not fit in ${this.maxPages} pages`,
        );
      }
      list = changes;
      repacked = true;
    }
    const from = this.#generation === 0 ? undefined : this.#version;
    this.#commit(list, manifest.version);
    this.#manifest = manifest;
    return {
      from,
      to: manifest.version,
      kept,
      created,
      resized,
      deleted,
      repacked,
      pages: this.pageCount,
    };
  }

  // Present value lengths by key (0 = absent); every entry checked but `except`'s (which the
  // caller replaces).
  #sizes(except = -1): Int32Array {
    const sizes = new Int32Array(META_ENTRIES);
    for (let key = 0; key < META_ENTRIES; key++) {
      if (key !== except) sizes[key] = slotOf(this.#entry(key))?.size ?? 0;
    }
    return sizes;
  }

  // The changes that move every value to the packing of `sizes` (`pack`); `fresh` gives
  // new bytes for some keys (the others move their present value). Keys absent from `sizes`
  // but present are deleted.
  #repackChanges(
    sizes: Int32Array,
    fresh: ReadonlyMap<number, Uint8Array>,
  ): Change[] | undefined {
    const plan = pack(sizes, this.maxPages);
    if (plan === undefined) return undefined;
    const list: Change[] = [];
    for (let key = 0; key < META_ENTRIES; key++) {
      const size = sizes[key]!;
      const word = size === 0
        ? 0
        : encodeMeta({ page: plan.page[key]!, offset: plan.offset[key]!, size });
      const bytes = fresh.get(key);
      const from = this.#meta[key]!;
      if (word !== from || bytes !== undefined) list.push({ key, word, bytes, from });
    }
    return list;
  }

  // Publishes `list` (keys ascending, each once) and returns how many entries it changed.
  // It holds every listed key, then re-reads each entry: a program may have deleted a key
  // since the plan was made, and a move of a deleted key is dropped (its new slot stays free;
  // the plan stays valid since every other target was free or held by a value that moves
  // away). Only then does it grow the data region to the highest page a target uses, copy
  // the moved values out, write the new bytes, store the entries and release. Holding the keys
  // first means a reader that overlaps sees its key's counter change and retries; only taking
  // a key can fail (EBUSY), before anything changed. In plain mode nothing is held: each
  // entry is switched with compareExchange, so a key deleted during the copy stays deleted.
  #commit(list: readonly Change[], manifestVersion?: number): number {
    const ctrl = this.#ctrl;
    const meta = this.#meta;
    const held: number[] = [];
    try {
      if (this.consistent) { for (const c of list) held.push(lockKey(ctrl, c.key)); }
      // The entries to switch from (a move's source slot is `slotOf(from)`).
      const todo: { c: Change; from: number }[] = [];
      let pages = this.#pages;
      for (const c of list) {
        const from = Atomics.load(meta, c.key);
        // A move needs the very value it was planned for: a program may have deleted the key
        // since, or even before the plan read the entry (the plan read sizes and entries apart).
        if (isMove(c) && (from !== c.from || slotOf(from)?.size !== slotOf(c.word)!.size)) continue;
        todo.push({ c, from });
        const slot = slotOf(c.word);
        if (slot !== undefined && slot.page >= pages) pages = slot.page + 1;
      }
      if (pages > this.#pages) {
        grow(this.#buf, pages * PAGE_SIZE);
        this.#data = new Uint8Array(this.#buf, 0, this.#buf.byteLength);
        this.#pages = pages;
      }
      // Also puts back a page count a Worker overwrote.
      Atomics.store(ctrl, CTRL_NR_PAGES, this.#pages);
      const data = this.#data;
      const moved = todo.map(({ c, from }) => {
        const old = isMove(c) ? slotOf(from) : undefined;
        if (old === undefined) return c.bytes;
        const start = old.page * PAGE_SIZE + old.offset;
        return data.slice(start, start + old.size);
      });
      todo.forEach(({ c }, i) => {
        const bytes = moved[i];
        const slot = slotOf(c.word);
        if (bytes !== undefined && slot !== undefined) {
          data.set(bytes, slot.page * PAGE_SIZE + slot.offset);
        }
      });
      let changed = 0;
      // The slots freed and taken, applied to the free map once all entries are switched
      // (frees first: a moved value may land where another one left).
      const freed: number[] = [];
      const taken: number[] = [];
      for (const { c, from } of todo) {
        // A move only replaces the entry it copied from; new bytes and deletes always land.
        const move = isMove(c);
        const was = move
          ? Atomics.compareExchange(meta, c.key, from, c.word)
          : Atomics.exchange(meta, c.key, c.word);
        if (was !== c.word && (!move || was === from)) changed++;
        if (!move || was === from) {
          freed.push(was);
          taken.push(c.word);
        }
      }
      for (const word of freed) {
        // A corrupt entry being replaced says nothing true about the free space: rebuild.
        if (word === 0 || validWord(word, this.#pages)) this.#free.unmarkWord(word);
        else this.#free.invalidate();
      }
      for (const word of taken) this.#free.markWord(word);
      if (manifestVersion !== undefined) {
        this.#version = manifestVersion;
        this.#generation = (this.#generation + 1) | 0 || 1;
        Atomics.store(ctrl, CTRL_MANIFEST_VERSION, manifestVersion);
        Atomics.store(ctrl, CTRL_GENERATION, this.#generation);
      }
      return changed;
    } finally {
      held.forEach((s, i) => unlockKey(ctrl, list[i]!.key, s));
    }
  }

  /**
   * The bytes of the three regions (metadata, allocated data pages, control).
   *
   * @returns The byte count.
   *
   * @example The three regions of a new store
   * ```ts
   * import { UptrKvOwner } from "@kvkit/uptr-kv";
   * import assert from "node:assert/strict";
   *
   * assert.equal(new UptrKvOwner().memoryUsage(), 4096 + 4096 + 4128);
   * ```
   */
  memoryUsage(): number {
    return META_BYTES + this.#buf.byteLength + CONTROL_BYTES;
  }

  /**
   * Draws the metadata entries and the page occupancy as text.
   *
   * @returns The drawing.
   *
   * @example Drawing one entry
   * ```ts
   * import { UptrKvOwner } from "@kvkit/uptr-kv";
   * import assert from "node:assert/strict";
   *
   * const owner = new UptrKvOwner();
   * owner.put(3, new Uint8Array(100));
   * const lines = owner.describe().split("\n");
   * assert.equal(lines[1], "manifest: none");
   * assert.equal(lines[4], "  3     0x08318000  0     0       100   [0, 104)");
   * ```
   */
  describe(): string {
    return describeOwner(this);
  }

  static {
    // What the drawing in _describe.ts reads besides the public API.
    internals.meta = (owner) => owner.#meta;
    internals.usage = (owner) => owner.#usage();
    internals.manifestVersion = (owner) => owner.#generation === 0 ? undefined : owner.#version;
  }
}
