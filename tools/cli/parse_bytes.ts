/**
 * Reads the explorer's key and value syntax into bytes, fitted to a store's capabilities.
 *
 * | input | bytes |
 * | --- | --- |
 * | `0x0a0b`, `hex:0a0b` | the hex digits (`_` allowed between digit pairs) |
 * | `"text"`, `'text'`, `str:text` | UTF-8 of the text |
 * | `u8:N`, `u16:N`, `u32:N`, `u64:N` | N little-endian in 1, 2, 4, 8 bytes (N decimal or 0x hex) |
 * | `N` (bare decimal) | little-endian in the store's fixed size: keys of integer-keyed or 4-byte stores u32, 8-byte keys u64; values of fixed size 1, 2, 4 or 8 |
 * | `10.0.0.1` | 4 bytes (IPv4) |
 * | `2001:db8::1` | 16 bytes (IPv6) |
 *
 * A key or value shorter than the store takes is an error that says so; the `pad` flag zero-fills
 * it up to the store's (next) accepted length instead. One exception: a text value (`"text"`,
 * `str:..`) is zero-filled without `pad`, the way a C string sits in a `char[N]` field, so
 * `set "hello" "world"` works on a store of fixed-size values (the result line shows the zeros).
 * Keys are never padded unasked: a padded key is a different key. A key or value longer than the
 * store takes gets the same kind of message, with the store's error code for it.
 *
 * @module
 */

import { type Capabilities, StoreError } from "@kvkit/store";
import type { Token } from "./tokenize.ts";

/** What the bytes are for: a key, a value, or a key prefix (no length fitting). */
export type ByteRole = "key" | "value" | "prefix";

const encoder = new TextEncoder();

const HINT =
  'write 0x.. or hex:.., "text" or str:.., u8:/u16:/u32:/u64:N, a decimal, or an IP address';

function bad(detail: string): StoreError {
  return new StoreError("EINVAL", detail);
}

function parseHex(digits: string, original: string): Uint8Array {
  const clean = digits.replaceAll("_", "");
  if (!/^[0-9a-fA-F]*$/.test(clean)) throw bad(`'${original}' is not hex`);
  if (clean.length % 2 !== 0) throw bad(`hex '${original}' has an odd number of digits`);
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}

function littleEndian(n: bigint, width: number, original: string): Uint8Array {
  if (n < 0n || n >= 1n << BigInt(8 * width)) {
    throw bad(`${original} does not fit in ${width} byte${width === 1 ? "" : "s"}`);
  }
  const out = new Uint8Array(width);
  for (let i = 0; i < width; i++) out[i] = Number((n >> BigInt(8 * i)) & 0xffn);
  return out;
}

function parseInteger(text: string, original: string): bigint {
  if (!/^(\d+|0x[0-9a-fA-F]+)$/.test(text)) throw bad(`'${original}' is not an unsigned integer`);
  return BigInt(text);
}

function parseIPv4(text: string): Uint8Array | undefined {
  const parts = text.split(".");
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) {
    return undefined;
  }
  return new Uint8Array(parts.map(Number));
}

function parseIPv6(text: string): Uint8Array | undefined {
  if (!/^[0-9a-fA-F:.]+$/.test(text) || !text.includes(":")) return undefined;
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const groups = (s: string): number[] | undefined => {
    if (s === "") return [];
    const out: number[] = [];
    const parts = s.split(":");
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i]!;
      if (i === parts.length - 1 && p.includes(".")) {
        const v4 = parseIPv4(p);
        if (v4 === undefined) return undefined;
        out.push(v4[0]! << 8 | v4[1]!, v4[2]! << 8 | v4[3]!);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(p)) {
        out.push(parseInt(p, 16));
      } else {
        return undefined;
      }
    }
    return out;
  };
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  if (head === undefined || tail === undefined) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const all = [...head, ...new Array<number>(missing).fill(0), ...tail];
  const out = new Uint8Array(16);
  all.forEach((g, i) => {
    out[2 * i] = g >> 8;
    out[2 * i + 1] = g & 0xff;
  });
  return out;
}

// The width a bare decimal takes for this role on this store, or why it has none.
function bareWidth(role: ByteRole, caps: Capabilities): number | string {
  if (role === "value") {
    const { min, max } = caps.valueSize;
    if (min === max && caps.valueSizes === undefined && [1, 2, 4, 8].includes(min)) return min;
    const sizes = caps.valueSizes?.join("/") ?? (min === max ? `${min}` : `${min}..${max}`);
    return `values of ${sizes} bytes`;
  }
  if (caps.keyRange !== undefined) return 4;
  const { min, max } = caps.keySize;
  if (min === max && [1, 2, 4, 8].includes(min)) return min;
  return `keys of ${min === max ? min : `${min}..${max}`} bytes`;
}

