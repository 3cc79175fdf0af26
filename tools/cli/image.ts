/**
 * The store image: a file holding one store's backend, options and entries, checksummed.
 *
 * ```
 * offset  size  field
 * 0       8     magic "KVKITIMG"
 * 8       2     format version (u16 LE), 1
 * 10      2     reserved, 0
 * 12      8     total file length in bytes (u64 LE), checksum included
 * 20      4     header length H (u32 LE)
 * 24      H     header: UTF-8 JSON {"backend": name, "options": {...}}
 * 24+H    4     entry count N (u32 LE)
 * ...           N times: key length (u32 LE), key, value length (u32 LE), value
 * end-4   4     CRC-32 (IEEE) of every byte before it (u32 LE)
 * ```
 *
 * Decoding checks everything (magic, version, length, checksum, every length field, no duplicate
 * key, no trailing bytes) before returning, so a caller never acts on part of a bad image.
 *
 * @module
 */

import { hexWord } from "@kvkit/internal";
import { StoreError } from "@kvkit/store";
import { crc32 } from "./crc32.ts";

/** The magic bytes at offset 0. */
export const IMAGE_MAGIC = "KVKITIMG";
/** The format version this explorer writes and reads. */
export const IMAGE_VERSION = 1;

// Field offsets of the fixed header.
const OFF_VERSION = 8; // u16 format version
const OFF_RESERVED = 10; // u16, written 0
const OFF_LENGTH = 12; // u64 total length
const OFF_HEADER_LEN = 20; // u32 JSON header length
const OFF_HEADER = 24; // JSON header bytes start here
const CRC_BYTES = 4; // trailing CRC-32
const MIN_LENGTH = OFF_HEADER + 4 + CRC_BYTES; // empty header, entry count, checksum

/** What an image holds. */
export interface StoreImage {
  /** The backend name of the store that was saved. */
  readonly backend: string;
  /** The options that store was opened with. */
  readonly options: Record<string, unknown>;
  /** Its entries, in iteration order. */
  readonly entries: ReadonlyArray<readonly [Uint8Array, Uint8Array]>;
}

/**
 * Encodes an image.
 *
 * @param image Backend, options, entries.
 * @returns The file bytes.
 *
 * @example An image round trip
 * ```ts
 * import { decodeImage, encodeImage } from "./image.ts";
 * import assert from "node:assert/strict";
 *
 * const bytes = encodeImage({ backend: "map", options: { keySize: 1 }, entries: [[new Uint8Array([1]), new Uint8Array([2])]] });
 * assert.deepEqual(decodeImage(bytes).entries, [[new Uint8Array([1]), new Uint8Array([2])]]);
 * ```
 */
export function encodeImage(image: StoreImage): Uint8Array {
  const header = new TextEncoder().encode(
    JSON.stringify({ backend: image.backend, options: image.options }),
  );
  let length = OFF_HEADER + header.length + 4 + CRC_BYTES;
  for (const [k, v] of image.entries) length += 8 + k.length + v.length;
  const out = new Uint8Array(length);
  const view = new DataView(out.buffer);
  out.set(new TextEncoder().encode(IMAGE_MAGIC), 0);
  view.setUint16(OFF_VERSION, IMAGE_VERSION, true);
  view.setUint16(OFF_RESERVED, 0, true);
  view.setBigUint64(OFF_LENGTH, BigInt(length), true);
  view.setUint32(OFF_HEADER_LEN, header.length, true);
  out.set(header, OFF_HEADER);
  let at = OFF_HEADER + header.length;
  view.setUint32(at, image.entries.length, true);
  at += 4;
  for (const [k, v] of image.entries) {
    view.setUint32(at, k.length, true);
    out.set(k, at + 4);
    at += 4 + k.length;
    view.setUint32(at, v.length, true);
    out.set(v, at + 4);
    at += 4 + v.length;
  }
  view.setUint32(at, crc32(out.subarray(0, at)), true);
  return out;
}

function reject(detail: string): StoreError {
  return new StoreError("EINVAL", `bad store image: ${detail}`);
}

