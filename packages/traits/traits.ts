/**
 * The traits store itself: the RFC's 16-byte header and packed values, over a caller's bytes.
 *
 * @module
 */

import { checkOptions, StoreError } from "@kvkit/store";
import * as layout from "./_layout.ts";
import { describeTraits } from "./_describe.ts";
import { PROFILE_2_4_8, type ProfileName, type TraitProfile, traitProfile } from "./profile.ts";
import { formatIPv4, parseIPv4 } from "./ipv4.ts";
import { formatIPv6, parseIPv6 } from "./ipv6.ts";
import { formatUuid, parseUuid } from "./uuid.ts";

// Module-local copies of the layout: V8 reads an imported binding through its module cell
// with a hole check at every use, which cost more than the table load on the get hot path.
const { HALF_BITS, HEADER_SIZE, HIGH_HI, HIGH_LO, LOW_HI, LOW_LO, MAX_KEYS, popcount32 } = layout;

/** Options of {@linkcode Traits.init} and {@linkcode Traits.open}. */
export interface TraitsOptions {
  /**
   * Bytes of the area the store may use (the RFC's `hard_end - traits`), at most the area's
   * length. Default: the whole area.
   */
  capacity: number;
  /** The size profile, by name, sizes or object. Default: the RFC's `"2/4/8"`. */
  profile: TraitProfile | ProfileName | readonly number[];
}

/** Size code of a key in a slot of the offset table (low two bits; 0 = not set). */
const CODE_MASK = 3;
/** Shift of the value offset in a slot of the offset table. */
const OFFSET_SHIFT = 2;
/** Mask of a key number: a key is valid when `key === (key & KEY_MASK)`. */
const KEY_MASK = MAX_KEYS - 1;
/** Start of the u16 plane of the offset table: value offset of each 2-byte key, else 0. */
const PLANE_2 = MAX_KEYS;
/** Start of the u32 plane: value offset of each 4-byte key, else 0. */
const PLANE_4 = 2 * MAX_KEYS;
/** Start of the u64 plane: value offset of each 8-byte key, else 0. */
const PLANE_8 = 3 * MAX_KEYS;
/** Int32 entries of the offset table: the slots, then the three planes. */
const TABLE_SIZE = 4 * MAX_KEYS;

// The offset table of a Traits whose own table is not built (or stale): every slot reads
// "not set" and every plane offset 0, which sends the fast paths to the general one.
const EMPTY_TABLE = new Int32Array(TABLE_SIZE);

/** The option names of {@linkcode Traits.init} and {@linkcode Traits.open}. */
const OPTION_NAMES: readonly string[] = ["capacity", "profile"];

function badKey(key: unknown): StoreError {
  return new StoreError("EINVAL", `key ${String(key)} is not an integer in 0..${MAX_KEYS - 1}`);
}

// Whether `buffer` was detached (transferred): its views then read as empty and a DataView
// over it cannot be made.
function isDetached(buffer: ArrayBufferLike): boolean {
  if (buffer.byteLength !== 0) return false;
  try {
    new DataView(buffer);
    return false;
  } catch {
    return true;
  }
}

// What every operation answers once the area's buffer is detached (transferred to a Worker,
// `ArrayBuffer.prototype.transfer`) or a resizable buffer shrank below it: the DataView
// reads would throw a TypeError.
function goneError(): StoreError {
  return new StoreError("EINVAL", "the area's buffer is detached or was shrunk below the area");
}

// A little-endian 32-bit word of a byte array, as a signed int (bit operations do not mind).
function word(a: Uint8Array, off: number): number {
  return a[off]! | (a[off + 1]! << 8) | (a[off + 2]! << 16) | (a[off + 3]! << 24);
}

// Value bytes of the keys in these 32-bit halves of high and low, for sizes s1/s2/s3.
function lengthOf(high: number, low: number, s1: number, s2: number, s3: number): number {
  const both = popcount32(high & low);
  return s1 * (popcount32(low) - both) + s2 * (popcount32(high) - both) + s3 * both;
}

// The slot of `key` - (value offset << OFFSET_SHIFT) | size code - read straight from the
// header bytes at the start of `area` by the RFC's popcounts, for the one-shot static readers:
// no object, no allocation. It checks what it reads: the key must be set, hold `len` bytes
// (any length for -1), and lie within the area, so nothing is read out of bounds.
function peekSlot(
  area: Uint8Array,
  key: number,
  s1: number,
  s2: number,
  s3: number,
  len: number,
): number {
  if (key !== (key & (MAX_KEYS - 1))) throw badKey(key);
  if (!(area instanceof Uint8Array) || area.length < HEADER_SIZE) {
    throw new StoreError("EINVAL", `area of ${area?.length} bytes cannot hold a traits header`);
  }
  let high = word(area, HIGH_LO), low = word(area, LOW_LO), bit = key, off = HEADER_SIZE;
  if (key >= HALF_BITS) {
    off += lengthOf(high, low, s1, s2, s3);
    bit -= HALF_BITS;
    high = word(area, HIGH_HI);
    low = word(area, LOW_HI);
  }
  const below = ~(-1 << bit);
  off += lengthOf(high & below, low & below, s1, s2, s3);
  const code = (((high >>> bit) & 1) << 1) | ((low >>> bit) & 1);
  if (code === 0) throw new StoreError("ENOENT", `key ${key} is not set`);
  const size = code === 1 ? s1 : code === 2 ? s2 : s3;
  if (len >= 0 && size !== len) {
    throw new StoreError("EINVAL", `key ${key} holds ${size} bytes, not ${len}`);
  }
  if (off + size > area.length) {
    throw new StoreError("EINVAL", `header places key ${key} past the ${area.length}-byte area`);
  }
  return (off << OFFSET_SHIFT) | code;
}

/**
 * A traits store: up to 64 keys (0..63) with small fixed-size values, packed behind a 16-byte
 * header in a caller's byte area - for example the headroom in front of a packet - exactly as
 * the RFC lays them out. Reading one key is O(1): its offset is a popcount of the header bits
 * of the keys below it (and, once a header has been read twice, one load from an offset table
 * kept for it). The bytes are the only state: another `Traits` over the same bytes (say,
 * downstream of the one that wrote them) sees the same store.
 *
 * ```
 *  area (capacity bytes)
 *  0               8               16
 *  +---------------+---------------+---------+----------+-----+.............+
 *  | high  u64 LE  | low   u64 LE  | key k0  | key k1   | ... | free        |
 *  +---------------+---------------+---------+----------+-----+.............+
 *  size code of key k = (bit k of high, bit k of low); values ascending by key
 *  offset(k) = 16 + Σ sizes of the keys below k          used = offset(64)
 * ```
 *
 * | operation | cost |
 * | --- | --- |
 * | get / has / typed get | O(1): header compare + table load; 3-6 popcounts on a new header |
 * | set of a present key | O(1), in place |
 * | set of a new key / delete | O(used bytes): the higher values move |
 * | setBatch / getBatch of n keys | O(n + used bytes) |
 *
 * Every method validates before it writes, so a call that throws leaves the bytes unchanged.
 *
 * @example Metadata in a packet's headroom
 * ```ts
 * import { Traits } from "@kvkit/traits";
 * import assert from "node:assert/strict";
 *
 * const packet = new Uint8Array(256);
 * const traits = Traits.init(packet.subarray(0, 64)); // 64 bytes of headroom
 * traits.setU32(7, 0xdeadbeef, false);
 * traits.set(3, new Uint8Array([1, 2]));
 * assert.equal(traits.getU32(7, false), 0xdeadbeef);
 * assert.equal(traits.usedSize, 16 + 2 + 4);
 * const out = new Uint8Array(8);
 * assert.equal(traits.get(3, out), 2);
 * assert.throws(() => traits.set(3, new Uint8Array(4)), { code: "EBUSY" });
 * ```
 */
