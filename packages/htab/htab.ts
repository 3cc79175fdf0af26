/**
 * {@linkcode Htab}: the fixed-bucket, preallocated hash map modelled on the kernel's
 * `BPF_MAP_TYPE_HASH` (kernel/bpf/hashtab.c).
 *
 * @module
 */

import {
  ANY,
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
import { finish, hashWords, mixWord } from "./_hash.ts";

/** Options of {@linkcode Htab} (the kernel's map attributes, camelCased). */
export interface HtabOptions {
  /** Key length in bytes, 1..65535 (default 4). */
  keySize: number;
  /** Value length in bytes, 1..2^24 (default 8). */
  valueSize: number;
  /** The most entries (`max_entries`), 1..2^26 (default 1024); also sets the bucket count. */
  maxEntries: number;
  /**
   * The hash seed, a u32. Default: random per table, like the kernel's `get_random_u32()`;
   * `0` is the kernel's `BPF_F_ZERO_SEED`. Fix it to reproduce a layout.
   */
  seed: number;
}

// Chain and free-list terminator, and the head of an empty bucket.
const NIL = -1;
// Keys are stored and compared as little-endian 32-bit words of this many bytes.
const WORD_BYTES = 4;
// Values up to this length are copied by a byte loop, which allocates no temporary view.
const SMALL_COPY = 64;
// Largest key length (rhashtable's u16 key_len; the kernel's htab stops at 512).
const MAX_KEY_SIZE = 65535;
// Largest value length.
const MAX_VALUE_SIZE = 1 << 24;
// Largest max_entries; the bucket array then holds 2^26 heads (256 MiB).
const MAX_ENTRIES = 1 << 26;
// Largest arena in bytes, so every byte offset is an int32.
const MAX_ARENA = 2 ** 31 - 1;
// Width of the batch cursor: the bucket index as a little-endian u32.
const CURSOR_BYTES = 4;
// Buckets drawn by describe().
const DESCRIBE_BUCKETS = 16;

function roundUpPow2(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/**
 * A hash map with a fixed number of buckets and preallocated elements, like the kernel's
 * `BPF_MAP_TYPE_HASH`.
 *
 * The table has `maxEntries` rounded up to a power of two buckets, fixed for life, and
 * `maxEntries + 1` elements preallocated in typed arrays: keys (as 32-bit words), values,
 * stored hashes and `next` links. A bucket holds the index of the first element of its chain;
 * unused elements sit on a LIFO free list, plus one spare (the kernel's extra element). An update
 * of a present key writes the spare, links it at the head of the chain, unlinks the old element
 * and keeps it as the new spare, so a reader never finds the key missing. No JS object is created
 * per entry and keys are hashed from their bytes (MurmurHash3 over words, with fast paths for
 * 4- and 8-byte keys).
 *
 * | operation | cost |
 * | --- | --- |
 * | get / has / getInto / lookup / set / delete | O(key size) expected, O(chain) worst |
 * | nextKey | O(1) within a chain, O(buckets) to the next non-empty bucket |
 * | entries / lookupBatch over the whole table | O(buckets + entries) |
 * | clear | O(max entries) |
 * | memory | 4·buckets + (8 + key words·4 + value size)·(max entries + 1) bytes, fixed |
 *
 * @example
 * ```ts
 * import { Htab } from "@kvkit/htab";
 * import { NOEXIST, u32Key } from "@kvkit/store";
 * import assert from "node:assert/strict";
 *
 * const map = new Htab({ keySize: 4, valueSize: 2, maxEntries: 2 });
 * map.set(u32Key(1), new Uint8Array([1, 1]));
 * map.set(u32Key(2), new Uint8Array([2, 2]), NOEXIST);
 * assert.throws(() => map.set(u32Key(3), new Uint8Array(2)), { code: "E2BIG" });
 * map.set(u32Key(1), new Uint8Array([9, 9])); // update of a present key: still fits
 * assert.deepEqual(map.get(u32Key(1)), new Uint8Array([9, 9]));
 * assert.equal(map.delete(u32Key(3)), false);
 * map.checkValid();
 * ```
 */
export class Htab extends StoreBase implements Store {
  /** The catalog name. */
  readonly backend = "htab";
  /** What this table accepts. */
  readonly capabilities: Capabilities;
  readonly #keySize: number;
  readonly #valueSize: number;
  readonly #maxEntries: number;
  // Key length in 32-bit words (the per-element key stride).
  readonly #kw: number;
  // 4 or 8 for the word-compare fast paths, else 0.
  readonly #fast: number;
  readonly #nBuckets: number;
  readonly #mask: number;
  readonly #seed: number;
  // Head element of each bucket's chain, NIL when empty.
  readonly #buckets: Int32Array;
  // Per element: the next element in its chain or on the free list.
  readonly #next: Int32Array;
  // Per element: the full hash of its key, compared before the key.
  readonly #hashes: Int32Array;
  // Per element: the key as #kw little-endian words, the tail zero-padded.
  readonly #keys: Int32Array;
  // Per element: the value bytes.
  readonly #values: Uint8Array;
  // The words of the key last hashed by the generic path.
  readonly #scratch: Int32Array;
  #nelems = 0;
  #freeHead = 0;
  #spare = 0;
  // The hash computed by the last #find, reused by set.
  #hash = 0;

  /**
   * Creates an empty table with all its buckets and elements allocated up front.
   *
   * @param options Key and value sizes, max entries, and an optional fixed seed.
   * @throws {StoreError} `EINVAL` for an option out of range, `ENOMEM` when the arrays cannot be
   * allocated.
   */
  constructor(options: Partial<HtabOptions> = {}) {
    super();
    const keySize = intOption("keySize", options.keySize, 4, 1, MAX_KEY_SIZE);
    const valueSize = intOption("valueSize", options.valueSize, 8, 1, MAX_VALUE_SIZE);
    const maxEntries = intOption("maxEntries", options.maxEntries, 1024, 1, MAX_ENTRIES);
    const seed = intOption(
      "seed",
      options.seed,
      (Math.random() * 2 ** 32) >>> 0,
      0,
      0xffff_ffff,
    );
    const kw = Math.ceil(keySize / WORD_BYTES);
    const nElems = maxEntries + 1;
    for (
      const [what, bytes] of [["key", nElems * kw * 4], ["value", nElems * valueSize]] as const
    ) {
      if (bytes > MAX_ARENA) {
        throw new StoreError(
          "EINVAL",
          `${what} arena of ${bytes} bytes (${nElems} elements) exceeds ${MAX_ARENA}`,
        );
      }
    }
    this.#keySize = keySize;
    this.#valueSize = valueSize;
    this.#maxEntries = maxEntries;
    this.#kw = kw;
    this.#fast = keySize === 4 || keySize === 8 ? keySize : 0;
    this.#nBuckets = roundUpPow2(maxEntries);
    this.#mask = this.#nBuckets - 1;
    this.#seed = seed | 0;
    try {
      this.#buckets = new Int32Array(this.#nBuckets);
      this.#next = new Int32Array(nElems);
      this.#hashes = new Int32Array(nElems);
      this.#keys = new Int32Array(nElems * kw);
      this.#values = new Uint8Array(nElems * valueSize);
      this.#scratch = new Int32Array(kw);
    } catch (err) {
      throw new StoreError("ENOMEM", `cannot allocate ${nElems} elements: ${err}`);
    }
    this.capabilities = {
      keySize: { min: keySize, max: keySize },
      valueSize: { min: valueSize, max: valueSize },
      maxEntries,
      ordered: false,
      fullError: "E2BIG",
      valueTooBig: "EINVAL",
      lock: false,
    };
    this.clear();
  }

  /** The number of entries (the kernel's `nelems`). */
  get size(): number {
    return this.#nelems;
  }

  /** The number of buckets: `maxEntries` rounded up to a power of two. */
  get bucketCount(): number {
    return this.#nBuckets;
  }

  /** The hash seed of this table. */
  get seed(): number {
    return this.#seed >>> 0;
  }

  /**
   * The value arena: element `i`'s value is at `i * valueSize`. {@linkcode Htab.lookup} returns
   * offsets into it. Like the value pointer the kernel's lookup returns, writes through it change
   * the entry in place; an offset stays valid until its key is updated or deleted.
   */
  get valueArena(): Uint8Array {
    return this.#values;
  }

  // Finds the element holding `key` (already validated) and leaves its hash in #hash.
  #find(key: Uint8Array): number {
    const keys = this.#keys;
    const next = this.#next;
    let e: number;
    switch (this.#fast) {
      case 4: {
        const w = key[0]! | key[1]! << 8 | key[2]! << 16 | key[3]! << 24;
        const h = finish(mixWord(this.#seed, w), 4);
        this.#hash = h;
        for (e = this.#buckets[h & this.#mask]!; e !== NIL; e = next[e]!) {
          if (keys[e] === w) return e;
        }
        return NIL;
      }
      case 8: {
        const w0 = key[0]! | key[1]! << 8 | key[2]! << 16 | key[3]! << 24;
        const w1 = key[4]! | key[5]! << 8 | key[6]! << 16 | key[7]! << 24;
        const h = finish(mixWord(mixWord(this.#seed, w0), w1), 8);
        this.#hash = h;
        for (e = this.#buckets[h & this.#mask]!; e !== NIL; e = next[e]!) {
          const o = e << 1;
          if (keys[o] === w0 && keys[o + 1] === w1) return e;
        }
        return NIL;
      }
      default: {
        const h = this.#hashKey(key);
        this.#hash = h;
        const hashes = this.#hashes;
        const s = this.#scratch;
        const kw = this.#kw;
        for (e = this.#buckets[h & this.#mask]!; e !== NIL; e = next[e]!) {
          if (hashes[e] !== h) continue;
          const o = e * kw;
          let i = 0;
          while (i < kw && keys[o + i] === s[i]) i++;
          if (i === kw) return e;
        }
        return NIL;
      }
    }
  }

  // Hashes a key of any length, leaving its words in #scratch.
  #hashKey(key: Uint8Array): number {
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
    return finish(h, ks);
  }

  // Validates a key on the read paths: a cheap length test first, the full check on failure.
  #checkKey(key: Uint8Array): void {
    if (!(key instanceof Uint8Array) || key.length !== this.#keySize) {
      checkKey(this.capabilities, key);
    }
  }

  #writeKey(e: number, key: Uint8Array): void {
    const keys = this.#keys;
    const ks = this.#keySize;
    const full = ks & ~3;
    let o = e * this.#kw;
    let i = 0;
    for (; i < full; i += 4) {
      keys[o++] = key[i]! | key[i + 1]! << 8 | key[i + 2]! << 16 | key[i + 3]! << 24;
    }
    if (i < ks) {
      let w = 0;
      for (let shift = 0; i < ks; i++, shift += 8) w |= key[i]! << shift;
      keys[o] = w;
    }
  }

  #writeValue(e: number, value: Uint8Array): void {
    const vs = this.#valueSize;
    const o = e * vs;
    if (vs <= SMALL_COPY) {
      const values = this.#values;
      for (let i = 0; i < vs; i++) values[o + i] = value[i]!;
    } else {
      this.#values.set(value, o);
    }
  }

  #copyKey(e: number): Uint8Array {
    const ks = this.#keySize;
    const keys = this.#keys;
    const base = e * this.#kw;
    const out = new Uint8Array(ks);
    for (let i = 0; i < ks; i++) out[i] = keys[base + (i >> 2)]! >>> ((i & 3) << 3);
    return out;
  }

  // A fresh array filled by a loop or set(): TypedArray.slice is several times slower in V8.
  #copyValue(e: number): Uint8Array {
    const vs = this.#valueSize;
    const o = e * vs;
    const values = this.#values;
    const out = new Uint8Array(vs);
    if (vs <= SMALL_COPY) {
      for (let i = 0; i < vs; i++) out[i] = values[o + i]!;
    } else {
      out.set(values.subarray(o, o + vs));
    }
    return out;
  }

  // Unlinks element `e` from the chain of bucket `b`; `e` must be on it.
  #unlink(b: number, e: number): void {
    const next = this.#next;
    let p = this.#buckets[b]!;
    if (p === e) {
      this.#buckets[b] = next[e]!;
      return;
    }
    while (next[p] !== e) p = next[p]!;
    next[p] = next[e]!;
  }

  // The first element of the lowest non-empty bucket at or after `b`, or NIL.
  #firstFrom(b: number): number {
    const buckets = this.#buckets;
    const n = this.#nBuckets;
    for (; b < n; b++) {
      const e = buckets[b]!;
      if (e !== NIL) return e;
    }
    return NIL;
  }

  // The element after `e` in walk order: next in its chain, else the next non-empty bucket.
  #successor(e: number): number {
    const n = this.#next[e]!;
    return n !== NIL ? n : this.#firstFrom((this.#hashes[e]! & this.#mask) + 1);
  }

  // Whether element `e` is on the chain of the bucket its stored hash selects.
  #chained(e: number): boolean {
    let f = this.#buckets[this.#hashes[e]! & this.#mask]!;
    while (f !== NIL && f !== e) f = this.#next[f]!;
    return f === e;
  }

  // Every chained element in walk order. The successor is found before an element is yielded,
  // so the consumer may delete it; if other writes unchained the successor meanwhile, the walk
  // resumes at the head of that element's bucket (keys may then repeat or be skipped).
  *#elements(): Generator<number, void, undefined> {
    let e = this.#firstFrom(0);
    while (e !== NIL) {
      const n = this.#successor(e);
      yield e;
      e = n === NIL || this.#chained(n) ? n : this.#firstFrom(this.#hashes[n]! & this.#mask);
    }
  }

  /**
   * Returns a copy of the value of `key`.
   *
   * @param key The key.
   * @returns A copy of the value, or `undefined` when absent.
   * @throws {StoreError} `EINVAL` for a wrong key length.
   *
   * @example
   * ```ts
   * import { Htab } from "@kvkit/htab";
   * import assert from "node:assert/strict";
   *
   * const map = new Htab({ keySize: 3, valueSize: 1 });
   * map.set(new Uint8Array([1, 2, 3]), new Uint8Array([7]));
   * assert.deepEqual(map.get(new Uint8Array([1, 2, 3])), new Uint8Array([7]));
   * assert.equal(map.get(new Uint8Array([3, 2, 1])), undefined);
   * ```
   */
  get(key: Uint8Array): Uint8Array | undefined {
    this.#checkKey(key);
    const e = this.#find(key);
    return e === NIL ? undefined : this.#copyValue(e);
  }

  /**
   * Copies the value of `key` into `out` without allocating (for values of at most 64 bytes;
   * longer values are copied through one temporary view).
   *
   * @param key The key.
   * @param out Where to copy the value.
   * @param offset Where in `out` the value starts (default 0).
   * @returns `true` when the key was present and copied; `false` leaves `out` untouched.
   * @throws {StoreError} `EINVAL` for a wrong key length, or when `out` has no room at `offset`.
   *
   * @example
   * ```ts
   * import { Htab } from "@kvkit/htab";
   * import assert from "node:assert/strict";
   *
   * const map = new Htab({ keySize: 8, valueSize: 2 });
   * const key = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]);
   * map.set(key, new Uint8Array([4, 2]));
   * const out = new Uint8Array(2);
   * assert.equal(map.getInto(key, out), true);
   * assert.deepEqual(out, new Uint8Array([4, 2]));
   * ```
   */
  getInto(key: Uint8Array, out: Uint8Array, offset = 0): boolean {
    this.#checkKey(key);
    const vs = this.#valueSize;
    if (
      !(out instanceof Uint8Array) || !Number.isInteger(offset) || offset < 0 ||
      offset + vs > out.length
    ) {
      throw new StoreError(
        "EINVAL",
        `output of length ${out?.length} has no room for ${vs} bytes at offset ${offset}`,
      );
    }
    const e = this.#find(key);
    if (e === NIL) return false;
    const o = e * vs;
    const values = this.#values;
    if (vs <= SMALL_COPY) {
      for (let i = 0; i < vs; i++) out[offset + i] = values[o + i]!;
    } else {
      out.set(values.subarray(o, o + vs), offset);
    }
    return true;
  }

  /**
   * Finds `key` and returns where its value lives in {@linkcode Htab.valueArena}, the
   * allocation-free read path (the kernel's lookup returns a pointer to the value).
   *
   * @param key The key.
   * @returns The byte offset of the value in `valueArena`, or `-1` when absent.
   * @throws {StoreError} `EINVAL` for a wrong key length.
   *
   * @example
   * ```ts
   * import { Htab } from "@kvkit/htab";
   * import { u32Key } from "@kvkit/store";
   * import assert from "node:assert/strict";
   *
   * const map = new Htab({ keySize: 4, valueSize: 4 });
   * map.set(u32Key(5), new Uint8Array([1, 2, 3, 4]));
   * const at = map.lookup(u32Key(5));
   * assert.equal(map.valueArena[at + 3], 4);
   * assert.equal(map.lookup(u32Key(6)), -1);
   * ```
   */
  lookup(key: Uint8Array): number {
    this.#checkKey(key);
    const e = this.#find(key);
    return e === NIL ? -1 : e * this.#valueSize;
  }

  /**
   * Whether `key` is present.
   *
   * @param key The key.
   * @returns `true` when present.
   * @throws {StoreError} `EINVAL` for a wrong key length.
   *
   * @example
   * ```ts
   * import { Htab } from "@kvkit/htab";
   * import { u32Key } from "@kvkit/store";
   * import assert from "node:assert/strict";
   *
   * const map = new Htab();
   * map.set(u32Key(1), new Uint8Array(8));
   * assert.ok(map.has(u32Key(1)) && !map.has(u32Key(2)));
   * ```
   */
  has(key: Uint8Array): boolean {
    this.#checkKey(key);
    return this.#find(key) !== NIL;
  }

  /**
   * Creates or updates `key`. An update takes the spare element, links it at the head of the
   * chain, unlinks the old element and keeps that as the spare.
   *
   * @param key The key.
   * @param value The value; copied.
   * @param flags `ANY` (default), `NOEXIST` or `EXIST`; `F_LOCK` is not supported.
   * @throws {StoreError} `EINVAL` for bad flags or lengths, `EEXIST` (NOEXIST, key present),
   * `ENOENT` (EXIST, key absent), `E2BIG` for a new key when `maxEntries` keys are present.
   *
   * @example
   * ```ts
   * import { Htab } from "@kvkit/htab";
   * import { EXIST, u32Key } from "@kvkit/store";
   * import assert from "node:assert/strict";
   *
   * const map = new Htab({ valueSize: 1 });
   * assert.throws(() => map.set(u32Key(1), new Uint8Array(1), EXIST), { code: "ENOENT" });
   * map.set(u32Key(1), new Uint8Array([3]));
   * map.set(u32Key(1), new Uint8Array([4]), EXIST);
   * assert.deepEqual(map.get(u32Key(1)), new Uint8Array([4]));
   * ```
   */
  set(key: Uint8Array, value: Uint8Array, flags: number = ANY): void {
    let mode = ANY;
    if (
      flags !== ANY || !(key instanceof Uint8Array) || key.length !== this.#keySize ||
      !(value instanceof Uint8Array) || value.length !== this.#valueSize
    ) {
      mode = checkUpdate(this.capabilities, key, value, flags);
    }
    const old = this.#find(key);
    const h = this.#hash;
    const b = h & this.#mask;
    let e: number;
    if (old !== NIL) {
      if (mode === NOEXIST) throw new StoreError("EEXIST", "key exists (NOEXIST)");
      e = this.#spare;
    } else {
      if (mode === EXIST) throw new StoreError("ENOENT", "key not found (EXIST)");
      e = this.#freeHead;
      if (e === NIL) {
        throw new StoreError("E2BIG", `map is full (max_entries ${this.#maxEntries})`);
      }
      this.#freeHead = this.#next[e]!;
      this.#nelems++;
    }
    this.#writeKey(e, key);
    this.#writeValue(e, value);
    this.#hashes[e] = h;
    this.#next[e] = this.#buckets[b]!;
    this.#buckets[b] = e;
    if (old !== NIL) {
      this.#unlink(b, old);
      this.#spare = old;
    }
  }

  /**
   * Removes `key`; its element returns to the free list.
   *
   * @param key The key.
   * @returns `false` when the key was absent.
   * @throws {StoreError} `EINVAL` for a wrong key length.
   *
   * @example
   * ```ts
   * import { Htab } from "@kvkit/htab";
   * import { u32Key } from "@kvkit/store";
   * import assert from "node:assert/strict";
   *
   * const map = new Htab();
   * map.set(u32Key(1), new Uint8Array(8));
   * assert.equal(map.delete(u32Key(1)), true);
   * assert.equal(map.delete(u32Key(1)), false);
   * ```
   */
  delete(key: Uint8Array): boolean {
    this.#checkKey(key);
    const e = this.#find(key);
    if (e === NIL) return false;
    this.#unlink(this.#hash & this.#mask, e);
    this.#next[e] = this.#freeHead;
    this.#freeHead = e;
    this.#nelems--;
    return true;
  }

  /**
   * Removes every entry: all buckets empty, every element but the spare on the free list.
   *
   * @example
   * ```ts
   * import { Htab } from "@kvkit/htab";
   * import { u32Key } from "@kvkit/store";
   * import assert from "node:assert/strict";
   *
   * const map = new Htab();
   * map.set(u32Key(1), new Uint8Array(8));
   * map.clear();
   * assert.equal(map.size, 0);
   * ```
   */
  clear(): void {
    const max = this.#maxEntries;
    const next = this.#next;
    this.#buckets.fill(NIL);
    for (let i = 0; i < max; i++) next[i] = i + 1;
    next[max - 1] = NIL;
    next[max] = NIL;
    this.#freeHead = 0;
    this.#spare = max;
    this.#nelems = 0;
  }

  /**
   * The key after `key` in table order (BPF `get_next_key`): next in its chain, else the first
   * element of the next non-empty bucket. A missing key (or none) gives the first element of
   * the lowest non-empty bucket.
   *
   * A walk that writes between calls gets no guarantee, as in the kernel. In particular a walk
   * that updates the keys it visits can loop forever: an update links the new element at the
   * head of the key's chain (update by swap), so in a bucket holding `b -> a`, updating `a`
   * makes it `a -> b`, `nextKey(a)` answers `b` again, updating `b` restores `b -> a`, and the
   * walk never leaves the bucket. Deleting the key just returned restarts at the first key
   * (repeats). To write while walking use {@linkcode Htab.entries} (each key once when the
   * yielded key is updated or deleted) or {@linkcode Htab.lookupBatch} (whole buckets).
   *
   * @param key The previous key, or `undefined` for the first.
   * @returns A copy of the next key, or `undefined` after the last.
   * @throws {StoreError} `EINVAL` for a wrong key length.
   *
   * @example
   * ```ts
   * import { Htab } from "@kvkit/htab";
   * import { u32Key } from "@kvkit/store";
   * import assert from "node:assert/strict";
   *
   * const map = new Htab({ valueSize: 1 });
   * for (let i = 0; i < 3; i++) map.set(u32Key(i), new Uint8Array([i]));
   * let n = 0;
   * for (let k = map.nextKey(); k !== undefined; k = map.nextKey(k)) n++;
   * assert.equal(n, 3);
   * assert.deepEqual(map.nextKey(u32Key(99)), map.nextKey());
   * ```
   */
  nextKey(key?: Uint8Array): Uint8Array | undefined {
    let e: number;
    if (key === undefined) {
      e = this.#firstFrom(0);
    } else {
      this.#checkKey(key);
      const at = this.#find(key);
      e = at === NIL ? this.#firstFrom(0) : this.#successor(at);
    }
    return e === NIL ? undefined : this.#copyKey(e);
  }

  /**
   * Every entry in table order, as copies. The consumer may delete or update the key just
   * yielded and still sees every other key once (the walk holds its next element, not a key, so
   * an update moving the key to its chain's head cannot make it loop as a `nextKey` walk can);
   * other writes during the walk may make keys repeat or be skipped (as in the kernel), but the
   * walk only yields keys present when yielded.
   *
   * @returns An iterator of `[key, value]`.
   *
   * @example
   * ```ts
   * import { Htab } from "@kvkit/htab";
   * import { u32Key } from "@kvkit/store";
   * import assert from "node:assert/strict";
   *
   * const map = new Htab({ valueSize: 1 });
   * map.set(u32Key(1), new Uint8Array([1]));
   * for (const [key] of map.entries()) map.delete(key);
   * assert.equal(map.size, 0);
   * ```
   */
  *entries(): IterableIterator<[Uint8Array, Uint8Array]> {
    for (const e of this.#elements()) yield [this.#copyKey(e), this.#copyValue(e)];
  }

  /**
   * Every key in table order, as copies.
   *
   * @returns An iterator of keys.
   *
   * @example
   * ```ts
   * import { Htab } from "@kvkit/htab";
   * import { u32Key } from "@kvkit/store";
   * import assert from "node:assert/strict";
   *
   * const map = new Htab();
   * map.set(u32Key(7), new Uint8Array(8));
   * assert.deepEqual([...map.keys()], [u32Key(7)]);
   * ```
   */
  override *keys(): IterableIterator<Uint8Array> {
    for (const e of this.#elements()) yield this.#copyKey(e);
  }

  /**
   * Every value in table order, as copies.
   *
   * @returns An iterator of values.
   *
   * @example
   * ```ts
   * import { Htab } from "@kvkit/htab";
   * import { u32Key } from "@kvkit/store";
   * import assert from "node:assert/strict";
   *
   * const map = new Htab({ valueSize: 1 });
   * map.set(u32Key(7), new Uint8Array([5]));
   * assert.deepEqual([...map.values()], [new Uint8Array([5])]);
   * ```
   */
  override *values(): IterableIterator<Uint8Array> {
    for (const e of this.#elements()) yield this.#copyValue(e);
  }

  /**
   * Native batch lookup (`BPF_MAP_LOOKUP_BATCH`): copies whole buckets, starting at the bucket
   * the cursor names (4 bytes, little-endian bucket index). A bucket is never split: when the
   * next bucket holds more entries than the room left, the batch stops before it, or fails with
   * `ENOSPC` if nothing was copied yet (retry with a larger count).
   *
   * @param cursor `undefined` to start, else the `cursor` of the previous batch.
   * @param count The most entries to return; a positive integer.
   * @param options `delete: true` removes the returned entries
   * (`BPF_MAP_LOOKUP_AND_DELETE_BATCH`).
   * @returns The entries and the next bucket as cursor, `undefined` when no bucket is left.
   * @throws {StoreError} `EINVAL` for a bad count or a cursor that is not 4 bytes or names no
   * bucket; `ENOSPC` when the first bucket holds more than `count` entries.
   *
   * @example
   * ```ts
   * import { Htab } from "@kvkit/htab";
   * import { u32Key } from "@kvkit/store";
   * import assert from "node:assert/strict";
   *
   * const map = new Htab({ valueSize: 1, maxEntries: 64 });
   * for (let i = 0; i < 40; i++) map.set(u32Key(i), new Uint8Array([i]));
   * let cursor: Uint8Array | undefined;
   * let seen = 0;
   * do {
   *   const batch = map.lookupBatch(cursor, 8, { delete: true });
   *   seen += batch.keys.length;
   *   cursor = batch.cursor;
   * } while (cursor !== undefined);
   * assert.equal(seen, 40);
   * assert.equal(map.size, 0);
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
    let b = 0;
    if (cursor !== undefined) {
      if (!(cursor instanceof Uint8Array) || cursor.length !== CURSOR_BYTES) {
        throw new StoreError("EINVAL", `batch cursor of length ${cursor?.length} is not 4 bytes`);
      }
      b = (cursor[0]! | cursor[1]! << 8 | cursor[2]! << 16 | cursor[3]! << 24) >>> 0;
      if (b >= this.#nBuckets) {
        throw new StoreError("EINVAL", `batch cursor ${b} is not a bucket (0..${this.#mask})`);
      }
    }
    const remove = options?.delete === true;
    const keys: Uint8Array[] = [];
    const values: Uint8Array[] = [];
    const buckets = this.#buckets;
    const next = this.#next;
    const n = this.#nBuckets;
    for (;;) {
      while (b < n && buckets[b] === NIL) b++;
      if (b === n) return { keys, values, cursor: undefined };
      let len = 0;
      for (let e = buckets[b]!; e !== NIL; e = next[e]!) len++;
      if (len > count - keys.length) {
        if (keys.length === 0) {
          throw new StoreError(
            "ENOSPC",
            `bucket ${b} holds ${len} entries, more than the batch count ${count}`,
          );
        }
        return {
          keys,
          values,
          cursor: new Uint8Array([b & 0xff, (b >>> 8) & 0xff, (b >>> 16) & 0xff, b >>> 24]),
        };
      }
      for (let e = buckets[b]!; e !== NIL;) {
        const after = next[e]!;
        keys.push(this.#copyKey(e));
        values.push(this.#copyValue(e));
        if (remove) {
          next[e] = this.#freeHead;
          this.#freeHead = e;
          this.#nelems--;
        }
        e = after;
      }
      if (remove) buckets[b] = NIL;
      b++;
    }
  }

  /**
   * The bytes of every typed array the table holds; fixed at creation.
   *
   * @returns Bytes of buckets, links, hashes, keys, values and scratch.
   *
   * @example
   * ```ts
   * import { Htab } from "@kvkit/htab";
   * import assert from "node:assert/strict";
   *
   * // 4 buckets + 5 elements × (next 4 + hash 4 + key 4 + value 8) + scratch 4
   * assert.equal(new Htab({ keySize: 4, valueSize: 8, maxEntries: 4 }).memoryUsage(), 120);
   * ```
   */
  memoryUsage(): number {
    return this.#buckets.byteLength + this.#next.byteLength + this.#hashes.byteLength +
      this.#keys.byteLength + this.#values.byteLength + this.#scratch.byteLength;
  }

  /**
   * Walks the whole structure and throws if an invariant is broken: every element is in
   * exactly one place (a chain, the free list, or the spare), every chained element is in the
   * bucket its stored hash selects and that hash is its key's, padding bytes are zero, no key is
   * chained twice, and the chained count equals `size`.
   *
   * @throws {Error} Naming the broken invariant.
   *
   * @example
   * ```ts
   * import { Htab } from "@kvkit/htab";
   * import { u32Key } from "@kvkit/store";
   *
   * const map = new Htab({ maxEntries: 4 });
   * for (let i = 0; i < 4; i++) map.set(u32Key(i), new Uint8Array(8));
   * map.checkValid();
   * ```
   */
  checkValid(): void {
    const nElems = this.#maxEntries + 1;
    const kw = this.#kw;
    const keys = this.#keys;
    // Where each element was found: 0 nowhere yet, 1 chain, 2 free list, 3 spare.
    const place = new Uint8Array(nElems);
    const fail = (what: string): never => {
      throw new Error(`htab invariant broken: ${what}`);
    };
    const claim = (e: number, where: number, via: string): void => {
      if (!Number.isInteger(e) || e < 0 || e >= nElems) fail(`${via} links to element ${e}`);
      if (place[e] !== 0) fail(`element ${e} reached again via ${via} (was in place ${place[e]})`);
      place[e] = where;
    };
    const padBits = (kw * WORD_BYTES - this.#keySize) * 8;
    let chained = 0;
    for (let b = 0; b < this.#nBuckets; b++) {
      for (let e = this.#buckets[b]!; e !== NIL; e = this.#next[e]!) {
        claim(e, 1, `bucket ${b}`);
        chained++;
        const h = this.#hashes[e]!;
        if ((h & this.#mask) !== b) fail(`element ${e} with hash ${h} is in bucket ${b}`);
        if (hashWords(keys, e * kw, kw, this.#keySize, this.#seed) !== h) {
          fail(`element ${e} stores hash ${h}, not its key's`);
        }
        if (padBits > 0 && keys[e * kw + kw - 1]! >>> (32 - padBits) !== 0) {
          fail(`element ${e} has non-zero key padding`);
        }
        for (let f = this.#next[e]!; f !== NIL && place[f] === 0; f = this.#next[f]!) {
          let i = 0;
          while (i < kw && keys[e * kw + i] === keys[f * kw + i]) i++;
          if (i === kw) fail(`elements ${e} and ${f} in bucket ${b} hold the same key`);
        }
      }
    }
    if (chained !== this.#nelems) fail(`${chained} chained elements but size ${this.#nelems}`);
    let free = 0;
    for (let e = this.#freeHead; e !== NIL; e = this.#next[e]!) {
      claim(e, 2, "the free list");
      free++;
    }
    claim(this.#spare, 3, "the spare");
    if (chained + free + 1 !== nElems) {
      fail(`${chained} chained + ${free} free + 1 spare != ${nElems} elements`);
    }
  }

  /**
   * Draws the table: sizes, the typed arrays and their bytes, the chain-length histogram and
   * the first non-empty buckets with their chains.
   *
   * @returns Annotated text for the explorer's `dump`.
   *
   * @example
   * ```ts
   * import { Htab } from "@kvkit/htab";
   * import { u32Key } from "@kvkit/store";
   * import assert from "node:assert/strict";
   *
   * const map = new Htab({ maxEntries: 8, seed: 1 });
   * map.set(u32Key(1), new Uint8Array(8));
   * assert.match(map.describe(), /n_buckets 8/);
   * assert.match(map.describe(), /chain length/);
   * ```
   */
  describe(): string {
    const nb = this.#nBuckets;
    const nElems = this.#maxEntries + 1;
    const hist: number[] = [];
    const shown: string[] = [];
    for (let b = 0; b < nb; b++) {
      const chain: number[] = [];
      for (let e = this.#buckets[b]!; e !== NIL && chain.length <= nElems; e = this.#next[e]!) {
        chain.push(e);
      }
      hist[chain.length] = (hist[chain.length] ?? 0) + 1;
      if (chain.length > 0 && shown.length < DESCRIBE_BUCKETS) {
        const keys = chain.map((e) => {
          const hex = [...this.#copyKey(e).subarray(0, 8)]
            .map((x) => x.toString(16).padStart(2, "0")).join("");
          return `e${e}(${hex}${this.#keySize > 8 ? "…" : ""})`;
        });
        shown.push(`  [${String(b).padStart(6)}] ${keys.join(" -> ")}`);
      }
    }
    const arrays: [string, Int32Array | Uint8Array, string][] = [
      ["buckets", this.#buckets, "head element of each chain, -1 = empty"],
      ["next", this.#next, "per element: next in chain or free list"],
      ["hashes", this.#hashes, "per element: full key hash"],
      ["keys", this.#keys, `per element: key as ${this.#kw} LE word(s), zero-padded`],
      ["values", this.#values, `per element: ${this.#valueSize} bytes`],
      ["scratch", this.#scratch, "words of the key being looked up"],
    ];
    const lines = [
      `htab (BPF_MAP_TYPE_HASH) seed 0x${this.seed.toString(16).padStart(8, "0")}`,
      `  key_size ${this.#keySize}, value_size ${this.#valueSize}, max_entries ${this.#maxEntries}, n_buckets ${nb}`,
      `  nelems ${this.#nelems}, load ${(this.#nelems / nb).toFixed(2)} per bucket, ` +
      `free ${this.#maxEntries - this.#nelems}, spare e${this.#spare}, free head ` +
      `${this.#freeHead === NIL ? "none" : `e${this.#freeHead}`}`,
      "arrays:",
      ...arrays.map(([name, a, what]) =>
        `  ${name.padEnd(8)} ${a.constructor.name}[${a.length}]`.padEnd(34) +
        `${String(a.byteLength).padStart(10)} B  ${what}`
      ),
      `  total${String(this.memoryUsage()).padStart(39)} B`,
      "chain length histogram (buckets):",
    ];
    let widest = 0;
    for (const n of hist) widest = Math.max(widest, n ?? 0);
    for (let len = 0; len < hist.length; len++) {
      const n = hist[len] ?? 0;
      if (n === 0) continue;
      const bar = "#".repeat(Math.max(1, Math.round((n / widest) * 40)));
      lines.push(`  ${String(len).padStart(3)} | ${bar} ${n}`);
    }
    lines.push(`buckets (first ${DESCRIBE_BUCKETS} non-empty, element index(key hex)):`);
    lines.push(...(shown.length > 0 ? shown : ["  (all empty)"]));
    return lines.join("\n");
  }
}
