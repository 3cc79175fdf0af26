// Validation of regions received from elsewhere (another thread, a message): sizes, the
// control header and every metadata entry, so a program never reads out of bounds.

import { StoreError } from "@kvkit/store";
import {
  CONTROL_BYTES,
  CTRL_FLAGS,
  CTRL_MAGIC,
  CTRL_MAX_PAGES,
  CTRL_NR_PAGES,
  DATA_MAX_BYTES,
  FLAG_CONSISTENT,
  MAX_PAGES,
  META_BYTES,
  META_ENTRIES,
  PAGE_SIZE,
  SLOT_ALIGN,
  UPTR_KV_MAGIC,
} from "./layout.ts";
import { decodeMeta } from "./meta_entry.ts";
import type { RegionBuffer, UptrKvRegions } from "./regions.ts";

const GRANULES_PER_PAGE = PAGE_SIZE / SLOT_ALIGN;

function isBuffer(b: unknown): b is RegionBuffer {
  return b instanceof ArrayBuffer ||
    (typeof SharedArrayBuffer !== "undefined" && b instanceof SharedArrayBuffer);
}

/** Checks regions before a program attaches; throws EINVAL saying what is wrong. */
export function validateRegions(regions: UptrKvRegions): void {
  if (typeof regions !== "object" || regions === null) {
    throw new StoreError("EINVAL", `regions must be an object, got ${regions}`);
  }
  const { meta, data, control } = regions;
  for (const [name, b] of [["meta", meta], ["data", data], ["control", control]] as const) {
    if (!isBuffer(b)) throw new StoreError("EINVAL", `regions.${name} is not an ArrayBuffer`);
  }
  if (meta.byteLength !== META_BYTES) {
    throw new StoreError("EINVAL", `meta region is ${meta.byteLength} bytes, not ${META_BYTES}`);
  }
  if (control.byteLength !== CONTROL_BYTES) {
    throw new StoreError(
      "EINVAL",
      `control region is ${control.byteLength} bytes, not ${CONTROL_BYTES}`,
    );
  }
  const dataBytes = data.byteLength;
  if (dataBytes < PAGE_SIZE || dataBytes > DATA_MAX_BYTES || dataBytes % PAGE_SIZE !== 0) {
    throw new StoreError(
      "EINVAL",
      `data region is ${dataBytes} bytes, not a multiple of ${PAGE_SIZE} in ${PAGE_SIZE}..${DATA_MAX_BYTES}`,
    );
  }
  const ctrl = new Int32Array(control);
  if (Atomics.load(ctrl, CTRL_MAGIC) !== UPTR_KV_MAGIC) {
    throw new StoreError("EINVAL", "control region has no uptr-kv magic (not initialised)");
  }
  const flags = Atomics.load(ctrl, CTRL_FLAGS);
  if ((flags & ~FLAG_CONSISTENT) !== 0) {
    throw new StoreError("EINVAL", `control region has unknown flags 0x${flags.toString(16)}`);
  }
  const maxPages = Atomics.load(ctrl, CTRL_MAX_PAGES);
  const nrPages = Atomics.load(ctrl, CTRL_NR_PAGES);
  if (maxPages < 1 || maxPages > MAX_PAGES || nrPages < 1 || nrPages > maxPages) {
    throw new StoreError("EINVAL", `control region: ${nrPages} pages of at most ${maxPages}`);
  }
  if (nrPages * PAGE_SIZE > dataBytes) {
    throw new StoreError(
      "EINVAL",
      `control region says ${nrPages} pages but the data region is ${dataBytes} bytes`,
    );
  }
  const words = new Uint32Array(meta);
  const used = new Uint8Array(MAX_PAGES * GRANULES_PER_PAGE);
  for (let key = 0; key < META_ENTRIES; key++) {
    let slot;
    try {
      slot = decodeMeta(Atomics.load(words, key));
    } catch (err) {
      throw new StoreError("EINVAL", `key ${key}: ${(err as Error).message}`);
    }
    if (slot === undefined) continue;
    if (slot.page >= nrPages) {
      throw new StoreError("EINVAL", `key ${key} points at page ${slot.page} of ${nrPages}`);
    }
    if (slot.offset % SLOT_ALIGN !== 0) {
      throw new StoreError("EINVAL", `key ${key}: offset ${slot.offset} is not 8-byte aligned`);
    }
    const first = slot.page * GRANULES_PER_PAGE + slot.offset / SLOT_ALIGN;
    const last = first + Math.ceil(slot.size / SLOT_ALIGN);
    for (let g = first; g < last; g++) {
      if (used[g] !== 0) {
        throw new StoreError("EINVAL", `key ${key} overlaps another value in page ${slot.page}`);
      }
      used[g] = 1;
    }
  }
}
