/**
 * Parsing and formatting of IPv4 / IPv6 addresses and CIDR prefixes, strict: dotted quads
 * without leading zeros, RFC 4291 IPv6 text (with `::` and an embedded IPv4 tail), no zones.
 *
 * @module
 */

import { StoreError } from "@kvkit/store";

/** A parsed prefix: `address` is 4 (IPv4) or 16 (IPv6) bytes, `length` its prefix length. */
export interface ParsedPrefix {
  /** The address bytes. */
  address: Uint8Array;
  /** The prefix length in bits. */
  length: number;
}

function parseV4(text: string, out: Uint8Array, at: number): boolean {
  const parts = text.split(".");
  if (parts.length !== 4) return false;
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p)) return false;
    const v = Number(p);
    if (v > 255) return false;
    out[at + i] = v;
  }
  return true;
}

function parseV6(text: string, out: Uint8Array): boolean {
  const halves = text.split("::");
  if (halves.length > 2) return false;
  const groups = (s: string): string[] | undefined => {
    if (s === "") return [];
    const g = s.split(":");
    return g.includes("") ? undefined : g;
  };
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  if (head === undefined || tail === undefined) return false;
  const all = halves.length === 2 ? tail : head;
  // An IPv4 tail stands for the last two groups.
  let v4 = false;
  const last = all[all.length - 1];
  if (last !== undefined && last.includes(".")) {
    all.pop();
    v4 = true;
  }
  const count = head.length + (halves.length === 2 ? tail.length : 0) + (v4 ? 2 : 0);
  if (halves.length === 2 ? count > 7 : count !== 8) return false;
  out.fill(0, 0, 16);
  const put = (list: string[], at: number): boolean => {
    for (let i = 0; i < list.length; i++) {
      const g = list[i]!;
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return false;
      const v = parseInt(g, 16);
      out[at + i * 2] = v >>> 8;
      out[at + i * 2 + 1] = v & 255;
    }
    return true;
  };
  if (halves.length === 2) {
    if (!put(head, 0)) return false;
    const tailBytes = tail.length * 2 + (v4 ? 4 : 0);
    if (!put(tail, 16 - tailBytes)) return false;
  } else if (!put(head, 0)) {
    return false;
  }
  return !v4 || parseV4(last!, out, 12);
}

/**
 * Parses an IPv4 or IPv6 address into `out`.
 *
 * @param text The address.
 * @param out At least 16 bytes; receives 4 or 16 bytes.
 * @returns 4 or 16 (the byte length), or 0 when `text` is not an address.
 */
export function parseAddressInto(text: string, out: Uint8Array): number {
  if (typeof text !== "string") return 0;
  if (text.includes(":")) return parseV6(text, out) ? 16 : 0;
  return parseV4(text, out, 0) ? 4 : 0;
}

/**
 * Parses `"address/length"`; the bits past `length` must be zero.
 *
 * @param text The prefix, e.g. `"10.0.0.0/8"`.
 * @returns The prefix.
 * @throws {StoreError} `EINVAL` naming what is wrong.
 */
export function parseCidr(text: string): ParsedPrefix {
  if (typeof text !== "string") {
    throw new StoreError("EINVAL", `prefix ${String(text)} is not a string`);
  }
  const slash = text.indexOf("/");
  if (slash < 0) throw new StoreError("EINVAL", `prefix '${text}' has no '/length'`);
  const buf = new Uint8Array(16);
  const size = parseAddressInto(text.slice(0, slash), buf);
  if (size === 0) {
    throw new StoreError(
      "EINVAL",
      `'${text.slice(0, slash)}' in '${text}' is not an IPv4 or IPv6 address`,
    );
  }
  const lenText = text.slice(slash + 1);
  if (!/^(0|[1-9][0-9]{0,2})$/.test(lenText) || Number(lenText) > size * 8) {
    throw new StoreError("EINVAL", `prefix length '${lenText}' in '${text}' not in 0..${size * 8}`);
  }
  const prefix = { address: buf.slice(0, size), length: Number(lenText) };
  checkPrefix(prefix, text);
  return prefix;
}

/**
 * Checks a prefix in byte form: 4 or 16 address bytes, an integer length that fits. Bits past
 * the length may be set (the kernel's `bpf_lpm_trie_key` allows them).
 *
 * @param prefix The prefix.
 * @returns Whether any bit past the length is set.
 * @throws {StoreError} `EINVAL` naming what is wrong.
 */
export function checkPrefixShape(prefix: ParsedPrefix): boolean {
  const { address, length } = prefix ?? {};
  if (!(address instanceof Uint8Array) || (address.length !== 4 && address.length !== 16)) {
    throw new StoreError(
      "EINVAL",
      "prefix address must be a Uint8Array of 4 (IPv4) or 16 (IPv6) bytes",
    );
  }
  const bits = address.length * 8;
  if (typeof length !== "number" || !Number.isInteger(length) || length < 0 || length > bits) {
    throw new StoreError("EINVAL", `prefix length ${String(length)} not in 0..${bits}`);
  }
  for (let i = length; i < bits; i++) {
    if ((address[i >>> 3]! >>> (7 - (i & 7)) & 1) !== 0) return true;
  }
  return false;
}

/**
 * Checks a prefix in byte form strictly: {@linkcode checkPrefixShape}, and no bits set past
 * the length.
 *
 * @param prefix The prefix.
 * @param text How to name it in the error (default: its formatted form).
 * @throws {StoreError} `EINVAL` naming what is wrong.
 */
export function checkPrefix(prefix: ParsedPrefix, text?: string): void {
  if (!checkPrefixShape(prefix)) return;
  const { address, length } = prefix;
  const masked = maskAddress(address, length);
  throw new StoreError(
    "EINVAL",
    `host bits set in ${text ?? `${formatAddress(address)}/${length}`}` +
      ` (the network is ${formatAddress(masked)}/${length})`,
  );
}

/**
 * A copy of `address` with the bits past `length` cleared.
 *
 * @param address 4 or 16 bytes.
 * @param length The prefix length.
 * @returns The network address.
 */
export function maskAddress(address: Uint8Array, length: number): Uint8Array {
  const masked = new Uint8Array(address);
  for (let j = length; j < masked.length * 8; j++) masked[j >>> 3]! &= ~(0x80 >>> (j & 7));
  return masked;
}

/**
 * Formats 4 bytes as a dotted quad, 16 as RFC 5952 IPv6 text.
 *
 * @param bytes The address.
 * @returns The text.
 */
export function formatAddress(bytes: Uint8Array): string {
  if (bytes.length === 4) return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(bytes[i]! << 8 | bytes[i + 1]!);
  // The longest run of two or more zero groups (the first on a tie) becomes "::".
  let bestAt = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestAt = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (list: number[]): string => list.map((g) => g.toString(16)).join(":");
  if (bestAt < 0) return hex(groups);
  return `${hex(groups.slice(0, bestAt))}::${hex(groups.slice(bestAt + bestLen))}`;
}
