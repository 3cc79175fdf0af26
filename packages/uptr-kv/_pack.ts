// Space management over the metadata: occupancy of 8-byte granules derived from the entries
// (so space freed by a program's delete is seen without any other bookkeeping), first-fit
// search, the Store view's admission rule and the canonical packing that every admitted set
// of values fits (used by repack).

import {
  INIT_BIT,
  MAX_PAGES,
  META_ENTRIES,
  PAGE_IDX_MASK,
  PAGE_OFF_MASK,
  PAGE_OFF_SHIFT,
  PAGE_SIZE,
  RESERVED_MASK,
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

/**
 * Whether present entry `word` is well formed for a data region of `pages` pages: no reserved
 * bit, an allocated page, an aligned slot that ends inside its page (the metadata is shared,
 * so any Worker may have written anything there).
 */
export function validWord(word: number, pages: number): boolean {
  const slot = slotOf(word);
  return slot !== undefined && (word & RESERVED_MASK) === 0 && slot.page < pages &&
    slot.offset % SLOT_ALIGN === 0 && slot.offset + slot.size <= PAGE_SIZE;
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
 * Slots of at most this many bytes are "small": the admission rule charges them their own
 * length, plus a reserve per page boundary (see {@linkcode admits}).
 */
export const SMALL_SLOT_MAX = 128;

/** The size class of a value: its slot length rounded up to a power of two (8..4096). */
export function classBytes(size: number): number {
  const slot = slotBytes(size);
  return slot <= SLOT_ALIGN ? SLOT_ALIGN : 2 ** Math.ceil(Math.log2(slot));
}

/**
 * The admission rule of the Store view, a function of the value lengths alone (`sizes[key]`,
 * 0 for an absent key): the values fit in `maxPages` pages when
 *
 * - A: their size classes (slots rounded up to a power of two) add up to at most the pages'
 *   bytes, or
 * - B: the classes of the slots above {@linkcode SMALL_SLOT_MAX} bytes, plus the small slots
 *   themselves, plus `SMALL_SLOT_MAX - 8` bytes per page boundary, add up to at most that.
 *
 * Both sums only fall when a value is removed or shrinks, so the rule is monotone: every
 * subset of admitted values is admitted (any state is reachable again from empty, in any
 * order), and deleting a value makes room for any value no larger. And each admitted set fits
 * {@linkcode pack}'s layout; see there why.
 */
export function admits(sizes: ArrayLike<number>, maxPages: number): boolean {
  let classes = 0;
  let mixed = (maxPages - 1) * (SMALL_SLOT_MAX - SLOT_ALIGN);
  for (let key = 0; key < sizes.length; key++) {
    const size = sizes[key]!;
    if (size === 0) continue;
    const c = classBytes(size);
    classes += c;
    const slot = slotBytes(size);
    mixed += slot <= SMALL_SLOT_MAX ? slot : c;
  }
  const capacity = maxPages * PAGE_SIZE;
  return classes <= capacity || mixed <= capacity;
}

/**
 * The canonical packing: values by size class, largest first (keys ascending within a class),
 * each slot (its length rounded up to 8) placed right after the previous one, or at the start
 * of the next page when it does not fit there. `sizes[key]` is the value length, 0 for an
 * absent key. Returns each key's page and offset (-1 when absent) and the pages used, or
 * `undefined` when the values do not fit in `maxPages` pages - never for values that
 * {@linkcode admits} admits:
 *
 * - A: laid out at their class lengths, power-of-two blocks in decreasing order never cross a
 *   page boundary (each starts at a multiple of its length), so they fill the pages exactly;
 *   by induction every slot starts no later than its block (a slot pushed to the next page
 *   would have crossed the boundary inside its block), so it ends inside it.
 * - B: the large values end no later than their blocks; the small ones after them waste less
 *   than `SMALL_SLOT_MAX` bytes at each page boundary they skip.
 *
 * Other values (the owner's own puts place by first fit and may reach them) get a first fit
 * decreasing packing when this one does not fit, and `undefined` when neither does.
 */
export function pack(
  sizes: ArrayLike<number>,
  maxPages: number,
): { page: Int8Array; offset: Int16Array; pages: number } | undefined {
  const page = new Int8Array(META_ENTRIES).fill(-1);
  const offset = new Int16Array(META_ENTRIES).fill(-1);
  const order: number[] = [];
  for (let key = 0; key < META_ENTRIES; key++) if (sizes[key]! !== 0) order.push(key);
  // Stable: keys stay ascending within a class.
  order.sort((a, b) => classBytes(sizes[b]!) - classBytes(sizes[a]!));
  let p = 0;
  let fill = 0;
  for (const key of order) {
    const need = slotBytes(sizes[key]!);
    if (fill + need > PAGE_SIZE) {
      p++;
      fill = 0;
    }
    if (p === maxPages) return firstFitDecreasing(sizes, maxPages, order);
    page[key] = p;
    offset[key] = fill;
    fill += need;
  }
  return { page, offset, pages: order.length === 0 ? 1 : p + 1 };
}

// The fallback of `pack` for values outside the admission rule (the owner's own puts may
// reach them): first fit decreasing, each slot at the end of the first page with room.
function firstFitDecreasing(
  sizes: ArrayLike<number>,
  maxPages: number,
  keys: number[],
): { page: Int8Array; offset: Int16Array; pages: number } | undefined {
  const page = new Int8Array(META_ENTRIES).fill(-1);
  const offset = new Int16Array(META_ENTRIES).fill(-1);
  const fill = new Array<number>(maxPages).fill(0);
  let pages = 1;
  const order = [...keys].sort((a, b) => slotBytes(sizes[b]!) - slotBytes(sizes[a]!));
  for (const key of order) {
    const need = slotBytes(sizes[key]!);
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
