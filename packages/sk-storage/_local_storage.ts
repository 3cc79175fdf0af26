/**
 * Local storage, after the kernel's `kernel/bpf/bpf_local_storage.c`: the state of one owner
 * table and every operation on it. {@linkcode OwnerTable} and {@linkcode SkStorageMap} are
 * thin handles over one {@linkcode LocalStorage} (their `core`), reached from a table through
 * `internals` (`_internals.ts`).
 *
 * The kernel's words, and what holds each here:
 *
 * | kernel | here |
 * | --- | --- |
 * | owner (`struct sock`, task, inode, cgroup) | an owner slot of the struct-of-arrays (`idOf`, `inlineMask`, `storage`, `omem`) |
 * | `struct bpf_local_storage` (per owner: its list of elements, a 16-slot cache) | a storage record, `STORAGE_WORDS` words of `storages` |
 * | `struct bpf_local_storage_elem` (`selem`: on its owner's list and its map's list) | an element record, `ELEM_WORDS` words of `elems` |
 * | `struct bpf_local_storage_data` (`sdata`: the map and the value) | `ELEM_MAP` and `ELEM_DATA` (a data slot in the map's `arena`) |
 * | `struct bpf_local_storage_map` (`smap`: buckets, `cache_idx`, `elem_size`) | {@linkcode MapState}: one list, `cacheIdx`, `dataSize` |
 * | `bpf_local_storage_cache_idx_get()` (least used cache index) | `openMap` |
 * | `bpf_local_storage_lookup()` (cache first, then the list, caching what it finds) | `locate` |
 * | `bpf_local_storage_update()` / `bpf_selem_alloc()` | `checkCreate` + `create`, `write` |
 * | `bpf_selem_unlink()` | `remove` |
 * | `bpf_local_storage_destroy()` (the owner goes) | `destroyOwner` |
 * | `sk_omem_alloc` / `optmem_max` (a socket's charge and its limit) | `omem` / `optmemMax` |
 *
 * Not in the kernel: the inline area of the inline-storage proposal, `inlineBytes` per owner,
 * where a map takes the same offset in every owner (`inlineOffset`, a bit of `inlineMask`);
 * and interning (`intern`: one shared, reference-counted copy of each distinct value).
 *
 * @module
 */

import { StoreError } from "@kvkit/store";
import { CACHE_SIZE, INLINE_MAPS_MAX, MAX_GENERATION, OWNER_SLOT_SPAN } from "./constants.ts";
import { InternTable } from "./_intern_table.ts";

// Storage record (the kernel's `struct bpf_local_storage`), Int32 words, allocated per owner
// on its first fallback value.
/** First element of the owner's list; on the free list, the next free record. */
export const STORAGE_HEAD = 0;
/** 16 words: the element last found per cache index, -1 when empty. */
export const STORAGE_CACHE = 1;
/** Words per storage record. */
export const STORAGE_WORDS = STORAGE_CACHE + CACHE_SIZE;
/** Bytes per storage record, charged to its owner. */
export const STORAGE_BYTES = STORAGE_WORDS * 4;

// Element record (the kernel's `struct bpf_local_storage_elem`), Int32 words.
/** The id of the map the element belongs to. */
export const ELEM_MAP = 0;
/** The owner slot the element belongs to. */
export const ELEM_OWNER = 1;
/** Next element of the same owner; on the free list, the next free element. */
export const ELEM_OWNER_NEXT = 2;
/** Previous element of the same map, -1 at the head. */
export const ELEM_MAP_PREV = 3;
/** Next element of the same map, -1 at the end. */
export const ELEM_MAP_NEXT = 4;
/** The element's data slot in its map's arena. */
export const ELEM_DATA = 5;
/** Words per element record. */
export const ELEM_WORDS = 6;
/** Bytes per element record, charged with the value to the owner and the map. */
export const ELEM_BYTES = ELEM_WORDS * 4;

/** Bytes per owner of the owner arrays besides the inline area (id 8, mask, storage, omem, free 4). */
export const OWNER_BYTES = 8 + 4 + 4 + 4 + 4;
/** Bytes an interned map keeps per owner: the index into its value table. */
export const INTERN_INDEX_BYTES = 2;

