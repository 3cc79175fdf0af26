/**
 * The byte layout of the three shared regions: metadata (one u32 bit-field per key), data
 * pages, and the control region (header words and per-key sequence counters).
 *
 * ```
 * metadata entry (u32, low bits first, as the RFC's struct kv_store_meta):
 *   bit  0..2   page_idx   data page of the value (0..7)
 *   bit  3..14  page_off   byte offset in the page (0..4095, a multiple of SLOT_ALIGN)
 *   bit 15..26  size       value length MINUS ONE (0..4095 encodes 1..4096 bytes)
 *   bit 27      init       1 = key present
 *   bit 28..31  reserved   must be 0
 * ```
 *
 * @module
 */

/** Metadata entries, one per key: keys are 0..1023. */
export const META_ENTRIES = 1024;
/** Bytes per metadata entry: one u32 bit-field. */
export const META_ENTRY_BYTES = 4;
/** Bytes of the metadata region (the RFC's 4 KB uptr metadata array). */
export const META_BYTES: number = META_ENTRIES * META_ENTRY_BYTES;

/** Bytes of one data page. */
export const PAGE_SIZE = 4096;
/** The most data pages: `page_idx` has 3 bits. */
export const MAX_PAGES = 8;
/** Bytes of the largest data region (all pages allocated). */
export const DATA_MAX_BYTES: number = PAGE_SIZE * MAX_PAGES;
/** Smallest value length in bytes. */
export const VALUE_MIN = 1;
/** Largest value length in bytes: one full page. */
export const VALUE_MAX = 4096;
/** Every slot starts on this boundary so u32/f64 views read a value in place. */
export const SLOT_ALIGN = 8;

/** Bit position of `page_idx` in a metadata entry. */
export const PAGE_IDX_SHIFT = 0;
/** Mask of `page_idx` after shifting (3 bits). */
export const PAGE_IDX_MASK = 0x7;
/** Bit position of `page_off`. */
export const PAGE_OFF_SHIFT = 3;
/** Mask of `page_off` after shifting (12 bits). */
export const PAGE_OFF_MASK = 0xfff;
/** Bit position of `size`, which holds the value length minus one so 4096 fits in 12 bits. */
export const SIZE_SHIFT = 15;
/** Mask of `size` after shifting (12 bits). */
export const SIZE_MASK = 0xfff;
/** The `init` bit: set when the key is present. */
export const INIT_BIT: number = 1 << 27;
/** Bits 28..31: unused, must be zero in a valid entry. */
export const RESERVED_MASK = 0xf000_0000;

/** Control word 0: {@linkcode UPTR_KV_MAGIC}, marks an initialised control region. */
export const CTRL_MAGIC = 0;
/** Control word 1: store flags ({@linkcode FLAG_CONSISTENT}). */
export const CTRL_FLAGS = 1;
/** Control word 2: data pages allocated (1..8); the data buffer holds at least this many. */
export const CTRL_NR_PAGES = 2;
/** Control word 3: how many manifests were applied (0: none yet). */
export const CTRL_GENERATION = 3;
/** Control word 4: version of the last applied manifest (valid when generation > 0). */
export const CTRL_MANIFEST_VERSION = 4;
/** Control word 5: the most pages the owner may allocate (1..8). */
export const CTRL_MAX_PAGES = 5;
/**
 * Control word 6: deletes made by programs (wraps around). The owner rebuilds its free-space
 * map from the metadata when it changed, and trusts the map otherwise.
 */
export const CTRL_DELETES = 6;
/** First per-key sequence counter: word `CTRL_SEQ + key`; odd while a writer holds the key. */
export const CTRL_SEQ = 8;
/** Words of the control region (i32). */
export const CTRL_WORDS: number = CTRL_SEQ + META_ENTRIES;
/** Bytes of the control region. */
export const CONTROL_BYTES: number = CTRL_WORDS * 4;
/** Magic number of the control region: "UPKV" read as a little-endian u32. */
export const UPTR_KV_MAGIC = 0x564b5055;
/** Flag: every reader and writer uses the per-key sequence counters (seqlock). */
export const FLAG_CONSISTENT = 1;
