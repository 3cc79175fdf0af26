/**
 * The {@linkcode Rhash} class: a resizable hash map of fixed-size binary keys and values
 * on rhashtable's rules (`BPF_MAP_TYPE_RHASH`).
 *
 * @module
 */

import {
  allocBytes,
  type Batch,
  type BatchOptions,
  type Capabilities,
  checkBatchCount,
  checkKey,
  checkLookup,
  checkOptions,
  checkPresence,
  checkUpdate,
  copyBytes,
  EXIST,
  intOption,
  type IterateOptions,
  NOEXIST,
  type Store,
  StoreBase,
  StoreError,
} from "@kvkit/store";
import {
  ARENA_MIN,
  ELASTICITY,
  HASH_DEFAULT_SIZE,
  HASH_MIN_SIZE,
  KEY_SIZE_MAX,
  MAX_ENTRIES_MAX,
  NELEM_HINT_MAX,
  REHASH_STEP_BUCKETS,
  REHASH_STEP_ELEMS,
  VALUE_SIZE_MAX,
} from "./constants.ts";
import {
  fitsKey,
  fitsLookup,
  growAbove75,
  hashOption,
  loadWords,
  loadWordsMurmur,
  murmurFinish,
  roundUpPow2,
  shrinkBelow30,
  shrinkSize,
} from "@kvkit/internal";
import { checkValid } from "./_check_valid.ts";
import { describe } from "./_describe.ts";
import { internals } from "./_internals.ts";
import { END, KEY_U32, KEY_U64, KEY_WORDS, Table } from "./_table.ts";
import { step, Walks } from "./_walk.ts";

/**
 * The key hash of an {@linkcode Rhash}:
 *
 * - `"auto"` (default): MurmurHash3 with each table's seed (the fastest) until an insert finds a
 *   chain longer than {@linkcode ELASTICITY}, which random keys essentially never make but keys
 *   crafted against MurmurHash3 do, at any seed (so a new seed cannot help); the rehash that
 *   follows, and every later table, use HalfSipHash-1-3 with a random 64-bit key.
 * - `"halfsiphash"`: HalfSipHash-1-3 from the first table (the kernel's `hsiphash`): keyed,
 *   never floodable, ~5 ns (8 B keys) to ~25 ns (256 B keys) more per lookup.
 * - `"murmur3"`: MurmurHash3 for life, today's layout for a given seed: floodable by anyone (the
 *   elasticity rehash then fires again and again, to no avail).
 */
export type RhashHash = "auto" | "halfsiphash" | "murmur3";

/** Options of an {@linkcode Rhash}, named after the kernel's map attributes. */
export interface RhashOptions {
  /** Key length in bytes, 1..65535 (default 4). */
  keySize: number;
  /** Value length in bytes, 1..2^24 (default 8). */
  valueSize: number;
  /** The most elements; a new key past it is `E2BIG`. A limit, not a bucket count (default 2^24). */
  maxEntries: number;
  /**
   * Expected number of elements (`nelem_hint`), 0..65535 and at most `maxEntries`: presizes
   * the table to hint × 4/3 buckets (a power of two, at least 4) and the element arena to the
   * hint. 0 or absent: 64 buckets.
   */
  nelemHint: number;
  /**
   * The first table's seed, for reproducible tests (with `hash: "halfsiphash"` its key is
   * derived from it). Every later table (after a grow, shrink or rehash) draws a fresh random
   * seed and key regardless.
   */
  seed: number;
  /**
   * The key hash (see {@linkcode RhashHash}): `"auto"` (default, MurmurHash3 until a flood,
   * then HalfSipHash-1-3), `"halfsiphash"` or `"murmur3"`.
   */
  hash: RhashHash;
}

/** Counters of the resize machinery, for tests and the explorer. */
export interface RhashStats {
  /** Resizes started to twice the buckets. */
  readonly grows: number;
  /** Resizes started to fewer buckets. */
  readonly shrinks: number;
  /** Same-size rehashes with a new seed (a chain grew past {@linkcode ELASTICITY}). */
  readonly rehashes: number;
  /** Tables started with HalfSipHash-1-3 because a flood was seen (0 or more with `"auto"`). */
  readonly rekeys: number;
  /** Elements moved from an old table to a future table, in total. */
  readonly moved: number;
  /** The most elements any single operation moved (never above {@linkcode REHASH_STEP_ELEMS}). */
  readonly maxMovedPerOp: number;
  /** The most old buckets any single operation looked at (never above {@linkcode REHASH_STEP_BUCKETS}). */
  readonly maxBucketsPerOp: number;
  /** Reallocations of the element arena (growing or shrinking). */
  readonly arenaResizes: number;
}

/** #find's answer for an absent key (element indices are 0..nelems-1). */
const NIL = -1;

// Element layout, in 32-bit words (one record per element, like the kernel's htab_elem, so a
// lookup touches one bucket word and one element - key, value and link share cache lines):
//   [ next | key words (zero-padded) | value bytes (padded to a word) ]
/** Word 0 of an element: the link to the next element on its chain (index + 1), or END. */
const NEXT_WORD = 0;
/** The key starts at word 1, little-endian words, the tail of the last word zero. */
const KEY_WORD = 1;
/** Bytes per word. */
const WORD_BYTES = 4;

/**
 * A batch cursor is the key of the next element to return followed by this many bytes: that
 * element's arena index (u32, little-endian), so a cursor whose element moved is detected.
 */
const CURSOR_INDEX_BYTES = 4;

/** Keys longer than this are copied into the scratch by TypedArray.set (one memcpy); shorter
 * ones by a byte loop, which avoids the call's fixed cost. */
const BULK_KEY = 16;
/** Values up to this length are copied by a byte loop: no temporary view, faster in V8. */
const SMALL_COPY = 64;

/** Every option name the constructor reads. */
const OPTION_NAMES: readonly (keyof RhashOptions)[] = [
  "keySize",
  "valueSize",
  "maxEntries",
  "nelemHint",
  "seed",
  "hash",
];

