/**
 * The owner table drawn as text: the inline area map, the fallback maps and the first owners.
 *
 * @module
 */

import { ELEM_BYTES, type LocalStorage, STORAGE_BYTES } from "./_local_storage.ts";
import { OWNER_SLOT_SPAN } from "./constants.ts";

// Widest bar drawn for the inline area, in characters.
const BAR_WIDTH = 64;
// Owners listed at the end of the drawing.
const OWNERS_SHOWN = 8;

function label(name: string | undefined, id: number): string {
  return name === undefined ? `#${id}` : `'${name}'`;
}

/**
 * Draws the table of `core`.
 *
 * @param core The table.
 * @param title The first line.
 * @returns Lines of text.
 */
export function describeTable(core: LocalStorage, title: string): string {
  const lines = [title];
  const { capacity, inlineBytes } = core;
  lines.push(
    `owners: ${core.owners} live of ${capacity} slots; inline area ${inlineBytes} B per owner; ` +
      `optmemMax ${core.optmemMax === 0 ? "none" : `${core.optmemMax} B`}`,
  );
  if (inlineBytes === 0) {
    lines.push("inline area: none (inlineBytes 0): every map takes the fallback path");
  } else {
    const scale = Math.max(1, Math.ceil(inlineBytes / BAR_WIDTH));
    const bar = new Array<string>(Math.ceil(inlineBytes / scale)).fill(".");
    core.reservations.forEach((r, i) => {
      const ch = String.fromCharCode(65 + (i % 26));
      for (let b = r.offset; b < r.offset + r.size; b++) bar[Math.floor(b / scale)] = ch;
    });
    let free = inlineBytes;
    for (const r of core.reservations) free -= r.size;
    lines.push(
      `inline area (same offsets in every owner; ${scale} B per char, '.' free, ${free} B free):`,
    );
    lines.push(`  0 |${bar.join("")}| ${inlineBytes}`);
    core.reservations.forEach((r, i) => {
      const m = r.map;
      lines.push(
        `  ${String.fromCharCode(65 + (i % 26))} ${r.offset}..${r.offset + r.size - 1} ` +
          `map ${label(m.name, m.id)} value ${m.valueSize} B` +
          `${m.intern ? ` interned (2 B index, ${m.intern.live} distinct values)` : ""}, ` +
          `mask bit ${m.inlineBit}, ${m.count}/${core.owners} owners${
            m.attached ? "" : ", closed"
          }`,
      );
    });
  }
  const fallback = core.maps.filter((m) => m !== undefined && m.inlineBit < 0);
  lines.push(`fallback maps: ${fallback.length}`);
  for (const m of fallback) {
    if (m === undefined) continue;
    lines.push(
      `  map ${label(m.name, m.id)} value ${m.valueSize} B${m.intern ? " interned" : ""}, ` +
        `cache index ${m.cacheIdx}, ${m.count} elements (${ELEM_BYTES} + ${m.dataSize} B each)` +
        `${m.attached ? "" : ", closed"}`,
    );
  }
  lines.push(
    `storage records: ${core.storageCount} (${STORAGE_BYTES} B each: list head + 16-slot cache); ` +
      `elements: ${core.elemCount}`,
  );
  lines.push("slot  id          gen  inline-mask  storage  omem");
  let shown = 0;
  for (let slot = 0; slot < capacity && shown < OWNERS_SHOWN; slot++) {
    const id = core.idOf[slot]!;
    if (id < 0) continue;
    shown++;
    lines.push(
      `${String(slot).padEnd(6)}${String(id).padEnd(12)}${
        String(Math.floor(id / OWNER_SLOT_SPAN)).padEnd(5)
      }${core.inlineMask[slot]!.toString(2).padStart(8, "0").padEnd(13)}${
        String(core.storage[slot]).padEnd(9)
      }${core.omem[slot]}`,
    );
  }
  if (core.owners > shown) lines.push(`... ${core.owners - shown} more owners`);
  return lines.join("\n");
}
