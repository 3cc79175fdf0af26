/**
 * Encoding and decoding of one metadata entry (see `layout.ts` for the bit-field).
 *
 * @module
 */

import {
  INIT_BIT,
  MAX_PAGES,
  PAGE_IDX_MASK,
  PAGE_OFF_MASK,
  PAGE_OFF_SHIFT,
  PAGE_SIZE,
  RESERVED_MASK,
  SIZE_MASK,
  SIZE_SHIFT,
  SLOT_ALIGN,
  VALUE_MAX,
  VALUE_MIN,
} from "./layout.ts";
import { StoreError } from "@kvkit/store";

/** Where a value lives: its page, its offset in the page and its length. */
export interface Slot {
  /** Data page index, 0..7. */
  readonly page: number;
  /** Byte offset in the page, a multiple of 8. */
  readonly offset: number;
  /** Value length in bytes, 1..4096. */
  readonly size: number;
}

/**
 * Packs a slot into a metadata entry with `init` set. The size is stored minus one, so the
 * 12-bit field covers 1..4096.
 *
 * @param slot The page, offset and size.
 * @returns The u32 entry.
 * @throws {StoreError} `EINVAL` when a field is out of range or the slot crosses its page.
 *
 * @example Packing the largest value at page 7
 * ```ts
 * import { decodeMeta, encodeMeta } from "@kvkit/uptr-kv";
 * import assert from "node:assert/strict";
 *
 * const word = encodeMeta({ page: 7, offset: 0, size: 4096 });
 * assert.equal(word, (1 << 27 | 4095 << 15 | 7) >>> 0);
 * assert.deepEqual(decodeMeta(word), { page: 7, offset: 0, size: 4096 });
 * assert.equal(decodeMeta(0), undefined);
 * ```
 */
export function encodeMeta(slot: Slot): number {
  const { page, offset, size } = slot;
  if (
    !Number.isInteger(page) || page < 0 || page >= MAX_PAGES || !Number.isInteger(offset) ||
    offset < 0 || offset % SLOT_ALIGN !== 0 || !Number.isInteger(size) || size < VALUE_MIN ||
    size > VALUE_MAX || offset + size > PAGE_SIZE
  ) {
    throw new StoreError("EINVAL", `bad slot page ${page} offset ${offset} size ${size}`);
  }
  return (INIT_BIT | (size - 1) << SIZE_SHIFT | offset << PAGE_OFF_SHIFT | page) >>> 0;
}

/**
 * Unpacks a metadata entry.
 *
 * @param word The u32 entry.
 * @returns The slot, or `undefined` when `init` is clear.
 * @throws {StoreError} `EINVAL` when reserved bits are set or the slot crosses its page.
 *
 * @example A round trip, and a reserved bit refused
 * ```ts
 * import { decodeMeta, encodeMeta } from "@kvkit/uptr-kv";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(decodeMeta(encodeMeta({ page: 0, offset: 8, size: 1 })), {
 *   page: 0, offset: 8, size: 1,
 * });
 * assert.throws(() => decodeMeta(0x8000_0000), { code: "EINVAL" });
 * ```
 */
export function decodeMeta(word: number): Slot | undefined {
  if ((word & RESERVED_MASK) !== 0) {
    throw new StoreError(
      "EINVAL",
      `metadata entry 0x${(word >>> 0).toString(16)} has reserved bits set`,
    );
  }
  if ((word & INIT_BIT) === 0) return undefined;
  const page = word & PAGE_IDX_MASK;
  const offset = (word >>> PAGE_OFF_SHIFT) & PAGE_OFF_MASK;
  const size = ((word >>> SIZE_SHIFT) & SIZE_MASK) + 1;
  if (offset + size > PAGE_SIZE) {
    throw new StoreError(
      "EINVAL",
      `metadata entry: offset ${offset} + size ${size} crosses the page`,
    );
  }
  return { page, offset, size };
}
