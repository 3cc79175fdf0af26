/**
 * The `traits` backend: a {@linkcode Traits} area behind the `Store` contract, so the
 * conformance suite, the benchmark harness and the explorer work on it.
 *
 * @module
 */

import {
  type Backend,
  type Capabilities,
  checkKey,
  checkUpdate,
  EXIST,
  NOEXIST,
  readU32Key,
  type Store,
  StoreBase,
  StoreError,
  u32Key,
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
 * @example
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
   * @throws {StoreError} `EINVAL` for bad options or an area whose header does not fit.
   */
  constructor(options: Partial<TraitsStoreOptions> = {}) {
    super();
    const profile = traitProfile(options.profile ?? "2/4/8");
    const [s1, s2, s3] = profile.sizes;
    if (options.area !== undefined) {
      this.#traits = Traits.open(options.area, options);
    } else {
      const capacity = options.capacity ?? HEADER_SIZE + MAX_KEYS * s3;
      if (!Number.isInteger(capacity) || capacity < HEADER_SIZE || capacity > MAX_CAPACITY) {
        throw new StoreError(
          "EINVAL",
          `capacity ${capacity} is not an integer in ${HEADER_SIZE}..${MAX_CAPACITY}`,
        );
      }
      this.#traits = Traits.init(new Uint8Array(capacity), { profile });
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
    checkKey(this.capabilities, key);
    const len = this.#traits.valueLength(readU32Key(key));
    if (len === undefined) return undefined;
    const out = new Uint8Array(len);
    this.#traits.get(readU32Key(key), out);
    return out;
  }

  /**
   * Whether `key` is set.
   *
   * @param key A 4-byte little-endian key 0..63.
   * @returns `true` when set.
   * @throws {StoreError} `EINVAL` for a bad key.
   */
  has(key: Uint8Array): boolean {
    checkKey(this.capabilities, key);
    return this.#traits.has(readU32Key(key));
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
    const present = this.#traits.has(k);
    if (mode === NOEXIST && present) throw new StoreError("EEXIST", `key ${k} exists`);
    if (mode === EXIST && !present) throw new StoreError("ENOENT", `key ${k} is not set`);
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
    checkKey(this.capabilities, key);
    const k = readU32Key(key);
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
    let k = -1;
    if (key !== undefined) {
      checkKey(this.capabilities, key);
      k = readU32Key(key);
    }
    const next = this.#traits.nextKey(k);
    return next === -1 ? undefined : u32Key(next);
  }

  /**
   * Every entry in ascending key order, as copies; the consumer may delete the key just yielded.
   *
   * @returns An iterator of `[key, value]`.
   */
  *entries(): IterableIterator<[Uint8Array, Uint8Array]> {
    const t = this.#traits;
    for (let k = t.nextKey(); k !== -1;) {
      const value = new Uint8Array(t.valueLength(k)!);
      t.get(k, value);
      // The next key is found first, so the consumer may delete the key just yielded.
      const next = t.nextKey(k);
      yield [u32Key(k), value];
      k = next;
    }
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
 * @example
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

/** The package as a plugin: `loadBackend("@kvkit/traits")` finds this. */
export const backend: Backend<TraitsStoreOptions> = traitsBackend;
