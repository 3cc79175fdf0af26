/**
 * UUIDs (trace ids) as 16 bytes, for the typed accessors.
 *
 * @module
 */

import { hex } from "@kvkit/internal";
import { StoreError } from "@kvkit/store";

/** Bytes of a UUID. */
const UUID_SIZE = 16;
// 8-4-4-4-12 hex digits; any version and variant.
const UUID_TEXT = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/**
 * Parses a UUID in its 8-4-4-4-12 hex form into its 16 bytes (RFC 9562 byte order).
 *
 * @param text A UUID such as `"2f1c9a54-8d3e-4b6a-9c1e-5f7a2b3c4d5e"` (any case).
 * @returns A new 16-byte array.
 * @throws {StoreError} `EINVAL` when `text` is not a UUID.
 *
 * @example Parsing a UUID, and one without dashes
 * ```ts
 * import { parseUuid } from "@kvkit/traits";
 * import assert from "node:assert/strict";
 *
 * const b = parseUuid("2f1c9a54-8d3e-4b6a-9c1e-5f7a2b3c4d5e");
 * assert.equal(b[0], 0x2f);
 * assert.equal(b[15], 0x5e);
 * assert.throws(() => parseUuid("2f1c9a548d3e4b6a9c1e5f7a2b3c4d5e"), { code: "EINVAL" });
 * ```
 */
export function parseUuid(text: string): Uint8Array {
  if (typeof text !== "string" || !UUID_TEXT.test(text)) {
    throw new StoreError("EINVAL", `'${text}' is not a UUID (8-4-4-4-12 hex digits)`);
  }
  const hex = text.replaceAll("-", "");
  const out = new Uint8Array(UUID_SIZE);
  for (let i = 0; i < UUID_SIZE; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/**
 * Formats 16 bytes as a lowercase 8-4-4-4-12 UUID.
 *
 * @param bytes 16 bytes.
 * @returns The UUID text.
 * @throws {StoreError} `EINVAL` when `bytes` is not 16 bytes long.
 *
 * @example Formatting is lower case
 * ```ts
 * import { formatUuid, parseUuid } from "@kvkit/traits";
 * import assert from "node:assert/strict";
 *
 * const id = "2f1c9a54-8d3e-4b6a-9c1e-5f7a2b3c4d5e";
 * assert.equal(formatUuid(parseUuid(id.toUpperCase())), id);
 * ```
 */
export function formatUuid(bytes: Uint8Array): string {
  if (!(bytes instanceof Uint8Array) || bytes.length !== UUID_SIZE) {
    throw new StoreError("EINVAL", `UUID needs 16 bytes, got ${bytes?.length}`);
  }
  const h = hex(bytes);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