// Records a fallback pool starts with; pools double when full.
const INITIAL_RECORDS = 16;

/** One storage map's state, kept by the table so a closed map can be reattached. */
export interface MapState {
  /** Index in `LocalStorage.maps`; elements carry it. */
  readonly id: number;
  /** The name a reload reattaches by; unnamed maps are destroyed when closed. */
  readonly name: string | undefined;
  /** The value size. */
  readonly valueSize: number;
  /** Bytes kept per owner: `valueSize`, or the 2-byte index when interned. */
  readonly dataSize: number;
  /** The shared value table of an interned map. */
  readonly intern: InternTable | undefined;
  /** Offset of the map's reservation in every owner's inline area, -1 on the fallback path. */
  inlineOffset: number;
  /** The map's bit in every owner's inline mask, -1 on the fallback path. */
  inlineBit: number;
  /** Which of the 16 cache slots the map uses on the fallback path, -1 when inline. */
  cacheIdx: number;
  /** Owners holding a value. */
  count: number;
  /** First element on the map's list (fallback path), -1 when none. */
  head: number;
  /** Fallback value bytes, `dataSize` per data slot. */
  arena: Uint8Array;
  /** Free data slots, chained: next free slot per slot. */
  arenaNext: Int32Array;
  /** First free data slot, -1 when none below `arenaTop`. */
  arenaFree: number;
  /** Data slots ever handed out. */
  arenaTop: number;
  /** Whether a handle is open on the map. */
  attached: boolean;
}

/** A map's reservation in the inline area. */
export interface Reservation {
  /** Offset in every owner's inline area. */
  readonly offset: number;
  /** Bytes reserved (the map's data size). */
  readonly size: number;
  /** The map holding it. */
  readonly map: MapState;
}

function grow<T extends Int32Array | Uint8Array>(array: T, length: number): T {
  const next = new (array.constructor as new (n: number) => T)(length);
  next.set(array);
  return next;
}

/** The owner table: owners as struct-of-arrays, the inline area, the fallback pools, the maps. */
export class LocalStorage {
  readonly capacity: number;
  readonly inlineBytes: number;
  readonly optmemMax: number;
  /** Live id of each slot, or -(next generation + 1) when the slot is free. */
  readonly idOf: Float64Array;
  /** Bit `inlineBit` of a map is set when the owner has a value in it. */
  readonly inlineMask: Uint32Array;
  /** The owner's storage record (fallback path), -1 when none. */
  readonly storage: Int32Array;
  /** Fallback bytes charged to the owner (`sk_omem_alloc`). */
  readonly omem: Uint32Array;
  /** Free slots, chained. */
  readonly freeNext: Int32Array;
  /** `inlineBytes` per owner, owner `slot` at `slot * inlineBytes`. */
  readonly inline: Uint8Array;
  freeHead: number;
  owners = 0;
  storages: Int32Array = new Int32Array(INITIAL_RECORDS * STORAGE_WORDS);
  storageFree = -1;
  storageTop = 0;
  storageCount = 0;
  elems: Int32Array = new Int32Array(INITIAL_RECORDS * ELEM_WORDS);
  elemFree = -1;
  elemTop = 0;
  elemCount = 0;
  readonly maps: (MapState | undefined)[] = [];
  /** Inline reservations, sorted by offset. */
  readonly reservations: Reservation[] = [];
  /** Maps using each cache index, so a new map takes the least used one. */
  readonly cacheUsage: Uint32Array = new Uint32Array(CACHE_SIZE);

  constructor(capacity: number, inlineBytes: number, optmemMax: number) {
    this.capacity = capacity;
    this.inlineBytes = inlineBytes;
    this.optmemMax = optmemMax;
    this.idOf = new Float64Array(capacity).fill(-1);
    this.inlineMask = new Uint32Array(capacity);
    this.storage = new Int32Array(capacity).fill(-1);
    this.omem = new Uint32Array(capacity);
    this.freeNext = new Int32Array(capacity);
    for (let i = 0; i < capacity; i++) this.freeNext[i] = i + 1 < capacity ? i + 1 : -1;
    this.freeHead = 0;
    this.inline = new Uint8Array(capacity * inlineBytes);
  }

