/**
 * IPv4 addresses as u32 in network byte order, for the typed accessors.
 *
 * @module
 */

import { StoreError } from "@kvkit/store";

// Four decimal octets without leading zeros (a leading zero is octal in some parsers).
const DOTTED_QUAD = /^(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})$/;

/**
 * Parses a dotted-quad IPv4 address into the u32 it is on the wire (big-endian: the first
 * octet is the most significant byte).
 *
 * @param text An address such as `"192.0.2.1"`.
 * @returns The address as a u32.
 * @throws {StoreError} `EINVAL` when `text` is not four decimal octets 0..255.
 *
 * @example Parsing a dotted quad, and an octet out of range
 * ```ts
 * import { parseIPv4 } from "@kvkit/traits";
 * import assert from "node:assert/strict";
 *
 * assert.equal(parseIPv4("192.0.2.1"), 0xc0000201);
 * assert.throws(() => parseIPv4("192.0.2.256"), { code: "EINVAL" });
 * ```
 */
export function parseIPv4(text: string): number {
  const m = typeof text === "string" ? DOTTED_QUAD.exec(text) : null;
  if (m !== null) {
    const a = +m[1]!, b = +m[2]!, c = +m[3]!, d = +m[4]!;
    if (a < 256 && b < 256 && c < 256 && d < 256) {
      return ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
    }
  }
  throw new StoreError("EINVAL", `'${text}' is not an IPv4 address`);
}

/**
 * Formats a u32 (network order, as {@linkcode parseIPv4} returns) as a dotted quad.
 *
 * @param address The address as a u32.
 * @returns The dotted quad, e.g. `"192.0.2.1"`.
 * @throws {StoreError} `EINVAL` when `address` is not a u32.
 *
 * @example Formatting an address
 * ```ts
 * import { formatIPv4 } from "@kvkit/traits";
 * import assert from "node:assert/strict";
 *
 * assert.equal(formatIPv4(0xc0000201), "192.0.2.1");
 * ```
 */
export function formatIPv4(address: number): string {
  if ((address >>> 0) !== address) {
    throw new StoreError("EINVAL", `${address} is not a u32 IPv4 address`);
  }
  return `${address >>> 24}.${(address >>> 16) & 255}.${(address >>> 8) & 255}.${address & 255}`;
}
