// Space management over the metadata: occupancy of 8-byte granules derived from the entries
// (so space freed by a program's delete is seen without any other bookkeeping), first-fit
// search, and the canonical packing used by repack and by the Store view's admission rule.

import {
  INIT_BIT,
  MAX_PAGES,
  META_ENTRIES,
  PAGE_IDX_MASK,
  PAGE_OFF_MASK,
  PAGE_OFF_SHIFT,
  PAGE_SIZE,
  SIZE_MASK,
  SIZE_SHIFT,
  SLOT_ALIGN,
} from "./layout.ts";

/** Granules (8-byte units) per page. */
export const GRANULES = PAGE_SIZE / SLOT_ALIGN;

/** Bytes a value of `size` bytes takes in a page. */
export function slotBytes(size: number): number {
  return (size + SLOT_ALIGN - 1) & ~(SLOT_ALIGN - 1);
}

/** Page, offset and size of a present entry (`undefined` for an absent one). */
export function slotOf(word: number): { page: number; offset: number; size: number } | undefined {
  if ((word & INIT_BIT) === 0) return undefined;
  return {
    page: word & PAGE_IDX_MASK,
    offset: (word >>> PAGE_OFF_SHIFT) & PAGE_OFF_MASK,
    size: ((word >>> SIZE_SHIFT) & SIZE_MASK) + 1,
  };
}

/** One byte per granule of every page: 1 where some present value lies. */
export function occupancy(meta: Uint32Array): Uint8Array {
  const used = new Uint8Array(MAX_PAGES * GRANULES);
  for (let key = 0; key < META_ENTRIES; key++) {
    const slot = slotOf(meta[key]!);
    if (slot !== undefined) mark(used, slot.page, slot.offset, slot.size);
  }
  return used;
}

/** Marks the granules of a slot as used. */
export function mark(used: Uint8Array, page: number, offset: number, size: number): void {
  const first = page * GRANULES + offset / SLOT_ALIGN;
  used.fill(1, first, first + slotBytes(size) / SLOT_ALIGN);
}

/** The lowest page and offset among the first `pages` pages with room for `size` bytes. */
export function firstFit(
  used: Uint8Array,
  pages: number,
  size: number,
): { page: number; offset: number } | undefined {
  const need = slotBytes(size) / SLOT_ALIGN;
  for (let page = 0; page < pages; page++) {
    let run = 0;
    for (let g = 0; g < GRANULES; g++) {
      run = used[page * GRANULES + g] === 0 ? run + 1 : 0;
      if (run === need) return { page, offset: (g + 1 - need) * SLOT_ALIGN };
    }
  }
  return undefined;
}

/** Longest run of free bytes in a page. */
export function largestFree(used: Uint8Array, page: number): number {
  let run = 0;
  let best = 0;
  for (let g = 0; g < GRANULES; g++) {
    run = used[page * GRANULES + g] === 0 ? run + 1 : 0;
    if (run > best) best = run;
  }
  return best * SLOT_ALIGN;
}

/**
 * The canonical packing: keys in ascending order, each value (rounded up to 8 bytes) at the
 * end of the first page with room. `sizes[key]` is the value length, 0 for an absent key.
 * Returns each key's page and offset (-1 when absent) and the pages used, or `undefined`
 * when the values do not fit in `maxPages` pages.
 */
export function pack(
  sizes: ArrayLike<number>,
  maxPages: number,
): { page: Int8Array; offset: Int16Array; pages: number } | undefined {
  const fill = new Array<number>(maxPages).fill(0);
  const page = new Int8Array(META_ENTRIES).fill(-1);
  const offset = new Int16Array(META_ENTRIES).fill(-1);
  let pages = 1;
  for (let key = 0; key < META_ENTRIES; key++) {
    const size = sizes[key]!;
    if (size === 0) continue;
    const need = slotBytes(size);
    let p = 0;
    while (p < maxPages && fill[p]! + need > PAGE_SIZE) p++;
    if (p === maxPages) return undefined;
    page[key] = p;
    offset[key] = fill[p]!;
    fill[p] = fill[p]! + need;
    if (p + 1 > pages) pages = p + 1;
  }
  return { page, offset, pages };
}