  // ---- owners ---------------------------------------------------------------------------

  createOwner(): number {
    const slot = this.freeHead;
    if (slot < 0) throw new StoreError("ENOSPC", `owner table full (${this.capacity} owners)`);
    this.freeHead = this.freeNext[slot]!;
    const generation = -this.idOf[slot]! - 1;
    const id = generation * OWNER_SLOT_SPAN + slot;
    this.idOf[slot] = id;
    this.inlineMask[slot] = 0;
    this.storage[slot] = -1;
    this.omem[slot] = 0;
    this.owners++;
    return id;
  }

  /** The slot of a live owner id. */
  slotOf(id: number): number {
    const slot = id % OWNER_SLOT_SPAN;
    if (this.idOf[slot] === id) return slot;
    throw this.ownerError(id);
  }

  /** Whether `id` names a live owner. */
  isOwner(id: number): boolean {
    return this.idOf[id % OWNER_SLOT_SPAN] === id;
  }

  ownerError(id: unknown): StoreError {
    if (
      typeof id !== "number" || !Number.isInteger(id) || id < 0 ||
      id >= (MAX_GENERATION + 1) * OWNER_SLOT_SPAN || id % OWNER_SLOT_SPAN >= this.capacity
    ) {
      return new StoreError(
        "EINVAL",
        `owner id ${String(id)} is not an id of this table (${this.capacity} slots)`,
      );
    }
    return new StoreError("ENOENT", `owner ${id} does not exist (destroyed, or a stale id)`);
  }

  destroyOwner(id: number): void {
    const slot = this.slotOf(id);
    const mask = this.inlineMask[slot]!;
    if (mask !== 0) {
      for (const r of this.reservations) {
        const map = r.map;
        if ((mask & (1 << map.inlineBit)) === 0) continue;
        if (map.intern !== undefined) {
          map.intern.release(this.#readIndex(this.inline, this.#inlineAt(map, slot)));
        }
        map.count--;
      }
      this.inlineMask[slot] = 0;
    }
    const s = this.storage[slot]!;
    if (s >= 0) {
      let e = this.storages[s * STORAGE_WORDS + STORAGE_HEAD]!;
      while (e >= 0) {
        const next = this.elems[e * ELEM_WORDS + ELEM_OWNER_NEXT]!;
        const map = this.maps[this.elems[e * ELEM_WORDS + ELEM_MAP]!]!;
        this.#unlinkMap(map, e);
        this.#freeElem(map, e);
        map.count--;
        e = next;
      }
      this.#freeStorage(s);
      this.storage[slot] = -1;
    }
    this.omem[slot] = 0;
    const generation = (id - slot) / OWNER_SLOT_SPAN + 1;
    this.owners--;
    if (generation > MAX_GENERATION) {
      this.idOf[slot] = -(MAX_GENERATION + 2); // retired: never on the free list again
      return;
    }
    this.idOf[slot] = -(generation + 1);
    this.freeNext[slot] = this.freeHead;
    this.freeHead = slot;
  }

  // ---- maps -----------------------------------------------------------------------------

  /** Opens a map: reattaches a closed one of the same name and shape, else creates one. */
  openMap(
    name: string | undefined,
    valueSize: number,
    interned: boolean,
    allowInline: boolean,
  ): { map: MapState; reattached: boolean } {
    if (name !== undefined) {
      const old = this.maps.find((m) => m !== undefined && m.name === name);
      if (old !== undefined) {
        if (old.attached) throw new StoreError("EEXIST", `map '${name}' is open; close it first`);
        if (old.valueSize === valueSize && (old.intern !== undefined) === interned) {
          old.attached = true;
          return { map: old, reattached: true };
        }
        // A new layout: the old data cannot be read by the new program; free it.
        this.destroyMap(old);
      }
    }
    let id = this.maps.indexOf(undefined);
    if (id < 0) id = this.maps.length;
    const dataSize = interned ? INTERN_INDEX_BYTES : valueSize;
    const map: MapState = {
      id,
      name,
      valueSize,
      dataSize,
      intern: interned ? new InternTable(valueSize) : undefined,
      inlineOffset: -1,
      inlineBit: -1,
      cacheIdx: -1,
      count: 0,
      head: -1,
      arena: new Uint8Array(0),
      arenaNext: new Int32Array(0),
      arenaFree: -1,
      arenaTop: 0,
      attached: true,
    };
    if (!allowInline || !this.#reserveInline(map)) {
      let best = 0;
      for (let i = 1; i < CACHE_SIZE; i++) {
        if (this.cacheUsage[i]! < this.cacheUsage[best]!) best = i;
      }
      this.cacheUsage[best]!++;
      map.cacheIdx = best;
    }
    this.maps[id] = map;
    return { map, reattached: false };
  }

  #reserveInline(map: MapState): boolean {
    const size = map.dataSize;
    if (this.reservations.length >= INLINE_MAPS_MAX || size > this.inlineBytes) return false;
    let used = 0;
    for (const r of this.reservations) used |= 1 << r.map.inlineBit;
    let bit = 0;
    while ((used & (1 << bit)) !== 0) bit++;
    // First fit between the sorted reservations.
    let offset = 0;
    let at = 0;
    for (; at < this.reservations.length; at++) {
      const r = this.reservations[at]!;
      if (r.offset - offset >= size) break;
      offset = r.offset + r.size;
    }
    if (offset + size > this.inlineBytes) return false;
    map.inlineOffset = offset;
    map.inlineBit = bit;
    this.reservations.splice(at, 0, { offset, size, map });
    return true;
  }

