/**
 * How the explorer shows bytes: hex that can be pasted back as input, plus a printable preview
 * (ASCII 0x20..0x7e, `.` for anything else), and integer keys as numbers.
 *
 * @module
 */

import { hex as hexDigits } from "@kvkit/internal";
import type { Capabilities } from "@kvkit/store";
import type { Painter } from "./color.ts";

/** Bytes shown in hex before the rest is elided. */
export const SHOW_BYTES = 32;

/**
 * Hex of all the bytes, `0x`-prefixed (`0x` alone for no bytes): the explorer's input syntax,
 * so output can be pasted back. The digits are `@kvkit/internal`'s `hex`.
 *
 * @param bytes The bytes.
 * @returns E.g. `0x0a0b`.
 *
 * @example Pasteable hex
 * ```ts
 * import { hex } from "./format.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(hex(new Uint8Array([10, 11])), "0x0a0b");
 * ```
 */
export function hex(bytes: Uint8Array): string {
  return "0x" + hexDigits(bytes);
}

/**
 * The printable preview of bytes: ASCII as is, anything else as `.`.
 *
 * @param bytes The bytes.
 * @returns One character per byte.
 *
 * @example Non-printable bytes as dots
 * ```ts
 * import { preview } from "./format.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(preview(new TextEncoder().encode("hi\n")), "hi.");
 * ```
 */
export function preview(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += b >= 0x20 && b <= 0x7e ? String.fromCharCode(b) : ".";
  return s;
}

/**
 * Bytes for a human: hex (the first {@linkcode SHOW_BYTES} bytes, then the length) and the
 * preview between bars.
 *
 * @param bytes The bytes.
 * @param paint The painter.
 * @param style `"key"` or `"value"`.
 * @returns E.g. `0x6869 |hi|`.
 *
 * @example Hex and preview
 * ```ts
 * import { formatBytes } from "./format.ts";
 * import assert from "node:assert/strict";
 *
 * const plain = (_: string, t: string) => t;
 * assert.equal(formatBytes(new Uint8Array([104, 105]), plain, "value"), "0x6869 |hi|");
 * assert.match(formatBytes(new Uint8Array(40), plain, "value"), /…\(40 B\)/);
 * ```
 */
export function formatBytes(bytes: Uint8Array, paint: Painter, style: "key" | "value"): string {
  const shown = bytes.subarray(0, SHOW_BYTES);
  const more = bytes.length > SHOW_BYTES ? `…(${bytes.length} B)` : "";
  return `${paint(style, hex(shown) + more)} ${paint("dim", `|${preview(shown)}|`)}`;
}

/**
 * Reads a key of an integer-keyed store (one with `keyRange`) as its u32.
 *
 * @param key The key bytes.
 * @param caps The store's capabilities.
 * @returns The integer, or `undefined` when the store is not integer-keyed.
 *
 * @example A u32 key as a number
 * ```ts
 * import { intKey } from "./format.ts";
 * import assert from "node:assert/strict";
 *
 * const caps = {
 *   keySize: { min: 4, max: 4 }, valueSize: { min: 8, max: 8 }, keyRange: { min: 0, max: 63 },
 *   maxEntries: 64, ordered: true, fullError: "ENOSPC", valueTooBig: "EINVAL", lock: false,
 * } as const;
 * assert.equal(intKey(new Uint8Array([5, 0, 0, 0]), caps), 5);
 * ```
 */
export function intKey(key: Uint8Array, caps: Capabilities): number | undefined {
  if (caps.keyRange === undefined || key.length !== 4) return undefined;
  return (key[0]! | key[1]! << 8 | key[2]! << 16 | key[3]! << 24) >>> 0;
}

/**
 * A key for a human: integer keys as `5 (0x05000000)`, others as {@linkcode formatBytes}.
 *
 * @param key The key bytes.
 * @param caps The store's capabilities.
 * @param paint The painter.
 * @returns The text.
 *
 * @example A byte key
 * ```ts
 * import { formatKey } from "./format.ts";
 * import assert from "node:assert/strict";
 *
 * const caps = {
 *   keySize: { min: 2, max: 2 }, valueSize: { min: 8, max: 8 },
 *   maxEntries: 64, ordered: true, fullError: "ENOSPC", valueTooBig: "EINVAL", lock: false,
 * } as const;
 * assert.equal(formatKey(new Uint8Array([65, 66]), caps, (_, t) => t), "0x4142 |AB|");
 * ```
 */
export function formatKey(key: Uint8Array, caps: Capabilities, paint: Painter): string {
  const n = intKey(key, caps);
  if (n === undefined) return formatBytes(key, paint, "key");
  return `${paint("key", String(n))} ${paint("dim", `(${hex(key)})`)}`;
}

/**
 * A byte count for a human.
 *
 * @param n Bytes.
 * @returns E.g. `1.5 KiB (1536 B)`.
 *
 * @example Sizes in binary units
 * ```ts
 * import { formatSize } from "./format.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(formatSize(1536), "1.5 KiB (1536 B)");
 * assert.equal(formatSize(100), "100 B");
 * ```
 */
export function formatSize(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ["KiB", "MiB", "GiB"];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${Number(v.toFixed(1))} ${units[u]} (${n} B)`;
}
