// The owner's free-space map: one byte per 8-byte granule of every page, 1 where a present
// value lies, plus per-page used counts and a first-free hint, kept up to date by the owner
// as it commits. Programs may delete keys behind its back; they bump CTRL_DELETES, and the
// owner calls `sync` before each use, which rebuilds the map from the metadata only when that
// counter moved. A map that missed a delete still in flight only sees too little free space,
// as if the allocation had happened just before the delete.
//
// | operation | cost |
// | --- | --- |
// | sync without a program delete, usedBytes | O(1) |
// | sync after a program delete (rebuild) | O(1024 + pages × 512) |
// | mark / unmark | O(slot granules) |
// | firstFit | O(pages) to skip full pages + O(granules scanned from the first free one) |

import {
  CTRL_DELETES,
  INIT_BIT,
  MAX_PAGES,
  META_ENTRIES,
  PAGE_IDX_MASK,
  PAGE_OFF_MASK,
  PAGE_OFF_SHIFT,
  SIZE_MASK,
  SIZE_SHIFT,
  SLOT_ALIGN,
} from "./layout.ts";
import { GRANULES, slotBytes } from "./_pack.ts";

/** Occupancy of the data pages as the owner last saw it (see the file comment). */
export class FreeMap {
  // One byte per granule, pages back to back: 1 = used.
  readonly #used = new Uint8Array(MAX_PAGES * GRANULES);
  // Used granules per page.
  readonly #count = new Int32Array(MAX_PAGES);
  // Per page: every granule below it is used (a lower bound of the first free granule).
  readonly #hint = new Int32Array(MAX_PAGES);
  // Used granules in all pages.
  #total = 0;
  // CTRL_DELETES when the map was last rebuilt; NaN: never built.
  #deletes = NaN;
  readonly #meta: Uint32Array;
  readonly #ctrl: Int32Array;

  constructor(meta: Uint32Array, ctrl: Int32Array) {
    this.#meta = meta;
    this.#ctrl = ctrl;
  }

  /** Rebuilds the map from the metadata when a program deleted a key since the last build. */
  sync(): void {
    const deletes = Atomics.load(this.#ctrl, CTRL_DELETES);
    if (deletes === this.#deletes) return;
    // Read the counter first: a delete counted later is seen now or on the next sync.
    this.#deletes = deletes;
    this.#used.fill(0);
    this.#count.fill(0);
    this.#hint.fill(0);
    this.#total = 0;
    for (let key = 0; key < META_ENTRIES; key++) this.markWord(Atomics.load(this.#meta, key));
  }

  /** Forgets the map: the next `sync` rebuilds it from the metadata. */
  invalidate(): void {
    this.#deletes = NaN;
  }

  /** Bytes of the slots the map holds as used. */
  get usedBytes(): number {
    return this.#total * SLOT_ALIGN;
  }

  /** Marks the slot of metadata entry `word` used (nothing for an absent entry). */
  markWord(word: number): void {
    if ((word & INIT_BIT) === 0) return;
    this.#set(word, 1);
  }

  /** Marks the slot of metadata entry `word` free (nothing for an absent entry). */
  unmarkWord(word: number): void {
    if ((word & INIT_BIT) === 0) return;
    this.#set(word, 0);
  }

  #set(word: number, to: 0 | 1): void {
    const page = word & PAGE_IDX_MASK;
    // A misaligned entry (only a Worker writing the metadata makes one) covers the granule it
    // starts in.
    const first = Math.floor(((word >>> PAGE_OFF_SHIFT) & PAGE_OFF_MASK) / SLOT_ALIGN);
    const end = Math.min(
      GRANULES,
      first + slotBytes(((word >>> SIZE_SHIFT) & SIZE_MASK) + 1) / SLOT_ALIGN,
    );
    const used = this.#used;
    const base = page * GRANULES;
    let changed = 0;
    for (let g = first; g < end; g++) {
      if (used[base + g] !== to) {
        used[base + g] = to;
        changed++;
      }
    }
    const delta = to === 1 ? changed : -changed;
    this.#count[page] = this.#count[page]! + delta;
    this.#total += delta;
    if (to === 0) {
      if (first < this.#hint[page]!) this.#hint[page] = first;
    } else if (first <= this.#hint[page]!) {
      let h = Math.max(first, this.#hint[page]!);
      while (h < GRANULES && used[base + h] === 1) h++;
      this.#hint[page] = h;
    }
  }

  /** The lowest page and offset among the first `pages` pages with room for `size` bytes. */
  firstFit(pages: number, size: number): { page: number; offset: number } | undefined {
    const need = slotBytes(size) / SLOT_ALIGN;
    const used = this.#used;
    for (let page = 0; page < pages; page++) {
      if (GRANULES - this.#count[page]! < need) continue;
      const base = page * GRANULES;
      let run = 0;
      for (let g = this.#hint[page]!; g < GRANULES; g++) {
        run = used[base + g] === 0 ? run + 1 : 0;
        if (run === need) return { page, offset: (g + 1 - need) * SLOT_ALIGN };
      }
    }
    return undefined;
  }
}
