/**
 * The owner's `describe()` drawing: the header, every present metadata entry with its decoded
 * bits and slot, and one occupancy bar per allocated page; the owner's private state comes
 * through `internals` (`_internals.ts`).
 *
 * @module
 */

import { hexWord } from "@kvkit/internal";
import { CONTROL_BYTES, META_BYTES, META_ENTRIES } from "./layout.ts";
import { GRANULES, occupancy, slotBytes, slotOf, validWord } from "./_pack.ts";
import { internals } from "./_internals.ts";
import type { UptrKvOwner } from "./uptr_kv_owner.ts";

// Marks per page bar, each standing for PAGE_SIZE / BAR_MARKS bytes (64) = 8 granules.
const BAR_MARKS = 64;
const GRANULES_PER_MARK = GRANULES / BAR_MARKS;

/**
 * Draws `owner`'s metadata entries and page occupancy.
 *
 * @param owner The owner.
 * @returns Lines of text.
 */
export function describeOwner(owner: UptrKvOwner): string {
  const meta = internals.meta(owner);
  const u = internals.usage(owner);
  const version = internals.manifestVersion(owner);
  const data = owner.regions.data.byteLength;
  const lines = [
    `uptr-kv: ${u.keys} keys, ${u.pages}/${u.maxPages} pages, ${
      owner.consistent ? "consistent (seqlock)" : "plain"
    }, ${owner.memoryUsage()} bytes (meta ${META_BYTES} + data ${data} + control ${CONTROL_BYTES})`,
    `manifest: ${version === undefined ? "none" : `v${version}`}`,
    "metadata (u32 LE bits: page_idx 0-2 | page_off 3-14 | size-1 15-26 | init 27):",
    "  key   entry       page  offset  size  slot",
  ];
  for (let key = 0; key < META_ENTRIES; key++) {
    const word = meta[key]!;
    const slot = slotOf(word);
    if (slot === undefined) continue;
    lines.push(
      `  ${String(key).padEnd(5)} ${hexWord(word)}  ${String(slot.page).padEnd(4)}  ` +
        `${String(slot.offset).padEnd(6)}  ${String(slot.size).padEnd(4)}  ` +
        `[${slot.offset}, ${slot.offset + slotBytes(slot.size)})` +
        (validWord(word, u.pages) ? "" : "  CORRUPT (delete or overwrite the key)"),
    );
  }
  lines.push(`pages (one mark per 64 bytes: '#' full, '+' partly used, '.' free):`);
  const used = occupancy(meta);
  for (const p of u.perPage) {
    let bar = "";
    for (let c = 0; c < BAR_MARKS; c++) {
      let n = 0;
      const first = p.page * GRANULES + c * GRANULES_PER_MARK;
      for (let g = 0; g < GRANULES_PER_MARK; g++) n += used[first + g]!;
      bar += n === GRANULES_PER_MARK ? "#" : n === 0 ? "." : "+";
    }
    lines.push(
      `  page ${p.page} [${bar}] ${p.keys} keys, ${p.usedBytes} used, largest free ${p.largestFree}`,
    );
  }
  return lines.join("\n");
}
