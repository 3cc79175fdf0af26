/**
 * {@linkcode Htab}: the fixed-bucket, preallocated hash map modelled on the kernel's
 * `BPF_MAP_TYPE_HASH` (kernel/bpf/hashtab.c).
 *
 * @module
 */

import {
  allocBytes,
  ANY,
  type Batch,
  type BatchOptions,
  type Capabilities,
  checkBatchCount,
  checkKey,
  checkLookup,
  checkOptions,
  checkPresence,
  checkUpdate,
  intOption,
  type IterateOptions,
  type Store,
  StoreBase,
  StoreError,
} from "@kvkit/store";
import {
  fitsKey,
  fitsLookup,
  halfSip1,
  halfSip2,
  halfSipWords,
  hashOption,
  JHASH_INITVAL,
  jhashFinal,
  jhashWords,
  loadWords,
  loadWordsMurmur,
  murmurFinish,
  murmurMix,
  murmurWords,
  randomSeed,
  randomWords,
  seedKey,
  TABLE_HASHES,
  type TableHash,
} from "@kvkit/internal";
import { checkValid } from "./_check_valid.ts";
import { describe } from "./_describe.ts";
import { internals } from "./_internals.ts";

/**
 * The key hash of an {@linkcode Htab}:
 *
 * - `"auto"` (default): MurmurHash3 with the table's seed (the fastest) until an insert finds a
 *   chain of {@linkcode FLOOD_CHAIN} elements, which random keys essentially never make (under
 *   one in a million tables at the largest size) but keys crafted against MurmurHash3 do, at any
 *   seed; the table then re-keys itself, once, to HalfSipHash-1-3 with a random 64-bit key.
 * - `"halfsiphash"`: HalfSipHash-1-3 from the start (the kernel's `hsiphash`): keyed, never
 *   floodable, ~5 ns (8 B keys) to ~25 ns (256 B keys) more per lookup.
 * - `"murmur3"`: MurmurHash3 for life, today's layout for a given seed: floodable by anyone.
 * - `"jhash"`: the kernel's own `htab_map_hash` (jhash2 over the key's words when the key size
 *   is a multiple of 4, else jhash; lookup3) with the seed as `hashrnd`, for life. With
 *   `seed: 0` the table lays out, walks (`nextKey`, `entries`) and batches (keys, cursors,
 *   `ENOSPC` points) exactly as a `BPF_F_ZERO_SEED` kernel map after the same operations: the
 *   fidelity mode, for testing against the kernel or reproducing what it does. NOT
 *   flood-resistant: it never re-keys, and with a known seed anyone can choose keys that share
 *   one chain.
 *
 * @example The kernel's layout: the same walk as a zero-seed kernel map, every time
 * ```ts
 * import { Htab } from "@kvkit/htab";
 * import { u32Key } from "@kvkit/store";
 * import assert from "node:assert/strict";
 *
 * const open = () => new Htab({ keySize: 4, valueSize: 1, maxEntries: 8, hash: "jhash", seed: 0 });
 * const [a, b] = [open(), open()];
 * for (let i = 0; i < 8; i++) a.set(u32Key(i), new Uint8Array([i]));
 * for (let i = 0; i < 8; i++) b.set(u32Key(i), new Uint8Array([i]));
 * assert.equal(a.hash, "jhash");
 * assert.deepEqual([...a.keys()], [...b.keys()]);
 * // A batch cursor past the last bucket is the end of the walk, as in the kernel.
 * assert.equal(a.lookupBatch(u32Key(a.bucketCount), 4).cursor, undefined);
 * ```
 */
export type HtabHash = TableHash | "jhash";

/** The values of {@linkcode HtabHash}. */
export const HTAB_HASHES: readonly HtabHash[] = [...TABLE_HASHES, "jhash"];

/** Options of {@linkcode Htab} (the kernel's map attributes, camelCased). */
export interface HtabOptions {
  /** Key length in bytes, 1..65535 (default 4). */
  keySize: number;
  /** Value length in bytes, 1..2^24 (default 8). */
  valueSize: number;
  /** The most entries (`max_entries`), 1..2^26 (default 1024); also sets the bucket count. */
  maxEntries: number;
  /**
   * The hash seed, a u32 (MurmurHash3's seed, or jhash's `hashrnd`). Default: random per table,
   * like the kernel's `get_random_u32()`; `0` is the kernel's `BPF_F_ZERO_SEED`. Fix it to
   * reproduce a layout (with every `hash`: a re-key then derives its key from the seed), never
   * for keys that come from outside (a known seed makes the hash predictable).
   */
  seed: number;
  /**
   * The key hash (see {@linkcode HtabHash}): `"auto"` (default, MurmurHash3 re-keyed to
   * HalfSipHash-1-3 under a flood), `"halfsiphash"`, `"murmur3"` or `"jhash"` (the kernel's).
   */
  hash: HtabHash;
}

/**
 * With `hash: "auto"`, an insert into a chain already this long re-keys the table to
 * HalfSipHash-1-3 (rhashtable's elasticity, the same bound). The table's load is at most 1
 * (buckets ≥ `maxEntries`), so a chain of 16 random keys has probability about 10^-14 per bucket.
 */
export const FLOOD_CHAIN = 16;

