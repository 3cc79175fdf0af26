/**
 * IPv6 addresses as 16 bytes in network order, for the typed accessors.
 *
 * @module
 */

import { StoreError } from "@kvkit/store";

/** Bytes of an IPv6 address. */
const IPV6_SIZE = 16;
// One group: 1..4 hex digits.
const GROUP = /^[0-9a-fA-F]{1,4}$/;
// A trailing dotted quad (e.g. ::ffff:192.0.2.1), without leading zeros.
const DOTTED_QUAD = /^(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})$/;

function bad(text: unknown): StoreError {
  return new StoreError("EINVAL", `'${text}' is not an IPv6 address`);
}

function groups(part: string, text: string): number[] {
  if (part === "") return [];
  const out: number[] = [];
  const items = part.split(":");
  for (let i = 0; i < items.length; i++) {
    const item = items[i]!;
    const quad = i === items.length - 1 ? DOTTED_QUAD.exec(item) : null;
    if (quad !== null) {
      const o = quad.slice(1).map(Number);
      if (o.some((n) => n > 255)) throw bad(text);
      out.push((o[0]! << 8) | o[1]!, (o[2]! << 8) | o[3]!);
    } else if (GROUP.test(item)) {
      out.push(parseInt(item, 16));
    } else {
      throw bad(text);
    }
  }
  return out;
}

/**
 * Parses an IPv6 address in RFC 4291 text form (`::` compression and a trailing dotted quad
 * allowed; no zone id) into 16 bytes.
 *
 * @param text An address such as `"2001:db8::1"`.
 * @returns A new 16-byte array.
 * @throws {StoreError} `EINVAL` when `text` is not an IPv6 address.
 *
 * @example Parsing a compressed address, and two '::'
 * ```ts
 * import { parseIPv6 } from "@kvkit/traits";
 * import assert from "node:assert/strict";
 *
 * const b = parseIPv6("2001:db8::1");
 * assert.equal(b.length, 16);
 * assert.deepEqual([...b.subarray(0, 4)], [0x20, 0x01, 0x0d, 0xb8]);
 * assert.equal(b[15], 1);
 * assert.throws(() => parseIPv6("1::2::3"), { code: "EINVAL" });
 * ```
 */
export function parseIPv6(text: string): Uint8Array {
  if (typeof text !== "string" || text.length > 45) throw bad(text);
  const halves = text.split("::");
  if (halves.length > 2) throw bad(text);
  const head = groups(halves[0]!, text);
  const tail = halves.length === 2 ? groups(halves[1]!, text) : [];
  const n = head.length + tail.length;
  if (halves.length === 2 ? n > 7 : n !== 8) throw bad(text);
  const out = new Uint8Array(IPV6_SIZE);
  const put = (g: number, i: number): void => {
    out[2 * i] = g >>> 8;
    out[2 * i + 1] = g & 255;
  };
  head.forEach(put);
  tail.forEach((g, i) => put(g, 8 - tail.length + i));
  return out;
}

/**
 * Formats 16 bytes as an IPv6 address in the RFC 5952 canonical form: lowercase hex, no
 * leading zeros, the longest run of two or more zero groups (the first on a tie) as `::`.
 *
 * @param bytes 16 bytes in network order.
 * @returns The canonical text.
 * @throws {StoreError} `EINVAL` when `bytes` is not 16 bytes long.
 *
 * @example Formatting with the longest zero run as '::'
 * ```ts
 * import { formatIPv6, parseIPv6 } from "@kvkit/traits";
 * import assert from "node:assert/strict";
 *
 * assert.equal(formatIPv6(parseIPv6("2001:0DB8:0:0:0:0:0:0001")), "2001:db8::1");
 * assert.equal(formatIPv6(new Uint8Array(16)), "::");
 * ```
 */
export function formatIPv6(bytes: Uint8Array): string {
  if (!(bytes instanceof Uint8Array) || bytes.length !== IPV6_SIZE) {
    throw new StoreError("EINVAL", `IPv6 address needs 16 bytes, got ${bytes?.length}`);
  }
  const g: number[] = [];
  for (let i = 0; i < 8; i++) g.push((bytes[2 * i]! << 8) | bytes[2 * i + 1]!);
  let best = -1, bestLen = 1;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j;
  }
  const hex = (a: number[]): string => a.map((x) => x.toString(16)).join(":");
  if (best < 0) return hex(g);
  return `${hex(g.slice(0, best))}::${hex(g.slice(best + bestLen))}`;
}