/**
 * Reads one token as raw bytes, before any fitting to the store.
 *
 * @param token The word as the tokenizer gave it.
 * @param role What the bytes are for (decides the width of a bare decimal).
 * @param caps The store's capabilities.
 * @returns The bytes.
 * @throws {StoreError} `EINVAL` saying what could not be read and what to write instead.
 *
 * @example Hex as bytes
 * ```ts
 * import { readBytes } from "./parse_bytes.ts";
 * import assert from "node:assert/strict";
 *
 * const caps = {
 *   keySize: { min: 8, max: 8 }, valueSize: { min: 4, max: 4 }, maxEntries: 8,
 *   ordered: false, fullError: "E2BIG", valueTooBig: "EINVAL", lock: false,
 * } as const;
 * assert.deepEqual(readBytes({ text: "0x0a0b", quoted: false }, "key", caps), new Uint8Array([10, 11]));
 * assert.deepEqual(readBytes({ text: "5", quoted: false }, "key", caps), new Uint8Array([5, 0, 0, 0, 0, 0, 0, 0]));
 * assert.deepEqual(readBytes({ text: "10.0.0.1", quoted: false }, "value", caps), new Uint8Array([10, 0, 0, 1]));
 * ```
 */
export function readBytes(token: Token, role: ByteRole, caps: Capabilities): Uint8Array {
  const { text, quoted } = token;
  if (quoted) return encoder.encode(text);
  const lower = text.toLowerCase();
  if (lower.startsWith("0x")) return parseHex(text.slice(2), text);
  if (lower.startsWith("hex:")) return parseHex(text.slice(4), text);
  if (lower.startsWith("str:")) return encoder.encode(text.slice(4));
  const int = /^u(8|16|32|64):(.*)$/i.exec(text);
  if (int !== null) return littleEndian(parseInteger(int[2]!, text), Number(int[1]) / 8, text);
  if (/^\d+$/.test(text)) {
    const width = bareWidth(role, caps);
    if (typeof width === "string") {
      throw bad(
        `a bare integer (${text}) has no fixed width for ${width}; write u32:${text}, ` +
          `u64:${text} or hex`,
      );
    }
    return littleEndian(BigInt(text), width, text);
  }
  const ip = parseIPv4(text) ?? parseIPv6(text);
  if (ip !== undefined) return ip;
  if (text === "") throw bad(`empty ${role}: ${HINT}`);
  throw bad(`cannot read '${text}' as a ${role}: ${HINT}`);
}

// Text typed as text: quoted, or `str:`.
function isText(token: Token): boolean {
  return token.quoted || token.text.startsWith("str:");
}

/**
 * Reads a token and fits it to the store: a key or value shorter than the store takes is
 * rejected with a message naming the sizes, or zero-filled at the end when `pad` is set.
 * A text value is zero-filled without `pad`; a key or value longer than the store takes is
 * rejected with the sizes and the code the store would give.
 *
 * @param token The word as the tokenizer gave it.
 * @param role `"key"`, `"value"` or `"prefix"` (a prefix is never fitted).
 * @param caps The store's capabilities.
 * @param pad Zero-fill short keys and values up to the next length the store accepts.
 * @returns The bytes to pass to the store.
 * @throws {StoreError} `EINVAL` for unreadable input, a short key or value without `pad` or a
 * long key; the store's `valueTooBig` code for a long value.
 *
 * @example Short values refused without pad
 * ```ts
 * import { parseBytes } from "./parse_bytes.ts";
 * import assert from "node:assert/strict";
 *
 * const caps = {
 *   keySize: { min: 4, max: 4 }, valueSize: { min: 4, max: 4 }, maxEntries: 8,
 *   ordered: false, fullError: "E2BIG", valueTooBig: "EINVAL", lock: false,
 * } as const;
 * const v = { text: "0x0102", quoted: false };
 * assert.throws(() => parseBytes(v, "value", caps, false), /2 bytes.*take 4.*pad/);
 * assert.deepEqual(parseBytes(v, "value", caps, true), new Uint8Array([1, 2, 0, 0]));
 * ```
 */
export function parseBytes(
  token: Token,
  role: ByteRole,
  caps: Capabilities,
  pad: boolean,
): Uint8Array {
  const bytes = readBytes(token, role, caps);
  if (role === "prefix") return bytes;
  const range = role === "key" ? caps.keySize : caps.valueSize;
  const sizes = role === "value" && caps.valueSizes !== undefined
    ? [...caps.valueSizes].sort((a, b) => a - b)
    : undefined;
  const takes = sizes?.join("/") ??
    (range.min === range.max ? `${range.min}` : `${range.min}..${range.max}`);
  const longest = sizes?.at(-1) ?? range.max;
  if (bytes.length > longest) {
    // The code the store itself would give (values: its `valueTooBig`), with the sizes named.
    throw new StoreError(
      role === "value" ? caps.valueTooBig : "EINVAL",
      `${role} '${token.text}' is ${bytes.length} bytes but this store's ${role}s take ` +
        `${takes}; give at most ${longest}`,
    );
  }
  const fill = pad || (role === "value" && isText(token));
  const target = sizes !== undefined
    ? sizes.find((s) => s >= bytes.length)
    : bytes.length < range.min
    ? range.min
    : undefined;
  if (target === undefined || target <= bytes.length) return bytes;
  if (!fill) {
    throw bad(
      `${role} '${token.text}' is ${bytes.length} byte${bytes.length === 1 ? "" : "s"} but this ` +
        `store's ${role}s take ${takes}; give the full length or add 'pad' to zero-fill`,
    );
  }
  const out = new Uint8Array(target);
  out.set(bytes);
  return out;
}
