/**
 * Cheap copies: the bytes a store hands out are carved from a shared slab.
 *
 * Under Deno, V8 keeps no typed array on the JS heap and `new Uint8Array(8)` costs ~250 ns,
 * while a view of an existing `ArrayBuffer` costs ~15 ns. Every copy the contract must return
 * (`get`, `nextKey`, iteration, batches) therefore comes from here, as Node's
 * `Buffer.allocUnsafe` pool does it.
 *
 * @module
 */

// The slab every small copy is carved from; a new one when the rest does not fit.
const SLAB_SIZE = 8192;
// Copies above this length get an ArrayBuffer of their own (as Node: half the pool).
const POOLED_MAX = SLAB_SIZE >>> 1;
// Every region starts on an 8-byte boundary, so any typed view of `.buffer` is aligned.
const ALIGN = 8;

// JavaScriptCore (Bun) allocates a small typed array faster than it makes a view of a slab.
const POOLED = !("Bun" in globalThis);

let slab = new ArrayBuffer(SLAB_SIZE);
let used = 0;

/**
 * Returns a new zero-filled `Uint8Array` of `length` bytes, cheaply. Each call returns its own
 * region: no other copy ever overlaps it, and nothing writes to it after it is returned.
 *
 * Small copies (at most 4 KiB) share an 8 KiB `ArrayBuffer` with other copies, as Node's
 * `Buffer.allocUnsafe` pool does: `.byteOffset` may be nonzero, `.buffer` is the whole slab
 * (whose other regions are other copies handed out by any store in this realm), and keeping a
 * copy keeps its slab alive - at most 8 KiB. Use `copy.slice()` where an `ArrayBuffer` of its
 * own is needed (to transfer it, or to hand `.buffer` to code that must not see other bytes):
 * transferring a copy's `.buffer` empties every other copy carved from the same slab (the
 * pool itself then starts a new slab).
 * Under Bun, where a fresh array is cheaper than a view, every copy is a fresh array.
 *
 * @param length The number of bytes, a non-negative integer.
 * @returns A zero-filled array of `length` bytes.
 *
 * @example
 * ```ts
 * import { allocBytes } from "@kvkit/store";
 * import assert from "node:assert/strict";
 *
 * const a = allocBytes(8);
 * const b = allocBytes(8);
 * a.fill(1);
 * assert.deepEqual(b, new Uint8Array(8)); // independent regions
 * assert.equal(a.length, 8);
 * ```
 */
export function allocBytes(length: number): Uint8Array {
  if (!POOLED || length > POOLED_MAX) return new Uint8Array(length);
  // A slab detached by a transfer of some copy's `.buffer` (postMessage, structuredClone,
  // `.transfer()`) has byteLength 0: start a new one, so one caller cannot break the rest.
  if (used + length > slab.byteLength) {
    slab = new ArrayBuffer(SLAB_SIZE);
    used = 0;
  }
  const out = new Uint8Array(slab, used, length);
  used = (used + length + ALIGN - 1) & -ALIGN;
  return out;
}

/**
 * Returns a copy of `src[start..end)` from {@linkcode allocBytes}: an independent array that
 * the caller may keep or change.
 *
 * @param src The bytes to copy.
 * @param start The first index (default 0).
 * @param end The index after the last (default `src.length`).
 * @returns The copy.
 *
 * @example
 * ```ts
 * import { copyBytes } from "@kvkit/store";
 * import assert from "node:assert/strict";
 *
 * const arena = new Uint8Array([1, 2, 3, 4, 5]);
 * const copy = copyBytes(arena, 1, 3);
 * arena[1] = 9;
 * assert.deepEqual(copy, new Uint8Array([2, 3]));
 * ```
 */
export function copyBytes(src: Uint8Array, start = 0, end: number = src.length): Uint8Array {
  const n = end - start;
  const out = allocBytes(n);
  if (n <= 64) {
    for (let i = 0; i < n; i++) out[i] = src[start + i]!;
  } else {
    out.set(src.subarray(start, end));
  }
  return out;
}
