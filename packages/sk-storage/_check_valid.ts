/**
 * Walks an owner table and checks every invariant; tests call it after each operation.
 *
 * @module
 */

import {
  ELEM_BYTES,
  ELEM_DATA,
  ELEM_MAP,
  ELEM_MAP_NEXT,
  ELEM_MAP_PREV,
  ELEM_OWNER,
  ELEM_OWNER_NEXT,
  ELEM_WORDS,
  type LocalStorage,
  type MapState,
  STORAGE_BYTES,
  STORAGE_CACHE,
  STORAGE_HEAD,
  STORAGE_WORDS,
} from "./_local_storage.ts";
import { CACHE_SIZE } from "./constants.ts";

function fail(what: string): never {
  throw new Error(`sk-storage invariant broken: ${what}`);
}

/**
 * Checks the owner table of `core`.
 *
 * @param core The table.
 * @throws {Error} naming the first broken invariant.
 */
export function checkValid(core: LocalStorage): void {
  const { capacity, elems, storages } = core;
  let live = 0;
  for (let slot = 0; slot < capacity; slot++) if (core.idOf[slot]! >= 0) live++;
  if (live !== core.owners) fail(`owners ${core.owners} but ${live} live slots`);
  const free = new Set<number>();
  for (let s = core.freeHead; s >= 0; s = core.freeNext[s]!) {
    if (free.has(s) || core.idOf[s]! >= 0) fail(`free list holds slot ${s} twice or live`);
    free.add(s);
  }
  let inlineBits = 0;
  let end = 0;
  for (const r of core.reservations) {
    if (r.offset < end || r.offset + r.size > core.inlineBytes) fail(`reservation at ${r.offset}`);
    end = r.offset + r.size;
    if (core.maps[r.map.id] !== r.map || r.size !== r.map.dataSize) fail("reservation's map");
    inlineBits |= 1 << r.map.inlineBit;
  }
  const counted = new Map<MapState, number>();
  const refs = new Map<MapState, Map<number, number>>();
  const ref = (map: MapState, bytes: Uint8Array, at: number): void => {
    if (map.intern === undefined) return;
    const id = bytes[at]! | bytes[at + 1]! << 8;
    const m = refs.get(map) ?? new Map<number, number>();
    m.set(id, (m.get(id) ?? 0) + 1);
    refs.set(map, m);
  };
  let storagesSeen = 0;
  let elemsSeen = 0;
  for (let slot = 0; slot < capacity; slot++) {
    if (core.idOf[slot]! < 0) continue;
    const mask = core.inlineMask[slot]!;
    if ((mask & ~inlineBits) !== 0) fail(`owner slot ${slot} mask ${mask} has unreserved bits`);
    for (const r of core.reservations) {
      if ((mask & (1 << r.map.inlineBit)) === 0) continue;
      counted.set(r.map, (counted.get(r.map) ?? 0) + 1);
      ref(r.map, core.inline, slot * core.inlineBytes + r.offset);
    }
    const s = core.storage[slot]!;
    let charge = 0;
    if (s >= 0) {
      storagesSeen++;
      charge += STORAGE_BYTES;
      const mine = new Set<number>();
      const mapsSeen = new Set<number>();
      for (
        let e = storages[s * STORAGE_WORDS + STORAGE_HEAD]!;
        e >= 0;
        e = elems[e * ELEM_WORDS + ELEM_OWNER_NEXT]!
      ) {
        const map = core.maps[elems[e * ELEM_WORDS + ELEM_MAP]!];
        if (map === undefined || map.inlineBit >= 0) fail(`element ${e} of a dead or inline map`);
        if (elems[e * ELEM_WORDS + ELEM_OWNER] !== slot) fail(`element ${e} owner`);
        if (mapsSeen.has(map.id)) fail(`owner slot ${slot} has two elements of map ${map.id}`);
        mapsSeen.add(map.id);
        mine.add(e);
        charge += ELEM_BYTES + map.dataSize;
        ref(map, map.arena, elems[e * ELEM_WORDS + ELEM_DATA]! * map.dataSize);
      }
      if (mine.size === 0) fail(`owner slot ${slot} has an empty storage record`);
      for (let c = 0; c < CACHE_SIZE; c++) {
        const e = storages[s * STORAGE_WORDS + STORAGE_CACHE + c]!;
        if (e >= 0 && !mine.has(e)) {
          fail(`owner slot ${slot} cache ${c} holds foreign element ${e}`);
        }
      }
      elemsSeen += mine.size;
    }
    if (core.omem[slot] !== charge) fail(`owner slot ${slot} omem ${core.omem[slot]} != ${charge}`);
  }
  if (storagesSeen !== core.storageCount) {
    fail(`storageCount ${core.storageCount} != ${storagesSeen}`);
  }
  if (elemsSeen !== core.elemCount) fail(`elemCount ${core.elemCount} != ${elemsSeen}`);
  for (const map of core.maps) {
    if (map === undefined) continue;
    if (map.inlineBit < 0) {
      let n = 0;
      let prev = -1;
      for (let e = map.head; e >= 0; e = elems[e * ELEM_WORDS + ELEM_MAP_NEXT]!) {
        if (elems[e * ELEM_WORDS + ELEM_MAP] !== map.id) {
          fail(`map ${map.id} list holds element ${e}`);
        }
        if (elems[e * ELEM_WORDS + ELEM_MAP_PREV] !== prev) fail(`map ${map.id} element ${e} prev`);
        prev = e;
        n++;
      }
      counted.set(map, n);
    }
    if ((counted.get(map) ?? 0) !== map.count) fail(`map ${map.id} count ${map.count}`);
    if (map.intern !== undefined) {
      const m = refs.get(map) ?? new Map<number, number>();
      for (const [id, n] of m) {
        if (map.intern.refcnt[id] !== n) fail(`map ${map.id} value ${id} refcnt`);
      }
      if (map.intern.live !== m.size) {
        fail(`map ${map.id} holds ${map.intern.live} values, ${m.size} used`);
      }
    }
  }
}
