/**
 * Raw BTF (include/uapi/linux/btf.h) as BTF_LOAD takes it: a header, the type words, the string
 * section - what the hand-built BTFs of the differential tests' kernel maps are made of.
 *
 * @module
 */

/** `BTF_KIND_INT`. */
export const KIND_INT = 1;
/** `BTF_KIND_ARRAY`. */
export const KIND_ARRAY = 3;
/** `BTF_KIND_STRUCT`. */
export const KIND_STRUCT = 4;
const BTF_MAGIC = 0xeb9f;
const BTF_VERSION = 1;
const HEADER_LEN = 24;

/**
 * A type's `info` word.
 *
 * @param kind The kind.
 * @param vlen Members (struct) or 0.
 * @returns The word.
 */
export function btfInfo(kind: number, vlen: number): number {
  return ((kind << 24) | vlen) >>> 0;
}

/**
 * Where each string starts in the string section (the first must be `""`, name 0).
 *
 * @param strings The strings, in order.
 * @returns Their offsets.
 */
export function btfNameOffsets(strings: readonly string[]): number[] {
  const offsets: number[] = [];
  let at = 0;
  for (const s of strings) {
    offsets.push(at);
    at += s.length + 1;
  }
  return offsets;
}

/**
 * The blob: the header, `types` as little-endian words, then the NUL-terminated `strings`.
 *
 * @param types The type section's words.
 * @param strings The string section, as {@linkcode btfNameOffsets} numbered it.
 * @returns The blob.
 */
export function btfBlob(types: readonly number[], strings: readonly string[]): Uint8Array {
  const strLen = strings.reduce((n, s) => n + s.length + 1, 0);
  const typeLen = types.length * 4;
  const blob = new Uint8Array(HEADER_LEN + typeLen + strLen);
  const view = new DataView(blob.buffer);
  view.setUint16(0, BTF_MAGIC, true);
  view.setUint8(2, BTF_VERSION);
  view.setUint32(4, HEADER_LEN, true);
  view.setUint32(8, 0, true); // type_off, from the end of the header
  view.setUint32(12, typeLen, true);
  view.setUint32(16, typeLen, true); // str_off
  view.setUint32(20, strLen, true);
  types.forEach((word, i) => view.setUint32(HEADER_LEN + 4 * i, word, true));
  let at = HEADER_LEN + typeLen;
  for (const s of strings) {
    for (let i = 0; i < s.length; i++) blob[at + i] = s.charCodeAt(i);
    at += s.length + 1;
  }
  return blob;
}
