/**
 * The {@linkcode RhashStore} class: a resizable hash map of fixed-size binary keys and values
 * on rhashtable's rules (`BPF_MAP_TYPE_RHASH`).
 *
 * @module
 */

import {
  type Batch,
  type BatchOptions,
  type Capabilities,
  checkKey,
  checkUpdate,
  EXIST,
  intOption,
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
import { fmix, hash1, hash2, hashWords, mixWord, randomSeed } from "./_hash.ts";

/** Options of an {@linkcode RhashStore}, named after the kernel's map attributes. */
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
   * The first table's seed, for reproducible tests. Every later table (after a grow, shrink
   * or rehash) draws a fresh random seed regardless.
   */
  seed: number;
}

/** Counters of the resize machinery, for tests and the explorer. */
export interface RhashStats {
  /** Resizes started to twice the buckets. */
  readonly grows: number;
  /** Resizes started to fewer buckets. */
  readonly shrinks: number;
  /** Same-size rehashes with a new seed (a chain grew past {@linkcode ELASTICITY}). */
  readonly rehashes: number;
  /** Elements moved from an old table to a future table, in total. */
  readonly moved: number;
  /** The most elements any single operation moved (never above {@linkcode REHASH_STEP_ELEMS}). */
  readonly maxMovedPerOp: number;
  /** The most old buckets any single operation looked at (never above {@linkcode REHASH_STEP_BUCKETS}). */
  readonly maxBucketsPerOp: number;
  /** Reallocations of the element arena (growing or shrinking). */
  readonly arenaResizes: number;
}

// How #find reads a key (chosen once per store from keySize).
/** Any key size: copied into an aligned, zero-padded scratch and compared word by word. */
const KEY_WORDS = 0;
/** 4-byte keys: one word read straight from the caller's bytes. */
const KEY_U32 = 1;
/** 8-byte keys: two words read straight from the caller's bytes. */
const KEY_U64 = 2;

/** #find's answer for an absent key (element indices are 0..nelems-1). */
const NIL = -1;
/**
 * A link (bucket head or an element's next word) to no element: the end of a chain, an empty
 * bucket. Links hold element index + 1, so a fresh zero-filled Int32Array is an empty table
 * and starting a resize needs no O(buckets) fill.
 */
const END = 0;
/** Bytes of one bucket head (an Int32 link). */
const BUCKET_BYTES = 4;

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

// Fast paths read keys as little-endian words; a big-endian host takes the generic path.
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