// Fast paths read keys as little-endian words; a big-endian host takes the generic path.
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * A resizable hash map of fixed-size binary keys and values, modelled on the kernel's
 * `BPF_MAP_TYPE_RHASH` (rhashtable). `maxEntries` is a hard limit, not a bucket count: the
 * bucket array starts small (64, or the `nelemHint` × 4/3) and grows ×2 above 3/4 load and
 * shrinks below 3/10 load, incrementally - while a future table is filled, every operation
 * moves at most {@linkcode REHASH_STEP_ELEMS} elements and looks at most
 * {@linkcode REHASH_STEP_BUCKETS} buckets. Keys and values live in typed arrays (an element
 * arena that grows and shrinks with the element count); updates of an existing key are in
 * place.
 *
 * Iteration (`entries`, `keys`, `values`), `nextKey` and `lookupBatch` follow the element
 * arena downwards, not the buckets, so table resizes never disturb a walk. A delete moves the
 * arena's last element into the hole: iteration, which the store tracks while it runs, stays
 * exact whatever key is deleted (each key present throughout once); a `nextKey` walk may repeat
 * or skip keys when a key not yet visited is deleted (see {@linkcode Rhash.nextKey});
 * `lookupBatch` detects the skip and answers `EAGAIN`. The read path of hot loops is
 * {@linkcode Rhash.getInto}, which allocates nothing.
 *
 * | operation | cost |
 * | --- | --- |
 * | get / has / update in place | O(key size) expected, no allocation (`getInto`) |
 * | insert / delete | O(key size) expected; amortised O(1) arena reallocation |
 * | extra work while a resize runs | ≤ 8 elements moved, ≤ 64 buckets looked at, per operation |
 * | nextKey / lookupBatch per key | O(key size) expected |
 * | memory | buckets × 4 B + arena × (key rounded to 4 B + value + 4 B) |
 *
 * @example Growing as elements arrive, back to 64 buckets on clear
 * ```ts
 * import { Rhash } from "@kvkit/rhash";
 * import { NOEXIST } from "@kvkit/store";
 * import assert from "node:assert/strict";
 *
 * const store = new Rhash({ keySize: 8, valueSize: 4, maxEntries: 1000 });
 * for (let i = 0; i < 500; i++) {
 *   const key = new Uint8Array(8);
 *   new DataView(key.buffer).setUint32(0, i, true);
 *   store.set(key, new Uint8Array(4).fill(1), NOEXIST);
 * }
 * assert.equal(store.size, 500);
 * assert.ok(store.bucketCount >= 512); // grew from 64 as elements arrived
 * store.clear();
 * assert.equal(store.bucketCount, 64);
 * ```
 */
export class Rhash extends StoreBase implements Store {
  /** The catalog name. */
  readonly backend = "rhash";
  /** What this instance accepts: fixed key and value sizes, unordered, full is `E2BIG`. */
  readonly capabilities: Capabilities;

  readonly #keySize: number;
  readonly #valueSize: number;
  readonly #maxEntries: number;
  readonly #words: number; // key words per element (key rounded up to 4 bytes)
  readonly #stride: number; // words per element: link + key words + value words
  readonly #valueByte: number; // byte offset of the value inside an element
  readonly #kind: number;
  readonly #initialBuckets: number;
  readonly #arenaFloor: number;
  readonly #arenaInitial: number;

  // The element arena: elements 0..#nelems-1 are live, densely packed.
  #cap = 0;
  #nelems = 0;
  #elems: Int32Array = new Int32Array(0);
  #bytes: Uint8Array = new Uint8Array(0); // the same buffer, for key and value bytes

  // The table, and the future table while a resize runs; each with its own hash and seed.
  #tbl: Table;
  #future: Table | null = null;
  readonly #hashOption: RhashHash;
  // Whether the next table started is keyed: from the start with "halfsiphash", after a flood
  // with "auto" (for good: a table that was flooded once is fed by someone who can).
  #keyNext = false;
  #progress = 0; // old buckets below this are empty (moved)
  #rehashPending = false; // a chain grew past ELASTICITY while a resize ran

  // The caller's key, aligned and zero-padded, for the generic path.
  readonly #scratch: Int32Array;
  readonly #scratchBytes: Uint8Array;

  // The walks (entries, keys, values) under way, which deletes keep exact.
  readonly #walks = new Walks();

  // What the last #find that missed saw in the table a new element joins (the future table
  // while resizing): the key's hash and the chain's length, reused by set.
  #hash = 0;
  #chainLen = 0;