  destroyMap(map: MapState): void {
    this.clearMap(map);
    if (map.inlineBit >= 0) {
      this.reservations.splice(this.reservations.findIndex((r) => r.map === map), 1);
    } else {
      this.cacheUsage[map.cacheIdx]!--;
    }
    map.attached = false;
    this.maps[map.id] = undefined;
  }

  /** Frees every value of `map` in every owner. */
  clearMap(map: MapState): void {
    if (map.inlineBit >= 0) {
      const bit = 1 << map.inlineBit;
      const mask = this.inlineMask;
      for (let slot = 0; slot < this.capacity && map.count > 0; slot++) {
        if ((mask[slot]! & bit) === 0) continue;
        mask[slot] = mask[slot]! & ~bit;
        map.count--;
      }
    } else {
      for (let e = map.head; e >= 0;) {
        const next = this.elems[e * ELEM_WORDS + ELEM_MAP_NEXT]!;
        this.#unlinkOwner(map, e);
        e = next;
      }
      map.head = -1;
      map.arena = new Uint8Array(0);
      map.arenaNext = new Int32Array(0);
      map.arenaFree = -1;
      map.arenaTop = 0;
    }
    map.count = 0;
    map.intern?.reset();
  }

  // ---- values ---------------------------------------------------------------------------

