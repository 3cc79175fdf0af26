/**
 * The explorer's `dump` of a traits area: header bits, size codes and value slots.
 *
 * @module
 */

import { hexSpaced as hex } from "@kvkit/internal";
import { HEADER_SIZE, HIGH_LO, LOW_LO, MAX_KEYS } from "./_layout.ts";
import type { Traits } from "./traits.ts";

// One character per key: bit `k` of the u64 at `off`.
function bitRow(bytes: Uint8Array, off: number): string {
  let row = "";
  for (let k = 0; k < MAX_KEYS; k++) row += (bytes[off + (k >> 3)]! >> (k & 7)) & 1;
  return row;
}

/**
 * Draws a traits area as text.
 *
 * @param traits The store.
 * @returns The drawing: a summary line, the two header words bit by bit with each key's size
 * code, then one line per value slot and the free tail.
 */
export function describeTraits(traits: Traits): string {
  const bytes = traits.bytes();
  const { capacity, usedSize: used, profile } = traits;
  const [s1, s2, s3] = profile.sizes;
  const lines = [
    `traits area: capacity ${capacity} B, used ${used} B, free ${capacity - used} B, ` +
    `${traits.size} keys, profile ${profile.name} (code 01=${s1} B, 10=${s2} B, 11=${s3} B)`,
    `header (16 B): high u64 LE @${HIGH_LO} = ${hex(bytes.subarray(HIGH_LO, HIGH_LO + 8))}`,
    `               low  u64 LE @${LOW_LO} = ${hex(bytes.subarray(LOW_LO, LOW_LO + 8))}`,
    `  key   0         1         2         3         4         5         6`,
    `        ${"0123456789".repeat(7).slice(0, MAX_KEYS)}`,
    `  high  ${bitRow(bytes, HIGH_LO)}`,
    `  low   ${bitRow(bytes, LOW_LO)}`,
  ];
  let codes = "";
  for (let k = 0; k < MAX_KEYS; k++) {
    const len = traits.valueLength(k);
    codes += len === undefined ? "." : String(profile.sizes.indexOf(len) + 1);
  }
  lines.push(`  code  ${codes}   (. unset, 1=01, 2=10, 3=11)`, "values (ascending key):");
  let off = HEADER_SIZE;
  for (let k = traits.nextKey(); k !== -1; k = traits.nextKey(k)) {
    const len = traits.valueLength(k)!;
    const span = len === 0 ? `@${off}`.padEnd(9) : `@${off}..${off + len - 1}`.padEnd(9);
    const body = len === 0 ? "(flag)" : hex(bytes.subarray(off, off + len));
    lines.push(`  ${span} key ${String(k).padStart(2)} ${String(len).padStart(2)} B  ${body}`);
    off += len;
  }
  if (traits.size === 0) lines.push("  (none)");
  lines.push(
    used < capacity ? `free @${used}..${capacity - 1} (${capacity - used} B)` : "free: none (full)",
  );
  return lines.join("\n");
}