  #stats = {
    grows: 0,
    shrinks: 0,
    rehashes: 0,
    rekeys: 0,
    moved: 0,
    maxMovedPerOp: 0,
    maxBucketsPerOp: 0,
    arenaResizes: 0,
  };

  static {
    internals.state = (m) => ({
      keySize: m.#keySize,
      valueSize: m.#valueSize,
      maxEntries: m.#maxEntries,
      hashOption: m.#hashOption,
      nelems: m.#nelems,
      cap: m.#cap,
      elems: m.#elems,
      stride: m.#stride,
      words: m.#words,
      valueByte: m.#valueByte,
      kind: m.#kind,
      tbl: m.#tbl,
      future: m.#future,
      progress: m.#progress,
      keyOf: (e) => m.#keyAt(e),
    });
  }

  /**
   * Creates an empty map: a table of 64 buckets (or sized from `nelemHint`) and a small
   * element arena; nothing is sized from `maxEntries`.
   *
   * @param options Key and value sizes, the entry limit, the size hint, the first seed.
   * @throws {StoreError} `EINVAL` for options that are not an object, an unknown option name,
   * an option out of range, or `nelemHint` above `maxEntries`.
   */
  constructor(options?: Partial<RhashOptions>) {
    super();
    const opts = checkOptions("rhash", options, OPTION_NAMES);
    const keySize = intOption("keySize", opts.keySize, 4, 1, KEY_SIZE_MAX);
    const valueSize = intOption("valueSize", opts.valueSize, 8, 1, VALUE_SIZE_MAX);
    const maxEntries = intOption("maxEntries", opts.maxEntries, 1 << 24, 1, MAX_ENTRIES_MAX);
    const hint = intOption("nelemHint", opts.nelemHint, 0, 0, NELEM_HINT_MAX);
    if (hint > maxEntries) {
      throw new StoreError("EINVAL", `nelemHint ${hint} is above maxEntries ${maxEntries}`);
    }
    const seed = intOption("seed", opts.seed, -1, 0, 0xffff_ffff);
    const hash = hashOption(opts.hash);
    this.#hashOption = hash;
    this.#keySize = keySize;
    this.#valueSize = valueSize;
    this.#maxEntries = maxEntries;
    this.#words = Math.ceil(keySize / WORD_BYTES);
    this.#stride = KEY_WORD + this.#words + Math.ceil(valueSize / WORD_BYTES);
    this.#valueByte = (KEY_WORD + this.#words) * WORD_BYTES;
    this.#kind = !LITTLE_ENDIAN
      ? KEY_WORDS
      : keySize === 4
      ? KEY_U32
      : keySize === 8
      ? KEY_U64
      : KEY_WORDS;
    this.#initialBuckets = hint === 0
      ? HASH_DEFAULT_SIZE
      : Math.max(HASH_MIN_SIZE, roundUpPow2(Math.ceil(hint * 4 / 3)));
    this.#arenaFloor = Math.min(maxEntries, ARENA_MIN);
    this.#arenaInitial = Math.min(maxEntries, Math.max(ARENA_MIN, hint));
    this.#scratch = new Int32Array(this.#words);
    this.#scratchBytes = new Uint8Array(this.#scratch.buffer);
    this.capabilities = {
      keySize: { min: keySize, max: keySize },
      valueSize: { min: valueSize, max: valueSize },
      maxEntries,
      ordered: false,
      fullError: "E2BIG",
      valueTooBig: "EINVAL",
      lock: false,
    };
    // With "halfsiphash" the first table's key comes from the seed when one was given
    // (reproducible layouts).
    this.#keyNext = hash === "halfsiphash";
    this.#tbl = new Table(this.#initialBuckets, this.#keyNext, seed);
    this.#resizeArena(this.#arenaInitial);
    this.#stats.arenaResizes = 0;
  }

  /** The number of elements (`nelems`). */
  get size(): number {
    return this.#nelems;
  }

  /** Buckets of the current table (the old one while a resize runs). */
  get bucketCount(): number {
    return this.#tbl.mask + 1;
  }

  /** Buckets of the future table while a resize runs, else `undefined`. */
  get futureBucketCount(): number | undefined {
    return this.#future === null ? undefined : this.#future.mask + 1;
  }

  /**
   * The hash the current table uses: `"murmur3"`, or `"halfsiphash"` (from the start with
   * `hash: "halfsiphash"`, or after a flood with `"auto"`).
   */
  get hash(): "murmur3" | "halfsiphash" {
    return this.#tbl.keyed ? "halfsiphash" : "murmur3";
  }

  /** Elements the arena has room for (allocated, live or not). */
  get arenaCapacity(): number {
    return this.#cap;
  }

  /**
   * Counters of the resize machinery (a snapshot).
   *
   * @returns Grows, shrinks, rehashes, elements moved and the per-operation maxima.
   *
   * @example The resize counters
   * ```ts
   * import { Rhash, REHASH_STEP_ELEMS } from "@kvkit/rhash";
   * import assert from "node:assert/strict";
   *
   * const store = new Rhash({ keySize: 4, valueSize: 4 });
   * for (let i = 0; i < 1000; i++) store.set(new Uint8Array(new Uint32Array([i]).buffer), new Uint8Array(4));
   * assert.ok(store.stats().grows >= 4);
   * assert.ok(store.stats().maxMovedPerOp <= REHASH_STEP_ELEMS);
   * ```
   */
  stats(): RhashStats {
    return { ...this.#stats };
  }

  // ---- lookup ------------------------------------------------------------------------------

  // Validates a key on the read paths: the cheap test, the full check (which throws) on failure.
  #checkKey(key: Uint8Array): void {
    if (!fitsKey(key, this.#keySize)) checkKey(this.capabilities, key);
  }

  // The element holding `key`, or NIL. On a miss, leaves the key's hash and the length of its
  // chain in the table a new element would join (the future table while resizing).
  #find(key: Uint8Array): number {
    const kind = this.#kind;
    if (kind === KEY_U32) return this.#find4(key);
    if (kind === KEY_U64) return this.#find8(key);
    return this.#findWords(key);
  }

  // One small function per key layout, so each stays inlinable and monomorphic. Each walks
  // the table, then the future table while a resize runs: one loop over [tbl, future].
  #find4(key: Uint8Array): number {
    const elems = this.#elems;
    const stride = this.#stride;
    const k = key[0]! | key[1]! << 8 | key[2]! << 16 | key[3]! << 24;
    for (let t = this.#tbl;;) {
      const h = t.hash1(k);
      let len = 0;
      for (let l = t.buckets[h & t.mask]!; l !== END; len++) {
        const o = (l - 1) * stride;
        if (elems[o + KEY_WORD] === k) return l - 1;
        l = elems[o + NEXT_WORD]!;
      }
      const future = this.#future;
      if (future === null || t === future) return this.#missed(h, len);
      t = future;
    }
  }

  #find8(key: Uint8Array): number {
    const elems = this.#elems;
    const stride = this.#stride;
    const k0 = key[0]! | key[1]! << 8 | key[2]! << 16 | key[3]! << 24;
    const k1 = key[4]! | key[5]! << 8 | key[6]! << 16 | key[7]! << 24;
    for (let t = this.#tbl;;) {
      const h = t.hash2(k0, k1);
      let len = 0;
      for (let l = t.buckets[h & t.mask]!; l !== END; len++) {
        const o = (l - 1) * stride;
        if (elems[o + KEY_WORD] === k0 && elems[o + KEY_WORD + 1] === k1) return l - 1;
        l = elems[o + NEXT_WORD]!;
      }
      const future = this.#future;
      if (future === null || t === future) return this.#missed(h, len);
      t = future;
    }
  }

  #findWords(key: Uint8Array): number {
    const elems = this.#elems;
    const stride = this.#stride;
    const words = this.#words;
    const ks = this.#keySize;
    const s = this.#scratch;
    let t = this.#tbl;
    let h: number;
    // The key into #scratch; for a short key and MurmurHash3, hashed in the same pass.
    if (ks > BULK_KEY) {
      this.#scratchBytes.set(key);
      h = t.hashWords(s, 0, words, ks);
    } else if (t.keyed) {
      loadWords(key, 0, ks, s, 0);
      h = t.hashWords(s, 0, words, ks);
    } else {
      h = murmurFinish(loadWordsMurmur(key, ks, s, 0, t.seed));
    }
    for (;;) {
      let len = 0;
      for (let l = t.buckets[h & t.mask]!; l !== END; len++) {
        const o = (l - 1) * stride;
        let w = 0;
        while (w < words && elems[o + KEY_WORD + w] === s[w]) w++;
        if (w === words) return l - 1;
        l = elems[o + NEXT_WORD]!;
      }
      const future = this.#future;
      if (future === null || t === future) return this.#missed(h, len);
      t = future;
      h = t.hashWords(s, 0, words, ks);
    }
  }

  // A #find that missed: what set needs to link the new element.
  #missed(h: number, len: number): number {
    this.#hash = h;
    this.#chainLen = len;
    return NIL;
  }

  // The hash of element `e`'s key in table `t` (what #find computes for that key).
  #hashElement(e: number, t: Table): number {
    const elems = this.#elems;
    const o = e * this.#stride + KEY_WORD;
    const kind = this.#kind;
    if (kind === KEY_U32) return t.hash1(elems[o]!);
    if (kind === KEY_U64) return t.hash2(elems[o]!, elems[o + 1]!);
    return t.hashWords(elems, o, this.#words, this.#keySize);
  }

  /**
   * A copy of the value of `key`.
   *
   * @param key `keySize` bytes.
   * @returns A new array with the value, or `undefined` when absent.
   * @throws {StoreError} `EINVAL` for a wrong key length.
   *
   * @example Reading a copy
   * ```ts
   * import { Rhash } from "@kvkit/rhash";
   * import assert from "node:assert/strict";
   *
   * const store = new Rhash({ keySize: 2, valueSize: 1 });
   * store.set(new Uint8Array([1, 2]), new Uint8Array([9]));
   * assert.deepEqual(store.get(new Uint8Array([1, 2])), new Uint8Array([9]));
   * assert.equal(store.get(new Uint8Array([2, 1])), undefined);
   * ```
   */
  get(key: Uint8Array): Uint8Array | undefined {
    this.#checkKey(key);
    const e = this.#find(key);
    const out = e === NIL ? undefined : this.#valueAt(e);
    if (this.#future !== null) this.#rehashStep();
    return out;
  }

  /**
   * Copies the value of `key` into `out` at `offset`, allocating nothing (the kernel's
   * `BPF_MAP_LOOKUP_ELEM`, which copies into the caller's buffer): the read path of hot loops.
   * `out` must have room for `valueSize` bytes at `offset` whether or not the key is present.
   *
   * @param key `keySize` bytes.
   * @param out Where the value goes.
   * @param offset Where in `out` it starts (default 0).
   * @param flags `0` (default); `F_LOCK` is `EINVAL` (no locked reads).
   * @returns `true` when the key was present (and `out` written); `false` leaves `out`
   * untouched.
   * @throws {StoreError} `EINVAL` for bad flags, a wrong key length, or no room in `out` at
   * `offset` (checked in that order, as the kernel; `out` untouched).
   *
   * @example Reading into a caller's buffer at an offset
   * ```ts
   * import { Rhash } from "@kvkit/rhash";
   * import assert from "node:assert/strict";
   *
   * const store = new Rhash({ keySize: 4, valueSize: 2 });
   * store.set(new Uint8Array([1, 0, 0, 0]), new Uint8Array([7, 8]));
   * const out = new Uint8Array(3);
   * assert.ok(store.getInto(new Uint8Array([1, 0, 0, 0]), out, 1));
   * assert.deepEqual(out, new Uint8Array([0, 7, 8]));
   * assert.throws(() => store.getInto(new Uint8Array([1, 0, 0, 0]), out, 2), { code: "EINVAL" });
   * ```
   */
  override getInto(key: Uint8Array, out: Uint8Array, offset?: number, flags?: number): boolean;
  override getInto(key: Uint8Array, out: Uint8Array): boolean {
    // `offset` and `flags` come from `arguments`: declared as parameters, every call of the
    // common two-argument form pays V8's argument-count mismatch (~5-8 ns, a sixth of a lookup).
    let offset = 0;
    let flags = 0;
    if (arguments.length > 2) {
      offset = arguments[2] ?? 0;
      flags = arguments[3] ?? 0;
    }
    // One cheap test for the common call; the full check (which throws) only when it fails.
    if (!fitsLookup(key, this.#keySize, out, offset, this.#valueSize, flags)) {
      checkLookup(this.capabilities, key, out, offset, flags);
    }
    const e = this.#find(key);
    if (e !== NIL) this.#readValue(e, out, offset);
    if (this.#future !== null) this.#rehashStep();
    return e !== NIL;
  }

  /**
   * Whether `key` is present.
   *
   * @param key `keySize` bytes.
   * @returns `true` when present.
   * @throws {StoreError} `EINVAL` for a wrong key length.
   *
   * @example Testing presence
   * ```ts
   * import { Rhash } from "@kvkit/rhash";
   * import assert from "node:assert/strict";
   *
   * const store = new Rhash({ keySize: 1, valueSize: 1 });
   * store.set(new Uint8Array([5]), new Uint8Array([0]));
   * assert.ok(store.has(new Uint8Array([5])));
   * assert.ok(!store.has(new Uint8Array([6])));
   * ```
   */
  has(key: Uint8Array): boolean {
    this.#checkKey(key);
    const e = this.#find(key);
    if (this.#future !== null) this.#rehashStep();
    return e !== NIL;
  }

  // ---- update ------------------------------------------------------------------------------

  /**
   * Creates or updates `key`. An existing key's value is overwritten in place: no allocation,
   * no chain change. Within one JavaScript agent a `set` is never observed half done; the
   * kernel's torn reads of concurrent in-place writers do not arise (the store is not shared).
   *
   * @param key `keySize` bytes.
   * @param value `valueSize` bytes (copied).
   * @param flags `ANY` (0), `NOEXIST` or `EXIST`; `F_LOCK` is not supported.
   * @throws {StoreError} `EINVAL` for bad flags or lengths, `EEXIST` (NOEXIST on a present
   * key), `ENOENT` (EXIST on an absent key), `E2BIG` when `maxEntries` elements are present,
   * `ENOMEM` when the arena cannot grow.
   *
   * @example Update flags and the entry limit
   * ```ts
   * import { Rhash } from "@kvkit/rhash";
   * import { EXIST } from "@kvkit/store";
   * import assert from "node:assert/strict";
   *
   * const store = new Rhash({ keySize: 1, valueSize: 1, maxEntries: 1 });
   * store.set(new Uint8Array([1]), new Uint8Array([1]));
   * store.set(new Uint8Array([1]), new Uint8Array([2]), EXIST);
   * assert.throws(() => store.set(new Uint8Array([2]), new Uint8Array([1])), { code: "E2BIG" });
   * assert.throws(() => store.set(new Uint8Array([3]), new Uint8Array([1]), EXIST), { code: "ENOENT" });
   * assert.deepEqual(store.get(new Uint8Array([1])), new Uint8Array([2]));
   * ```
   */
  set(key: Uint8Array, value: Uint8Array, flags = 0): void {
    let mode = flags;
    if (
      !(flags === 0 || flags === NOEXIST || flags === EXIST) || !(key instanceof Uint8Array) ||
      key.length !== this.#keySize || !(value instanceof Uint8Array) ||
      value.length !== this.#valueSize
    ) {
      mode = checkUpdate(this.capabilities, key, value, flags);
    }
    const found = this.#find(key);
    if (mode !== 0) checkPresence(mode, found !== NIL);
    if (found !== NIL) {
      this.#writeValue(found, value);
      if (this.#future !== null) this.#rehashStep();
      return;
    }
    if (this.#nelems >= this.#maxEntries) {
      throw new StoreError("E2BIG", `map is full (maxEntries ${this.#maxEntries})`);
    }
    if (this.#nelems === this.#cap) {
      this.#resizeArena(Math.min(this.#maxEntries, this.#cap * 2));
    }
    const e = this.#nelems++;
    const o = e * this.#stride;
    this.#bytes.set(key, (o + KEY_WORD) * WORD_BYTES);
    this.#writeValue(e, value);
    // Linked where #find missed it: the future table while a resize runs.
    const future = this.#future;
    const t = future ?? this.#tbl;
    const b = this.#hash & t.mask;
    this.#elems[o + NEXT_WORD] = t.buckets[b]!;
    t.buckets[b] = e + 1;
    if (this.#chainLen >= ELASTICITY) this.#sawLongChain();
    if (future !== null) {
      this.#rehashStep();
      return;
    }
    // No resize running: an insert asks for a grow or the rehash a long chain wanted (the
    // kernel's rhashtable_insert_one), inline here because the call costs a hot path.
    const size = t.mask + 1;
    if (growAbove75(this.#nelems, size)) this.#startResize(size * 2);
    else if (this.#rehashPending) this.#startResize(size);
  }

  // An insert joined a chain longer than ELASTICITY: a rehash follows (now, or when the running
  // resize ends), and with hash "auto" it and every later table use HalfSipHash-1-3 - a chain that
  // long is a flood, and a new MurmurHash3 seed would not break it.
  #sawLongChain(): void {
    this.#rehashPending = true;
    if (this.#hashOption === "auto") this.#keyNext = true;
  }

  /**
   * Removes `key`.
   *
   * @param key `keySize` bytes.
   * @returns `false` when the key was absent.
   * @throws {StoreError} `EINVAL` for a wrong key length.
   *
   * @example Deleting twice
   * ```ts
   * import { Rhash } from "@kvkit/rhash";
   * import assert from "node:assert/strict";
   *
   * const store = new Rhash({ keySize: 1, valueSize: 1 });
   * store.set(new Uint8Array([1]), new Uint8Array([1]));
   * assert.ok(store.delete(new Uint8Array([1])));
   * assert.ok(!store.delete(new Uint8Array([1])));
   * ```
   */
  delete(key: Uint8Array): boolean {
    this.#checkKey(key);
    const e = this.#find(key);
    if (e === NIL) {
      if (this.#future !== null) this.#rehashStep();
      return false;
    }
    this.#removeElement(e);
    return true;
  }

  /**
   * Removes every element and returns to the initial bucket count and arena size.
   *
   * @example Emptying the store
   * ```ts
   * import { Rhash } from "@kvkit/rhash";
   * import assert from "node:assert/strict";
   *
   * const store = new Rhash({ keySize: 1, valueSize: 1 });
   * store.set(new Uint8Array([1]), new Uint8Array([1]));
   * store.clear();
   * assert.equal(store.size, 0);
   * ```
   */
  clear(): void {
    this.#tbl = new Table(this.#initialBuckets, this.#keyNext);
    this.#future = null;
    this.#progress = 0;
    this.#rehashPending = false;
    this.#nelems = 0;
    this.#resizeArena(this.#arenaInitial);
    // Every walk under way has nothing left to yield.
    this.#walks.clear();
  }

  // Points whatever links to element `from` (a bucket head or a chain link) at the link `to`
  // (an element index + 1, or END): it is on the chain its hash selects in the table or, while
  // a resize runs, in the future table.
  #retarget(from: number, to: number): void {
    const elems = this.#elems;
    const stride = this.#stride;
    const target = from + 1;
    for (let t = this.#tbl;;) {
      const buckets = t.buckets;
      const b = this.#hashElement(from, t) & t.mask;
      let l = buckets[b]!;
      if (l === target) {
        buckets[b] = to;
        return;
      }
      while (l !== END) {
        const link = (l - 1) * stride + NEXT_WORD;
        const n = elems[link]!;
        if (n === target) {
          elems[link] = to;
          return;
        }
        l = n;
      }
      const future = this.#future;
      if (future === null || t === future) {
        throw new Error(`rhash: element ${from} is on no chain (corrupt store)`);
      }
      t = future;
    }
  }

  // Unlinks element `e` and keeps the arena dense by moving the last element into its slot.
  #removeElement(e: number): void {
    const stride = this.#stride;
    if (this.#walks.active) this.#walks.noteRemoval(e, this.#nelems - 1);
    this.#retarget(e, this.#elems[e * stride + NEXT_WORD]!);
    const last = --this.#nelems;
    if (e !== last) {
      this.#retarget(last, e + 1);
      this.#elems.copyWithin(e * stride, last * stride, (last + 1) * stride);
    }
    // No resize running: a delete asks only for a shrink (the kernel's rhashtable_remove_fast).
    const n = this.#nelems;
    if (this.#future !== null) this.#rehashStep();
    else if (shrinkBelow30(n, this.#tbl.mask + 1)) this.#startResize(shrinkSize(n));
    if (this.#nelems < this.#cap >>> 2 && this.#cap > this.#arenaFloor) {
      try {
        this.#resizeArena(Math.max(this.#arenaFloor, this.#cap >>> 1));
      } catch {
        // No memory even for the smaller arena: keep the larger one. The delete is done and
        // must not throw.
      }
    }
  }

  // ---- resize ------------------------------------------------------------------------------

  // Reallocates the element arena to `cap` elements, keeping the live prefix. Every view is
  // built before anything is assigned, so a failure leaves the store as it was: a runtime may
  // allocate an Int32Array whose buffer no Uint8Array can view (Node 20: past 2^32 bytes).
  #resizeArena(cap: number): void {
    let elems: Int32Array;
    let bytes: Uint8Array;
    try {
      elems = new Int32Array(cap * this.#stride);
      bytes = new Uint8Array(elems.buffer);
    } catch (err) {
      throw new StoreError("ENOMEM", `cannot allocate ${cap} elements: ${err}`);
    }
    elems.set(this.#elems.subarray(0, this.#nelems * this.#stride));
    this.#elems = elems;
    this.#bytes = bytes;
    this.#cap = cap;
    this.#stats.arenaResizes++;
  }

  // The choice of the kernel's rht_deferred_worker when a resize ends: grow above 75 % load,
  // shrink below 30 %, else the rehash a long chain asked for while it ran. (An insert or a
  // delete with no resize running makes its own part of the choice inline: see set and
  // #removeElement.)
  #resizeIfWanted(): void {
    const size = this.#tbl.mask + 1;
    const n = this.#nelems;
    if (growAbove75(n, size)) this.#startResize(size * 2);
    else if (shrinkBelow30(n, size)) this.#startResize(shrinkSize(n));
    else if (this.#rehashPending) this.#startResize(size);
  }

  #startResize(size: number): void {
    let future: Table;
    try {
      future = new Table(size, this.#keyNext);
    } catch {
      // No memory for the new buckets: keep the current table (lookups stay correct, chains
      // get longer) and try again at a later insert. The operation that got here has already
      // done its work, so it must not throw.
      return;
    }
    const current = this.#tbl.mask + 1;
    if (size > current) this.#stats.grows++;
    else if (size < current) this.#stats.shrinks++;
    else this.#stats.rehashes++;
    if (future.keyed && !this.#tbl.keyed) this.#stats.rekeys++;
    this.#future = future;
    this.#progress = 0;
    this.#rehashPending = false;
  }

  // One bounded slice of the running resize: moves at most REHASH_STEP_ELEMS elements and looks
  // at most REHASH_STEP_BUCKETS old buckets; finishing swaps the tables.
  #rehashStep(): void {
    const future = this.#future!;
    const old = this.#tbl.buckets;
    const elems = this.#elems;
    const stride = this.#stride;
    const fbuckets = future.buckets;
    const fmask = future.mask;
    const size = old.length;
    let b = this.#progress;
    let moved = 0;
    let looked = 0;
    while (b < size && moved < REHASH_STEP_ELEMS && looked < REHASH_STEP_BUCKETS) {
      looked++;
      let l = old[b]!;
      while (l !== END && moved < REHASH_STEP_ELEMS) {
        const link = (l - 1) * stride + NEXT_WORD;
        const n = elems[link]!;
        const fb = this.#hashElement(l - 1, future) & fmask;
        elems[link] = fbuckets[fb]!;
        fbuckets[fb] = l;
        moved++;
        l = n;
      }
      old[b] = l;
      if (l === END) b++;
    }
    this.#progress = b;
    const stats = this.#stats;
    stats.moved += moved;
    if (moved > stats.maxMovedPerOp) stats.maxMovedPerOp = moved;
    if (looked > stats.maxBucketsPerOp) stats.maxBucketsPerOp = looked;
    if (b < size) return;
    this.#tbl = future;
    this.#future = null;
    this.#progress = 0;
    // A resize wanted while this one ran starts now.
    this.#resizeIfWanted();
  }

  #writeValue(e: number, value: Uint8Array): void {
    const vs = this.#valueSize;
    const o = e * this.#stride * WORD_BYTES + this.#valueByte;
    if (vs <= SMALL_COPY) {
      const bytes = this.#bytes;
      for (let i = 0; i < vs; i++) bytes[o + i] = value[i]!;
    } else {
      this.#bytes.set(value, o);
    }
  }

  // ---- iteration ---------------------------------------------------------------------------

  #keyAt(e: number): Uint8Array {
    const off = (e * this.#stride + KEY_WORD) * WORD_BYTES;
    return copyBytes(this.#bytes, off, off + this.#keySize);
  }

  // Writes element `e`'s key into `out` (the reusing walks).
  #readKey(e: number, out: Uint8Array): Uint8Array {
    const ks = this.#keySize;
    const off = (e * this.#stride + KEY_WORD) * WORD_BYTES;
    const bytes = this.#bytes;
    if (ks <= SMALL_COPY) { for (let i = 0; i < ks; i++) out[i] = bytes[off + i]!; }
    else out.set(bytes.subarray(off, off + ks));
    return out;
  }

  // Writes element `e`'s value into `out` at `offset` (getInto, the reusing walks): a byte loop
  // for small values (no temporary view), one set() of a view for long ones.
  #readValue(e: number, out: Uint8Array, offset: number): Uint8Array {
    const vs = this.#valueSize;
    const o = e * this.#stride * WORD_BYTES + this.#valueByte;
    const bytes = this.#bytes;
    if (vs <= SMALL_COPY) { for (let i = 0; i < vs; i++) out[offset + i] = bytes[o + i]!; }
    else out.set(bytes.subarray(o, o + vs), offset);
    return out;
  }

  // The batch cursor for element `e`: its key, then its index (see CURSOR_INDEX_BYTES).
  #cursorAt(e: number): Uint8Array {
    const ks = this.#keySize;
    const off = (e * this.#stride + KEY_WORD) * WORD_BYTES;
    const out = allocBytes(ks + CURSOR_INDEX_BYTES);
    const bytes = this.#bytes;
    for (let i = 0; i < ks; i++) out[i] = bytes[off + i]!;
    out[ks] = e & 0xff;
    out[ks + 1] = (e >>> 8) & 0xff;
    out[ks + 2] = (e >>> 16) & 0xff;
    out[ks + 3] = e >>> 24;
    return out;
  }

  // Copies handed out come from the shared slab (copyBytes): a fresh Uint8Array costs several
  // times a lookup under Deno.
  #valueAt(e: number): Uint8Array {
    const o = e * this.#stride * WORD_BYTES + this.#valueByte;
    return copyBytes(this.#bytes, o, o + this.#valueSize);
  }

  /**
   * The key after `key` in the store's walk (BPF `get_next_key`), in no particular order: the
   * element one slot below `key`'s in the arena. Resizes and updates never disturb the walk.
   * Between two calls:
   *
   * - an insert is appended at the top of the arena: the walk does not return it;
   * - deleting the key just returned, or one returned earlier, is safe;
   * - deleting a key not yet returned moves the arena's last element into its slot. If that
   *   element was already returned, it comes again (a repeat). If it is the key passed next
   *   (the walk's first key, or when every key returned so far was deleted), the walk jumps to
   *   its new slot and silently skips every key between - up to all that remain;
   * - passing a key that is no longer present restarts at the first key (repeats).
   *
   * Use {@linkcode Rhash.entries} or {@linkcode Rhash.lookupBatch} (which answers
   * `EAGAIN` instead of skipping) when keys not yet visited may be deleted.
   *
   * @param key `undefined`, or a key returned by a previous call.
   * @returns The first key for `undefined` or a key not present; `undefined` after the last.
   * @throws {StoreError} `EINVAL` for a wrong key length.
   *
   * @example Walking every key
   * ```ts
   * import { Rhash } from "@kvkit/rhash";
   * import assert from "node:assert/strict";
   *
   * const store = new Rhash({ keySize: 1, valueSize: 1 });
   * for (const k of [3, 1, 2]) store.set(new Uint8Array([k]), new Uint8Array([k]));
   * const seen: number[] = [];
   * for (let k = store.nextKey(); k !== undefined; k = store.nextKey(k)) seen.push(k[0]!);
   * assert.deepEqual(seen.sort(), [1, 2, 3]);
   * ```
   */
  nextKey(key?: Uint8Array): Uint8Array | undefined {
    let e = this.#nelems;
    if (key !== undefined) {
      this.#checkKey(key);
      const found = this.#find(key);
      if (found !== NIL) e = found;
    }
    return e === 0 ? undefined : this.#keyAt(e - 1);
  }

  /**
   * Every `[key, value]` once, in arena order (last element first): copies (carved from a
   * shared slab, see `allocBytes`), or with `{ reuse: true }` one `[key, value]` tuple whose
   * two arrays are overwritten at every step (nothing allocated per entry; copy what you keep).
   *
   * The consumer may delete any key during the walk, across any resize: every key present
   * throughout is yielded exactly once, and a deleted key is not yielded after its deletion.
   * (A delete moves the arena's last element into the hole; when that element was already
   * yielded and the hole is still ahead, the walk - which the store tracks while it runs -
   * passes the slot.) Updates are in place and never disturb the walk. Keys inserted during
   * the walk are not yielded; the walk starts at the first `next()`, not at the `entries()` call
   * (a generator runs nothing before it), so keys inserted in between are yielded.
   *
   * @param options `reuse: true` yields the same arrays at every step.
   * @returns An iterator of `[key, value]`.
   *
   * @example Summing values without copies, then deleting while walking
   * ```ts
   * import { Rhash } from "@kvkit/rhash";
   * import assert from "node:assert/strict";
   *
   * const store = new Rhash({ keySize: 1, valueSize: 1 });
   * for (let k = 0; k < 100; k++) store.set(new Uint8Array([k]), new Uint8Array([k]));
   * let sum = 0;
   * for (const [, value] of store.entries({ reuse: true })) sum += value[0]!;
   * assert.equal(sum, 4950);
   * let seen = 0;
   * for (const [key] of store.entries()) {
   *   store.delete(key); // may shrink the table
   *   seen++;
   * }
   * assert.equal(seen, 100);
   * assert.equal(store.size, 0);
   * ```
   */
  *entries(options?: IterateOptions): IterableIterator<[Uint8Array, Uint8Array]> {
    const w = this.#walks.start(this.#nelems);
    try {
      if (options?.reuse === true) {
        const key = allocBytes(this.#keySize);
        const value = allocBytes(this.#valueSize);
        const entry: [Uint8Array, Uint8Array] = [key, value];
        for (let e = step(w); e >= 0; e = step(w)) {
          this.#readKey(e, key);
          this.#readValue(e, value, 0);
          yield entry;
        }
      } else {
        for (let e = step(w); e >= 0; e = step(w)) {
          yield [this.#keyAt(e), this.#valueAt(e)];
        }
      }
    } finally {
      this.#walks.end(w);
    }
  }

  /**
   * Every key once, as copies or with `{ reuse: true }` one array overwritten at every step;
   * see {@linkcode Rhash.entries}.
   *
   * @param options `reuse: true` yields the same array at every step.
   * @returns An iterator of keys.
   *
   * @example Walking the keys
   * ```ts
   * import { Rhash } from "@kvkit/rhash";
   * import assert from "node:assert/strict";
   *
   * const store = new Rhash({ keySize: 1, valueSize: 1 });
   * store.set(new Uint8Array([4]), new Uint8Array([0]));
   * assert.deepEqual([...store.keys()], [new Uint8Array([4])]);
   * ```
   */
  override *keys(options?: IterateOptions): IterableIterator<Uint8Array> {
    const w = this.#walks.start(this.#nelems);
    const key = options?.reuse === true ? allocBytes(this.#keySize) : undefined;
    try {
      for (let e = step(w); e >= 0; e = step(w)) {
        yield key === undefined ? this.#keyAt(e) : this.#readKey(e, key);
      }
    } finally {
      this.#walks.end(w);
    }
  }

  /**
   * Every value once, as copies or with `{ reuse: true }` one array overwritten at every
   * step; see {@linkcode Rhash.entries}.
   *
   * @param options `reuse: true` yields the same array at every step.
   * @returns An iterator of values.
   *
   * @example Walking the values
   * ```ts
   * import { Rhash } from "@kvkit/rhash";
   * import assert from "node:assert/strict";
   *
   * const store = new Rhash({ keySize: 1, valueSize: 1 });
   * store.set(new Uint8Array([4]), new Uint8Array([8]));
   * assert.deepEqual([...store.values()], [new Uint8Array([8])]);
   * ```
   */
  override *values(options?: IterateOptions): IterableIterator<Uint8Array> {
    const w = this.#walks.start(this.#nelems);
    const value = options?.reuse === true ? allocBytes(this.#valueSize) : undefined;
    try {
      for (let e = step(w); e >= 0; e = step(w)) {
        yield value === undefined ? this.#valueAt(e) : this.#readValue(e, value, 0);
      }
    } finally {
      this.#walks.end(w);
    }
  }

  /**
   * Native batch lookup (`BPF_MAP_LOOKUP_BATCH`, with `delete`: `LOOKUP_AND_DELETE_BATCH`).
   * The cursor is the key of the next element not yet returned, as in the kernel, followed by
   * that element's arena index (4 bytes, little-endian). If the element was deleted in between,
   * or a delete moved it to another slot (which would skip the keys between), the call throws
   * `EAGAIN` and the caller restarts from `undefined`. With no modification in between, a walk
   * from `undefined` to an `undefined` cursor returns every entry once (and with `delete`
   * leaves the store empty). With writes between batches, a walk that ends without `EAGAIN`
   * returned every key present throughout at least once - exactly once with `delete` (returned
   * keys are gone); without `delete`, deleting a key not yet returned moves an already returned
   * key into its slot, which then comes again. Keys inserted during the walk may be missed.
   *
   * @param cursor `undefined` to start, else the `cursor` of the previous batch.
   * @param count The most entries to return; a positive integer.
   * @param options `delete: true` removes the returned entries.
   * @returns The entries (copies) and the cursor, `undefined` once the walk is complete.
   * @throws {StoreError} `EINVAL` for a bad count or a cursor that is not `keySize + 4` bytes,
   * `EAGAIN` when the cursor's element is gone or moved.
   *
   * @example Draining the store in batches
   * ```ts
   * import { Rhash } from "@kvkit/rhash";
   * import assert from "node:assert/strict";
   *
   * const store = new Rhash({ keySize: 1, valueSize: 1 });
   * for (let k = 0; k < 10; k++) store.set(new Uint8Array([k]), new Uint8Array([k]));
   * let cursor: Uint8Array | undefined;
   * let seen = 0;
   * do {
   *   const batch = store.lookupBatch(cursor, 4, { delete: true });
   *   seen += batch.keys.length;
   *   cursor = batch.cursor;
   * } while (cursor !== undefined);
   * assert.equal(seen, 10);
   * assert.equal(store.size, 0);
   * ```
   */
  override lookupBatch(
    cursor: Uint8Array | undefined,
    count: number,
    options?: BatchOptions,
  ): Batch {
    checkBatchCount(count);
    let e = this.#nelems - 1;
    if (cursor !== undefined) {
      const ks = this.#keySize;
      if (!(cursor instanceof Uint8Array) || cursor.length !== ks + CURSOR_INDEX_BYTES) {
        throw new StoreError(
          "EINVAL",
          `cursor length ${(cursor as { length?: unknown })?.length} is not keySize + ` +
            `${CURSOR_INDEX_BYTES} (${ks + CURSOR_INDEX_BYTES})`,
        );
      }
      const at = (cursor[ks]! | cursor[ks + 1]! << 8 | cursor[ks + 2]! << 16 |
        cursor[ks + 3]! << 24) >>> 0;
      e = this.#find(cursor.subarray(0, ks));
      if (e === NIL) throw new StoreError("EAGAIN", "the cursor's element was deleted; restart");
      // A delete moved the cursor's element (the arena's last) into a hole below it: the keys
      // between its old and new slot would be skipped, so the caller restarts instead.
      if (e !== at) {
        throw new StoreError("EAGAIN", `the cursor's element moved from ${at} to ${e}; restart`);
      }
    }
    const keys: Uint8Array[] = [];
    const values: Uint8Array[] = [];
    const first = e;
    while (e >= 0 && keys.length < count) {
      keys.push(this.#keyAt(e));
      values.push(this.#valueAt(e));
      e--;
    }
    const next = e >= 0 ? this.#cursorAt(e) : undefined;
    if (options?.delete === true) {
      // Highest index first: each removal moves the last element (already returned or above
      // the walk) into the slot, never one still to be returned.
      for (let i = first; i > e; i--) this.#removeElement(i);
    } else if (this.#future !== null) {
      this.#rehashStep();
    }
    return { keys, values, cursor: next };
  }

  // ---- introspection -----------------------------------------------------------------------

  /**
   * The length of every bucket's chain in the table, or in the future table while a resize
   * runs: the structure `describe()` draws as a histogram, for tests and tools that need the
   * numbers.
   *
   * @param which `"table"` (default) or `"future"`.
   * @returns One length per bucket; no buckets (`[]`) for `"future"` when no resize runs.
   *
   * @example The chains of a growing store
   * ```ts
   * import { Rhash } from "@kvkit/rhash";
   * import assert from "node:assert/strict";
   *
   * const store = new Rhash({ keySize: 4, valueSize: 1, nelemHint: 1 });
   * for (let i = 0; i < 4; i++) store.set(new Uint8Array([i, 0, 0, 0]), new Uint8Array(1));
   * assert.equal(store.chainLengths().length, store.bucketCount);
   * // A grow to 8 buckets started at the fourth insert; the elements are split between tables.
   * const chained = [...store.chainLengths(), ...store.chainLengths("future")];
   * assert.equal(chained.reduce((a, b) => a + b), 4);
   * ```
   */
  chainLengths(which: "table" | "future" = "table"): number[] {
    const t = which === "future" ? this.#future : this.#tbl;
    const lengths: number[] = [];
    if (t === null) return lengths;
    const elems = this.#elems;
    const stride = this.#stride;
    // A cycle (a corrupt store) stops at more links than elements instead of looping.
    const most = this.#nelems;
    for (let b = 0; b < t.buckets.length; b++) {
      let len = 0;
      for (
        let l = t.buckets[b]!;
        l !== END && len <= most;
        l = elems[(l - 1) * stride + NEXT_WORD]!
      ) {
        len++;
      }
      lengths.push(len);
    }
    return lengths;
  }

  /**
   * Bytes held: the bucket arrays (both tables while a resize runs) plus the element arena as
   * allocated (keys rounded up to 4 bytes, values, chain links). Grows and shrinks with the
   * element count.
   *
   * @returns Bytes of the typed arrays this store holds.
   *
   * @example Memory follows the element count
   * ```ts
   * import { Rhash } from "@kvkit/rhash";
   * import assert from "node:assert/strict";
   *
   * const store = new Rhash({ keySize: 4, valueSize: 4 });
   * const empty = store.memoryUsage();
   * for (let i = 0; i < 10_000; i++) store.set(new Uint8Array(new Uint32Array([i]).buffer), new Uint8Array(4));
   * const full = store.memoryUsage();
   * for (let i = 0; i < 10_000; i++) store.delete(new Uint8Array(new Uint32Array([i]).buffer));
   * assert.ok(full > 10 * empty);
   * assert.ok(store.memoryUsage() < full / 10);
   * ```
   */
  memoryUsage(): number {
    return this.#tbl.buckets.byteLength + (this.#future?.buckets.byteLength ?? 0) +
      this.#elems.byteLength + this.#scratch.byteLength;
  }

  /**
   * Draws the store: table and future table (buckets, seed, resize progress), the chain-length
   * histogram, load, the element arena, and the first buckets' chains.
   *
   * @returns Annotated text for the explorer's `dump`.
   *
   * @example Drawing a store
   * ```ts
   * import { Rhash } from "@kvkit/rhash";
   * import assert from "node:assert/strict";
   *
   * const store = new Rhash({ keySize: 1, valueSize: 1 });
   * store.set(new Uint8Array([1]), new Uint8Array([1]));
   * assert.match(store.describe(), /64 buckets/);
   * ```
   */
  describe(): string {
    return describe(this);
  }

  /**
   * Walks the whole structure and throws if an invariant is broken: every live element is on
   * exactly one chain, in the bucket its hash selects in that table; old buckets below the
   * resize progress are empty; no duplicate keys; table sizes are powers of two ≥ 4; the arena
   * holds `size` ≤ capacity ≤ `maxEntries` elements.
   *
   * @throws {Error} Naming the first broken invariant.
   *
   * @example Checking the invariants after every insert
   * ```ts
   * import { Rhash } from "@kvkit/rhash";
   * import assert from "node:assert/strict";
   *
   * const store = new Rhash({ keySize: 4, valueSize: 1 });
   * for (let i = 0; i < 100; i++) {
   *   store.set(new Uint8Array(new Uint32Array([i]).buffer), new Uint8Array(1));
   *   assert.doesNotThrow(() => store.checkValid());
   * }
   * ```
   */
  checkValid(): void {
    checkValid(this);
  }
}