// #fast for a keyed table (see #findKeyed).
const KEYED = -1;
// #fast for a table hashed by the kernel's jhash (see #findJhash).
const JHASH = -2;
// Chain and free-list terminator, and the head of an empty bucket.
const NIL = -1;
// Keys are stored and compared as little-endian 32-bit words of this many bytes.
const WORD_BYTES = 4;
// Values up to this length are copied by a byte loop, which allocates no temporary view.
const SMALL_COPY = 64;
// Largest key length (rhashtable's u16 key_len; the kernel's htab stops at 512).
const KEY_SIZE_MAX = 65535;
// Largest value length.
const VALUE_SIZE_MAX = 1 << 24;
// Largest max_entries; the bucket array then holds 2^26 heads (256 MiB).
const MAX_ENTRIES_MAX = 1 << 26;
// Largest arena in bytes, so every byte offset is an int32.
const ARENA_MAX = 2 ** 31 - 1;
// Width of the batch cursor of a table that never re-keyed: the bucket index as a little-endian
// u32, the kernel's cursor.
const CURSOR_BYTES = 4;
// Width of the batch cursor once the table has re-keyed: the bucket index, then the re-key
// generation it was issued under (both little-endian u32).
const CURSOR_GEN_BYTES = 8;
// #updates wraps here, so it stays a small integer.
const UPDATES_MASK = 0x3fff_ffff;
// Keys are words in host byte order; on a little-endian host their bytes are the key's bytes.
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
// Every option name the constructor reads.
const OPTION_NAMES: readonly (keyof HtabOptions)[] = [
  "keySize",
  "valueSize",
  "maxEntries",
  "seed",
  "hash",
];

// %IteratorPrototype%, which every built-in iterator inherits (map, filter, toArray, ... where
// the runtime has iterator helpers), for the hand-written iterator of entries().
const ITERATOR_PROTOTYPE: object = Object.getPrototypeOf(
  Object.getPrototypeOf([][Symbol.iterator]()),
);