export class Traits {
  readonly #area: Uint8Array;
  readonly #view: DataView;
  readonly #profile: TraitProfile;
  // Value bytes by size code (index 0 = not set).
  readonly #codeSize: readonly [number, number, number, number];
  // Length of a set of keys = #a·pop(low) + #b·pop(high) + #c·pop(high & low): the RFC's
  // formula generalised (code 11 keys are counted in both words, #c corrects for it).
  readonly #a: number;
  readonly #b: number;
  readonly #c: number;
  #capacity: number;
  // The header words last seen, checked against the capacity, and their used size. Every
  // operation compares the header with them first, so a write through another object over
  // the same bytes is seen: the bytes stay the only state.
  #high0 = 0;
  #high1 = 0;
  #low0 = 0;
  #low1 = 0;
  #used = HEADER_SIZE;
  // JavaScript has no popcount instruction: when a header is read a second time, the offsets
  // of all keys go into this table, and reads of that header cost one table load.
  // Slots 0..63: (value offset << OFFSET_SHIFT) | size code, 0 when not set. Then one plane
  // per typed width (PLANE_2/4/8): the value offset when the key holds exactly that many
  // bytes, else 0 - so a typed get tests one number instead of decoding a size code.
  #slots: Int32Array | undefined;
  // Whether #slots holds the offsets of the header words above.
  #fresh = false;
  // #slots when fresh, else EMPTY_TABLE: the fast path reads it without testing #fresh.
  #table: Int32Array = EMPTY_TABLE;
  // Reads of the header words above so far.
  #reads = 0;

  private constructor(area: Uint8Array, capacity: number, profile: TraitProfile) {
    this.#area = area;
    this.#view = new DataView(area.buffer, area.byteOffset, area.byteLength);
    this.#profile = profile;
    const [s1, s2, s3] = profile.sizes;
    this.#codeSize = [0, s1, s2, s3];
    this.#a = s1;
    this.#b = s2;
    this.#c = s3 - s1 - s2;
    this.#capacity = capacity;
    this.#sync();
  }

