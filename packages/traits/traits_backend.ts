/**
 * The `traits` backend ({@linkcode traitsBackend}) and its `Store` adapter
 * ({@linkcode TraitsStore}): a {@linkcode Traits} area behind the `Store` contract, so the
 * conformance suite, the benchmark harness and the explorer work on it.
 *
 * @module
 */

import {
  allocBytes,
  type Backend,
  type Capabilities,
  checkKey,
  checkLookup,
  checkOptions,
  checkPresence,
  checkRoom,
  checkUpdate,
  type IterateOptions,
  readU32Key,
  type Store,
  StoreBase,
  StoreError,
} from "@kvkit/store";
import { HEADER_SIZE, MAX_KEYS } from "./_layout.ts";
import { type ProfileName, type TraitProfile, traitProfile } from "./profile.ts";
import { Traits } from "./traits.ts";

/** Options of the `traits` backend. */
export interface TraitsStoreOptions {
  /**
   * Bytes of the store area, header included. Default: `16 + 64 × the profile's largest
   * size` (528 for 2/4/8), so every key fits at its largest size and `ENOSPC` only comes from
   * a smaller capacity. With `area`, default `area.length`.
   */
  capacity: number;
  /** The size profile: `"2/4/8"` (default), `"4/8/16"`, `"0/4/16"`, `"0/4/8"` or three sizes. */
  profile: TraitProfile | ProfileName | readonly number[];
  /**
   * An existing area to open (validated as {@linkcode Traits.open} does) instead of a new,
   * empty one; the store then works on these bytes in place.
   */
  area: Uint8Array;
}

/** The largest capacity `create` allocates: far more than 64 keys of any size can use. */
const MAX_CAPACITY = 1 << 24;
/** The option names the store reads. */
const OPTION_NAMES: readonly string[] = ["capacity", "profile", "area"];
/** Mask of a key number: a key is valid when `key === (key & KEY_MASK)`. */
const KEY_MASK = MAX_KEYS - 1;

// A u32 key as a copy of 4 little-endian bytes, from the store package's pooled slabs.
function keyBytes(key: number): Uint8Array {
  const out = allocBytes(4);
  out[0] = key;
  return out;
}

/**
 * A traits area as a {@linkcode Store}: u32 keys 0..63 (4 bytes, little-endian), values of
 * the profile's sizes (a 0 size is a flag key: a zero-length value), ordered by key.
 * Setting a present key with another length is `EBUSY`; a new key that does not fit the
 * capacity is `ENOSPC`. {@linkcode TraitsStore.traits} gives the typed, allocation-free API
 * over the same bytes.
 *
 * | operation | cost |
 * | --- | --- |
 * | get / has | O(1) (copy of the value) |
 * | set of a present key | O(1) |
 * | set of a new key / delete | O(used bytes) |
 * | nextKey | O(1) (find-first-set on the header) |
 *
 * @example Keys in order, and a length change refused
 * ```ts
 * import { TraitsStore } from "@kvkit/traits";
 * import { u32Key } from "@kvkit/store";
 * import assert from "node:assert/strict";
 *
 * const store = new TraitsStore({ capacity: 32 });
 * store.set(u32Key(9), new Uint8Array([1, 2, 3, 4]));
 * store.set(u32Key(2), new Uint8Array([5, 6]));
 * assert.deepEqual([...store.keys()], [u32Key(2), u32Key(9)]);
 * assert.throws(() => store.set(u32Key(2), new Uint8Array(4)), { code: "EBUSY" });
 * assert.equal(store.bytes().length, 16 + 2 + 4);
 * ```
 */
export class TraitsStore extends StoreBase implements Store {
  /** The catalog name: `"traits"`. */
  readonly backend = "traits";
  /** u32 keys 0..63, the profile's value sizes, ordered, `ENOSPC` when full. */
  readonly capabilities: Capabilities;
  readonly #traits: Traits;