// Where a walk (entries/keys/values) is: the bucket it is in, and that bucket's chain as it was
// when the walk entered it (elements and their keys), so no write - a delete or an update of
// any key, a chain's element reused for another key, a re-key relinking every element - can
// make the walk lose its place.
interface Walk {
  // The re-key generation (#gen) the walk last saw: its bucket numbers are that table's.
  gen: number;
  // -1, or after a re-key mid-walk the old (MurmurHash3) bucket the walk was in: elements whose
  // old bucket is at or below it were walked before the re-key, the others are still to come.
  floor: number;
  // The bucket whose chain is in `chain`; -1 before the first (or after a re-key, while the
  // rest of the old chain is finished).
  bucket: number;
  // The chain's elements after its head (yielded on entering the bucket), in chain order; only
  // `chain[0..length)` is meaningful.
  chain: number[];
  length: number;
  // The next index in `chain` to yield.
  at: number;
  // #updates when `chain` was remembered, or -1 after a re-key. While it is unchanged each
  // remembered element still holds its key, or was freed by a delete (and maybe reused by an
  // insert: an inserted key may be yielded); once an update moved keys between elements, the
  // rest of the chain is found again by key.
  updates: number;
  // The key words of chain[j] at j·kw, or null before a chain of two.
  keys: Int32Array | null;
}

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
 * per entry and keys are hashed from their bytes (MurmurHash3 over words by default, with fast
 * paths for 4- and 8-byte keys; see {@linkcode HtabHash} for the others, the kernel's jhash
 * among them).
 *
 * | operation | cost |
 * | --- | --- |
 * | get / has / getInto / lookup / set / delete | O(key size) expected, O(chain) worst |
 * | nextKey | O(1) within a chain, O(buckets) to the next non-empty bucket |
 * | entries / lookupBatch over the whole table | O(buckets + entries) |
 * | clear | O(max entries) |
 * | memory | 4·buckets + (8 + key words·4 + value size)·(max entries + 1) bytes, fixed |
 *
 * @example A full table refuses new keys, not updates
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
  // How #find reads keys: 4 or 8 for the MurmurHash3 word-compare fast paths, 0 for MurmurHash3
  // over any length, KEYED once the table uses HalfSipHash-1-3, JHASH for the kernel's hash.
  #fast: number;
  readonly #nBuckets: number;
  readonly #mask: number;
  readonly #seed: number;
  // The `hash` option, and whether the seed was given (then a re-key derives its key from it).
  readonly #hashOption: HtabHash;
  readonly #fixedSeed: boolean;
  // Whether keys are hashed by HalfSipHash-1-3 under (#k0, #k1), else by MurmurHash3 or (#jhash)
  // by the kernel's jhash.
  #keyed = false;
  readonly #jhash: boolean;
  // jhash's initial state of a 4- or 8-byte key (JHASH_INITVAL + key size + seed).
  readonly #jinit: number;
  #k0 = 0;
  #k1 = 0;
  // Head element of each bucket's chain, NIL when empty.
  readonly #buckets: Int32Array;
  // Per element: the next element in its chain or on the free list.
  readonly #next: Int32Array;
  // Per element: the full hash of its key, compared before the key.
  readonly #hashes: Int32Array;
  // Per element: the key as #kw little-endian words, the tail zero-padded.
  readonly #keys: Int32Array;
  // The same buffer as bytes: on a little-endian host, element e's key bytes start at e·kw·4.
  readonly #keyBytes: Uint8Array;
  // Per element: the value bytes.
  readonly #values: Uint8Array;
  // The words of the key last hashed by the generic path.
  readonly #scratch: Int32Array;
  #nelems = 0;
  #freeHead = 0;
  #spare = 0;
  // The hash computed by the last #find, reused by set.
  #hash = 0;
  // The chain length the last #find that missed walked: the chain a new key would join.
  #chainLen = 0;
  // How many times the table re-keyed (0 or 1): walks and batch cursors of another generation
  // number their buckets differently.
  #gen = 0;
  // Updates of present keys (mod UPDATES_MASK + 1): an update moves its key to another element,
  // which walks must notice (see Walk.updates).
  #updates = 0;

  static {
    internals.state = (m) => ({
      keySize: m.#keySize,
      valueSize: m.#valueSize,
      maxEntries: m.#maxEntries,
      kw: m.#kw,
      nBuckets: m.#nBuckets,
      mask: m.#mask,
      hashOption: m.#hashOption,
      keyed: m.#keyed,
      nelems: m.#nelems,
      freeHead: m.#freeHead,
      spare: m.#spare,
      buckets: m.#buckets,
      next: m.#next,
      hashes: m.#hashes,
      keys: m.#keys,
      values: m.#values,
      scratch: m.#scratch,
      hashOf: (e) => m.#hashOf(e),
      keyOf: (e) => m.#copyKey(e),
    });
  }

  /**
   * Creates an empty table with all its buckets and elements allocated up front.
   *
   * @param options Key and value sizes, max entries, and an optional fixed seed.
   * @throws {StoreError} `EINVAL` for options that are not an object, an unknown option name or
   * an option out of range, `ENOMEM` when the arrays cannot be allocated.
   */
  constructor(options?: Partial<HtabOptions>) {
    super();
    const opts = checkOptions("htab", options, OPTION_NAMES);
    const keySize = intOption("keySize", opts.keySize, 4, 1, KEY_SIZE_MAX);
    const valueSize = intOption("valueSize", opts.valueSize, 8, 1, VALUE_SIZE_MAX);
    const maxEntries = intOption("maxEntries", opts.maxEntries, 1024, 1, MAX_ENTRIES_MAX);
    const seed = intOption("seed", opts.seed, -1, 0, 0xffff_ffff);
    const hash = hashOption(opts.hash, HTAB_HASHES);
    const kw = Math.ceil(keySize / WORD_BYTES);
    const nElems = maxEntries + 1;
    for (
      const [what, bytes] of [["key", nElems * kw * 4], ["value", nElems * valueSize]] as const
    ) {
      if (bytes > ARENA_MAX) {
        throw new StoreError(
          "EINVAL",
          `${what} arena of ${bytes} bytes (${nElems} elements) exceeds ${ARENA_MAX}`,
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
    this.#fixedSeed = seed !== -1;
    this.#seed = (seed === -1 ? randomSeed() : seed) | 0;
    this.#hashOption = hash;
    this.#jhash = hash === "jhash";
    this.#jinit = (JHASH_INITVAL + keySize + this.#seed) | 0;
    if (this.#jhash) this.#fast = JHASH;
    if (hash === "halfsiphash") this.#useHalfSip();
    try {
      this.#buckets = new Int32Array(this.#nBuckets);
      this.#next = new Int32Array(nElems);
      this.#hashes = new Int32Array(nElems);
      this.#keys = new Int32Array(nElems * kw);
      this.#keyBytes = new Uint8Array(this.#keys.buffer);
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

  /** The MurmurHash3 seed of this table (what a re-key derives its key from when it was given). */
  get seed(): number {
    return this.#seed >>> 0;
  }

  /**
   * The hash the table uses now: `"murmur3"`, `"halfsiphash"` (from the start with
   * `hash: "halfsiphash"`, or after a flood re-keyed an `"auto"` table) or `"jhash"`.
   */
  get hash(): "murmur3" | "halfsiphash" | "jhash" {
    return this.#keyed ? "halfsiphash" : this.#jhash ? "jhash" : "murmur3";
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
        const h = murmurFinish(murmurMix(this.#seed, w) ^ 4);
        this.#hash = h;
        let len = 0;
        for (e = this.#buckets[h & this.#mask]!; e !== NIL; e = next[e]!, len++) {
          if (keys[e] === w) return e;
        }
        this.#chainLen = len;
        return NIL;
      }
      case 8: {
        const w0 = key[0]! | key[1]! << 8 | key[2]! << 16 | key[3]! << 24;
        const w1 = key[4]! | key[5]! << 8 | key[6]! << 16 | key[7]! << 24;
        const h = murmurFinish(murmurMix(murmurMix(this.#seed, w0), w1) ^ 8);
        this.#hash = h;
        let len = 0;
        for (e = this.#buckets[h & this.#mask]!; e !== NIL; e = next[e]!, len++) {
          const o = e << 1;
          if (keys[o] === w0 && keys[o + 1] === w1) return e;
        }
        this.#chainLen = len;
        return NIL;
      }
      case KEYED:
        return this.#findKeyed(key);
      case JHASH:
        return this.#findJhash(key);
      default: {
        const h = this.#hashKey(key);
        this.#hash = h;
        return this.#findWords(h);
      }
    }
  }

  // The element of bucket `h & mask` whose stored hash is `h` and key words are #scratch's.
  #findWords(h: number): number {
    const keys = this.#keys;
    const next = this.#next;
    const hashes = this.#hashes;
    const s = this.#scratch;
    const kw = this.#kw;
    let len = 0;
    for (let e = this.#buckets[h & this.#mask]!; e !== NIL; e = next[e]!, len++) {
      if (hashes[e] !== h) continue;
      const o = e * kw;
      let i = 0;
      while (i < kw && keys[o + i] === s[i]) i++;
      if (i === kw) return e;
    }
    this.#chainLen = len;
    return NIL;
  }

  // #find once the table is keyed (HalfSipHash-1-3): one method for every key size, kept out of
  // #find so the MurmurHash3 paths stay as small (and as inlinable) as before.
  #findKeyed(key: Uint8Array): number {
    const ks = this.#keySize;
    let h: number;
    if (ks === 4) {
      h = halfSip1(key[0]! | key[1]! << 8 | key[2]! << 16 | key[3]! << 24, this.#k0, this.#k1);
    } else if (ks === 8) {
      h = halfSip2(
        key[0]! | key[1]! << 8 | key[2]! << 16 | key[3]! << 24,
        key[4]! | key[5]! << 8 | key[6]! << 16 | key[7]! << 24,
        this.#k0,
        this.#k1,
      );
    } else {
      h = this.#hashKey(key);
    }
    this.#hash = h;
    // The words of the key are in #scratch for the generic sizes; 4 and 8 B keys load them here.
    if (ks === 4 || ks === 8) this.#loadKey(key);
    return this.#findWords(h);
  }

  // #find with the kernel's jhash, apart like #findKeyed. 4- and 8-byte keys are jhash2 of one
  // or two words (the kernel's jhash_1word/jhash_2words computation) compared word by word.
  #findJhash(key: Uint8Array): number {
    const ks = this.#keySize;
    const keys = this.#keys;
    const next = this.#next;
    const i = this.#jinit;
    let len = 0;
    if (ks === 4) {
      const w = key[0]! | key[1]! << 8 | key[2]! << 16 | key[3]! << 24;
      const h = jhashFinal(i + w, i, i);
      this.#hash = h;
      for (let e = this.#buckets[h & this.#mask]!; e !== NIL; e = next[e]!, len++) {
        if (keys[e] === w) return e;
      }
    } else if (ks === 8) {
      const w0 = key[0]! | key[1]! << 8 | key[2]! << 16 | key[3]! << 24;
      const w1 = key[4]! | key[5]! << 8 | key[6]! << 16 | key[7]! << 24;
      const h = jhashFinal(i + w0, i + w1, i);
      this.#hash = h;
      for (let e = this.#buckets[h & this.#mask]!; e !== NIL; e = next[e]!, len++) {
        const o = e << 1;
        if (keys[o] === w0 && keys[o + 1] === w1) return e;
      }
    } else {
      const h = this.#hashKey(key);
      this.#hash = h;
      return this.#findWords(h);
    }
    this.#chainLen = len;
    return NIL;
  }

  // Hashes a key of any length, leaving its words in #scratch.
  #hashKey(key: Uint8Array): number {
    const ks = this.#keySize;
    const s = this.#scratch;
    if (this.#keyed) {
      this.#loadKey(key);
      return halfSipWords(s, 0, this.#kw, ks, this.#k0, this.#k1);
    }
    if (this.#jhash) {
      this.#loadKey(key);
      return jhashWords(s, 0, this.#kw, ks, this.#seed);
    }
    // MurmurHash3 in the same pass as the copy into #scratch.
    return murmurFinish(loadWordsMurmur(key, ks, s, 0, this.#seed) ^ ks);
  }

  // Copies a key into #scratch as little-endian words, the tail zero-padded.
  #loadKey(key: Uint8Array): void {
    loadWords(key, 0, this.#keySize, this.#scratch, 0);
  }

  // The hash of element `e`'s stored key, as #find computes it for that key.
  #hashOf(e: number): number {
    return this.#hashWords(this.#keys, e * this.#kw);
  }

  // The hash of the key whose words are `words[o..o+kw)`, as #find computes it for that key.
  #hashWords(words: Int32Array, o: number): number {
    const kw = this.#kw;
    const ks = this.#keySize;
    if (this.#keyed) return halfSipWords(words, o, kw, ks, this.#k0, this.#k1);
    if (this.#jhash) return jhashWords(words, o, kw, ks, this.#seed);
    return murmurFinish(murmurWords(words, o, kw, this.#seed) ^ ks);
  }

  // The MurmurHash3 of element `e`'s stored key: its hash before the table re-keyed.
  #murmurOf(e: number): number {
    const kw = this.#kw;
    return murmurFinish(murmurWords(this.#keys, e * kw, kw, this.#seed) ^ this.#keySize);
  }

  // The chained element holding the key whose words are `words[o..o+kw)`, or NIL.
  #findStored(words: Int32Array, o: number): number {
    const kw = this.#kw;
    const h = this.#hashWords(words, o);
    const keys = this.#keys;
    const next = this.#next;
    const hashes = this.#hashes;
    for (let e = this.#buckets[h & this.#mask]!; e !== NIL; e = next[e]!) {
      if (hashes[e] !== h) continue;
      const k = e * kw;
      let i = 0;
      while (i < kw && keys[k + i] === words[o + i]) i++;
      if (i === kw) return e;
    }
    return NIL;
  }

  // Switches to HalfSipHash-1-3: a key derived from the seed when one was given (reproducible
  // layouts), else a random one. Chains are not touched (see #rekey).
  #useHalfSip(): void {
    const k = this.#fixedSeed
      ? seedKey(this.#seed, new Int32Array(2))
      : randomWords(new Int32Array(2));
    this.#keyed = true;
    this.#fast = KEYED;
    this.#k0 = k[0]!;
    this.#k1 = k[1]!;
  }

  // The flood response of hash "auto": switch to HalfSipHash-1-3 and relink every element into
  // the bucket its new hash selects. Once per table, O(buckets + entries).
  #rekey(): void {
    this.#useHalfSip();
    this.#gen++;
    const buckets = this.#buckets;
    const next = this.#next;
    const hashes = this.#hashes;
    const mask = this.#mask;
    // All chains joined into one list through `next` (no allocation, so nothing can fail half
    // way), then each element linked into its new bucket.
    let head = NIL;
    let tail = NIL;
    for (let b = 0; b < this.#nBuckets; b++) {
      const e = buckets[b]!;
      if (e === NIL) continue;
      if (head === NIL) head = e;
      else next[tail] = e;
      tail = e;
      while (next[tail] !== NIL) tail = next[tail]!;
    }
    buckets.fill(NIL);
    for (let e = head; e !== NIL;) {
      const after = next[e]!;
      const h = this.#hashOf(e);
      hashes[e] = h;
      next[e] = buckets[h & mask]!;
      buckets[h & mask] = e;
      e = after;
    }
  }

  // Validates a key on the read paths: the cheap test, the full check (which throws) on failure.
  #checkKey(key: Uint8Array): void {
    if (!fitsKey(key, this.#keySize)) checkKey(this.capabilities, key);
  }

  #writeKey(e: number, key: Uint8Array): void {
    loadWords(key, 0, this.#keySize, this.#keys, e * this.#kw);
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

  // Writes element `e`'s key bytes into `out` (keySize bytes).
  #readKey(e: number, out: Uint8Array): Uint8Array {
    const ks = this.#keySize;
    if (LITTLE_ENDIAN) {
      const bytes = this.#keyBytes;
      const o = e * this.#kw * WORD_BYTES;
      for (let i = 0; i < ks; i++) out[i] = bytes[o + i]!;
    } else {
      const keys = this.#keys;
      const base = e * this.#kw;
      for (let i = 0; i < ks; i++) out[i] = keys[base + (i >> 2)]! >>> ((i & 3) << 3);
    }
    return out;
  }

  // Writes element `e`'s value into `out` at `offset`: a byte loop for small values (no
  // temporary view), one set() of a view for long ones.
  #readValue(e: number, out: Uint8Array, offset: number): Uint8Array {
    const vs = this.#valueSize;
    const o = e * vs;
    const values = this.#values;
    if (vs <= SMALL_COPY) {
      for (let i = 0; i < vs; i++) out[offset + i] = values[o + i]!;
    } else {
      out.set(values.subarray(o, o + vs), offset);
    }
    return out;
  }

  // Copies handed out come from the shared slab (allocBytes): a fresh Uint8Array costs several
  // times a lookup under Deno.
  #copyKey(e: number): Uint8Array {
    return this.#readKey(e, allocBytes(this.#keySize));
  }

  #copyValue(e: number): Uint8Array {
    return this.#readValue(e, allocBytes(this.#valueSize), 0);
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

  // Whether element `e` is on the chain of bucket `b`.
  #inChain(b: number, e: number): boolean {
    const next = this.#next;
    let f = this.#buckets[b]!;
    while (f !== NIL && f !== e) f = next[f]!;
    return f === e;
  }

  // A walk before its first step.
  #startWalk(): Walk {
    return {
      gen: this.#gen,
      floor: -1,
      bucket: -1,
      chain: [],
      length: 0,
      at: 0,
      updates: this.#updates,
      keys: null,
    };
  }

  // The walk's next element, or NIL at the end. Each remaining element of the remembered chain
  // is yielded if it is still on that bucket's chain (no update since the chain was
  // remembered), else its remembered key is looked up and yielded where it is now: a deleted key
  // is skipped, deleting other keys of the chain cannot make the walk lose its place, an updated
  // key comes once (from its new element), and an element an update reused for a key already
  // yielded does not bring that key again. Then the walk enters the next non-empty bucket.
  #step(w: Walk): number {
    if (w.gen !== this.#gen) this.#afterRekey(w);
    if (w.at < w.length) {
      const chain = w.chain;
      if (w.updates === this.#updates) {
        do {
          const e = chain[w.at++]!;
          if (this.#inChain(w.bucket, e)) return e;
        } while (w.at < w.length);
      } else {
        const keys = w.keys!;
        const kw = this.#kw;
        do {
          const e = this.#findStored(keys, w.at++ * kw);
          if (e !== NIL) return e;
        } while (w.at < w.length);
      }
    }
    return w.floor < 0 ? this.#enter(w) : this.#enterAfterRekey(w);
  }

  // Moves the walk to the next non-empty bucket and returns its head (yielded at once, so it
  // needs no remembering), remembering the rest of the chain; NIL at the end.
  #enter(w: Walk): number {
    const buckets = this.#buckets;
    const n = this.#nBuckets;
    let b = w.bucket + 1;
    while (b < n && buckets[b] === NIL) b++;
    w.at = 0;
    w.length = 0;
    if (b >= n) {
      w.bucket = n;
      return NIL;
    }
    w.bucket = b;
    const head = buckets[b]!;
    const next = this.#next;
    let e = next[head]!;
    if (e === NIL) return head;
    const chain = w.chain;
    let len = 0;
    for (; e !== NIL; e = next[e]!) chain[len++] = e;
    w.length = len;
    w.updates = this.#updates;
    this.#rememberKeys(w);
    return head;
  }

  // #enter after a re-key mid-walk: only the elements whose old bucket was still ahead.
  #enterAfterRekey(w: Walk): number {
    const buckets = this.#buckets;
    const n = this.#nBuckets;
    const next = this.#next;
    const mask = this.#mask;
    const floor = w.floor;
    const chain = w.chain;
    w.at = 0;
    w.length = 0;
    for (let b = w.bucket + 1; b < n; b++) {
      let head = NIL;
      let len = 0;
      for (let e = buckets[b]!; e !== NIL; e = next[e]!) {
        if ((this.#murmurOf(e) & mask) <= floor) continue;
        if (head === NIL) head = e;
        else chain[len++] = e;
      }
      if (head === NIL) continue;
      w.bucket = b;
      w.length = len;
      w.updates = this.#updates;
      if (len > 0) this.#rememberKeys(w);
      return head;
    }
    w.bucket = n;
    return NIL;
  }

  // Copies the keys of chain[0..length) into the walk, for finding them again after updates.
  #rememberKeys(w: Walk): void {
    const kw = this.#kw;
    const len = w.length;
    let words = w.keys;
    if (words === null || words.length < len * kw) {
      words = w.keys = new Int32Array(roundUpPow2(len) * kw);
    }
    const chain = w.chain;
    const keys = this.#keys;
    for (let j = 0; j < len; j++) {
      const from = chain[j]! * kw;
      const to = j * kw;
      for (let i = 0; i < kw; i++) words[to + i] = keys[from + i]!;
    }
  }

  // The table re-keyed since the walk's last step. Elements did not move, only their links: the
  // rest of the remembered chain is found by key, then every bucket of the new layout is walked
  // keeping only the elements whose old (MurmurHash3) bucket is past the one the walk was in -
  // those before it, and the rest of its own, were covered. A table re-keys at most once, from
  // MurmurHash3 under its seed.
  #afterRekey(w: Walk): void {
    w.gen = this.#gen;
    const b = w.bucket;
    if (b >= this.#nBuckets) return; // the walk had ended
    if (b >= 0) w.floor = b;
    w.bucket = -1;
    w.updates = -1;
  }

  /**
   * Returns a copy of the value of `key`.
   *
   * @param key The key.
   * @returns A copy of the value, or `undefined` when absent.
   * @throws {StoreError} `EINVAL` for a wrong key length.
   *
   * @example Reading a copy
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
   * Copies the value of `key` into `out` at `offset`, allocating nothing (the kernel's
   * `BPF_MAP_LOOKUP_ELEM`, which copies into the caller's buffer): the read path of hot loops.
   * Values up to 64 bytes are copied by a byte loop, longer ones through one temporary view.
   * `out` must have room for `valueSize` bytes at `offset` whether or not the key is present.
   *
   * @param key The key.
   * @param out Where to copy the value.
   * @param offset Where in `out` the value starts (default 0).
   * @param flags `0` (default); `F_LOCK` is `EINVAL` (no locked reads).
   * @returns `true` when the key was present and copied; `false` leaves `out` untouched.
   * @throws {StoreError} `EINVAL` for bad flags, a wrong key length, or no room in `out` at
   * `offset` (checked in that order, as the kernel; `out` untouched).
   *
   * @example Reading into a caller's buffer at an offset
   * ```ts
   * import { Htab } from "@kvkit/htab";
   * import assert from "node:assert/strict";
   *
   * const map = new Htab({ keySize: 8, valueSize: 2 });
   * const key = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]);
   * map.set(key, new Uint8Array([4, 2]));
   * const out = new Uint8Array(4);
   * assert.equal(map.getInto(key, out, 2), true);
   * assert.deepEqual(out, new Uint8Array([0, 0, 4, 2]));
   * assert.throws(() => map.getInto(key, out, 3), { code: "EINVAL" });
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
    if (e === NIL) return false;
    this.#readValue(e, out, offset);
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
   * @example An offset into the value arena
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
   * @example Testing presence
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
   * @example Update flags
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
    if (mode !== ANY) checkPresence(mode, old !== NIL);
    if (old !== NIL) {
      e = this.#spare;
    } else {
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
      this.#updates = (this.#updates + 1) & UPDATES_MASK;
    } else if (this.#chainLen >= FLOOD_CHAIN && !this.#keyed && this.#hashOption === "auto") {
      this.#rekey();
    }
  }

  /**
   * Removes `key`; its element returns to the free list.
   *
   * @param key The key.
   * @returns `false` when the key was absent.
   * @throws {StoreError} `EINVAL` for a wrong key length.
   *
   * @example Deleting twice
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
   * @example Emptying the table
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
   * (repeats), and a re-key (see {@linkcode HtabHash}) relinks every element. To write while
   * walking use {@linkcode Htab.entries} (each key present throughout once, whatever the
   * writes) or {@linkcode Htab.lookupBatch} (whole buckets, `EAGAIN` after a re-key).
   *
   * @param key The previous key, or `undefined` for the first.
   * @returns A copy of the next key, or `undefined` after the last.
   * @throws {StoreError} `EINVAL` for a wrong key length.
   *
   * @example Walking every key
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
   * Every entry in table order, as copies (carved from a shared slab, see `allocBytes`), or
   * with `{ reuse: true }` as one `[key, value]` tuple whose two arrays are overwritten at every
   * step (nothing allocated per entry; copy what you keep).
   *
   * The consumer may delete or update any key during the walk, and an insert may re-key the
   * table (see {@linkcode HtabHash}): every key present throughout is yielded exactly once, a
   * deleted key is never yielded after its deletion, and every key yielded is present when
   * yielded (with its value then). Keys inserted during the walk may or may not be yielded.
   * (The walk remembers the chain of the bucket it is in, and its keys: after an update, which
   * moves its key to another element, the rest of the chain is found again by key; after a
   * re-key, which relinks the elements without moving them, it finishes its chain and then
   * yields only the elements whose old bucket was still ahead.) A `nextKey` walk has none of
   * these guarantees.
   *
   * @param options `reuse: true` yields the same arrays at every step.
   * @returns An iterator of `[key, value]`.
   *
   * @example Summing values without copies, then deleting while walking
   * ```ts
   * import { Htab } from "@kvkit/htab";
   * import { u32Key } from "@kvkit/store";
   * import assert from "node:assert/strict";
   *
   * const map = new Htab({ valueSize: 1 });
   * for (let i = 0; i < 4; i++) map.set(u32Key(i), new Uint8Array([i]));
   * let sum = 0;
   * for (const [, value] of map.entries({ reuse: true })) sum += value[0]!;
   * assert.equal(sum, 6);
   * for (const [key] of map.entries()) map.delete(key);
   * assert.equal(map.size, 0);
   * ```
   */
  entries(options?: IterateOptions): IterableIterator<[Uint8Array, Uint8Array]> {
    // A hand-written iterator, not a generator: measured under Deno it saves ~10 ns of the
    // ~70 ns per entry of a reusing walk. It inherits Iterator.prototype like a generator.
    const w = this.#startWalk();
    const end: IteratorResult<[Uint8Array, Uint8Array]> = { value: undefined, done: true };
    let next: () => IteratorResult<[Uint8Array, Uint8Array]>;
    if (options?.reuse === true) {
      const key = allocBytes(this.#keySize);
      const value = allocBytes(this.#valueSize);
      // One result object too: the consumer gets the same tuple at every step anyway.
      const step: IteratorResult<[Uint8Array, Uint8Array]> = { value: [key, value], done: false };
      next = () => {
        const e = this.#step(w);
        if (e === NIL) return end;
        this.#readKey(e, key);
        this.#readValue(e, value, 0);
        return step;
      };
    } else {
      next = () => {
        const e = this.#step(w);
        if (e === NIL) return end;
        return { value: [this.#copyKey(e), this.#copyValue(e)], done: false };
      };
    }
    return {
      __proto__: ITERATOR_PROTOTYPE,
      next,
      [Symbol.iterator]() {
        return this;
      },
    } as IterableIterator<[Uint8Array, Uint8Array]>;
  }

  /**
   * Every key in table order, as copies, or with `{ reuse: true }` one array overwritten at
   * every step; deletes during the walk as {@linkcode Htab.entries}.
   *
   * @param options `reuse: true` yields the same array at every step.
   * @returns An iterator of keys.
   *
   * @example Walking the keys
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
  override *keys(options?: IterateOptions): IterableIterator<Uint8Array> {
    const w = this.#startWalk();
    const key = options?.reuse === true ? allocBytes(this.#keySize) : undefined;
    for (let e = this.#step(w); e !== NIL; e = this.#step(w)) {
      yield key === undefined ? this.#copyKey(e) : this.#readKey(e, key);
    }
  }

  /**
   * Every value in table order, as copies, or with `{ reuse: true }` one array overwritten at
   * every step.
   *
   * @param options `reuse: true` yields the same array at every step.
   * @returns An iterator of values.
   *
   * @example Walking the values
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
  override *values(options?: IterateOptions): IterableIterator<Uint8Array> {
    const w = this.#startWalk();
    const value = options?.reuse === true ? allocBytes(this.#valueSize) : undefined;
    for (let e = this.#step(w); e !== NIL; e = this.#step(w)) {
      yield value === undefined ? this.#copyValue(e) : this.#readValue(e, value, 0);
    }
  }

  /**
   * Native batch lookup (`BPF_MAP_LOOKUP_BATCH`): copies whole buckets, starting at the bucket
   * the cursor names. A bucket is never split: when the next bucket holds more entries than the
   * room left, the batch stops before it, or fails with `ENOSPC` if nothing was copied yet
   * (retry with a larger count).
   *
   * The cursor of a table that never re-keyed is the kernel's: the bucket index, 4 bytes
   * little-endian. A re-key (`hash: "auto"` under a flood) relinks every element, so bucket
   * numbers name other keys afterwards and a walk across it would skip and repeat keys: once
   * the table has re-keyed its cursors are 8 bytes, the bucket index then the re-key generation
   * (both little-endian u32), and a cursor issued under another generation (a 4-byte one
   * included) is refused with `EAGAIN`: restart from `undefined`. So a walk either returns every
   * key present throughout or ends in `EAGAIN`. Without a re-key, deletes and updates between
   * batches are safe: a key stays in its bucket for life and buckets are returned whole, so each
   * key present throughout comes exactly once; keys inserted meanwhile may or may not. A cursor
   * at or past `bucketCount` (no bucket) is the end of the walk, as the kernel's `ENOENT`.
   *
   * With `hash: "jhash"` and `seed: 0` the keys, their order, the cursors and where `ENOSPC`
   * falls are exactly a `BPF_F_ZERO_SEED` kernel map's after the same operations. One
   * difference is kept: `count` 0 is `EINVAL` (the contract's rule for every store), where the
   * kernel answers success with nothing copied.
   *
   * @param cursor `undefined` to start, else the `cursor` of the previous batch.
   * @param count The most entries to return; a positive integer.
   * @param options `delete: true` removes the returned entries
   * (`BPF_MAP_LOOKUP_AND_DELETE_BATCH`).
   * @returns The entries and the next bucket as cursor, `undefined` when no bucket is left.
   * @throws {StoreError} `EINVAL` for a bad count (0 included, unlike the kernel) or a cursor
   * that is not 4 or 8 bytes; `EAGAIN` for a cursor issued before the table re-keyed; `ENOSPC`
   * when the first bucket holds more than `count` entries.
   *
   * @example Draining the table in batches
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
    checkBatchCount(count);
    let b = 0;
    if (cursor !== undefined) {
      if (
        !(cursor instanceof Uint8Array) ||
        (cursor.length !== CURSOR_BYTES && cursor.length !== CURSOR_GEN_BYTES)
      ) {
        throw new StoreError(
          "EINVAL",
          `batch cursor of length ${(cursor as { length?: unknown })?.length} is not 4 or 8 bytes`,
        );
      }
      b = (cursor[0]! | cursor[1]! << 8 | cursor[2]! << 16 | cursor[3]! << 24) >>> 0;
      // Past the last bucket is the end of the walk, as in the kernel (its ENOENT), whatever the
      // generation: no bucket is left to return in any layout.
      if (b >= this.#nBuckets) return { keys: [], values: [], cursor: undefined };
      // A re-key relinked every element: the cursor's bucket number means other keys now.
      const gen = cursor.length === CURSOR_BYTES
        ? 0
        : (cursor[4]! | cursor[5]! << 8 | cursor[6]! << 16 | cursor[7]! << 24) >>> 0;
      if (gen !== this.#gen) {
        throw new StoreError(
          "EAGAIN",
          `batch cursor of re-key generation ${gen}, the table is at ${this.#gen}; restart`,
        );
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
        const gen = this.#gen;
        const next = allocBytes(gen === 0 ? CURSOR_BYTES : CURSOR_GEN_BYTES);
        next[0] = b & 0xff;
        next[1] = (b >>> 8) & 0xff;
        next[2] = (b >>> 16) & 0xff;
        next[3] = b >>> 24;
        if (gen !== 0) {
          next[4] = gen & 0xff;
          next[5] = (gen >>> 8) & 0xff;
          next[6] = (gen >>> 16) & 0xff;
          next[7] = gen >>> 24;
        }
        return { keys, values, cursor: next };
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
   * The length of every bucket's chain, bucket by bucket: the structure `describe()` draws as a
   * histogram, for tests and tools that need the numbers.
   *
   * @returns One length per bucket (`bucketCount` of them).
   *
   * @example Colliding keys share a chain
   * ```ts
   * import { Htab } from "@kvkit/htab";
   * import { u32Key } from "@kvkit/store";
   * import assert from "node:assert/strict";
   *
   * const map = new Htab({ maxEntries: 4 });
   * for (let i = 0; i < 4; i++) map.set(u32Key(i), new Uint8Array(8));
   * const lengths = map.chainLengths();
   * assert.equal(lengths.length, map.bucketCount);
   * assert.equal(lengths.reduce((a, b) => a + b), 4);
   * ```
   */
  chainLengths(): number[] {
    const lengths: number[] = [];
    const next = this.#next;
    // A cycle (a corrupt table) stops at more links than elements instead of looping.
    const most = this.#maxEntries + 1;
    for (let b = 0; b < this.#nBuckets; b++) {
      let len = 0;
      for (let e = this.#buckets[b]!; e !== NIL && len <= most; e = next[e]!) len++;
      lengths.push(len);
    }
    return lengths;
  }

  /**
   * The bytes of every typed array the table holds; fixed at creation.
   *
   * @returns Bytes of buckets, links, hashes, keys, values and scratch.
   *
   * @example The fixed footprint
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
   * @example Checking the invariants after updates
   * ```ts
   * import { Htab } from "@kvkit/htab";
   * import { u32Key } from "@kvkit/store";
   * import assert from "node:assert/strict";
   *
   * const map = new Htab({ maxEntries: 4 });
   * for (let i = 0; i < 4; i++) map.set(u32Key(i), new Uint8Array(8));
   * assert.doesNotThrow(() => map.checkValid());
   * ```
   */
  checkValid(): void {
    checkValid(this);
  }

  /**
   * Draws the table: sizes, the typed arrays and their bytes, the chain-length histogram and
   * the first non-empty buckets with their chains.
   *
   * @returns Annotated text for the explorer's `dump`.
   *
   * @example Drawing a table
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
    return describe(this);
  }
}