  #inlineAt(map: MapState, slot: number): number {
    return slot * this.inlineBytes + map.inlineOffset;
  }

  #readIndex(bytes: Uint8Array, at: number): number {
    return bytes[at]! | bytes[at + 1]! << 8;
  }

  /**
   * Where the owner's data of `map` is: a byte offset into `inline` (inline maps) or into
   * `map.arena` (fallback maps), or -1 when the owner has no value. Like the kernel's
   * `bpf_local_storage_lookup`: cache slot first, then the list walk, caching what it finds.
   */
  locate(map: MapState, slot: number): number {
    if (map.inlineBit >= 0) {
      return (this.inlineMask[slot]! & (1 << map.inlineBit)) !== 0
        ? slot * this.inlineBytes + map.inlineOffset
        : -1;
    }
    const s = this.storage[slot]!;
    if (s < 0) return -1;
    const storages = this.storages;
    const elems = this.elems;
    const base = s * STORAGE_WORDS;
    let e = storages[base + STORAGE_CACHE + map.cacheIdx]!;
    if (e >= 0 && elems[e * ELEM_WORDS + ELEM_MAP] === map.id) {
      return elems[e * ELEM_WORDS + ELEM_DATA]! * map.dataSize;
    }
    for (e = storages[base + STORAGE_HEAD]!; e >= 0; e = elems[e * ELEM_WORDS + ELEM_OWNER_NEXT]!) {
      if (elems[e * ELEM_WORDS + ELEM_MAP] === map.id) {
        storages[base + STORAGE_CACHE + map.cacheIdx] = e;
        return elems[e * ELEM_WORDS + ELEM_DATA]! * map.dataSize;
      }
    }
    return -1;
  }

  /** The buffer `locate` offsets point into. */
  bufferOf(map: MapState): Uint8Array {
    return map.inlineBit >= 0 ? this.inline : map.arena;
  }

  /** Copies the owner's value at `at` into `out` from `outOffset`. */
  read(map: MapState, at: number, out: Uint8Array, outOffset: number): void {
    let src = this.bufferOf(map);
    if (map.intern !== undefined) {
      at = this.#readIndex(src, at) * map.valueSize;
      src = map.intern.values;
    }
    for (let i = 0; i < map.valueSize; i++) out[outOffset + i] = src[at + i]!;
  }

  /** Whether creating a value of `map` for `slot` would pass the charge and intern checks. */
  checkCreate(map: MapState, slot: number, value: Uint8Array): void {
    if (map.intern !== undefined && !map.intern.canAcquire(value)) {
      throw new StoreError(
        "ENOSPC",
        `interned value table of map '${map.name}' is full (${map.intern.live} values)`,
      );
    }
    if (map.inlineBit < 0 && this.optmemMax !== 0) {
      const charge = ELEM_BYTES + map.dataSize + (this.storage[slot]! < 0 ? STORAGE_BYTES : 0);
      if (this.omem[slot]! + charge > this.optmemMax) {
        throw new StoreError(
          "ENOMEM",
          `owner ${this.idOf[slot]} would use ${this.omem[slot]! + charge} fallback bytes, ` +
            `above optmemMax ${this.optmemMax}`,
        );
      }
    }
    // Last, as it may grow the value table (ENOMEM when it cannot; a grown table only has
    // more room): create's acquire then cannot fail halfway.
    map.intern?.reserve(value);
  }

  /**
   * Creates the owner's value of `map` from `value` (already checked by `checkCreate`; the
   * owner has no value yet) and returns its location as `locate` does.
   */
  create(map: MapState, slot: number, value: Uint8Array): number {
    let at: number;
    if (map.inlineBit >= 0) {
      at = slot * this.inlineBytes + map.inlineOffset;
      this.inlineMask[slot] = this.inlineMask[slot]! | (1 << map.inlineBit);
    } else {
      this.#reserve(map, slot);
      let s = this.storage[slot]!;
      if (s < 0) {
        s = this.#allocStorage();
        this.storage[slot] = s;
        this.omem[slot] = this.omem[slot]! + STORAGE_BYTES;
      }
      const e = this.#allocElem();
      const d = this.#allocData(map);
      const elems = this.elems;
      const eb = e * ELEM_WORDS;
      const sb = s * STORAGE_WORDS;
      elems[eb + ELEM_MAP] = map.id;
      elems[eb + ELEM_OWNER] = slot;
      elems[eb + ELEM_OWNER_NEXT] = this.storages[sb + STORAGE_HEAD]!;
      elems[eb + ELEM_MAP_PREV] = -1;
      elems[eb + ELEM_MAP_NEXT] = map.head;
      elems[eb + ELEM_DATA] = d;
      if (map.head >= 0) elems[map.head * ELEM_WORDS + ELEM_MAP_PREV] = e;
      map.head = e;
      this.storages[sb + STORAGE_HEAD] = e;
      this.storages[sb + STORAGE_CACHE + map.cacheIdx] = e;
      this.omem[slot] = this.omem[slot]! + ELEM_BYTES + map.dataSize;
      at = d * map.dataSize;
    }
    map.count++;
    this.#store(map, at, value, false);
    return at;
  }

  /** Overwrites the value at `at` (interned: takes the new value first, then drops the old). */
  write(map: MapState, at: number, value: Uint8Array): void {
    this.#store(map, at, value, true);
  }

  #store(map: MapState, at: number, value: Uint8Array, replace: boolean): void {
    const dst = this.bufferOf(map);
    if (map.intern === undefined) {
      for (let i = 0; i < map.valueSize; i++) dst[at + i] = value[i]!;
      return;
    }
    const old = replace ? this.#readIndex(dst, at) : -1;
    const id = map.intern.acquire(value);
    dst[at] = id & 0xff;
    dst[at + 1] = id >>> 8;
    if (old >= 0) map.intern.release(old);
  }

  /** Removes the owner's value of `map`; `false` when it had none. */
  remove(map: MapState, slot: number): boolean {
    if (map.inlineBit >= 0) {
      const bit = 1 << map.inlineBit;
      if ((this.inlineMask[slot]! & bit) === 0) return false;
      if (map.intern !== undefined) {
        map.intern.release(this.#readIndex(this.inline, this.#inlineAt(map, slot)));
      }
      this.inlineMask[slot] = this.inlineMask[slot]! & ~bit;
      map.count--;
      return true;
    }
    if (this.locate(map, slot) < 0) return false;
    // locate() cached the element under the map's cache index.
    const e = this.storages[this.storage[slot]! * STORAGE_WORDS + STORAGE_CACHE + map.cacheIdx]!;
    this.#unlinkMap(map, e);
    this.#unlinkOwner(map, e);
    return true;
  }

  /** The first slot at or after `from` whose owner has a value of `map`, or -1. */
  nextSlot(map: MapState, from: number): number {
    if (map.count === 0) return -1;
    for (let slot = from; slot < this.capacity; slot++) {
      if (this.idOf[slot]! >= 0 && this.locate(map, slot) >= 0) return slot;
    }
    return -1;
  }

  // ---- fallback pools -------------------------------------------------------------------

  /**
   * Grows the pools a fallback create of `map` for `slot` takes from, before anything
   * changes, so a pool the machine cannot grow is `ENOMEM` with the table as it was (a grown
   * pool only has more room).
   */
  #reserve(map: MapState, slot: number): void {
    try {
      if (this.storage[slot]! < 0 && this.storageFree < 0) {
        if ((this.storageTop + 1) * STORAGE_WORDS > this.storages.length) {
          this.storages = grow(this.storages, this.storages.length * 2);
        }
      }
      if (this.elemFree < 0 && (this.elemTop + 1) * ELEM_WORDS > this.elems.length) {
        this.elems = grow(this.elems, this.elems.length * 2);
      }
      if (map.arenaFree < 0 && map.arenaTop === map.arenaNext.length) {
        const n = Math.max(INITIAL_RECORDS, map.arenaNext.length * 2);
        map.arena = grow(map.arena, n * map.dataSize);
        map.arenaNext = grow(map.arenaNext, n);
      }
    } catch (err) {
      // The runtime's RangeError ("allocation failed", "invalid typed array length").
      throw new StoreError("ENOMEM", `cannot grow the fallback pools of map '${map.name}': ${err}`);
    }
  }

  /** Takes element `e` off its owner's list and frees it, its data and maybe the storage. */
  #unlinkOwner(map: MapState, e: number): void {
    const elems = this.elems;
    const slot = elems[e * ELEM_WORDS + ELEM_OWNER]!;
    const s = this.storage[slot]!;
    const sb = s * STORAGE_WORDS;
    const next = elems[e * ELEM_WORDS + ELEM_OWNER_NEXT]!;
    let p = this.storages[sb + STORAGE_HEAD]!;
    if (p === e) {
      this.storages[sb + STORAGE_HEAD] = next;
    } else {
      while (elems[p * ELEM_WORDS + ELEM_OWNER_NEXT] !== e) {
        p = elems[p * ELEM_WORDS + ELEM_OWNER_NEXT]!;
      }
      elems[p * ELEM_WORDS + ELEM_OWNER_NEXT] = next;
    }
    if (this.storages[sb + STORAGE_CACHE + map.cacheIdx] === e) {
      this.storages[sb + STORAGE_CACHE + map.cacheIdx] = -1;
    }
    this.omem[slot] = this.omem[slot]! - ELEM_BYTES - map.dataSize;
    this.#freeElem(map, e);
    map.count--;
    if (this.storages[sb + STORAGE_HEAD]! < 0) {
      // Like the kernel, the storage goes with its last element.
      this.#freeStorage(s);
      this.storage[slot] = -1;
      this.omem[slot] = this.omem[slot]! - STORAGE_BYTES;
    }
  }

  /** Takes element `e` off its map's list. */
  #unlinkMap(map: MapState, e: number): void {
    const elems = this.elems;
    const prev = elems[e * ELEM_WORDS + ELEM_MAP_PREV]!;
    const next = elems[e * ELEM_WORDS + ELEM_MAP_NEXT]!;
    if (prev >= 0) elems[prev * ELEM_WORDS + ELEM_MAP_NEXT] = next;
    else map.head = next;
    if (next >= 0) elems[next * ELEM_WORDS + ELEM_MAP_PREV] = prev;
  }

  #freeElem(map: MapState, e: number): void {
    const eb = e * ELEM_WORDS;
    const d = this.elems[eb + ELEM_DATA]!;
    if (map.intern !== undefined) map.intern.release(this.#readIndex(map.arena, d * map.dataSize));
    map.arenaNext[d] = map.arenaFree;
    map.arenaFree = d;
    this.elems[eb + ELEM_MAP] = -1;
    this.elems[eb + ELEM_OWNER_NEXT] = this.elemFree;
    this.elemFree = e;
    this.elemCount--;
  }

  #allocElem(): number {
    this.elemCount++;
    const e = this.elemFree;
    if (e >= 0) {
      this.elemFree = this.elems[e * ELEM_WORDS + ELEM_OWNER_NEXT]!;
      return e;
    }
    if ((this.elemTop + 1) * ELEM_WORDS > this.elems.length) {
      this.elems = grow(this.elems, this.elems.length * 2);
    }
    return this.elemTop++;
  }

  #allocStorage(): number {
    this.storageCount++;
    let s = this.storageFree;
    if (s >= 0) {
      this.storageFree = this.storages[s * STORAGE_WORDS + STORAGE_HEAD]!;
    } else {
      if ((this.storageTop + 1) * STORAGE_WORDS > this.storages.length) {
        this.storages = grow(this.storages, this.storages.length * 2);
      }
      s = this.storageTop++;
    }
    this.storages.fill(-1, s * STORAGE_WORDS, (s + 1) * STORAGE_WORDS);
    return s;
  }

  #freeStorage(s: number): void {
    this.storages[s * STORAGE_WORDS + STORAGE_HEAD] = this.storageFree;
    this.storageFree = s;
    this.storageCount--;
  }

  #allocData(map: MapState): number {
    const d = map.arenaFree;
    if (d >= 0) {
      map.arenaFree = map.arenaNext[d]!;
      return d;
    }
    if (map.arenaTop === map.arenaNext.length) {
      const n = Math.max(INITIAL_RECORDS, map.arenaNext.length * 2);
      map.arena = grow(map.arena, n * map.dataSize);
      map.arenaNext = grow(map.arenaNext, n);
    }
    return map.arenaTop++;
  }

  // ---- accounting -----------------------------------------------------------------------

  /** Bytes of the owner arrays and the inline area: what the table itself is charged. */
  tableBytes(): number {
    return this.capacity * (OWNER_BYTES + this.inlineBytes);
  }

  /** Bytes of the fallback buffers: storage and element pools, arenas, interned tables. */
  fallbackBytes(): number {
    let bytes = this.storages.byteLength + this.elems.byteLength;
    for (const m of this.maps) {
      if (m === undefined) continue;
      bytes += m.arena.byteLength + m.arenaNext.byteLength + (m.intern?.byteLength() ?? 0);
    }
    return bytes;
  }
}