/**
 * Decodes and fully validates an image.
 *
 * @param bytes The file bytes.
 * @returns The image; its keys and values are copies.
 * @throws {StoreError} `EINVAL` ("bad store image: ...") naming what is wrong: not an image,
 * another version, truncated, checksum mismatch, a length field out of bounds, a duplicate key,
 * trailing bytes.
 *
 * @example Truncated and corrupt images refused
 * ```ts
 * import { decodeImage, encodeImage } from "./image.ts";
 * import assert from "node:assert/strict";
 *
 * const bytes = encodeImage({ backend: "map", options: {}, entries: [] });
 * assert.throws(() => decodeImage(bytes.subarray(0, bytes.length - 1)), /truncated/);
 * bytes[30]! ^= 1;
 * assert.throws(() => decodeImage(bytes), /checksum/);
 * ```
 */
export function decodeImage(bytes: Uint8Array): StoreImage {
  const magic = new TextEncoder().encode(IMAGE_MAGIC);
  if (bytes.length < magic.length || magic.some((b, i) => bytes[i] !== b)) {
    throw reject(`not a kvkit store image (no '${IMAGE_MAGIC}' magic)`);
  }
  if (bytes.length < OFF_LENGTH + 8) throw reject(`truncated: only ${bytes.length} bytes`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint16(OFF_VERSION, true);
  if (version !== IMAGE_VERSION) {
    throw reject(`format version ${version}; this explorer reads version ${IMAGE_VERSION}`);
  }
  const declared = view.getBigUint64(OFF_LENGTH, true);
  if (declared < BigInt(bytes.length)) {
    throw reject(`${bytes.length} bytes but the header says ${declared}: trailing bytes`);
  }
  if (declared > BigInt(bytes.length)) {
    throw reject(`truncated: ${bytes.length} of ${declared} bytes`);
  }
  if (bytes.length < MIN_LENGTH) throw reject(`truncated: only ${bytes.length} bytes`);
  const end = bytes.length - CRC_BYTES;
  const stored = view.getUint32(end, true);
  const computed = crc32(bytes.subarray(0, end));
  if (stored !== computed) {
    throw reject(
      `checksum mismatch (stored ${hexWord(stored)}, computed ${hexWord(computed)}): ` +
        `the file is corrupt`,
    );
  }
  // The checksum matched, yet every length is still bounds-checked: a well-formed checksum over
  // a badly built image must not make us read past the end.
  let at = OFF_HEADER_LEN;
  const u32 = (what: string): number => {
    if (at + 4 > end) throw reject(`${what} at byte ${at} runs past the end`);
    const n = view.getUint32(at, true);
    at += 4;
    return n;
  };
  const take = (n: number, what: string): Uint8Array => {
    if (at + n > end) throw reject(`${what} of ${n} bytes at byte ${at} runs past the end`);
    const out = bytes.slice(at, at + n);
    at += n;
    return out;
  };
  const headerBytes = take(u32("header length"), "header");
  let header: { backend?: unknown; options?: unknown };
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(headerBytes));
  } catch (err) {
    throw reject(`header is not UTF-8 JSON (${(err as Error).message})`);
  }
  if (
    typeof header !== "object" || header === null || typeof header.backend !== "string" ||
    typeof header.options !== "object" || header.options === null ||
    Array.isArray(header.options)
  ) {
    throw reject("header lacks a backend name or options object");
  }
  const count = u32("entry count");
  const entries: [Uint8Array, Uint8Array][] = [];
  // A store holds each key once: a repeated key would load as fewer entries than the count says.
  const seen = new Set<string>();
  for (let i = 0; i < count; i++) {
    const key = take(u32(`key length of entry ${i}`), `key of entry ${i}`);
    const value = take(u32(`value length of entry ${i}`), `value of entry ${i}`);
    const id = key.join(",");
    if (seen.has(id)) throw reject(`duplicate key at entry ${i}`);
    seen.add(id);
    entries.push([key, value]);
  }
  if (at !== end) throw reject(`${end - at} unexpected bytes after entry ${count - 1}`);
  return {
    backend: header.backend,
    options: header.options as Record<string, unknown>,
    entries,
  };
}
