/**
 * Bytes and words as hexadecimal text, for `describe()` drawings, tests and tools: one copy
 * instead of one per package.
 *
 * @module
 */

// "00".."ff", so a byte costs one lookup instead of toString and padStart.
const BYTE_HEX: readonly string[] = Array.from(
  { length: 256 },
  (_, b) => b.toString(16).padStart(2, "0"),
);

/**
 * The bytes as lowercase hex, two digits each (a key in a test message or a drawing). One
 * parameter, so `keys.map(hex)` is safe.
 *
 * @param bytes The bytes.
 * @returns The text; `""` for no bytes.
 *
 * @example A key as text
 * ```ts
 * import { hex } from "@kvkit/internal";
 * import assert from "node:assert/strict";
 *
 * assert.equal(hex(new Uint8Array([10, 255, 0])), "0aff00");
 * assert.deepEqual([new Uint8Array([1]), new Uint8Array([2])].map(hex), ["01", "02"]);
 * ```
 */
export function hex(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i++) s += BYTE_HEX[bytes[i]!];
  return s;
}

/**
 * The bytes as lowercase hex with a space between bytes, for drawings that show byte
 * boundaries.
 *
 * @param bytes The bytes.
 * @returns The text; `""` for no bytes.
 *
 * @example Bytes apart
 * ```ts
 * import { hexSpaced } from "@kvkit/internal";
 * import assert from "node:assert/strict";
 *
 * assert.equal(hexSpaced(new Uint8Array([10, 255, 0])), "0a ff 00");
 * ```
 */
export function hexSpaced(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i++) s += (i === 0 ? "" : " ") + BYTE_HEX[bytes[i]!];
  return s;
}

/**
 * A 32-bit word as `0x` and eight hex digits (a seed, a checksum, a metadata word).
 *
 * @param word A u32 or int32 (read as unsigned).
 * @returns The text.
 *
 * @example A seed and a negative int32
 * ```ts
 * import { hexWord } from "@kvkit/internal";
 * import assert from "node:assert/strict";
 *
 * assert.equal(hexWord(0xbeef), "0x0000beef");
 * assert.equal(hexWord(-1), "0xffffffff");
 * ```
 */
export function hexWord(word: number): string {
  return "0x" + (word >>> 0).toString(16).padStart(8, "0");
}
