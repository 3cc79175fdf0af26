/**
 * CRC-32 (IEEE 802.3, reflected polynomial 0xedb88320), as zlib, PNG and gzip compute it.
 *
 * @module
 */

// The reflected IEEE polynomial.
const POLY = 0xedb88320;

const TABLE: Uint32Array = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? POLY ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/**
 * The CRC-32 of some bytes.
 *
 * @param bytes The bytes.
 * @returns The checksum as an unsigned 32-bit integer.
 *
 * @example The CRC-32 check value
 * ```ts
 * import { crc32 } from "./crc32.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(crc32(new TextEncoder().encode("123456789")), 0xcbf43926);
 * ```
 */
export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