function roundUpPow2(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

// All buckets END: the engine hands out zeroed memory, no fill loop (see END).
function newTable(size: number): Int32Array {
  return new Int32Array(size);
}

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
 * arena downwards, not the buckets, so table resizes never disturb a walk; deleting the key
 * just yielded is safe. A delete moves the arena's last element into the hole, so deleting a
 * key not yet visited between two `nextKey` calls may repeat or skip keys (see
 * {@linkcode RhashStore.nextKey}); `lookupBatch` detects the skip and answers `EAGAIN`.
 *
 * | operation | cost |
 * | --- | --- |
 * | get / has / update in place | O(key size) expected, no allocation (`getInto`) |
 * | insert / delete | O(key size) expected; amortised O(1) arena reallocation |
 * | extra work while a resize runs | ≤ 8 elements moved, ≤ 64 buckets looked at, per operation |
 * | nextKey / lookupBatch per key | O(key size) expected |
 * | memory | buckets × 4 B + arena × (key rounded to 4 B + value + 4 B) |
 *
 * @example
 * ```ts
 * import { RhashStore } from "@kvkit/rhash";
 * import { NOEXIST } from "@kvkit/store";
 * import assert from "node:assert/strict";
 *
 * const store = new RhashStore({ keySize: 8, valueSize: 4, maxEntries: 1000 });
 * for (let i = 0; i < 500; i++) {
 *   const key = new Uint8Array(8);
 *   new DataView(key.buffer).setUint32(0, i, true);
 *   store.set(key, new Uint8Array(4).fill(1), NOEXIST);
 * }
 * assert.equal(store.size, 500);
 * assert.ok(store.buckets >= 512); // grew from 64 as elements arrived
 * store.clear();
 * assert.equal(store.buckets, 64);
 * ```
 */
export class RhashStore extends StoreBase implements Store {
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

  // The table, and the future table while a resize runs.
  #tbl: Int32Array;
  #seed: number;
  #mask: number;
  #future: Int32Array | null = null;
  #futureSeed = 0;
  #futureMask = 0;
  #progress = 0; // old buckets below this are empty (moved)
  #rehashPending = false; // a chain grew past ELASTICITY while a resize ran

  // The caller's key, aligned and zero-padded, for the generic path.
  readonly #scratch: Int32Array;
  readonly #scratchBytes: Uint8Array;

  // What the last #find saw, reused by set to link a new element without rehashing.
  #hash = 0;
  #futureHash = 0;
  #chainLen = 0;

  #stats = {
    grows: 0,
    shrinks: 0,
    rehashes: 0,
    moved: 0,
    maxMovedPerOp: 0,
    maxBucketsPerOp: 0,
    arenaResizes: 0,
  };

  /**
   * Creates an empty map: a table of 64 buckets (or sized from `nelemHint`) and a small
   * element arena; nothing is sized from `maxEntries`.
   *
   * @param options Key and value sizes, the entry limit, the size hint.
   * @throws {StoreError} `EINVAL` for an option out of range, or `nelemHint` above
   * `maxEntries`.
   */
  constructor(options: Partial<RhashOptions> = {}) {
    super();
    if (typeof options !== "object" || options === null) {
      throw new StoreError("EINVAL", `options ${String(options)} is not an object`);
    }
    const keySize = intOption("keySize", options.keySize, 4, 1, KEY_SIZE_MAX);
    const valueSize = intOption("valueSize", options.valueSize, 8, 1, VALUE_SIZE_MAX);
    const maxEntries = intOption("maxEntries", options.maxEntries, 1 << 24, 1, MAX_ENTRIES_MAX);
    const hint = intOption("nelemHint", options.nelemHint, 0, 0, NELEM_HINT_MAX);
    if (hint > maxEntries) {
      throw new StoreError("EINVAL", `nelemHint ${hint} is above maxEntries ${maxEntries}`);
    }
    const seed = intOption("seed", options.seed, -1, 0, 0xffff_ffff);
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
    this.#tbl = newTable(this.#initialBuckets);
    this.#mask = this.#initialBuckets - 1;
    this.#seed = seed === -1 ? randomSeed() : seed;
    this.#resizeArena(this.#arenaInitial);
    this.#stats.arenaResizes = 0;
  }

  /** The number of elements (`nelems`). */
  get size(): number {
    return this.#nelems;
  }

  /** Buckets of the current table (the old one while a resize runs). */
  get buckets(): number {
    return this.#mask + 1;
  }

  /** Buckets of the future table while a resize runs, else `undefined`. */
  get futureBuckets(): number | undefined {
    return this.#future === null ? undefined : this.#futureMask + 1;
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
   * @example
   * ```ts
   * import { RhashStore, REHASH_STEP_ELEMS } from "@kvkit/rhash";
   * import assert from "node:assert/strict";
   *
   * const store = new RhashStore({ keySize: 4, valueSize: 4 });
   * for (let i = 0; i < 1000; i++) store.set(new Uint8Array(new Uint32Array([i]).buffer), new Uint8Array(4));
   * assert.ok(store.stats().grows >= 4);
   * assert.ok(store.stats().maxMovedPerOp <= REHASH_STEP_ELEMS);
   * ```
   */
  stats(): RhashStats {
    return { ...this.#stats };
  }

  // ---- lookup ------------------------------------------------------------------------------

  // The full check only when the cheap length test fails (the read paths are hot).
  #checkKey(key: Uint8Array): void {
    if (!(key instanceof Uint8Array) || key.length !== this.#keySize) {
      checkKey(this.capabilities, key);
    }
  }

  // The element holding `key`, or NIL. Leaves the key's hash under each live table's seed and
  // the length of the chain a new element would join (the future table's while resizing).
  #find(key: Uint8Array): number {
    const kind = this.#kind;
    if (kind === KEY_U32) return this.#find4(key);
    if (kind === KEY_U64) return this.#find8(key);
    return this.#findWords(key);
  }

  // One small function per key layout, so each stays inlinable and monomorphic.
  #find4(key: Uint8Array): number {
    const elems = this.#elems;
    const stride = this.#stride;
    const future = this.#future;
    const k = key[0]! | key[1]! << 8 | key[2]! << 16 | key[3]! << 24;
    let h = hash1(k, this.#seed);
    this.#hash = h;
    let len = 0;
    for (let l = this.#tbl[h & this.#mask]!; l !== END; len++) {
      const o = (l - 1) * stride;
      if (elems[o + KEY_WORD] === k) return l - 1;
      l = elems[o + NEXT_WORD]!;
    }
    if (future !== null) {
      h = hash1(k, this.#futureSeed);
      this.#futureHash = h;
      len = 0;
      for (let l = future[h & this.#futureMask]!; l !== END; len++) {
        const o = (l - 1) * stride;
        if (elems[o + KEY_WORD] === k) return l - 1;
        l = elems[o + NEXT_WORD]!;
      }
    }
    this.#chainLen = len;
    return NIL;
  }

  #find8(key: Uint8Array): number {
    const elems = this.#elems;
    const stride = this.#stride;
    const future = this.#future;
    const k0 = key[0]! | key[1]! << 8 | key[2]! << 16 | key[3]! << 24;
    const k1 = key[4]! | key[5]! << 8 | key[6]! << 16 | key[7]! << 24;
    let h = hash2(k0, k1, this.#seed);
    this.#hash = h;
    let len = 0;
    for (let l = this.#tbl[h & this.#mask]!; l !== END; len++) {
      const o = (l - 1) * stride;
      if (elems[o + KEY_WORD] === k0 && elems[o + KEY_WORD + 1] === k1) return l - 1;
      l = elems[o + NEXT_WORD]!;
    }
    if (future !== null) {
      h = hash2(k0, k1, this.#futureSeed);
      this.#futureHash = h;
      len = 0;
      for (let l = future[h & this.#futureMask]!; l !== END; len++) {
        const o = (l - 1) * stride;
        if (elems[o + KEY_WORD] === k0 && elems[o + KEY_WORD + 1] === k1) return l - 1;
        l = elems[o + NEXT_WORD]!;
      }
    }
    this.#chainLen = len;
    return NIL;
  }

  #findWords(key: Uint8Array): number {
    const elems = this.#elems;
    const stride = this.#stride;
    const future = this.#future;
    const words = this.#words;
    const s = this.#scratch;
    let h: number;
    if (this.#keySize > BULK_KEY) {
      this.#scratchBytes.set(key);
      h = hashWords(s, 0, words, this.#seed);
    } else {
      h = this.#loadKey(key);
    }
    this.#hash = h;
    let len = 0;
    for (let l = this.#tbl[h & this.#mask]!; l !== END; len++) {
      const o = (l - 1) * stride;
      let w = 0;
      while (w < words && elems[o + KEY_WORD + w] === s[w]) w++;
      if (w === words) return l - 1;
      l = elems[o + NEXT_WORD]!;
    }
    if (future !== null) {
      h = hashWords(s, 0, words, this.#futureSeed);
      this.#futureHash = h;
      len = 0;
      for (let l = future[h & this.#futureMask]!; l !== END; len++) {
        const o = (l - 1) * stride;
        let w = 0;
        while (w < words && elems[o + KEY_WORD + w] === s[w]) w++;
        if (w === words) return l - 1;
        l = elems[o + NEXT_WORD]!;
      }
    }
    this.#chainLen = len;
    return NIL;
  }

  // Reads the key into #scratch as little-endian words and hashes it in the same pass.
  #loadKey(key: Uint8Array): number {
    const ks = this.#keySize;
    const s = this.#scratch;
    const full = ks & ~3;
    let h = this.#seed;
    let i = 0;
    for (; i < full; i += 4) {
      const w = key[i]! | key[i + 1]! << 8 | key[i + 2]! << 16 | key[i + 3]! << 24;
      s[i >> 2] = w;
      h = mixWord(h, w);
    }
    if (i < ks) {
      let w = 0;
      for (let shift = 0; i < ks; i++, shift += 8) w |= key[i]! << shift;
      s[full >> 2] = w;
      h = mixWord(h, w);
    }
    return fmix(h);
  }

  // The hash of element `e`'s key under `seed` (the same function #find uses for its kind).
  #hashElement(e: number, seed: number): number {
    const elems = this.#elems;
    const o = e * this.#stride + KEY_WORD;
    if (this.#kind === KEY_U32) return hash1(elems[o]!, seed);
    if (this.#kind === KEY_U64) return hash2(elems[o]!, elems[o + 1]!, seed);
    return hashWords(elems, o, this.#words, seed);
  }

  /**
   * A copy of the value of `key`.
   *
   * @param key `keySize` bytes.
   * @returns A new array with the value, or `undefined` when absent.
   * @throws {StoreError} `EINVAL` for a wrong key length.
   *
   * @example
   * ```ts
   * import { RhashStore } from "@kvkit/rhash";
   * import assert from "node:assert/strict";
   *
   * const store = new RhashStore({ keySize: 2, valueSize: 1 });
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
   * Copies the value of `key` into `out` without allocating: the hot-loop read.
   *
   * @param key `keySize` bytes.
   * @param out At least `valueSize` bytes; the value is written at its start.
   * @returns `true` when the key was present (and `out` written).
   * @throws {StoreError} `EINVAL` for a wrong key length or an `out` shorter than `valueSize`.
   *
   * @example
   * ```ts
   * import { RhashStore } from "@kvkit/rhash";
   * import assert from "node:assert/strict";
   *
   * const store = new RhashStore({ keySize: 4, valueSize: 2 });
   * store.set(new Uint8Array([1, 0, 0, 0]), new Uint8Array([7, 8]));
   * const out = new Uint8Array(2);
   * assert.ok(store.getInto(new Uint8Array([1, 0, 0, 0]), out));
   * assert.deepEqual(out, new Uint8Array([7, 8]));
   * ```
   */
  getInto(key: Uint8Array, out: Uint8Array): boolean {
    this.#checkKey(key);
    const vs = this.#valueSize;
    if (!(out instanceof Uint8Array) || out.length < vs) {
      throw new StoreError("EINVAL", `output length ${out?.length} is below valueSize ${vs}`);
    }
    const e = this.#find(key);
    if (e !== NIL) {
      const bytes = this.#bytes;
      const o = e * this.#stride * WORD_BYTES + this.#valueByte;
      if (vs <= SMALL_COPY) { for (let i = 0; i < vs; i++) out[i] = bytes[o + i]!; }
      else out.set(bytes.subarray(o, o + vs));
    }
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
   * @example
   * ```ts
   * import { RhashStore } from "@kvkit/rhash";
   * import assert from "node:assert/strict";
   *
   * const store = new RhashStore({ keySize: 1, valueSize: 1 });
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
   * @example
   * ```ts
   * import { RhashStore } from "@kvkit/rhash";
   * import { EXIST } from "@kvkit/store";
   * import assert from "node:assert/strict";
   *
   * const store = new RhashStore({ keySize: 1, valueSize: 1, maxEntries: 1 });
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
    if (found !== NIL) {
      if (mode === NOEXIST) throw new StoreError("EEXIST", "key exists");
      this.#writeValue(found, value);
      if (this.#future !== null) this.#rehashStep();
      return;
    }
    if (mode === EXIST) throw new StoreError("ENOENT", "key not found");
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
    const future = this.#future;
    if (future !== null) {
      const b = this.#futureHash & this.#futureMask;
      this.#elems[o + NEXT_WORD] = future[b]!;
      future[b] = e + 1;
      if (this.#chainLen >= ELASTICITY) this.#rehashPending = true;
      this.#rehashStep();
      return;
    }
    const b = this.#hash & this.#mask;
    this.#elems[o + NEXT_WORD] = this.#tbl[b]!;
    this.#tbl[b] = e + 1;
    const size = this.#mask + 1;
    if (this.#nelems > (size >>> 2) * 3) this.#startResize(size * 2);
    else if (this.#chainLen >= ELASTICITY) this.#startResize(size);
  }

  /**
   * Removes `key`.
   *
   * @param key `keySize` bytes.
   * @returns `false` when the key was absent.
   * @throws {StoreError} `EINVAL` for a wrong key length.
   *
   * @example
   * ```ts
   * import { RhashStore } from "@kvkit/rhash";
   * import assert from "node:assert/strict";
   *
   * const store = new RhashStore({ keySize: 1, valueSize: 1 });
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
   * @example
   * ```ts
   * import { RhashStore } from "@kvkit/rhash";
   * import assert from "node:assert/strict";
   *
   * const store = new RhashStore({ keySize: 1, valueSize: 1 });
   * store.set(new Uint8Array([1]), new Uint8Array([1]));
   * store.clear();
   * assert.equal(store.size, 0);
   * ```
   */
  clear(): void {
    this.#tbl = newTable(this.#initialBuckets);
    this.#mask = this.#initialBuckets - 1;
    this.#seed = randomSeed();
    this.#future = null;
    this.#progress = 0;
    this.#rehashPending = false;
    this.#nelems = 0;
    this.#resizeArena(this.#arenaInitial);
  }

  // Points whatever links to element `from` (a bucket head or a chain link) at the link `to`
  // (an element index + 1, or END).
  #retarget(from: number, to: number): void {
    if (this.#relink(this.#tbl, this.#hashElement(from, this.#seed) & this.#mask, from, to)) {
      return;
    }
    const future = this.#future;
    if (
      future === null ||
      !this.#relink(future, this.#hashElement(from, this.#futureSeed) & this.#futureMask, from, to)
    ) {
      throw new Error(`rhash: element ${from} is on no chain (corrupt store)`);
    }
  }

  #relink(table: Int32Array, b: number, from: number, to: number): boolean {
    const elems = this.#elems;
    const stride = this.#stride;
    const target = from + 1;
    let l = table[b]!;
    if (l === target) {
      table[b] = to;
      return true;
    }
    while (l !== END) {
      const link = (l - 1) * stride + NEXT_WORD;
      const n = elems[link]!;
      if (n === target) {
        elems[link] = to;
        return true;
      }
      l = n;
    }
    return false;
  }

  // Unlinks element `e` and keeps the arena dense by moving the last element into its slot.
  #removeElement(e: number): void {
    const stride = this.#stride;
    this.#retarget(e, this.#elems[e * stride + NEXT_WORD]!);
    const last = --this.#nelems;
    if (e !== last) {
      this.#retarget(last, e + 1);
      this.#elems.copyWithin(e * stride, last * stride, (last + 1) * stride);
    }
    if (this.#future !== null) {
      this.#rehashStep();
    } else {
      const size = this.#mask + 1;
      if (size > HASH_MIN_SIZE && this.#nelems < size * 3 / 10) {
        const target = Math.max(HASH_MIN_SIZE, roundUpPow2(Math.ceil(this.#nelems * 3 / 2)));
        if (target < size) this.#startResize(target);
      }
    }
    if (this.#nelems < this.#cap >>> 2 && this.#cap > this.#arenaFloor) {
      this.#resizeArena(Math.max(this.#arenaFloor, this.#cap >>> 1));
    }
  }

  // ---- resize ------------------------------------------------------------------------------

  // Reallocates the element arena to `cap` elements, keeping the live prefix.
  #resizeArena(cap: number): void {
    let elems: Int32Array;
    try {
      elems = new Int32Array(cap * this.#stride);
    } catch (err) {
      throw new StoreError("ENOMEM", `cannot allocate ${cap} elements: ${err}`);
    }
    elems.set(this.#elems.subarray(0, this.#nelems * this.#stride));
    this.#elems = elems;
    this.#bytes = new Uint8Array(elems.buffer);
    this.#cap = cap;
    this.#stats.arenaResizes++;
  }

  #startResize(size: number): void {
    const current = this.#mask + 1;
    if (size > current) this.#stats.grows++;
    else if (size < current) this.#stats.shrinks++;
    else this.#stats.rehashes++;
    this.#future = newTable(size);
    this.#futureMask = size - 1;
    this.#futureSeed = randomSeed();
    this.#progress = 0;
    this.#rehashPending = false;
  }

  // One bounded slice of the running resize: moves at most REHASH_STEP_ELEMS elements and looks
  // at most REHASH_STEP_BUCKETS old buckets; finishing swaps the tables.
  #rehashStep(): void {
    const future = this.#future!;
    const old = this.#tbl;
    const elems = this.#elems;
    const stride = this.#stride;
    const fmask = this.#futureMask;
    const fseed = this.#futureSeed;
    const size = this.#mask + 1;
    let b = this.#progress;
    let moved = 0;
    let looked = 0;
    while (b < size && moved < REHASH_STEP_ELEMS && looked < REHASH_STEP_BUCKETS) {
      looked++;
      let l = old[b]!;
      while (l !== END && moved < REHASH_STEP_ELEMS) {
        const link = (l - 1) * stride + NEXT_WORD;
        const n = elems[link]!;
        const fb = this.#hashElement(l - 1, fseed) & fmask;
        elems[link] = future[fb]!;
        future[fb] = l;
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
    this.#mask = fmask;
    this.#seed = fseed;
    this.#future = null;
    this.#progress = 0;
    // A resize wanted while this one ran starts now.
    const cur = fmask + 1;
    const n = this.#nelems;
    if (n > (cur >>> 2) * 3) this.#startResize(cur * 2);
    else if (cur > HASH_MIN_SIZE && n < cur * 3 / 10) {
      const target = Math.max(HASH_MIN_SIZE, roundUpPow2(Math.ceil(n * 3 / 2)));
      if (target < cur) this.#startResize(target);
    } else if (this.#rehashPending) this.#startResize(cur);
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
    return this.#bytes.slice(off, off + this.#keySize);
  }

  // The batch cursor for element `e`: its key, then its index (see CURSOR_INDEX_BYTES).
  #cursorAt(e: number): Uint8Array {
    const ks = this.#keySize;
    const off = (e * this.#stride + KEY_WORD) * WORD_BYTES;
    const out = new Uint8Array(ks + CURSOR_INDEX_BYTES);
    out.set(this.#bytes.subarray(off, off + ks));
    out[ks] = e & 0xff;
    out[ks + 1] = (e >>> 8) & 0xff;
    out[ks + 2] = (e >>> 16) & 0xff;
    out[ks + 3] = e >>> 24;
    return out;
  }

  // A fresh array filled by a loop for small values: TypedArray.slice is slower in V8.
  #valueAt(e: number): Uint8Array {
    const vs = this.#valueSize;
    const o = e * this.#stride * WORD_BYTES + this.#valueByte;
    const bytes = this.#bytes;
    if (vs > SMALL_COPY) return bytes.slice(o, o + vs);
    const out = new Uint8Array(vs);
    for (let i = 0; i < vs; i++) out[i] = bytes[o + i]!;
    return out;
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
   * Use {@linkcode RhashStore.entries} or {@linkcode RhashStore.lookupBatch} (which answers
   * `EAGAIN` instead of skipping) when keys not yet visited may be deleted.
   *
   * @param key `undefined`, or a key returned by a previous call.
   * @returns The first key for `undefined` or a key not present; `undefined` after the last.
   * @throws {StoreError} `EINVAL` for a wrong key length.
   *
   * @example
   * ```ts
   * import { RhashStore } from "@kvkit/rhash";
   * import assert from "node:assert/strict";
   *
   * const store = new RhashStore({ keySize: 1, valueSize: 1 });
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
   * Every `[key, value]` once, as copies, in arena order (last element first). The consumer
   * may delete the key just yielded - the element moved into its slot was already visited -
   * and still sees every other key exactly once, across any resize.
   *
   * @returns An iterator of `[key, value]` copies.
   *
   * @example
   * ```ts
   * import { RhashStore } from "@kvkit/rhash";
   * import assert from "node:assert/strict";
   *
   * const store = new RhashStore({ keySize: 1, valueSize: 1 });
   * for (let k = 0; k < 100; k++) store.set(new Uint8Array([k]), new Uint8Array([k]));
   * let seen = 0;
   * for (const [key] of store.entries()) {
   *   store.delete(key); // may shrink the table
   *   seen++;
   * }
   * assert.equal(seen, 100);
   * assert.equal(store.size, 0);
   * ```
   */
  *entries(): IterableIterator<[Uint8Array, Uint8Array]> {
    for (let e = this.#nelems - 1; e >= 0; e = Math.min(e - 1, this.#nelems - 1)) {
      yield [this.#keyAt(e), this.#valueAt(e)];
    }
  }

  /**
   * Every key once, as copies; see {@linkcode RhashStore.entries}.
   *
   * @returns An iterator of key copies.
   *
   * @example
   * ```ts
   * import { RhashStore } from "@kvkit/rhash";
   * import assert from "node:assert/strict";
   *
   * const store = new RhashStore({ keySize: 1, valueSize: 1 });
   * store.set(new Uint8Array([4]), new Uint8Array([0]));
   * assert.deepEqual([...store.keys()], [new Uint8Array([4])]);
   * ```
   */
  override *keys(): IterableIterator<Uint8Array> {
    for (let e = this.#nelems - 1; e >= 0; e = Math.min(e - 1, this.#nelems - 1)) {
      yield this.#keyAt(e);
    }
  }

  /**
   * Every value once, as copies; see {@linkcode RhashStore.entries}.
   *
   * @returns An iterator of value copies.
   *
   * @example
   * ```ts
   * import { RhashStore } from "@kvkit/rhash";
   * import assert from "node:assert/strict";
   *
   * const store = new RhashStore({ keySize: 1, valueSize: 1 });
   * store.set(new Uint8Array([4]), new Uint8Array([8]));
   * assert.deepEqual([...store.values()], [new Uint8Array([8])]);
   * ```
   */
  override *values(): IterableIterator<Uint8Array> {
    for (let e = this.#nelems - 1; e >= 0; e = Math.min(e - 1, this.#nelems - 1)) {
      yield this.#valueAt(e);
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
   * @example
   * ```ts
   * import { RhashStore } from "@kvkit/rhash";
   * import assert from "node:assert/strict";
   *
   * const store = new RhashStore({ keySize: 1, valueSize: 1 });
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
    if (!Number.isInteger(count) || count < 1) {
      throw new StoreError("EINVAL", `batch count ${count} is not a positive integer`);
    }
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
   * Bytes held: the bucket arrays (both tables while a resize runs) plus the element arena as
   * allocated (keys rounded up to 4 bytes, values, chain links). Grows and shrinks with the
   * element count.
   *
   * @returns Bytes of the typed arrays this store holds.
   *
   * @example
   * ```ts
   * import { RhashStore } from "@kvkit/rhash";
   * import assert from "node:assert/strict";
   *
   * const store = new RhashStore({ keySize: 4, valueSize: 4 });
   * const empty = store.memoryUsage();
   * for (let i = 0; i < 10_000; i++) store.set(new Uint8Array(new Uint32Array([i]).buffer), new Uint8Array(4));
   * const full = store.memoryUsage();
   * for (let i = 0; i < 10_000; i++) store.delete(new Uint8Array(new Uint32Array([i]).buffer));
   * assert.ok(full > 10 * empty);
   * assert.ok(store.memoryUsage() < full / 10);
   * ```
   */
  memoryUsage(): number {
    return (this.#mask + 1) * BUCKET_BYTES +
      (this.#future === null ? 0 : (this.#futureMask + 1) * BUCKET_BYTES) +
      this.#elems.byteLength + this.#scratch.byteLength;
  }

  /**
   * Draws the store: table and future table (buckets, seed, resize progress), the chain-length
   * histogram, load, the element arena, and the first buckets' chains.
   *
   * @returns Annotated text for the explorer's `dump`.
   *
   * @example
   * ```ts
   * import { RhashStore } from "@kvkit/rhash";
   * import assert from "node:assert/strict";
   *
   * const store = new RhashStore({ keySize: 1, valueSize: 1 });
   * store.set(new Uint8Array([1]), new Uint8Array([1]));
   * assert.match(store.describe(), /64 buckets/);
   * ```
   */
  describe(): string {
    const hex = (n: number) => "0x" + (n >>> 0).toString(16).padStart(8, "0");
    const size = this.#mask + 1;
    const lines = [
      `rhash  keySize ${this.#keySize} B  valueSize ${this.#valueSize} B  maxEntries ${this.#maxEntries}`,
      `nelems ${this.#nelems}  load ${(this.#nelems / size).toFixed(2)} ` +
      `(grow above 0.75, shrink below 0.30)  elasticity ${ELASTICITY}`,
      `table  ${size} buckets  seed ${hex(this.#seed)}`,
    ];
    const future = this.#future;
    if (future === null) lines.push("future none (no resize running)");
    else {
      lines.push(
        `future ${future.length} buckets  seed ${hex(this.#futureSeed)}  ` +
          `resize: old buckets 0..${this.#progress - 1} moved, ${size - this.#progress} to go ` +
          `(≤ ${REHASH_STEP_ELEMS} elements, ≤ ${REHASH_STEP_BUCKETS} buckets per operation)`,
      );
    }
    const histogram = (table: Int32Array, name: string) => {
      const counts: number[] = [];
      for (let b = 0; b < table.length; b++) {
        let len = 0;
        for (let l = table[b]!; l !== END; l = this.#elems[(l - 1) * this.#stride + NEXT_WORD]!) {
          len++;
        }
        counts[len] = (counts[len] ?? 0) + 1;
      }
      const parts = counts.map((c, len) => c === undefined ? "" : `${len}:${c}`).filter(Boolean);
      lines.push(`chains ${name} (length:buckets) ${parts.join("  ")}`);
    };
    histogram(this.#tbl, "table ");
    if (future !== null) histogram(future, "future");
    const keyBytes = this.#words * WORD_BYTES;
    const valueBytes = this.#stride * WORD_BYTES - this.#valueByte;
    lines.push(
      `arena  ${this.#cap} elements allocated, ${this.#nelems} live; element = ` +
        `[next ${WORD_BYTES} B | key ${keyBytes} B | value ${valueBytes} B] = ` +
        `${this.#stride * WORD_BYTES} B`,
      `memory ${this.memoryUsage()} B`,
    );
    const show = Math.min(size, 16);
    for (let b = 0; b < show; b++) {
      const chain: number[] = [];
      for (
        let l = this.#tbl[b]!;
        l !== END && chain.length < 8;
        l = this.#elems[(l - 1) * this.#stride + NEXT_WORD]!
      ) chain.push(l - 1);
      lines.push(`  bucket ${String(b).padStart(3)} -> ${chain.length ? chain.join(" -> ") : "-"}`);
    }
    if (size > show) lines.push(`  ... ${size - show} more buckets`);
    return lines.join("\n");
  }

  /**
   * Walks the whole structure and throws if an invariant is broken: every live element is on
   * exactly one chain, in the bucket its hash selects in that table; old buckets below the
   * resize progress are empty; no duplicate keys; table sizes are powers of two ≥ 4; the arena
   * holds `size` ≤ capacity ≤ `maxEntries` elements.
   *
   * @throws {Error} Naming the first broken invariant.
   *
   * @example
   * ```ts
   * import { RhashStore } from "@kvkit/rhash";
   *
   * const store = new RhashStore({ keySize: 4, valueSize: 1 });
   * for (let i = 0; i < 100; i++) {
   *   store.set(new Uint8Array(new Uint32Array([i]).buffer), new Uint8Array(1));
   *   store.checkValid();
   * }
   * ```
   */
  checkValid(): void {
    const fail = (what: string) => {
      throw new Error(`rhash invariant broken: ${what}`);
    };
    const n = this.#nelems;
    if (n > this.#cap || this.#cap > Math.max(this.#maxEntries, 0)) {
      fail(`nelems ${n}, arena ${this.#cap}, maxEntries ${this.#maxEntries}`);
    }
    const seen = new Uint8Array(n);
    const keyset = new Set<string>();
    const walk = (table: Int32Array, mask: number, seed: number, from: number, name: string) => {
      if (table.length !== mask + 1 || table.length < HASH_MIN_SIZE || (mask & (mask + 1)) !== 0) {
        fail(`${name} has ${table.length} buckets, not a power of two ≥ ${HASH_MIN_SIZE}`);
      }
      for (let b = 0; b < table.length; b++) {
        if (b < from && table[b] !== END) fail(`${name} bucket ${b} below progress not empty`);
        let len = 0;
        for (let l = table[b]!; l !== END; l = this.#elems[(l - 1) * this.#stride + NEXT_WORD]!) {
          const e = l - 1; // links are index + 1
          if (e < 0 || e >= n) fail(`${name} bucket ${b} links element ${e} outside 0..${n - 1}`);
          if (seen[e]) fail(`element ${e} is on two chains (or a cycle)`);
          seen[e] = 1;
          if ((this.#hashElement(e, seed) & mask) !== b) {
            fail(`element ${e} in wrong ${name} bucket ${b}`);
          }
          const k = this.#keyAt(e).join(",");
          if (keyset.has(k)) fail(`duplicate key ${k}`);
          keyset.add(k);
          if (++len > n) fail(`cycle in ${name} bucket ${b}`);
        }
      }
    };
    walk(this.#tbl, this.#mask, this.#seed, this.#future === null ? 0 : this.#progress, "table");
    if (this.#future !== null) walk(this.#future, this.#futureMask, this.#futureSeed, 0, "future");
    for (let e = 0; e < n; e++) if (!seen[e]) fail(`element ${e} is on no chain`);
  }
}
