/**
 * Text helpers for error messages and `describe()`.
 *
 * @module
 */

import { hexSpaced } from "@kvkit/internal";

/**
 * Formats bytes for a human: quoted text when every byte is printable ASCII, else hex.
 *
 * @param bytes The bytes to show.
 * @param offset Where they start.
 * @param length How many there are.
 * @param max The most bytes to show before an ellipsis.
 * @returns The text.
 */
export function showBytes(bytes: Uint8Array, offset: number, length: number, max = 24): string {
  const n = Math.min(length, max);
  let printable = true;
  for (let i = 0; i < n; i++) {
    const c = bytes[offset + i]!;
    if (c < 0x20 || c > 0x7e || c === 0x22) printable = false;
  }
  let out = "";
  if (printable) {
    for (let i = 0; i < n; i++) out += String.fromCharCode(bytes[offset + i]!);
    out = `"${out}"`;
  } else {
    out = hexSpaced(bytes.subarray(offset, offset + n));
  }
  return length > max ? `${out}...` : out;
}