  static #resolve(
    area: Uint8Array,
    options: Partial<TraitsOptions> | undefined,
    short: "ENOMEM" | "EINVAL",
  ): [number, TraitProfile] {
    if (options !== undefined) checkOptions("traits", options, OPTION_NAMES);
    if (!(area instanceof Uint8Array)) throw new StoreError("EINVAL", "area is not a Uint8Array");
    // A detached buffer's views read as empty: only then is the buffer itself looked at.
    if (area.length === 0 && isDetached(area.buffer)) throw goneError();
    // Only a missing option takes its default: null is a wrong type, EINVAL like any other.
    const spec = options?.profile;
    const profile = traitProfile(spec === undefined ? PROFILE_2_4_8 : spec);
    const capacity = options?.capacity === undefined ? area.length : options.capacity;
    if (!Number.isInteger(capacity) || capacity < 0 || capacity > area.length) {
      throw new StoreError(
        "EINVAL",
        `capacity ${String(capacity)} is not an integer in 0..${area.length}`,
      );
    }
    if (capacity < HEADER_SIZE) {
      throw new StoreError(short, `capacity ${capacity} is below the ${HEADER_SIZE}-byte header`);
    }
    return [capacity, profile];
  }

  /**
   * Initialises an empty store in `area` (the RFC's `traits_init`): zeroes the header only.
   *
   * @param area The bytes to hold the store, at any offset of any buffer.
   * @param options `capacity` (default `area.length`) and `profile` (default `"2/4/8"`).
   * @returns The store.
   * @throws {StoreError} `ENOMEM` when the capacity is below 16 bytes; `EINVAL` for a capacity
   * above the area's length or a bad profile.
   *
   * @example Initialising an area, and one below the header
   * ```ts
   * import { Traits } from "@kvkit/traits";
   * import assert from "node:assert/strict";
   *
   * const t = Traits.init(new Uint8Array(32).fill(0xff), { profile: "0/4/16" });
   * assert.equal(t.usedSize, 16);
   * assert.throws(() => Traits.init(new Uint8Array(15)), { code: "ENOMEM" });
   * ```
   */
  static init(area: Uint8Array, options?: Partial<TraitsOptions>): Traits {
    const [capacity, profile] = Traits.#resolve(area, options, "ENOMEM");
    area.fill(0, 0, HEADER_SIZE);
    return new Traits(area, capacity, profile);
  }

  /**
   * Opens a store already in `area` (bytes received from elsewhere), after checking that its
   * header describes values that fit the capacity. Any bit pattern is a valid set of size
   * codes, so that is the whole check; nothing is read past the capacity.
   *
   * @param area The bytes holding the store.
   * @param options `capacity` (default `area.length`) and `profile` (default `"2/4/8"`): the
   * profile the writer used, since the bytes do not record it.
   * @returns The store.
   * @throws {StoreError} `EINVAL` when the capacity is below 16 bytes or above the area's
   * length, the profile is bad, or the header's used size exceeds the capacity.
   *
   * @example Opening received bytes, and a forged header
   * ```ts
   * import { Traits } from "@kvkit/traits";
   * import assert from "node:assert/strict";
   *
   * const a = Traits.init(new Uint8Array(32));
   * a.setU16(1, 0xbeef, true);
   * const b = Traits.open(a.bytes());
   * assert.equal(b.getU16(1, true), 0xbeef);
   * const forged = new Uint8Array(16).fill(0xff); // 64 keys of 8 bytes
   * assert.throws(() => Traits.open(forged), { code: "EINVAL" });
   * ```
   */
  static open(area: Uint8Array, options?: Partial<TraitsOptions>): Traits {
    const [capacity, profile] = Traits.#resolve(area, options, "EINVAL");
    // The constructor takes in the header (#sync), which checks it against the capacity.
    return new Traits(area, capacity, profile);
  }

  /**
   * Reads one u32 straight from received bytes, without opening a store: the RFC's
   * `trait_get` on a pointer, for a packet read once. No allocation and only the popcounts
   * this key needs; unlike {@linkcode Traits.open} it checks only what it reads - that the
   * value lies within `area` - so nothing is read out of bounds.
   *
   * @param area The bytes holding the store (the area's length is the capacity).
   * @param key 0..63, set with a 4-byte value.
   * @param littleEndian `true` for little-endian bytes, `false` for network order.
   * @param profile The writer's profile (default `"2/4/8"`).
   * @returns The value.
   * @throws {StoreError} `EINVAL` for a bad key or area, a value that is not 4 bytes or that
   * would lie past the area; `ENOENT` when the key is not set.
   *
   * @example Reading a u32 straight from bytes
   * ```ts
   * import { Traits } from "@kvkit/traits";
   * import assert from "node:assert/strict";
   *
   * const t = Traits.init(new Uint8Array(32));
   * t.setU32(6, 0xcafe, true);
   * assert.equal(Traits.peekU32(t.bytes(), 6, true), 0xcafe);
   * assert.throws(() => Traits.peekU32(t.bytes(), 7, true), { code: "ENOENT" });
   * ```
   */
  static peekU32(
    area: Uint8Array,
    key: number,
    littleEndian: boolean,
    profile?: TraitProfile | ProfileName | readonly number[],
  ): number {
    const sizes = (profile === undefined ? PROFILE_2_4_8 : traitProfile(profile)).sizes;
    const o = peekSlot(area, key, sizes[0], sizes[1], sizes[2], 4) >>> OFFSET_SHIFT;
    return littleEndian
      ? (area[o]! | (area[o + 1]! << 8) | (area[o + 2]! << 16) | (area[o + 3]! << 24)) >>> 0
      : ((area[o]! << 24) | (area[o + 1]! << 16) | (area[o + 2]! << 8) | area[o + 3]!) >>> 0;
  }

  /**
   * Reads one u16 straight from received bytes, without opening a store (see
   * {@linkcode Traits.peekU32}).
   *
   * @param area The bytes holding the store (the area's length is the capacity).
   * @param key 0..63, set with a 2-byte value.
   * @param littleEndian `true` for little-endian bytes, `false` for network order.
   * @param profile The writer's profile (default `"2/4/8"`).
   * @returns The value.
   * @throws {StoreError} as {@linkcode Traits.peekU32}.
   *
   * @example Reading a u16 straight from bytes
   * ```ts
   * import { Traits } from "@kvkit/traits";
   * import assert from "node:assert/strict";
   *
   * const t = Traits.init(new Uint8Array(32));
   * t.setU16(60, 8080, false);
   * assert.equal(Traits.peekU16(t.bytes(), 60, false), 8080);
   * ```
   */
  static peekU16(
    area: Uint8Array,
    key: number,
    littleEndian: boolean,
    profile?: TraitProfile | ProfileName | readonly number[],
  ): number {
    const sizes = (profile === undefined ? PROFILE_2_4_8 : traitProfile(profile)).sizes;
    const o = peekSlot(area, key, sizes[0], sizes[1], sizes[2], 2) >>> OFFSET_SHIFT;
    return littleEndian ? area[o]! | (area[o + 1]! << 8) : (area[o]! << 8) | area[o + 1]!;
  }

  /**
   * Copies one value straight from received bytes into `out`, without opening a store (see
   * {@linkcode Traits.peekU32}).
   *
   * @param area The bytes holding the store (the area's length is the capacity).
   * @param key 0..63.
   * @param out Where to copy the value.
   * @param profile The writer's profile (default `"2/4/8"`).
   * @returns The value's length.
   * @throws {StoreError} `EINVAL` for a bad key or area, or a value that would lie past the
   * area; `ENOENT` when the key is not set; `ENOSPC` when `out` is too short.
   *
   * @example Reading any value straight from bytes
   * ```ts
   * import { Traits } from "@kvkit/traits";
   * import assert from "node:assert/strict";
   *
   * const t = Traits.init(new Uint8Array(32));
   * t.setU64(1, 5n, true);
   * const out = new Uint8Array(8);
   * assert.equal(Traits.peek(t.bytes(), 1, out), 8);
   * assert.equal(out[0], 5);
   * ```
   */
  static peek(
    area: Uint8Array,
    key: number,
    out: Uint8Array,
    profile?: TraitProfile | ProfileName | readonly number[],
  ): number {
    const sizes = (profile === undefined ? PROFILE_2_4_8 : traitProfile(profile)).sizes;
    const slot = peekSlot(area, key, sizes[0], sizes[1], sizes[2], -1);
    const len = sizes[(slot & CODE_MASK) - 1]!;
    if (!(out instanceof Uint8Array) || out.length < len) {
      throw new StoreError("ENOSPC", `key ${key} holds ${len} bytes, out has ${out?.length}`);
    }
    for (let i = 0, o = slot >>> OFFSET_SHIFT; i < len; i++) out[i] = area[o + i]!;
    return len;
  }

  /** The area the store lives in (a view of the caller's buffer, not a copy). */
  get area(): Uint8Array {
    return this.#area;
  }

  /** The size profile both writer and readers must agree on. */
  get profile(): TraitProfile {
    return this.#profile;
  }

  /** Bytes the store may use, header included. */
  get capacity(): number {
    return this.#capacity;
  }

  /**
   * Bytes of the offset table this object holds beside the area: 0 until a header is read
   * a second time, then 1024 (four Int32 per key), kept for later headers.
   *
   * @example The offset table, built on the second read
   * ```ts
   * import { Traits } from "@kvkit/traits";
   * import assert from "node:assert/strict";
   *
   * const t = Traits.init(new Uint8Array(64));
   * t.setU32(5, 7, true);
   * assert.equal(t.tableBytes, 0);
   * t.getU32(5, true);
   * t.getU32(5, true); // the second read of this header builds the table
   * assert.equal(t.tableBytes, 1024);
   * ```
   */
  get tableBytes(): number {
    return this.#slots?.byteLength ?? 0;
  }

  /**
   * Changes the capacity, e.g. when the packet's headroom grows or shrinks.
   *
   * @param capacity The new capacity in bytes: at least the used size, at most the area's length.
   * @throws {StoreError} `ENOSPC` below the used size; `EINVAL` for a non-integer or above the
   * area's length.
   *
   * @example Growing and shrinking the capacity
   * ```ts
   * import { Traits } from "@kvkit/traits";
   * import assert from "node:assert/strict";
   *
   * const t = Traits.init(new Uint8Array(64), { capacity: 24 });
   * t.setU64(0, 1n, true);
   * assert.throws(() => t.setU16(1, 1, true), { code: "ENOSPC" });
   * t.setCapacity(64);
   * t.setU16(1, 1, true);
   * assert.throws(() => t.setCapacity(20), { code: "ENOSPC" });
   * ```
   */
  setCapacity(capacity: number): void {
    const max = this.#area.length;
    if (!Number.isInteger(capacity) || capacity < 0 || capacity > max) {
      throw new StoreError("EINVAL", `capacity ${capacity} is not an integer in 0..${max}`);
    }
    const used = this.usedSize;
    if (capacity < used) {
      throw new StoreError("ENOSPC", `capacity ${capacity} is below the used size ${used}`);
    }
    this.#capacity = capacity;
  }

  // Length of the values of the keys whose bits are in these 32-bit halves of high and low.
  #length(high: number, low: number): number {
    return this.#a * popcount32(low) + this.#b * popcount32(high) +
      this.#c * popcount32(high & low);
  }

  // Takes in the header if it changed: checks it against the capacity and computes the used
  // size. Throws EINVAL, keeping the last good header, when the values would pass the
  // capacity, so no read or move ever leaves the store. Returns whether the header changed.
  #sync(): boolean {
    const v = this.#view;
    let high0: number, low0: number, high1: number, low1: number;
    try {
      high0 = v.getInt32(HIGH_LO, true);
      low0 = v.getInt32(LOW_LO, true);
      high1 = v.getInt32(HIGH_HI, true);
      low1 = v.getInt32(LOW_HI, true);
    } catch {
      throw goneError();
    }
    if (
      high0 === this.#high0 && low0 === this.#low0 && high1 === this.#high1 &&
      low1 === this.#low1 && this.#used !== 0
    ) return false;
    const used = HEADER_SIZE + this.#length(high0, low0) + this.#length(high1, low1);
    if (used > this.#capacity) {
      this.#used = 0; // forces the next call to look at the header again
      throw new StoreError(
        "EINVAL",
        `header describes ${used} bytes (profile ${this.#profile.name}), capacity is ${this.#capacity}`,
      );
    }
    this.#high0 = high0;
    this.#high1 = high1;
    this.#low0 = low0;
    this.#low1 = low1;
    this.#used = used;
    this.#fresh = false;
    this.#table = EMPTY_TABLE;
    this.#reads = 0;
    return true;
  }

  // The slot of `key` - (value offset << OFFSET_SHIFT) | size code, code 0 when not set - by
  // the RFC's popcounts over the header words taken in by #sync.
  #locate(key: number): number {
    let high = this.#high0, low = this.#low0, bit = key, len: number;
    if (key < HALF_BITS) {
      const below = ~(-1 << bit);
      len = this.#length(high & below, low & below);
    } else {
      len = this.#length(high, low);
      bit -= HALF_BITS;
      high = this.#high1;
      low = this.#low1;
      const below = ~(-1 << bit);
      len += this.#length(high & below, low & below);
    }
    return ((HEADER_SIZE + len) << OFFSET_SHIFT) | (((high >>> bit) & 1) << 1) |
      ((low >>> bit) & 1);
  }

  // Whether the header words that can move `key` (bits 0..31 of both words for a key below
  // 32, all four halves above) are still those the table was built for. Read through the
  // DataView: an Int32Array over the header measured slower, and needs 4-byte alignment.
  // A detached buffer makes the reads throw: the slow path's #sync says so as a StoreError.
  #current(key: number): boolean {
    const v = this.#view;
    try {
      return v.getInt32(HIGH_LO, true) === this.#high0 &&
        v.getInt32(LOW_LO, true) === this.#low0 &&
        (key < HALF_BITS ||
          (v.getInt32(HIGH_HI, true) === this.#high1 && v.getInt32(LOW_HI, true) === this.#low1));
    } catch {
      return false;
    }
  }

  // The slot of `key`. The hot path: one table load, the key check and two or four header
  // words compared with those the table was built for. A bad key, an unset key, a table not
  // built and a changed header all take the general path, which checks the key and header.
  #find(key: number): number {
    const slot = this.#table[key & KEY_MASK]!;
    if (slot !== 0 && key === (key & KEY_MASK) && this.#current(key)) return slot;
    return this.#findSlow(key);
  }

  // The value offset of `key` for a typed read of `len` bytes, by the general path; throws
  // ENOENT when the key is not set and EINVAL when it holds another length (or is bad).
  #typedOffset(key: number, len: number): number {
    const slot = this.#find(key);
    const code = slot & CODE_MASK;
    if (code === 0 || this.#codeSize[code] !== len) throw this.#typedError(key, slot, len);
    return slot >>> OFFSET_SHIFT;
  }

  #findSlow(key: number): number {
    if (key !== (key & KEY_MASK)) throw badKey(key);
    this.#sync();
    if (this.#fresh) return this.#slots![key]!;
    // One read of a header (a packet opened to read one field) costs three to six popcounts;
    // from the second read on, a table is worth building.
    if (++this.#reads < 2) return this.#locate(key);
    const slots = this.#slots ??= new Int32Array(TABLE_SIZE);
    const sizes = this.#codeSize;
    for (let k = 0; k < MAX_KEYS; k++) {
      const slot = this.#locate(k);
      const size = sizes[slot & CODE_MASK], off = slot >>> OFFSET_SHIFT;
      slots[k] = slot;
      slots[PLANE_2 + k] = size === 2 ? off : 0;
      slots[PLANE_4 + k] = size === 4 ? off : 0;
      slots[PLANE_8 + k] = size === 8 ? off : 0;
    }
    this.#fresh = true;
    this.#table = slots;
    return slots[key]!;
  }

  // The offset of the first value of a key >= `key` (0..64): where `key` is or would go.
  // Call after #sync.
  #offsetFrom(key: number): number {
    return key === MAX_KEYS ? this.#used : this.#locate(key) >>> OFFSET_SHIFT;
  }

  /** Header plus values: the bytes in use (`16 + total length`). */
  get usedSize(): number {
    this.#sync();
    return this.#used;
  }

  /** The number of keys set. */
  get size(): number {
    this.#sync();
    return popcount32(this.#high0 | this.#low0) + popcount32(this.#high1 | this.#low1);
  }

  // The size code of a value length in this profile; 0 when the profile has no such length.
  #codeOf(len: number): number {
    const s = this.#codeSize;
    return len === s[1] ? 1 : len === s[2] ? 2 : len === s[3] ? 3 : 0;
  }

  #badLength(key: number, len: number): StoreError {
    return new StoreError(
      "EINVAL",
      `value length ${len} for key ${key} not in profile ${this.#profile.name}`,
    );
  }

  #busy(key: number, code: number, len: number): StoreError {
    return new StoreError(
      "EBUSY",
      `key ${key} holds ${this.#codeSize[code]} bytes, cannot set ${len}`,
    );
  }

  // Sets the header bits of `key` to `code` (from 0), in place.
  #setCode(key: number, code: number): void {
    const v = this.#view;
    const half = key < HALF_BITS ? 0 : 4;
    const bit = 1 << (key & (HALF_BITS - 1));
    if (code & 2) v.setInt32(HIGH_LO + half, v.getInt32(HIGH_LO + half, true) | bit, true);
    if (code & 1) v.setInt32(LOW_LO + half, v.getInt32(LOW_LO + half, true) | bit, true);
  }

  // Validates a set of `len` bytes to `key` and makes room for a new key; returns the offset
  // to write the value at. Nothing changes when it throws.
  #reserve(key: number, len: number): number {
    if (key !== (key & (MAX_KEYS - 1))) throw badKey(key);
    const code = this.#codeOf(len);
    if (code === 0) throw this.#badLength(key, len);
    this.#sync();
    const slot = this.#locate(key);
    const present = slot & CODE_MASK;
    if (present !== 0) {
      if (present !== code) throw this.#busy(key, present, len);
      return slot >>> OFFSET_SHIFT;
    }
    const used = this.#used;
    if (used + len > this.#capacity) {
      throw new StoreError(
        "ENOSPC",
        `key ${key}: ${len} bytes do not fit (used ${used} of ${this.#capacity})`,
      );
    }
    const off = slot >>> OFFSET_SHIFT;
    if (len !== 0) this.#area.copyWithin(off + len, off, used);
    this.#setCode(key, code);
    this.#sync();
    return off;
  }

  #typedError(key: number, slot: number, len: number): StoreError {
    const code = slot & CODE_MASK;
    if (code === 0) return new StoreError("ENOENT", `key ${key} is not set`);
    return new StoreError("EINVAL", `key ${key} holds ${this.#codeSize[code]} bytes, not ${len}`);
  }

  /**
   * Whether `key` is set (for a flag key of a 0-size profile: the flag itself).
   *
   * @param key 0..63.
   * @returns `true` when set.
   * @throws {StoreError} `EINVAL` for a key outside 0..63.
   *
   * @example A flag key is present
   * ```ts
   * import { Traits } from "@kvkit/traits";
   * import assert from "node:assert/strict";
   *
   * const t = Traits.init(new Uint8Array(32), { profile: "0/4/8" });
   * t.setFlag(12);
   * assert.ok(t.has(12));
   * assert.ok(!t.has(13));
   * ```
   */
  has(key: number): boolean {
    return (this.#find(key) & CODE_MASK) !== 0;
  }

  /**
   * The value length of `key`.
   *
   * @param key 0..63.
   * @returns The length in bytes, or `undefined` when the key is not set.
   * @throws {StoreError} `EINVAL` for a key outside 0..63.
   *
   * @example The length of a value, or undefined
   * ```ts
   * import { Traits } from "@kvkit/traits";
   * import assert from "node:assert/strict";
   *
   * const t = Traits.init(new Uint8Array(32));
   * t.setU64(5, 7n, true);
   * assert.equal(t.valueLength(5), 8);
   * assert.equal(t.valueLength(6), undefined);
   * ```
   */
  valueLength(key: number): number | undefined {
    const code = this.#find(key) & CODE_MASK;
    return code === 0 ? undefined : this.#codeSize[code];
  }

  /**
   * Copies the value of `key` into `out` at `offset` (the RFC's `trait_get`), without
   * allocating.
   *
   * @param key 0..63.
   * @param out Where to copy the value; at least `offset` + the value's length bytes.
   * @param offset Where in `out` the value starts (default 0).
   * @returns The value's length.
   * @throws {StoreError} `EINVAL` for a bad key or offset; `ENOENT` when it is not set;
   * `ENOSPC` when `out` has no room for the value.
   *
   * @example Copying a value out, and a buffer too small
   * ```ts
   * import { Traits } from "@kvkit/traits";
   * import assert from "node:assert/strict";
   *
   * const t = Traits.init(new Uint8Array(32));
   * t.set(9, new Uint8Array([1, 2, 3, 4]));
   * const out = new Uint8Array(8);
   * assert.equal(t.get(9, out), 4);
   * assert.deepEqual(out.subarray(0, 4), new Uint8Array([1, 2, 3, 4]));
   * assert.throws(() => t.get(9, new Uint8Array(2)), { code: "ENOSPC" });
   * assert.throws(() => t.get(10, out), { code: "ENOENT" });
   * ```
   */
  get(key: number, out: Uint8Array, offset = 0): number {
    const slot = this.#find(key);
    const code = slot & CODE_MASK;
    if (code === 0) throw new StoreError("ENOENT", `key ${key} is not set`);
    const len = this.#codeSize[code]!;
    if (
      !(out instanceof Uint8Array) || typeof offset !== "number" || offset >>> 0 !== offset ||
      offset + len > out.length
    ) {
      if (!Number.isInteger(offset) || offset < 0) {
        throw new StoreError("EINVAL", `offset ${String(offset)} is not a non-negative integer`);
      }
      // Else the value fits unless this says otherwise: an offset past 2^32 - 1 fails only
      // the cheap u32 test, and is good in an `out` over 4 GiB (Deno makes them).
      if (!(out instanceof Uint8Array) || offset + len > out.length) {
        throw new StoreError(
          "ENOSPC",
          `key ${key} holds ${len} bytes, out has ${out?.length} from offset ${offset}`,
        );
      }
    }
    const a = this.#area;
    // A byte loop: values are a few bytes and a subarray() would allocate.
    for (let i = 0, off = slot >>> OFFSET_SHIFT; i < len; i++) out[offset + i] = a[off + i]!;
    return len;
  }

  /**
   * Sets `key` to a copy of `value` (the RFC's `trait_set`). A present key of the same length
   * is overwritten in place; a new key moves the values of higher keys up.
   *
   * @param key 0..63.
   * @param value One of the profile's sizes (length 0 sets a flag key in a 0-size profile).
   * @throws {StoreError} `EINVAL` for a bad key or a length not in the profile; `EBUSY` when
   * the key is set with another length; `ENOSPC` when a new key does not fit the capacity.
   *
   * @example Values packed in key order, and a full area
   * ```ts
   * import { Traits } from "@kvkit/traits";
   * import assert from "node:assert/strict";
   *
   * const t = Traits.init(new Uint8Array(20));
   * t.set(1, new Uint8Array([0xaa, 0xbb]));
   * t.set(0, new Uint8Array([0x11, 0x22]));
   * assert.deepEqual(t.bytes().subarray(16), new Uint8Array([0x11, 0x22, 0xaa, 0xbb]));
   * assert.throws(() => t.set(2, new Uint8Array(2)), { code: "ENOSPC" });
   * assert.throws(() => t.set(64, new Uint8Array(2)), { code: "EINVAL" });
   * ```
   */
  set(key: number, value: Uint8Array): void {
    if (!(value instanceof Uint8Array)) throw new StoreError("EINVAL", "value is not a Uint8Array");
    // A value inside the area itself could be moved by the insertion: copy it first.
    if (value.buffer === this.#area.buffer) value = new Uint8Array(value);
    const off = this.#reserve(key, value.length);
    this.#area.set(value, off);
  }

  /**
   * Removes `key` (the RFC's `trait_del`): the values of higher keys move down.
   *
   * @param key 0..63.
   * @throws {StoreError} `EINVAL` for a bad key; `ENOENT` when it is not set.
   *
   * @example Deleting a key frees its bytes
   * ```ts
   * import { Traits } from "@kvkit/traits";
   * import assert from "node:assert/strict";
   *
   * const t = Traits.init(new Uint8Array(32));
   * t.setU32(4, 1, true);
   * t.delete(4);
   * assert.equal(t.usedSize, 16);
   * assert.throws(() => t.delete(4), { code: "ENOENT" });
   * ```
   */
  delete(key: number): void {
    if (key !== (key & (MAX_KEYS - 1))) throw badKey(key);
    this.#sync();
    const slot = this.#locate(key);
    const code = slot & CODE_MASK;
    if (code === 0) throw new StoreError("ENOENT", `key ${key} is not set`);
    const off = slot >>> OFFSET_SHIFT;
    const len = this.#codeSize[code]!;
    if (len !== 0) this.#area.copyWithin(off, off + len, this.#used);
    const v = this.#view;
    const half = key < HALF_BITS ? 0 : 4;
    const keep = ~(1 << (key & (HALF_BITS - 1)));
    v.setInt32(HIGH_LO + half, v.getInt32(HIGH_LO + half, true) & keep, true);
    v.setInt32(LOW_LO + half, v.getInt32(LOW_LO + half, true) & keep, true);
    this.#sync();
  }

  /**
   * Removes every key (zeroes the header, as `init` does).
   *
   * @example Clearing every key
   * ```ts
   * import { Traits } from "@kvkit/traits";
   * import assert from "node:assert/strict";
   *
   * const t = Traits.init(new Uint8Array(32));
   * t.setU16(0, 1, true);
   * t.clear();
   * assert.equal(t.size, 0);
   * ```
   */
  clear(): void {
    if (this.#area.length < HEADER_SIZE) throw goneError();
    this.#area.fill(0, 0, HEADER_SIZE);
    this.#sync();
  }

  /**
   * The next set key above `key`, in ascending order.
   *
   * @param key The key to continue after; -1 (the default) for the first key.
   * @returns The next set key, or -1 when there is none.
   * @throws {StoreError} `EINVAL` for a key outside -1..63.
   *
   * @example Walking the keys in ascending order
   * ```ts
   * import { Traits } from "@kvkit/traits";
   * import assert from "node:assert/strict";
   *
   * const t = Traits.init(new Uint8Array(64));
   * for (const k of [40, 3, 17]) t.setU16(k, k, true);
   * const keys: number[] = [];
   * for (let k = t.nextKey(); k !== -1; k = t.nextKey(k)) keys.push(k);
   * assert.deepEqual(keys, [3, 17, 40]);
   * ```
   */
  nextKey(key = -1): number {
    if (!(Number.isInteger(key) && key >= -1 && key < MAX_KEYS)) {
      throw new StoreError(
        "EINVAL",
        `key ${String(key)} is not an integer in -1..${MAX_KEYS - 1}`,
      );
    }
    const v = this.#view;
    const start = key + 1;
    try {
      if (start < HALF_BITS) {
        const m = (v.getInt32(HIGH_LO, true) | v.getInt32(LOW_LO, true)) & (-1 << start);
        if (m !== 0) return 31 - Math.clz32(m & -m);
      }
      if (start >= MAX_KEYS) return -1;
      const from = start < HALF_BITS ? 0 : start - HALF_BITS;
      const m = (v.getInt32(HIGH_HI, true) | v.getInt32(LOW_HI, true)) & (-1 << from);
      return m === 0 ? -1 : HALF_BITS + 31 - Math.clz32(m & -m);
    } catch {
      throw goneError();
    }
  }

  /**
   * Reads a u16 value.
   *
   * @param key 0..63, set with a 2-byte value.
   * @param littleEndian `true` for little-endian bytes, `false` for network order.
   * @returns The value.
   * @throws {StoreError} `EINVAL` for a bad key or a value that is not 2 bytes; `ENOENT` when
   * the key is not set.
   *
   * @example A u16 in either byte order
   * ```ts
   * import { Traits } from "@kvkit/traits";
   * import assert from "node:assert/strict";
   *
   * const t = Traits.init(new Uint8Array(32));
   * t.setU16(2, 0x1234, false);
   * assert.equal(t.getU16(2, false), 0x1234);
   * assert.equal(t.getU16(2, true), 0x3412);
   * ```
   */
  getU16(key: number, littleEndian: boolean): number {
    // The hot path: see getU32.
    let off = this.#table[PLANE_2 + (key & KEY_MASK)]!;
    if (!(off !== 0 && key === (key & KEY_MASK) && this.#current(key))) {
      off = this.#typedOffset(key, 2);
    }
    return this.#view.getUint16(off, littleEndian);
  }

  /**
   * Writes a u16 value (2 bytes; the profile must have 2-byte values).
   *
   * @param key 0..63.
   * @param value 0..65535.
   * @param littleEndian `true` for little-endian bytes, `false` for network order.
   * @throws {StoreError} `EINVAL` for a bad key, value or profile; `EBUSY`/`ENOSPC` as
   * {@linkcode Traits.set}.
   *
   * @example Writing a u16 big-endian, and a value out of range
   * ```ts
   * import { Traits } from "@kvkit/traits";
   * import assert from "node:assert/strict";
   *
   * const t = Traits.init(new Uint8Array(32));
   * t.setU16(0, 0x0102, false);
   * assert.deepEqual(t.bytes().subarray(16), new Uint8Array([1, 2]));
   * assert.throws(() => t.setU16(1, 65536, false), { code: "EINVAL" });
   * ```
   */
  setU16(key: number, value: number, littleEndian: boolean): void {
    if ((value & 0xffff) !== value) throw new StoreError("EINVAL", `${value} is not a u16`);
    this.#view.setUint16(this.#reserve(key, 2), value, littleEndian);
  }

  /**
   * Reads a u32 value.
   *
   * @param key 0..63, set with a 4-byte value.
   * @param littleEndian `true` for little-endian bytes, `false` for network order.
   * @returns The value.
   * @throws {StoreError} `EINVAL` for a bad key or a value that is not 4 bytes; `ENOENT` when
   * the key is not set.
   *
   * @example A u32, and reading it at the wrong width
   * ```ts
   * import { Traits } from "@kvkit/traits";
   * import assert from "node:assert/strict";
   *
   * const t = Traits.init(new Uint8Array(32));
   * t.setU32(8, 0xc0000201, false);
   * assert.equal(t.getU32(8, false), 0xc0000201);
   * assert.throws(() => t.getU16(8, false), { code: "EINVAL" });
   * ```
   */
  getU32(key: number, littleEndian: boolean): number {
    // The hot path: the u32 plane gives the offset (0 unless the key holds 4 bytes), then the
    // key check and the header compare. Any miss - bad or unset key, other width, no table
    // yet, header changed - takes the general path, which throws or returns the offset; one
    // read site for both, so the result stays an unboxed integer.
    let off = this.#table[PLANE_4 + (key & KEY_MASK)]!;
    if (!(off !== 0 && key === (key & KEY_MASK) && this.#current(key))) {
      off = this.#typedOffset(key, 4);
    }
    return this.#view.getUint32(off, littleEndian);
  }

  /**
   * Writes a u32 value (4 bytes; the profile must have 4-byte values).
   *
   * @param key 0..63.
   * @param value 0..2^32-1.
   * @param littleEndian `true` for little-endian bytes, `false` for network order.
   * @throws {StoreError} `EINVAL` for a bad key, value or profile; `EBUSY`/`ENOSPC` as
   * {@linkcode Traits.set}.
   *
   * @example Writing a u32 little-endian
   * ```ts
   * import { Traits } from "@kvkit/traits";
   * import assert from "node:assert/strict";
   *
   * const t = Traits.init(new Uint8Array(32));
   * t.setU32(1, 0x01020304, true);
   * assert.deepEqual(t.bytes().subarray(16), new Uint8Array([4, 3, 2, 1]));
   * ```
   */
  setU32(key: number, value: number, littleEndian: boolean): void {
    if ((value >>> 0) !== value) throw new StoreError("EINVAL", `${value} is not a u32`);
    this.#view.setUint32(this.#reserve(key, 4), value, littleEndian);
  }

  /**
   * Reads a u64 value.
   *
   * @param key 0..63, set with an 8-byte value.
   * @param littleEndian `true` for little-endian bytes, `false` for network order.
   * @returns The value.
   * @throws {StoreError} `EINVAL` for a bad key or a value that is not 8 bytes; `ENOENT` when
   * the key is not set.
   *
   * @example The largest u64
   * ```ts
   * import { Traits } from "@kvkit/traits";
   * import assert from "node:assert/strict";
   *
   * const t = Traits.init(new Uint8Array(32));
   * t.setU64(63, 2n ** 64n - 1n, true);
   * assert.equal(t.getU64(63, true), 2n ** 64n - 1n);
   * ```
   */
  getU64(key: number, littleEndian: boolean): bigint {
    // The hot path: see getU32.
    let off = this.#table[PLANE_8 + (key & KEY_MASK)]!;
    if (!(off !== 0 && key === (key & KEY_MASK) && this.#current(key))) {
      off = this.#typedOffset(key, 8);
    }
    return this.#view.getBigUint64(off, littleEndian);
  }

  /**
   * Writes a u64 value (8 bytes; the profile must have 8-byte values).
   *
   * @param key 0..63.
   * @param value A bigint in 0..2^64-1.
   * @param littleEndian `true` for little-endian bytes, `false` for network order.
   * @throws {StoreError} `EINVAL` for a bad key, value or profile; `EBUSY`/`ENOSPC` as
   * {@linkcode Traits.set}.
   *
   * @example Writing a u64 big-endian, and a negative value
   * ```ts
   * import { Traits } from "@kvkit/traits";
   * import assert from "node:assert/strict";
   *
   * const t = Traits.init(new Uint8Array(32));
   * t.setU64(0, 0x0102030405060708n, false);
   * assert.equal(t.bytes()[16], 1);
   * assert.throws(() => t.setU64(1, -1n, false), { code: "EINVAL" });
   * ```
   */
  setU64(key: number, value: bigint, littleEndian: boolean): void {
    if (typeof value !== "bigint" || BigInt.asUintN(64, value) !== value) {
      throw new StoreError("EINVAL", `${value} is not a u64 bigint`);
    }
    this.#view.setBigUint64(this.#reserve(key, 8), value, littleEndian);
  }

  /**
   * Sets a flag key: set, no value (profiles with a 0 size, e.g. `"0/4/16"`).
   *
   * @param key 0..63.
   * @throws {StoreError} `EINVAL` for a bad key or a profile without 0-size values; `EBUSY`
   * when the key holds a value (never `ENOSPC`: a flag takes no bytes).
   *
   * @example A flag key in a profile with a zero size
   * ```ts
   * import { Traits } from "@kvkit/traits";
   * import assert from "node:assert/strict";
   *
   * const t = Traits.init(new Uint8Array(16), { profile: "0/4/16" });
   * t.setFlag(0);
   * assert.ok(t.has(0));
   * assert.equal(t.usedSize, 16);
   * assert.throws(() => Traits.init(new Uint8Array(16)).setFlag(0), { code: "EINVAL" });
   * ```
   */
  setFlag(key: number): void {
    this.#reserve(key, 0);
  }

  /**
   * Writes an IPv4 address (4 bytes, network order).
   *
   * @param key 0..63.
   * @param address A dotted quad such as `"192.0.2.1"`.
   * @throws {StoreError} `EINVAL` for a bad address, key or profile; `EBUSY`/`ENOSPC` as
   * {@linkcode Traits.set}.
   *
   * @example An IPv4 address is a big-endian u32
   * ```ts
   * import { Traits } from "@kvkit/traits";
   * import assert from "node:assert/strict";
   *
   * const t = Traits.init(new Uint8Array(32));
   * t.setIPv4(1, "192.0.2.1");
   * assert.equal(t.getIPv4(1), "192.0.2.1");
   * assert.equal(t.getU32(1, false), 0xc0000201);
   * ```
   */
  setIPv4(key: number, address: string): void {
    this.setU32(key, parseIPv4(address), false);
  }

  /**
   * Reads an IPv4 address (4 bytes, network order).
   *
   * @param key 0..63, set with a 4-byte value.
   * @returns The dotted quad.
   * @throws {StoreError} as {@linkcode Traits.getU32}.
   *
   * @example Reading a u32 as an IPv4 address
   * ```ts
   * import { Traits } from "@kvkit/traits";
   * import assert from "node:assert/strict";
   *
   * const t = Traits.init(new Uint8Array(32));
   * t.setU32(2, 0x0a000001, false);
   * assert.equal(t.getIPv4(2), "10.0.0.1");
   * ```
   */
  getIPv4(key: number): string {
    return formatIPv4(this.getU32(key, false));
  }

  /**
   * Writes an IPv6 address (16 bytes, network order; the profile must have 16-byte values).
   *
   * @param key 0..63.
   * @param address Text such as `"2001:db8::1"`.
   * @throws {StoreError} `EINVAL` for a bad address, key or profile; `EBUSY`/`ENOSPC` as
   * {@linkcode Traits.set}.
   *
   * @example Storing an IPv6 address, formatted back canonically
   * ```ts
   * import { Traits } from "@kvkit/traits";
   * import assert from "node:assert/strict";
   *
   * const t = Traits.init(new Uint8Array(64), { profile: "4/8/16" });
   * t.setIPv6(3, "2001:DB8:0::1");
   * assert.equal(t.getIPv6(3), "2001:db8::1");
   * ```
   */
  setIPv6(key: number, address: string): void {
    this.set(key, parseIPv6(address));
  }

  /**
   * Reads an IPv6 address in RFC 5952 form.
   *
   * @param key 0..63, set with a 16-byte value.
   * @returns The address text.
   * @throws {StoreError} `EINVAL` for a bad key or a value that is not 16 bytes; `ENOENT` when
   * the key is not set.
   *
   * @example The loopback address
   * ```ts
   * import { Traits } from "@kvkit/traits";
   * import assert from "node:assert/strict";
   *
   * const t = Traits.init(new Uint8Array(64), { profile: "0/4/16" });
   * t.setIPv6(0, "::1");
   * assert.equal(t.getIPv6(0), "::1");
   * ```
   */
  getIPv6(key: number): string {
    const off = this.#typedOffset(key, 16);
    return formatIPv6(this.#area.slice(off, off + 16));
  }

  /**
   * Writes a UUID (16 bytes; the profile must have 16-byte values).
   *
   * @param key 0..63.
   * @param uuid Text such as `"2f1c9a54-8d3e-4b6a-9c1e-5f7a2b3c4d5e"`.
   * @throws {StoreError} `EINVAL` for a bad UUID, key or profile; `EBUSY`/`ENOSPC` as
   * {@linkcode Traits.set}.
   *
   * @example Storing a UUID, formatted back in lower case
   * ```ts
   * import { Traits } from "@kvkit/traits";
   * import assert from "node:assert/strict";
   *
   * const t = Traits.init(new Uint8Array(64), { profile: "4/8/16" });
   * t.setUuid(5, "2F1C9A54-8D3E-4B6A-9C1E-5F7A2B3C4D5E");
   * assert.equal(t.getUuid(5), "2f1c9a54-8d3e-4b6a-9c1e-5f7a2b3c4d5e");
   * ```
   */
  setUuid(key: number, uuid: string): void {
    this.set(key, parseUuid(uuid));
  }

  /**
   * Reads a UUID.
   *
   * @param key 0..63, set with a 16-byte value.
   * @returns The lowercase UUID text.
   * @throws {StoreError} as {@linkcode Traits.getIPv6}.
   *
   * @example Reading 16 bytes as a UUID
   * ```ts
   * import { parseUuid, Traits } from "@kvkit/traits";
   * import assert from "node:assert/strict";
   *
   * const t = Traits.init(new Uint8Array(64), { profile: "4/8/16" });
   * t.set(1, parseUuid("00000000-0000-4000-8000-000000000001"));
   * assert.equal(t.getUuid(1), "00000000-0000-4000-8000-000000000001");
   * ```
   */
  getUuid(key: number): string {
    const off = this.#typedOffset(key, 16);
    return formatUuid(this.#area.slice(off, off + 16));
  }

  #checkRange(keyFrom: number, keyTo: number): void {
    if (!((keyFrom >>> 0) === keyFrom && keyFrom < MAX_KEYS)) throw badKey(keyFrom);
    if (!((keyTo >>> 0) === keyTo && keyTo < MAX_KEYS)) throw badKey(keyTo);
    if (keyTo < keyFrom) throw new StoreError("EINVAL", `key range ${keyFrom}..${keyTo} is empty`);
  }

  /**
   * Sets the consecutive keys `keyFrom..keyTo` in one call (the thread's `trait_set_batch`),
   * all or nothing: spreads a value larger than any one size over several keys. Since values
   * are ordered by key, the keys' values are one contiguous run of bytes: `value` itself.
   *
   * @param keyFrom The first key, 0..63.
   * @param keyTo The last key (inclusive), `keyFrom..63`.
   * @param value The bytes of all the keys, in key order.
   * @param sizes One size for every key, or one size per key (`keyTo - keyFrom + 1` of them);
   * they must add up to `value.length`.
   * @throws {StoreError} `EINVAL` for bad keys, sizes or lengths; `EBUSY` when a key is set
   * with another length; `ENOSPC` when the new keys do not fit. Nothing changes on error.
   *
   * @example A 24-byte value as a 16-byte and an 8-byte key
   * ```ts
   * import { Traits } from "@kvkit/traits";
   * import assert from "node:assert/strict";
   *
   * const t = Traits.init(new Uint8Array(64), { profile: "4/8/16" });
   * const value = Uint8Array.from({ length: 24 }, (_, i) => i);
   * t.setBatch(10, 11, value, [16, 8]);
   * const out = new Uint8Array(24);
   * assert.equal(t.getBatch(10, 11, out), 24);
   * assert.deepEqual(out, value);
   * assert.throws(() => t.setBatch(11, 12, new Uint8Array(8), 4), { code: "EBUSY" });
   * assert.equal(t.size, 2);
   * ```
   */
  setBatch(
    keyFrom: number,
    keyTo: number,
    value: Uint8Array,
    sizes: number | readonly number[],
  ): void {
    this.#checkRange(keyFrom, keyTo);
    if (!(value instanceof Uint8Array)) throw new StoreError("EINVAL", "value is not a Uint8Array");
    const n = keyTo - keyFrom + 1;
    if (typeof sizes !== "number" && (!Array.isArray(sizes) || sizes.length !== n)) {
      throw new StoreError("EINVAL", `need one size or ${n} sizes for keys ${keyFrom}..${keyTo}`);
    }
    this.#sync();
    let total = 0, added = 0;
    for (let i = 0; i < n; i++) {
      const key = keyFrom + i;
      const len = typeof sizes === "number" ? sizes : sizes[i]!;
      const code = this.#codeOf(len);
      if (code === 0) throw this.#badLength(key, len);
      const present = this.#locate(key) & CODE_MASK;
      if (present !== 0 && present !== code) throw this.#busy(key, present, len);
      if (present === 0) added += len;
      total += len;
    }
    if (total !== value.length) {
      throw new StoreError(
        "EINVAL",
        `value length ${value.length} is not the ${total} bytes of keys ${keyFrom}..${keyTo}`,
      );
    }
    const used = this.#used;
    if (used + added > this.#capacity) {
      throw new StoreError(
        "ENOSPC",
        `keys ${keyFrom}..${keyTo}: ${added} new bytes do not fit (used ${used} of ${this.#capacity})`,
      );
    }
    if (value.buffer === this.#area.buffer) value = new Uint8Array(value);
    const off = this.#offsetFrom(keyFrom);
    const oldSpan = this.#offsetFrom(keyTo + 1) - off;
    this.#area.copyWithin(off + total, off + oldSpan, used);
    // Setting the bits again is harmless for present keys: they hold the same code.
    for (let i = 0; i < n; i++) {
      this.#setCode(keyFrom + i, this.#codeOf(typeof sizes === "number" ? sizes : sizes[i]!));
    }
    this.#sync();
    this.#area.set(value, off);
  }

  /**
   * Copies the values of the consecutive keys `keyFrom..keyTo` into `out`, all or nothing.
   *
   * @param keyFrom The first key, 0..63.
   * @param keyTo The last key (inclusive), `keyFrom..63`.
   * @param out Where to copy the values, in key order.
   * @returns The total length copied.
   * @throws {StoreError} `EINVAL` for bad keys; `ENOENT` when a key is not set; `ENOSPC`
   * when `out` is too short.
   *
   * @example Reading consecutive keys in one call
   * ```ts
   * import { Traits } from "@kvkit/traits";
   * import assert from "node:assert/strict";
   *
   * const t = Traits.init(new Uint8Array(64));
   * t.setBatch(0, 3, new Uint8Array(16).fill(7), 4);
   * const out = new Uint8Array(16);
   * assert.equal(t.getBatch(0, 3, out), 16);
   * assert.throws(() => t.getBatch(3, 4, out), { code: "ENOENT" });
   * ```
   */
  getBatch(keyFrom: number, keyTo: number, out: Uint8Array): number {
    this.#checkRange(keyFrom, keyTo);
    this.#sync();
    for (let key = keyFrom; key <= keyTo; key++) {
      if ((this.#locate(key) & CODE_MASK) === 0) {
        throw new StoreError("ENOENT", `key ${key} is not set`);
      }
    }
    const off = this.#offsetFrom(keyFrom);
    const len = this.#offsetFrom(keyTo + 1) - off;
    if (!(out instanceof Uint8Array) || out.length < len) {
      throw new StoreError(
        "ENOSPC",
        `keys ${keyFrom}..${keyTo} hold ${len} bytes, out has ${out?.length}`,
      );
    }
    const a = this.#area;
    for (let i = 0; i < len; i++) out[i] = a[off + i]!;
    return len;
  }

  /**
   * A copy of the used region (header and values): what to send or snapshot; {@linkcode
   * Traits.open} reads it back.
   *
   * @returns `usedSize` bytes.
   *
   * @example The used bytes of the area
   * ```ts
   * import { Traits } from "@kvkit/traits";
   * import assert from "node:assert/strict";
   *
   * const t = Traits.init(new Uint8Array(32));
   * t.setU16(0, 0xffff, true);
   * assert.equal(t.bytes().length, 18);
   * ```
   */
  bytes(): Uint8Array {
    return this.#area.slice(0, this.usedSize);
  }

  /**
   * Draws the header bits and value slots as text.
   *
   * @returns A multi-line description.
   *
   * @example Drawing the header and the values
   * ```ts
   * import { Traits } from "@kvkit/traits";
   * import assert from "node:assert/strict";
   *
   * const t = Traits.init(new Uint8Array(32));
   * t.setU32(7, 1, true);
   * assert.ok(t.describe().split("\n").includes("  @16..19   key  7  4 B  01 00 00 00"));
   * ```
   */
  describe(): string {
    return describeTraits(this);
  }
}