  /**
   * Opens a new, empty store in an area of its own, or an existing `area` in place.
   *
   * @param options `capacity`, `profile`, or an existing `area` to open.
   * @throws {StoreError} `EINVAL` for options that are not an object, an unknown option, a
   * bad profile, a capacity that is not an integer in 0..2^24 or an area whose header does not
   * fit; `ENOMEM` for a new area's capacity below the 16-byte header, as the RFC's
   * `trait_init` answers.
   */
  constructor(options?: Partial<TraitsStoreOptions>) {
    super();
    const { area, capacity, profile: spec } = checkOptions("traits", options, OPTION_NAMES);
    // Only a missing option takes its default: null is a wrong type, EINVAL like any other.
    const profile = traitProfile(spec === undefined ? "2/4/8" : spec);
    const [s1, s2, s3] = profile.sizes;
    if (area !== undefined) {
      this.#traits = Traits.open(
        area,
        capacity === undefined ? { profile } : { capacity, profile },
      );
    } else {
      const bytes = capacity === undefined ? HEADER_SIZE + MAX_KEYS * s3 : capacity;
      if (!Number.isInteger(bytes) || bytes < 0 || bytes > MAX_CAPACITY) {
        throw new StoreError(
          "EINVAL",
          `capacity ${String(bytes)} is not an integer in 0..${MAX_CAPACITY}`,
        );
      }
      if (bytes < HEADER_SIZE) {
        throw new StoreError("ENOMEM", `capacity ${bytes} is below the ${HEADER_SIZE}-byte header`);
      }
      this.#traits = Traits.init(new Uint8Array(bytes), { profile });
    }
    this.capabilities = {
      keySize: { min: 4, max: 4 },
      valueSize: { min: s1, max: s3 },
      valueSizes: [s1, s2, s3],
      keyRange: { min: 0, max: MAX_KEYS - 1 },
      maxEntries: MAX_KEYS,
      ordered: true,
      fullError: "ENOSPC",
      valueTooBig: "EINVAL",
      lock: false,
    };
  }

  /** The typed API over the same bytes (u16/u32/u64, IPv4/IPv6/UUID, batches, capacity). */
  get traits(): Traits {
    return this.#traits;
  }

  /** The number of keys set. */
  get size(): number {
    return this.#traits.size;
  }

  /**
   * A copy of the value of `key`, or `undefined` when it is not set.
   *
   * @param key A 4-byte little-endian key 0..63.
   * @returns The value (zero-length for a flag key).
   * @throws {StoreError} `EINVAL` for a bad key.
   */
  get(key: Uint8Array): Uint8Array | undefined {
    const k = this.#key(key);
    const len = this.#traits.valueLength(k);
    if (len === undefined) return undefined;
    const out = allocBytes(len);
    this.#traits.get(k, out);
    return out;
  }

  /**
   * Copies the value of `key` into `out` at `offset`, allocating nothing: the read path of hot
   * loops. Checks in the kernel's order: flags, key, then - values having several lengths -
   * room in `out` for the value found.
   *
   * @param key A 4-byte little-endian key 0..63.
   * @param out Where the value goes.
   * @param offset Where in `out` it starts (default 0).
   * @param flags `0` (default); the store has no locked reads, so `F_LOCK` is `EINVAL`.
   * @returns `true` with the value copied when set; `false`, `out` untouched, when not.
   * @throws {StoreError} `EINVAL` for bad flags, a bad key, or no room for the value found.
   *
   * @example Reading a value into a caller's buffer at an offset
   * ```ts
   * import { TraitsStore } from "@kvkit/traits";
   * import { u32Key } from "@kvkit/store";
   * import assert from "node:assert/strict";
   *
   * const store = new TraitsStore();
   * store.set(u32Key(3), new Uint8Array([1, 2, 3, 4]));
   * const out = new Uint8Array(8);
   * assert.equal(store.getInto(u32Key(3), out, 4), true);
   * assert.deepEqual(out, new Uint8Array([0, 0, 0, 0, 1, 2, 3, 4]));
   * assert.equal(store.getInto(u32Key(4), out), false);
   * assert.throws(() => store.getInto(u32Key(3), out, 5), { code: "EINVAL" });
   * ```
   */
  override getInto(key: Uint8Array, out: Uint8Array, offset = 0, flags = 0): boolean {
    // One cheap test; the full check (which throws) only when it fails.
    if (
      flags !== 0 || !(out instanceof Uint8Array) || typeof offset !== "number" ||
      offset >>> 0 !== offset
    ) {
      checkLookup(this.capabilities, key, out, offset, flags);
    }
    const k = this.#key(key);
    const t = this.#traits;
    const len = t.valueLength(k);
    if (len === undefined) return false;
    if (offset + len > out.length) checkRoom(out, offset, len);
    t.get(k, out, offset);
    return true;
  }

  /**
   * Whether `key` is set.
   *
   * @param key A 4-byte little-endian key 0..63.
   * @returns `true` when set.
   * @throws {StoreError} `EINVAL` for a bad key.
   */
  has(key: Uint8Array): boolean {
    return this.#traits.has(this.#key(key));
  }

  /**
   * Sets `key` to a copy of `value`.
   *
   * @param key A 4-byte little-endian key 0..63.
   * @param value One of the profile's sizes.
   * @param flags `ANY` (default), `NOEXIST` or `EXIST`.
   * @throws {StoreError} `EINVAL` for bad flags, key or length; `EEXIST` / `ENOENT` for the
   * flags; `EBUSY` when the key is set with another length; `ENOSPC` when a new key does not fit.
   */
  set(key: Uint8Array, value: Uint8Array, flags = 0): void {
    const mode = checkUpdate(this.capabilities, key, value, flags);
    const k = readU32Key(key);
    checkPresence(mode, this.#traits.has(k));
    this.#traits.set(k, value);
  }

  /**
   * Removes `key`.
   *
   * @param key A 4-byte little-endian key 0..63.
   * @returns `false` when it was not set.
   * @throws {StoreError} `EINVAL` for a bad key.
   */
  delete(key: Uint8Array): boolean {
    const k = this.#key(key);
    if (!this.#traits.has(k)) return false;
    this.#traits.delete(k);
    return true;
  }

  /**
   * Removes every key (zeroes the header).
   */
  clear(): void {
    this.#traits.clear();
  }

  /**
   * The next set key in ascending order (BPF `get_next_key`).
   *
   * @param key The key to continue after (set or not); `undefined` for the first key.
   * @returns The next key, or `undefined` after the last.
   * @throws {StoreError} `EINVAL` for a bad key.
   */
  nextKey(key?: Uint8Array): Uint8Array | undefined {
    const next = this.#traits.nextKey(key === undefined ? -1 : this.#key(key));
    return next === -1 ? undefined : keyBytes(next);
  }

  /**
   * Every entry in ascending key order, as copies - or, with `{ reuse: true }`, as one `[key,
   * value]` tuple overwritten in place (one key array, one value array per value length). The
   * consumer may delete any key, or set keys, during the walk: the next key is looked up in
   * the header after each step, so every key set throughout is yielded once.
   *
   * @param options `reuse: true` to yield reused arrays; copy what you keep.
   * @returns An iterator of `[key, value]`.
   *
   * @example Deleting keys ahead of the walk
   * ```ts
   * import { TraitsStore } from "@kvkit/traits";
   * import { readU32Key, u32Key } from "@kvkit/store";
   * import assert from "node:assert/strict";
   *
   * const store = new TraitsStore();
   * for (const k of [1, 2, 3, 4]) store.set(u32Key(k), new Uint8Array([k, 0]));
   * const seen: number[] = [];
   * for (const [key] of store.entries({ reuse: true })) {
   *   seen.push(readU32Key(key));
   *   store.delete(u32Key(3));
   * }
   * assert.deepEqual(seen, [1, 2, 4]);
   * ```
   */
  *entries(options?: IterateOptions): IterableIterator<[Uint8Array, Uint8Array]> {
    const t = this.#traits;
    if (options?.reuse === true) {
      const key = new Uint8Array(4);
      const sizes = this.capabilities.valueSizes!;
      const buffer = new ArrayBuffer(sizes[2]!);
      // One value view per length of the profile, over one buffer.
      const views = sizes.map((n) => new Uint8Array(buffer, 0, n));
      const pair: [Uint8Array, Uint8Array] = [key, views[0]!];
      for (let k = t.nextKey(); k !== -1; k = t.nextKey(k)) {
        const len = t.valueLength(k)!;
        const value = views[len === sizes[0] ? 0 : len === sizes[1] ? 1 : 2]!;
        t.get(k, value);
        // All four bytes: the consumer may have written to the array it was given.
        key[0] = k;
        key[1] = key[2] = key[3] = 0;
        pair[0] = key;
        pair[1] = value;
        yield pair;
      }
      return;
    }
    // The successor is looked up after the consumer's turn, in the header as it is then.
    for (let k = t.nextKey(); k !== -1; k = t.nextKey(k)) {
      const value = allocBytes(t.valueLength(k)!);
      t.get(k, value);
      yield [keyBytes(k), value];
    }
  }

  // The key number of a contract key: a cheap test of the common case, the full check (which
  // throws) otherwise.
  #key(key: Uint8Array): number {
    if (key instanceof Uint8Array && key.length === 4) {
      const k = key[0]! | key[1]! << 8 | key[2]! << 16 | key[3]! << 24;
      if (k === (k & KEY_MASK)) return k;
    }
    checkKey(this.capabilities, key);
    return readU32Key(key);
  }

  /**
   * The bytes of the whole area (not only the used part) plus the 1 KiB offset table once
   * the `Traits` has built it (after a header is read twice; 0 before).
   */
  memoryUsage(): number {
    return this.#traits.area.byteLength + this.#traits.tableBytes;
  }

  /**
   * A copy of the used region of the area (header and values), for snapshots and the
   * explorer; `new TraitsStore({ area: bytes })` opens it again.
   *
   * @returns `usedSize` bytes.
   */
  bytes(): Uint8Array {
    return this.#traits.bytes();
  }

  /**
   * The header bits and value slots, drawn as text (the explorer's `dump`).
   *
   * @returns A multi-line description.
   */
  describe(): string {
    return this.#traits.describe();
  }
}

/**
 * The `traits` backend of the catalog.
 *
 * @example Creating a store of flag keys through the catalog's backend
 * ```ts
 * import { traitsBackend } from "@kvkit/traits";
 * import { u32Key } from "@kvkit/store";
 * import assert from "node:assert/strict";
 *
 * const store = traitsBackend.create({ profile: "0/4/16", capacity: 64 });
 * store.set(u32Key(0), new Uint8Array(0)); // a flag key
 * assert.ok(store.has(u32Key(0)));
 * assert.equal(traitsBackend.name, "traits");
 * ```
 */
export const traitsBackend: Backend<TraitsStoreOptions> = {
  name: "traits",
  summary: "traits RFC: 64 keys, 2/4/8-byte values packed behind a 16-byte bitmap header",
  create: (options?: Partial<TraitsStoreOptions>): Store => new TraitsStore(options),
};
