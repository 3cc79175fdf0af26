/**
 * The qp-trie: an ordered map of variable-length binary keys in two typed-array arenas.
 *
 * @module
 */

import {
  type Capabilities,
  checkKey,
  checkUpdate,
  compareBytes,
  EXIST,
  intOption,
  NOEXIST,
  type Store,
  StoreBase,
  StoreError,
} from "@kvkit/store";
import {
  BITMAP_MASK,
  BRANCH,
  END_BIT,
  FREE,
  INDEX_MASK,
  INDEX_SHIFT,
  MAX_KEY_LENGTH,
  MAX_TWIGS,
  nibbleBit,
  NODE_WORDS,
  popcount,
  POPCOUNT9,
  ROOT,
} from "./_layout.ts";
import { showBytes } from "./_format.ts";

/** Options of {@linkcode QpTrie}. */
export interface QpTrieOptions {
  /** The longest key in bytes, 1..4096 (default 255). Keys are 1..maxKeyLength bytes. */
  maxKeyLength: number;
  /** The value length in bytes, fixed per trie like a BPF map's `value_size`, 0..65536 (default 8). */
  valueSize: number;
  /** The most entries (`max_entries`), a hard limit: a new key past it is `ENOSPC` (default 2^24). */
  maxEntries: number;
}

/**
 * The visitor of {@linkcode QpTrie.scan}: the key is `key[0, keyLength)`; `key` and `value` are
 * reused for the next entry. Return `false` to stop.
 */
export type ScanVisitor = (key: Uint8Array, keyLength: number, value: Uint8Array) => boolean | void;

/** Options of {@linkcode QpTrie.scan}. */
export interface ScanOptions {
  /** Visit only keys that start with these bytes. */
  prefix?: Uint8Array;
  /** Visit only keys at least these bytes (need not be present). */
  from?: Uint8Array;
  /** Copy each key into the visitor's `key` buffer (default `true`); `false` passes lengths only. */
  keys?: boolean;
  /** Copy each value into the visitor's `value` buffer (default `true`). */
  values?: boolean;
}

/** Options of {@linkcode QpTrie.describe}. */
export interface DescribeOptions {
  /** The most lines of tree to draw before truncating (default 64). */
  maxLines?: number;
}

/** Nodes in a new or cleared trie: a few branches' worth. */
const MIN_NODES = 64;
/** Bytes of heap in a new or cleared trie, and the least it grows by. */
const MIN_HEAP = 1024;
/** A moved heap gets live bytes / HEAP_SLACK of room: small slack, still amortised O(1). */
const HEAP_SLACK = 8;
/** Heap space is rounded to this many bytes. */
const HEAP_ALIGN = 64;
/** Records start on 4-byte boundaries so keys compare and copy as int32 words. */
const RECORD_ALIGN = 4;
/** The node arena grows by this factor (a rebuilt one gets the same headroom). */
const NODE_GROWTH = 1.25;
/**
 * An insert that may grow the node arena rebuilds it instead when over 1/INSERT_GARBAGE of the
 * used nodes are free, so an insert-only trie holds at most 1.25 * 4/3 = 1.67x its live nodes.
 */
const INSERT_GARBAGE = 4;
/** Int32Array words are little-endian here (everywhere in practice); else compare bytes. */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
/** The most entries a trie may be created with: node indices and heap offsets stay int32. */
const MAX_ENTRIES = 2 ** 26;
/** The largest fixed value size. */
const MAX_VALUE_SIZE = 65536;

/** Keys this long or longer compare via the scratch copy: one native copy beats building words. */
const SCRATCH_MIN = 16;

function checkBytes(name: string, bytes: Uint8Array, max: number): void {
  if (!(bytes instanceof Uint8Array) || bytes.length > max) {
    throw new StoreError(
      "EINVAL",
      `${name} ${bytes instanceof Uint8Array ? `length ${bytes.length}` : "is not a Uint8Array"}` +
        ` not in 0..${max}`,
    );
  }
}

/**
 * A qp-trie (quadbit popcount patricia trie): an ordered map of keys of 1..`maxKeyLength`
 * bytes to values of a fixed `valueSize`, in big-endian lexicographic order, a key before its
 * own extensions. A branch tests one nibble of the key: its 17-bit bitmap says which nibble
 * values (plus "the key ends here", which sorts first) have a child, and its children sit in a
 * compact block, the child for bit `b` at slot `popcount(bitmap & ((1 << b) - 1))`. Only
 * leaves hold keys. Nodes live in one `Int32Array` (two words each, with a free list per twig
 * block size) and key + value records in one `Uint8Array` heap compacted as it grows, so no
 * JavaScript object exists per entry and {@linkcode QpTrie.memoryUsage} is exact.
 *
 * | operation | cost (k = key length, n = entries) |
 * | --- | --- |
 * | get / has / set / delete | O(k), at most one branch per nibble, typically log16 n |
 * | nextKey (any key, present or not) | O(k + depth) |
 * | longestPrefixOf | O(k) |
 * | iteration | O(1) amortised per entry |
 * | prefix / lower-bound iteration | O(k) to start, then O(1) amortised per entry |
 * | memory | 8 B per leaf + 8 B per branch child + key + value bytes, plus growth slack |
 *
 * @example
 * ```ts
 * import { QpTrie } from "@kvkit/qptrie";
 * import assert from "node:assert/strict";
 *
 * const te = new TextEncoder();
 * const trie = new QpTrie({ valueSize: 1 });
 * for (const [i, word] of ["car", "cart", "cat", "dog"].entries()) {
 *   trie.set(te.encode(word), new Uint8Array([i]));
 * }
 * const td = new TextDecoder();
 * assert.deepEqual([...trie.keysWithPrefix(te.encode("car"))].map((k) => td.decode(k)), ["car", "cart"]);
 * assert.equal(td.decode(trie.nextKey(te.encode("cas"))), "cat");
 * assert.equal(td.decode(trie.longestPrefixOf(te.encode("cartoon"))), "cart");
 * trie.checkValid();
 * ```
 */
export class QpTrie extends StoreBase implements Store {
  /** The catalog name. */
  readonly backend = "qptrie";
  /** Keys 1..maxKeyLength bytes, values exactly valueSize bytes, ordered, full is `ENOSPC`. */
  readonly capabilities: Capabilities;
  readonly #maxKeyLength: number;
  readonly #valueSize: number;
  // The value's bytes in a record, rounded up so the key after it starts on a word.
  readonly #valueSpan: number;
  readonly #maxEntries: number;
  // The node arena: NODE_WORDS int32 words per node, node ROOT first (see _layout.ts).
  #nodes: Int32Array = new Int32Array(MIN_NODES * NODE_WORDS);
  // The first never-used node.
  #nodeTop = 1;
  // Nodes sitting in free twig blocks.
  #freeNodes = 0;
  // The first free twig block of each size 2..17, -1 when none.
  readonly #freeHeads = new Int32Array(MAX_TWIGS + 1).fill(-1);
  // The record heap: per leaf, the value then the key (each padded to a word), appended at
  // #heapTop.
  #heap: Uint8Array = new Uint8Array(MIN_HEAP);
  // The same buffer as words, for comparing and copying keys four bytes at a time.
  #heap32: Int32Array = new Int32Array(this.#heap.buffer);
  #heapTop = 0;
  // Bytes of live records; heapTop - heapLive is garbage left by deletes.
  #heapLive = 0;
  #size = 0;
  // Bumped by every structural change, so iterators know when to re-seek.
  #version = 0;
  // A word-aligned copy of the key being looked up, so it compares four bytes at a time.
  readonly #scratch32: Int32Array;
  readonly #scratch8: Uint8Array;
  // Path scratch of nextKey.
  readonly #frames: number[] = [];

  /**
   * Opens an empty trie.
   *
   * @param options Key length limit, value size and entry limit.
   * @throws {StoreError} `EINVAL` for an option out of range.
   */
  constructor(options: Partial<QpTrieOptions> = {}) {
    super();
    this.#maxKeyLength = intOption("maxKeyLength", options.maxKeyLength, 255, 1, MAX_KEY_LENGTH);
    this.#valueSize = intOption("valueSize", options.valueSize, 8, 0, MAX_VALUE_SIZE);
    this.#valueSpan = (this.#valueSize + RECORD_ALIGN - 1) & ~(RECORD_ALIGN - 1);
    this.#maxEntries = intOption("maxEntries", options.maxEntries, 2 ** 24, 1, MAX_ENTRIES);
    this.#scratch32 = new Int32Array((this.#maxKeyLength >>> 2) + 1);
    this.#scratch8 = new Uint8Array(this.#scratch32.buffer);
    this.capabilities = {
      keySize: { min: 1, max: this.#maxKeyLength },
      valueSize: { min: this.#valueSize, max: this.#valueSize },
      maxEntries: this.#maxEntries,
      ordered: true,
      fullError: "ENOSPC",
      valueTooBig: "EINVAL",
      lock: false,
    };
  }

  /** The number of entries. */
  get size(): number {
    return this.#size;
  }

  /**
   * A copy of the value of `key`.
   *
   * @param key 1..maxKeyLength bytes.
   * @returns The value, or `undefined` when absent.
   * @throws {StoreError} `EINVAL` for a wrong key length.
   *
   * @example
   * ```ts
   * import { QpTrie } from "@kvkit/qptrie";
   * import assert from "node:assert/strict";
   *
   * const trie = new QpTrie({ valueSize: 2 });
   * trie.set(new Uint8Array([1, 2, 3]), new Uint8Array([7, 8]));
   * assert.deepEqual(trie.get(new Uint8Array([1, 2, 3])), new Uint8Array([7, 8]));
   * assert.equal(trie.get(new Uint8Array([1, 2])), undefined);
   * ```
   */
  get(key: Uint8Array): Uint8Array | undefined {
    checkKey(this.capabilities, key);
    const leaf = this.#find(key);
    if (leaf < 0) return undefined;
    const at = this.#nodes[leaf * NODE_WORDS + 1]! - this.#valueSpan;
    return this.#heap.slice(at, at + this.#valueSize);
  }

  /**
   * Copies the value of `key` into `out` without allocating (the hot-loop read path).
   *
   * @param key 1..maxKeyLength bytes.
   * @param out At least valueSize bytes; the value goes to its start.
   * @returns Whether the key was present (`out` is untouched when not).
   * @throws {StoreError} `EINVAL` for a wrong key length or a short `out`.
   *
   * @example
   * ```ts
   * import { QpTrie } from "@kvkit/qptrie";
   * import assert from "node:assert/strict";
   *
   * const trie = new QpTrie({ valueSize: 4 });
   * trie.set(new Uint8Array([9]), new Uint8Array([1, 2, 3, 4]));
   * const out = new Uint8Array(4);
   * assert.ok(trie.getInto(new Uint8Array([9]), out));
   * assert.deepEqual(out, new Uint8Array([1, 2, 3, 4]));
   * ```
   */
  getInto(key: Uint8Array, out: Uint8Array): boolean {
    if (!(key instanceof Uint8Array) || key.length === 0 || key.length > this.#maxKeyLength) {
      checkKey(this.capabilities, key);
    }
    if (!(out instanceof Uint8Array) || out.length < this.#valueSize) this.#checkOut(out);
    const leaf = this.#find(key);
    if (leaf < 0) return false;
    this.#copyValue(leaf, out);
    return true;
  }

  /**
   * Whether `key` is present.
   *
   * @param key 1..maxKeyLength bytes.
   * @returns `true` when present.
   * @throws {StoreError} `EINVAL` for a wrong key length.
   *
   * @example
   * ```ts
   * import { QpTrie } from "@kvkit/qptrie";
   * import assert from "node:assert/strict";
   *
   * const trie = new QpTrie({ valueSize: 0 });
   * trie.set(new Uint8Array([1]), new Uint8Array(0));
   * assert.ok(trie.has(new Uint8Array([1])));
   * assert.ok(!trie.has(new Uint8Array([1, 0])));
   * ```
   */
  has(key: Uint8Array): boolean {
    checkKey(this.capabilities, key);
    return this.#find(key) >= 0;
  }

  /**
   * Creates or updates `key`. Checks, in the kernel's order: flags, key length, value length,
   * `NOEXIST` on a present key (`EEXIST`), `EXIST` on an absent key (`ENOENT`), then a new key
   * in a full trie (`ENOSPC`). The bytes are copied in.
   *
   * @param key 1..maxKeyLength bytes.
   * @param value Exactly valueSize bytes.
   * @param flags `ANY` (default), `NOEXIST` or `EXIST`.
   * @throws {StoreError} `EINVAL`, `EEXIST`, `ENOENT` or `ENOSPC`; the trie is unchanged.
   *
   * @example
   * ```ts
   * import { QpTrie } from "@kvkit/qptrie";
   * import { EXIST, NOEXIST } from "@kvkit/store";
   * import assert from "node:assert/strict";
   *
   * const trie = new QpTrie({ valueSize: 1, maxEntries: 1 });
   * trie.set(new Uint8Array([1]), new Uint8Array([1]), NOEXIST);
   * trie.set(new Uint8Array([1]), new Uint8Array([2]), EXIST);
   * assert.throws(() => trie.set(new Uint8Array([2]), new Uint8Array([1])), { code: "ENOSPC" });
   * assert.throws(() => trie.set(new Uint8Array(0), new Uint8Array([1])), { code: "EINVAL" });
   * ```
   */
  set(key: Uint8Array, value: Uint8Array, flags = 0): void {
    const mode = checkUpdate(this.capabilities, key, value, flags);
    const leaf = this.#find(key);
    if (leaf >= 0) {
      if (mode === NOEXIST) {
        throw new StoreError("EEXIST", `key ${showBytes(key, 0, key.length)} exists`);
      }
      this.#heap.set(value, this.#nodes[leaf * NODE_WORDS + 1]! - this.#valueSpan);
      return;
    }
    if (mode === EXIST) {
      throw new StoreError("ENOENT", `key ${showBytes(key, 0, key.length)} not found`);
    }
    if (this.#size >= this.#maxEntries) {
      throw new StoreError("ENOSPC", `trie is full (maxEntries ${this.#maxEntries})`);
    }
    this.#insert(key, value);
  }

  /**
   * Removes `key`.
   *
   * @param key 1..maxKeyLength bytes.
   * @returns `false` when it was absent.
   * @throws {StoreError} `EINVAL` for a wrong key length.
   *
   * @example
   * ```ts
   * import { QpTrie } from "@kvkit/qptrie";
   * import assert from "node:assert/strict";
   *
   * const trie = new QpTrie({ valueSize: 1 });
   * trie.set(new Uint8Array([5]), new Uint8Array([0]));
   * assert.ok(trie.delete(new Uint8Array([5])));
   * assert.ok(!trie.delete(new Uint8Array([5])));
   * ```
   */
  delete(key: Uint8Array): boolean {
    checkKey(this.capabilities, key);
    if (this.#size === 0) return false;
    const nodes = this.#nodes;
    const len = key.length;
    let n = ROOT;
    let w = nodes[0]!;
    let parent = -1;
    let parentWord = 0;
    let bitMask = 0;
    while ((w & BRANCH) !== 0) {
      const m = 1 << nibbleBit(key, 0, len, (w >>> INDEX_SHIFT) & INDEX_MASK);
      if ((w & m) === 0) return false;
      parent = n;
      parentWord = w;
      bitMask = m;
      n = nodes[n * NODE_WORDS + 1]! + popcount(w & (m - 1));
      w = nodes[n * NODE_WORDS]!;
    }
    if (w !== len || !this.#sameKey(n, key)) return false;
    this.#heapLive -= this.#recordSize(len);
    this.#size--;
    this.#version++;
    if (parent < 0) {
      this.#reset();
      return true;
    }
    const twigs = nodes[parent * NODE_WORDS + 1]!;
    const k = popcount(parentWord & BITMAP_MASK);
    const slot = n - twigs;
    if (k === 2) {
      // The branch is left with one child: the child takes the branch's place.
      const sibling = (twigs + 1 - slot) * NODE_WORDS;
      nodes[parent * NODE_WORDS] = nodes[sibling]!;
      nodes[parent * NODE_WORDS + 1] = nodes[sibling + 1]!;
      this.#freeTwigs(twigs, 2);
    } else {
      const next = this.#allocTwigs(k - 1);
      const ns = this.#nodes;
      ns.copyWithin(next * NODE_WORDS, twigs * NODE_WORDS, n * NODE_WORDS);
      ns.copyWithin((next + slot) * NODE_WORDS, (n + 1) * NODE_WORDS, (twigs + k) * NODE_WORDS);
      this.#freeTwigs(twigs, k);
      ns[parent * NODE_WORDS] = parentWord & ~bitMask;
      ns[parent * NODE_WORDS + 1] = next;
    }
    // Give memory back once most of an arena is garbage; amortised by the deletes it took.
    if (this.#freeNodes > MIN_NODES && this.#freeNodes * 2 > this.#nodeTop) this.#rebuildNodes();
    if (this.#heap.length > MIN_HEAP && this.#heapLive * 4 < this.#heapTop) this.#moveHeap(0);
    return true;
  }

  /**
   * Removes every entry and returns the arenas to their initial size.
   *
   * @example
   * ```ts
   * import { QpTrie } from "@kvkit/qptrie";
   * import assert from "node:assert/strict";
   *
   * const trie = new QpTrie({ valueSize: 1 });
   * trie.set(new Uint8Array([1]), new Uint8Array([1]));
   * trie.clear();
   * assert.equal(trie.size, 0);
   * ```
   */
  clear(): void {
    this.#size = 0;
    this.#version++;
    this.#reset();
  }

  /**
   * The key after `key` in byte order (BPF `get_next_key`), also for a key that is not
   * present: its successor.
   *
   * @param key 1..maxKeyLength bytes, or `undefined` for the first key.
   * @returns A copy of the next key, or `undefined` after the last.
   * @throws {StoreError} `EINVAL` for a wrong key length.
   *
   * @example
   * ```ts
   * import { QpTrie } from "@kvkit/qptrie";
   * import assert from "node:assert/strict";
   *
   * const trie = new QpTrie({ valueSize: 0 });
   * for (const k of [[2], [2, 0], [3]]) trie.set(new Uint8Array(k), new Uint8Array(0));
   * assert.deepEqual(trie.nextKey(), new Uint8Array([2]));
   * assert.deepEqual(trie.nextKey(new Uint8Array([2])), new Uint8Array([2, 0]));
   * assert.deepEqual(trie.nextKey(new Uint8Array([2, 0, 0])), new Uint8Array([3]));
   * assert.equal(trie.nextKey(new Uint8Array([3])), undefined);
   * ```
   */
  nextKey(key?: Uint8Array): Uint8Array | undefined {
    const frames = this.#frames;
    let leaf: number;
    if (key === undefined) {
      frames.length = 0;
      leaf = this.#size === 0 ? -1 : this.#descendMin(ROOT, frames);
    } else {
      checkKey(this.capabilities, key);
      leaf = this.#seek(key, 0, key.length, false, frames);
    }
    return leaf < 0 ? undefined : this.#copyKey(leaf);
  }

  /**
   * The longest stored key that is a prefix of `key` (`key` itself when present).
   *
   * @param key Any bytes; it may be longer than maxKeyLength.
   * @returns A copy of that stored key, or `undefined` when no stored key is a prefix.
   * @throws {StoreError} `EINVAL` when `key` is not a `Uint8Array`.
   *
   * @example
   * ```ts
   * import { QpTrie } from "@kvkit/qptrie";
   * import assert from "node:assert/strict";
   *
   * const te = new TextEncoder();
   * const trie = new QpTrie({ valueSize: 0 });
   * for (const p of ["/", "/usr", "/usr/lib"]) trie.set(te.encode(p), new Uint8Array(0));
   * assert.deepEqual(trie.longestPrefixOf(te.encode("/usr/local")), te.encode("/usr"));
   * assert.deepEqual(trie.longestPrefixOf(te.encode("/usr/lib")), te.encode("/usr/lib"));
   * assert.equal(trie.longestPrefixOf(te.encode("usr")), undefined);
   * ```
   */
  longestPrefixOf(key: Uint8Array): Uint8Array | undefined {
    checkBytes("key", key, Infinity);
    const leaf = this.#longestPrefix(key, 0, key.length);
    return leaf < 0 ? undefined : this.#copyKey(leaf);
  }

  /**
   * The zero-allocation form of {@linkcode QpTrie.longestPrefixOf}: copies the value of the
   * longest stored prefix of `key` into `out` and returns that prefix's length.
   *
   * @param key Any bytes.
   * @param out At least valueSize bytes; untouched when there is no match.
   * @returns The length of the longest stored prefix of `key`, or -1 when none.
   * @throws {StoreError} `EINVAL` when `key` is not a `Uint8Array` or `out` is short.
   *
   * @example
   * ```ts
   * import { QpTrie } from "@kvkit/qptrie";
   * import assert from "node:assert/strict";
   *
   * const trie = new QpTrie({ valueSize: 1 });
   * trie.set(new Uint8Array([10]), new Uint8Array([1]));
   * trie.set(new Uint8Array([10, 1]), new Uint8Array([2]));
   * const out = new Uint8Array(1);
   * assert.equal(trie.longestPrefixInto(new Uint8Array([10, 1, 7]), out), 2);
   * assert.equal(out[0], 2);
   * assert.equal(trie.longestPrefixInto(new Uint8Array([11]), out), -1);
   * ```
   */
  longestPrefixInto(key: Uint8Array, out: Uint8Array): number {
    checkBytes("key", key, Infinity);
    this.#checkOut(out);
    const leaf = this.#longestPrefix(key, 0, key.length);
    if (leaf < 0) return -1;
    this.#copyValue(leaf, out);
    return this.#nodes[leaf * NODE_WORDS]!;
  }

  /**
   * Every entry in key order, as copies. The consumer may delete the entry just yielded (or
   * change the trie in any way): the walk then continues from that key's successor.
   *
   * @returns An iterator of `[key, value]`.
   *
   * @example
   * ```ts
   * import { QpTrie } from "@kvkit/qptrie";
   * import assert from "node:assert/strict";
   *
   * const trie = new QpTrie({ valueSize: 1 });
   * trie.set(new Uint8Array([2]), new Uint8Array([20]));
   * trie.set(new Uint8Array([1, 9]), new Uint8Array([19]));
   * assert.deepEqual([...trie.entries()], [
   *   [new Uint8Array([1, 9]), new Uint8Array([19])],
   *   [new Uint8Array([2]), new Uint8Array([20])],
   * ]);
   * ```
   */
  entries(): IterableIterator<[Uint8Array, Uint8Array]> {
    return this.#iterate(
      undefined,
      undefined,
      (leaf) => [this.#copyKey(leaf), this.#valueOf(leaf)],
    );
  }

  /**
   * Every key in order, as copies.
   *
   * @returns An iterator of keys.
   *
   * @example
   * ```ts
   * import { QpTrie } from "@kvkit/qptrie";
   * import assert from "node:assert/strict";
   *
   * const trie = new QpTrie({ valueSize: 0 });
   * trie.set(new Uint8Array([1, 0]), new Uint8Array(0));
   * trie.set(new Uint8Array([1]), new Uint8Array(0));
   * assert.deepEqual([...trie.keys()], [new Uint8Array([1]), new Uint8Array([1, 0])]);
   * ```
   */
  override keys(): IterableIterator<Uint8Array> {
    return this.#iterate(undefined, undefined, (leaf) => this.#copyKey(leaf));
  }

  /**
   * Every value in key order, as copies.
   *
   * @returns An iterator of values.
   *
   * @example
   * ```ts
   * import { QpTrie } from "@kvkit/qptrie";
   * import assert from "node:assert/strict";
   *
   * const trie = new QpTrie({ valueSize: 1 });
   * trie.set(new Uint8Array([2]), new Uint8Array([2]));
   * trie.set(new Uint8Array([1]), new Uint8Array([1]));
   * assert.deepEqual([...trie.values()], [new Uint8Array([1]), new Uint8Array([2])]);
   * ```
   */
  override values(): IterableIterator<Uint8Array> {
    return this.#iterate(undefined, undefined, (leaf) => this.#valueOf(leaf));
  }

  /**
   * The entries whose key starts with `prefix`, in order.
   *
   * @param prefix 0..maxKeyLength bytes (empty: every entry).
   * @returns An iterator of `[key, value]` copies.
   * @throws {StoreError} `EINVAL` for a prefix longer than maxKeyLength.
   *
   * @example
   * ```ts
   * import { QpTrie } from "@kvkit/qptrie";
   * import assert from "node:assert/strict";
   *
   * const trie = new QpTrie({ valueSize: 1 });
   * for (const k of [[1], [1, 2], [1, 3], [2]]) trie.set(new Uint8Array(k), new Uint8Array([k.length]));
   * assert.deepEqual([...trie.entriesWithPrefix(new Uint8Array([1]))].map(([k]) => [...k]), [[1], [1, 2], [1, 3]]);
   * ```
   */
  entriesWithPrefix(prefix: Uint8Array): IterableIterator<[Uint8Array, Uint8Array]> {
    checkBytes("prefix", prefix, this.#maxKeyLength);
    const p = new Uint8Array(prefix);
    return this.#iterate(p, p, (leaf) => [this.#copyKey(leaf), this.#valueOf(leaf)]);
  }

  /**
   * The keys that start with `prefix`, in order.
   *
   * @param prefix 0..maxKeyLength bytes (empty: every key).
   * @returns An iterator of key copies.
   * @throws {StoreError} `EINVAL` for a prefix longer than maxKeyLength.
   *
   * @example
   * ```ts
   * import { QpTrie } from "@kvkit/qptrie";
   * import assert from "node:assert/strict";
   *
   * const te = new TextEncoder();
   * const trie = new QpTrie({ valueSize: 0 });
   * for (const w of ["tea", "ted", "ten", "to"]) trie.set(te.encode(w), new Uint8Array(0));
   * assert.equal([...trie.keysWithPrefix(te.encode("te"))].length, 3);
   * ```
   */
  keysWithPrefix(prefix: Uint8Array): IterableIterator<Uint8Array> {
    checkBytes("prefix", prefix, this.#maxKeyLength);
    const p = new Uint8Array(prefix);
    return this.#iterate(p, p, (leaf) => this.#copyKey(leaf));
  }

  /**
   * The entries whose key is at least `lowerBound`, in order.
   *
   * @param lowerBound 0..maxKeyLength bytes; it need not be present.
   * @returns An iterator of `[key, value]` copies.
   * @throws {StoreError} `EINVAL` for a bound longer than maxKeyLength.
   *
   * @example
   * ```ts
   * import { QpTrie } from "@kvkit/qptrie";
   * import assert from "node:assert/strict";
   *
   * const trie = new QpTrie({ valueSize: 0 });
   * for (const k of [1, 3, 5]) trie.set(new Uint8Array([k]), new Uint8Array(0));
   * assert.deepEqual([...trie.entriesFrom(new Uint8Array([2]))].map(([k]) => k[0]), [3, 5]);
   * ```
   */
  entriesFrom(lowerBound: Uint8Array): IterableIterator<[Uint8Array, Uint8Array]> {
    checkBytes("lowerBound", lowerBound, this.#maxKeyLength);
    return this.#iterate(
      new Uint8Array(lowerBound),
      undefined,
      (leaf) => [this.#copyKey(leaf), this.#valueOf(leaf)],
    );
  }

  /**
   * The keys that are at least `lowerBound`, in order.
   *
   * @param lowerBound 0..maxKeyLength bytes; it need not be present.
   * @returns An iterator of key copies.
   * @throws {StoreError} `EINVAL` for a bound longer than maxKeyLength.
   *
   * @example
   * ```ts
   * import { QpTrie } from "@kvkit/qptrie";
   * import assert from "node:assert/strict";
   *
   * const trie = new QpTrie({ valueSize: 0 });
   * for (const k of [1, 3, 5]) trie.set(new Uint8Array([k]), new Uint8Array(0));
   * assert.deepEqual([...trie.keysFrom(new Uint8Array([3]))].map((k) => k[0]), [3, 5]);
   * ```
   */
  keysFrom(lowerBound: Uint8Array): IterableIterator<Uint8Array> {
    checkBytes("lowerBound", lowerBound, this.#maxKeyLength);
    return this.#iterate(new Uint8Array(lowerBound), undefined, (leaf) => this.#copyKey(leaf));
  }

  /**
   * Visits entries in key order without allocating per entry - the fast form of
   * {@linkcode QpTrie.entries}. The visitor gets the key in `key[0, keyLength)` and the value in
   * `value`; both buffers are reused for the next entry, so copy what you keep. Return `false`
   * to stop. The visitor may change the trie: the scan then continues from the key's successor.
   *
   * @param visit Called once per entry, in order.
   * @param options `prefix`: only keys starting with it; `from`: only keys at least it.
   * @returns The number of entries visited.
   * @throws {StoreError} `EINVAL` for a prefix or bound longer than maxKeyLength.
   *
   * @example
   * ```ts
   * import { QpTrie } from "@kvkit/qptrie";
   * import assert from "node:assert/strict";
   *
   * const te = new TextEncoder();
   * const td = new TextDecoder();
   * const trie = new QpTrie({ valueSize: 1 });
   * for (const [i, w] of ["ant", "bee", "bug", "cat"].entries()) trie.set(te.encode(w), new Uint8Array([i]));
   * const seen: string[] = [];
   * trie.scan((key, length, value) => {
   *   seen.push(`${td.decode(key.subarray(0, length))}=${value[0]}`);
   * }, { prefix: te.encode("b") });
   * assert.deepEqual(seen, ["bee=1", "bug=2"]);
   * ```
   */
  scan(visit: ScanVisitor, options: ScanOptions = {}): number {
    const { prefix, from } = options;
    if (prefix !== undefined) checkBytes("prefix", prefix, this.#maxKeyLength);
    if (from !== undefined) checkBytes("from", from, this.#maxKeyLength);
    // The start: the later of the prefix and the lower bound.
    const start = prefix === undefined
      ? from
      : from === undefined || compareBytes(prefix, from) >= 0
      ? prefix
      : from;
    const p = prefix && new Uint8Array(prefix);
    const copyKeys = options.keys !== false;
    const copyValues = options.values !== false;
    // Whole groups of four words, so the copy loop can be unrolled.
    const keyWords = new Int32Array(((this.#maxKeyLength + 15) >>> 4) << 2);
    const key = new Uint8Array(keyWords.buffer);
    const span = this.#valueSpan;
    // Values of whole words copy as words (the value span starts each record, aligned).
    const valueWords = (this.#valueSize & 3) === 0
      ? new Int32Array(this.#valueSize >>> 2)
      : undefined;
    const value = valueWords === undefined
      ? new Uint8Array(this.#valueSize)
      : new Uint8Array(valueWords.buffer);
    // The path above the current twig block, one triple per level: the twig taken, the end of
    // its block and the bytes all keys below share (the branch's nibble index / 2). The
    // current block itself lives in `cur`, `curEnd` and `curShared`.
    const depth = 2 * this.#maxKeyLength + 2;
    const stack = new Int32Array(depth * 3);
    const frames: number[] = [];
    let top = 0;
    let nodes = this.#nodes;
    let cur = start === undefined
      ? (this.#size === 0 ? -1 : this.#descendMin(ROOT, frames))
      : this.#seek(start, 0, start.length, true, frames);
    let curEnd = 0;
    let curShared = 0;
    let version = this.#version;
    let count = 0;
    // Key bytes below `same` equal the previous key's: consecutive keys share their prefix
    // up to the branch where the walk turned, so only the rest is copied.
    let same = 0;
    const vs = this.#valueSize;
    let heap = this.#heap;
    let heap32 = this.#heap32;
    while (cur >= 0) {
      // A fresh seek: load its (branch, slot) path into the stacks, copy the whole key.
      top = 0;
      curEnd = cur + 1;
      curShared = 0;
      for (let f = 0; f < frames.length; f += 2) {
        const b = frames[f]!;
        const w = nodes[b * NODE_WORDS]!;
        const base = nodes[b * NODE_WORDS + 1]!;
        if (f > 0) {
          stack[top] = cur;
          stack[top + 1] = curEnd;
          stack[top + 2] = curShared;
          top += 3;
        }
        curShared = ((w >>> INDEX_SHIFT) & INDEX_MASK) >>> 1;
        cur = base + frames[f + 1]!;
        curEnd = base + popcount(w & BITMAP_MASK);
      }
      frames.length = 0;
      same = 0;
      heap = this.#heap;
      heap32 = this.#heap32;
      for (;;) {
        // `cur` is a leaf.
        const len = nodes[cur * NODE_WORDS]!;
        const rec = nodes[cur * NODE_WORDS + 1]!;
        if (!copyKeys) {
          // The visitor reads lengths only.
        } else if (LITTLE_ENDIAN) {
          const first = rec >>> 2;
          const words = (len + 3) >>> 2;
          // Past the record's end the words are other records' or zero; they land in the
          // unused tail of `key`.
          for (let i = (same >>> 4) << 2; i < words; i += 4) {
            keyWords[i] = heap32[first + i]!;
            keyWords[i + 1] = heap32[first + i + 1]!;
            keyWords[i + 2] = heap32[first + i + 2]!;
            keyWords[i + 3] = heap32[first + i + 3]!;
          }
        } else {
          key.set(heap.subarray(rec + same, rec + len), same);
        }
        if (p !== undefined) {
          if (len < p.length) return count;
          let j = copyKeys ? same : 0;
          while (j < p.length && heap[rec + j] === p[j]) j++;
          if (j < p.length) return count;
        }
        if (!copyValues) {
          // The visitor reads keys only.
        } else if (valueWords !== undefined) {
          const first = (rec - span) >>> 2;
          for (let i = 0; i < valueWords.length; i++) valueWords[i] = heap32[first + i]!;
        } else {
          for (let j = 0; j < vs; j++) value[j] = heap[rec - span + j]!;
        }
        count++;
        if (visit(key, len, value) === false) return count;
        if (this.#version !== version) {
          // The visitor changed the trie: seek the successor of the key it was given.
          version = this.#version;
          nodes = this.#nodes;
          cur = copyKeys
            ? this.#seek(key, 0, len, false, frames)
            : this.#seek(heap, rec, len, false, frames);
          break;
        }
        // The next twig: a sibling in the current block, else one in an ancestor's.
        if (++cur < curEnd) {
          same = curShared;
        } else {
          for (;;) {
            if (top === 0) return count;
            top -= 3;
            cur = stack[top]! + 1;
            curEnd = stack[top + 1]!;
            curShared = stack[top + 2]!;
            if (cur < curEnd) break;
          }
          same = curShared;
        }
        // Down to its first leaf.
        let w = nodes[cur * NODE_WORDS]!;
        while ((w & BRANCH) !== 0) {
          stack[top] = cur;
          stack[top + 1] = curEnd;
          stack[top + 2] = curShared;
          top += 3;
          const base = nodes[cur * NODE_WORDS + 1]!;
          curShared = ((w >>> INDEX_SHIFT) & INDEX_MASK) >>> 1;
          cur = base;
          curEnd = base + popcount(w & BITMAP_MASK);
          w = nodes[cur * NODE_WORDS]!;
        }
      }
    }
    return count;
  }

  /**
   * The bytes of the arenas: node array, record heap, free-list heads and the key scratch,
   * slack included.
   *
   * @returns Bytes held.
   *
   * @example
   * ```ts
   * import { QpTrie } from "@kvkit/qptrie";
   * import assert from "node:assert/strict";
   *
   * const trie = new QpTrie();
   * const empty = trie.memoryUsage();
   * for (let i = 0; i < 1000; i++) trie.set(new Uint8Array([i >> 8, i & 255]), new Uint8Array(8));
   * assert.ok(trie.memoryUsage() > empty);
   * ```
   */
  memoryUsage(): number {
    return this.#nodes.byteLength + this.#heap.byteLength + this.#freeHeads.byteLength +
      this.#scratch32.byteLength;
  }

  /**
   * Draws the trie: arena usage, then the tree with each branch's nibble index, bitmap and
   * slots, and each leaf's key and value, truncated after `maxLines` lines.
   *
   * @param options `maxLines` (default 64).
   * @returns The drawing.
   *
   * @example
   * ```ts
   * import { QpTrie } from "@kvkit/qptrie";
   * import assert from "node:assert/strict";
   *
   * const te = new TextEncoder();
   * const trie = new QpTrie({ valueSize: 1 });
   * trie.set(te.encode("ab"), new Uint8Array([1]));
   * trie.set(te.encode("ac"), new Uint8Array([2]));
   * const text = trie.describe();
   * assert.match(text, /branch #0 nibble 3 \(byte 1 lo\)/);
   * assert.match(text, /leaf #\d+ "ab"/);
   * ```
   */
  describe(options: DescribeOptions = {}): string {
    const maxLines = options.maxLines ?? 64;
    const nodes = this.#nodes;
    const used = this.#nodeTop - this.#freeNodes;
    const lines = [
      `qptrie: ${this.#size} keys (maxEntries ${this.#maxEntries}), keys 1..${this.#maxKeyLength} B,` +
      ` values ${this.#valueSize} B, ${this.memoryUsage()} B`,
      `nodes: ${used} used + ${this.#freeNodes} free of ${nodes.length / NODE_WORDS}` +
      ` (${nodes.byteLength} B, 8 B each: branch = flag|nibble index|17-bit bitmap, twigs;` +
      ` leaf = key length, key offset)`,
      `heap: ${this.#heapLive} B live + ${this.#heapTop - this.#heapLive} B garbage of` +
      ` ${this.#heap.length} B (records: value, then key, each padded to 4 B)`,
    ];
    if (this.#size === 0) {
      lines.push("(empty)");
      return lines.join("\n");
    }
    const slotName = (bit: number): string => bit === END_BIT ? "end" : (bit - 1).toString(16);
    let shown = 0;
    let hidden = 0;
    // Depth-first, children in order: [node, depth, slot label].
    const stack: [number, number, string][] = [[ROOT, 0, ""]];
    while (stack.length > 0) {
      const [n, depth, label] = stack.pop()!;
      const w = nodes[n * NODE_WORDS]!;
      const isBranch = (w & BRANCH) !== 0;
      if (shown >= maxLines) {
        hidden++;
      } else {
        shown++;
        const pad = "  ".repeat(depth) + label;
        if (isBranch) {
          const i = (w >>> INDEX_SHIFT) & INDEX_MASK;
          const bitmap = w & BITMAP_MASK;
          const slots: string[] = [];
          for (let b = 0; b <= 16; b++) if ((bitmap & (1 << b)) !== 0) slots.push(slotName(b));
          lines.push(
            `${pad}branch #${n} nibble ${i} (byte ${i >>> 1} ${(i & 1) === 0 ? "hi" : "lo"})` +
              ` bitmap ${bitmap.toString(2).padStart(17, "0")} slots [${slots.join(" ")}]` +
              ` twigs #${nodes[n * NODE_WORDS + 1]}`,
          );
        } else {
          const rec = nodes[n * NODE_WORDS + 1]!;
          const value = this.#valueSize === 0
            ? ""
            : ` = ${showBytes(this.#heap, rec - this.#valueSpan, this.#valueSize, 8)}`;
          lines.push(`${pad}leaf #${n} ${showBytes(this.#heap, rec, w)} (${w} B @${rec})${value}`);
        }
      }
      if (isBranch) {
        const twigs = nodes[n * NODE_WORDS + 1]!;
        const bitmap = w & BITMAP_MASK;
        let slot = popcount(bitmap) - 1;
        for (let b = 16; b >= 0; b--) {
          if ((bitmap & (1 << b)) === 0) continue;
          stack.push([twigs + slot, depth + 1, `[${slotName(b)}] `]);
          slot--;
        }
      }
    }
    if (hidden > 0) lines.push(`... ${hidden} more nodes`);
    return lines.join("\n");
  }

  /**
   * Walks the whole structure and throws when an invariant does not hold: every branch has
   * 2..17 children and a nibble index above its parent's; the child in slot `b` holds only keys
   * whose nibble selects bit `b` and which agree with their siblings on every earlier nibble;
   * an end-of-key child is a leaf exactly `index / 2` bytes long; keys are 1..maxKeyLength
   * bytes, strictly ascending in walk order and `size` of them; records do not overlap and
   * account for the live heap bytes; every node is either in the tree or in exactly one free
   * block. For tests (O(n log n)).
   *
   * @throws {Error} Naming the first broken invariant.
   *
   * @example
   * ```ts
   * import { QpTrie } from "@kvkit/qptrie";
   *
   * const trie = new QpTrie({ valueSize: 1 });
   * for (let i = 0; i < 50; i++) trie.set(new Uint8Array([i % 7, i]), new Uint8Array([i]));
   * trie.checkValid();
   * ```
   */
  checkValid(): void {
    const fail = (what: string): never => {
      throw new Error(`qptrie invariant broken: ${what}`);
    };
    const nodes = this.#nodes;
    const heap = this.#heap;
    const top = this.#nodeTop;
    const span = this.#valueSpan;
    if (top < 1 || top * NODE_WORDS > nodes.length) fail(`node top ${top} outside the arena`);
    if (this.#heapTop > heap.length || this.#heapLive > this.#heapTop || this.#heapLive < 0) {
      fail(`heap top ${this.#heapTop} / live ${this.#heapLive} / length ${heap.length}`);
    }
    const owner = new Uint8Array(top);
    owner[ROOT] = 1;
    const claim = (base: number, k: number, what: string): void => {
      if (base < 1 || base + k > top) fail(`${what} block #${base}+${k} outside 1..${top}`);
      for (let i = base; i < base + k; i++) {
        if (owner[i] !== 0) fail(`node #${i} claimed twice (${what})`);
        owner[i] = 1;
      }
    };
    // Free lists.
    let free = 0;
    for (let k = 0; k <= MAX_TWIGS; k++) {
      let steps = 0;
      for (let b = this.#freeHeads[k]!; b !== -1; b = nodes[b * NODE_WORDS + 1]!) {
        if (k < 2) fail(`free list of size ${k} is not empty`);
        claim(b, k, "free");
        if (nodes[b * NODE_WORDS] !== (FREE | k)) fail(`free block #${b} not marked FREE|${k}`);
        free += k;
        if (++steps > top) fail(`free list ${k} loops`);
      }
    }
    if (free !== this.#freeNodes) fail(`free nodes ${free} but counted ${this.#freeNodes}`);
    if (this.#size === 0) {
      if (top - 1 !== free) fail(`empty trie holds ${top - 1 - free} nodes`);
      if (this.#heapLive !== 0) fail(`empty trie has ${this.#heapLive} live heap bytes`);
      return;
    }
    // The tree, depth first in key order. Each frame: node, parent's nibble index.
    const records: [number, number][] = [];
    let leaves = 0;
    let prevRec = -1;
    let prevLen = 0;
    const leafKey = (n: number): [number, number] => {
      const len = nodes[n * NODE_WORDS]!;
      const rec = nodes[n * NODE_WORDS + 1]!;
      if (len < 1 || len > this.#maxKeyLength) fail(`leaf #${n} key length ${len}`);
      if (rec < span || rec % RECORD_ALIGN !== 0 || rec + len > this.#heapTop) {
        fail(`leaf #${n} record @${rec} misaligned or past heap top`);
      }
      return [rec, len];
    };
    // The first leaf under n (any leaf represents a subtree's shared nibbles).
    const firstLeaf = (n: number): number => {
      let w = nodes[n * NODE_WORDS]!;
      while ((w & BRANCH) !== 0) {
        n = nodes[n * NODE_WORDS + 1]!;
        w = nodes[n * NODE_WORDS]!;
      }
      return n;
    };
    const stack: [number, number][] = [[ROOT, -1]];
    while (stack.length > 0) {
      const [n, parentIndex] = stack.pop()!;
      const w = nodes[n * NODE_WORDS]!;
      if ((w & BRANCH) === 0) {
        if ((w & FREE) !== 0) fail(`free block #${n} is in the tree`);
        const [rec, len] = leafKey(n);
        if (prevRec >= 0) {
          let i = 0;
          const m = Math.min(prevLen, len);
          while (i < m && heap[prevRec + i] === heap[rec + i]) i++;
          const ordered = i < m ? heap[prevRec + i]! < heap[rec + i]! : prevLen < len;
          if (!ordered) fail(`leaf #${n} ${showBytes(heap, rec, len)} out of order`);
        }
        prevRec = rec;
        prevLen = len;
        records.push([rec - span, this.#recordSize(len)]);
        leaves++;
        continue;
      }
      const index = (w >>> INDEX_SHIFT) & INDEX_MASK;
      const bitmap = w & BITMAP_MASK;
      const k = popcount(bitmap);
      if (k < 2) fail(`branch #${n} has ${k} children`);
      if (index <= parentIndex) {
        fail(`branch #${n} nibble ${index} not below parent's ${parentIndex}`);
      }
      if ((w & ~(BRANCH | (INDEX_MASK << INDEX_SHIFT) | BITMAP_MASK)) !== 0) {
        fail(`branch #${n} word 0 has stray bits`);
      }
      const twigs = nodes[n * NODE_WORDS + 1]!;
      claim(twigs, k, `twigs of #${n}`);
      const [repRec, repLen] = leafKey(firstLeaf(n));
      let slot = 0;
      for (let b = 0; b <= 16; b++) {
        if ((bitmap & (1 << b)) === 0) continue;
        const child = twigs + slot++;
        const [rec, len] = leafKey(firstLeaf(child));
        if (nibbleBit(heap, rec, len, index) !== b) {
          fail(`child #${child} of branch #${n} in slot ${b} holds a key selecting another slot`);
        }
        for (let i = 0; i < index; i++) {
          if (nibbleBit(heap, rec, len, i) !== nibbleBit(heap, repRec, repLen, i)) {
            fail(
              `child #${child} of branch #${n} differs from its siblings before nibble ${index}`,
            );
          }
        }
        if (b === END_BIT && (nodes[child * NODE_WORDS]! !== index / 2)) {
          fail(`end-of-key child #${child} of branch #${n} is not a leaf of ${index / 2} B`);
        }
      }
      for (let s = k - 1; s >= 0; s--) stack.push([twigs + s, index]);
    }
    if (leaves !== this.#size) fail(`${leaves} leaves but size ${this.#size}`);
    for (let i = 1; i < top; i++) if (owner[i] === 0) fail(`node #${i} leaked`);
    records.sort((a, b) => a[0] - b[0]);
    let live = 0;
    let end = 0;
    for (const [rec, bytes] of records) {
      if (rec < end) fail(`record @${rec} overlaps the one before`);
      end = rec + bytes;
      live += bytes;
    }
    if (live !== this.#heapLive) fail(`records hold ${live} B but live heap is ${this.#heapLive}`);
  }

  // ---- internals ----

  // The leaf of `key`, or -1. The caller has checked the key's length.
  #find(key: Uint8Array): number {
    if (this.#size === 0) return -1;
    const nodes = this.#nodes;
    const pop = POPCOUNT9;
    const len = key.length;
    let n = ROOT;
    let w = nodes[0]!;
    while ((w & BRANCH) !== 0) {
      const i = (w >>> INDEX_SHIFT) & INDEX_MASK;
      const b = i >>> 1;
      // Branch-free nibble pick (even index: high nibble); a key too short selects END_BIT.
      const m = b < len ? 2 << ((key[b]! >>> ((~i & 1) << 2)) & 15) : 1 << END_BIT;
      if ((w & m) === 0) return -1;
      // The slot: set bits below m, counted by table (bitmaps are 17 bits).
      const below = w & (m - 1);
      n = nodes[n * NODE_WORDS + 1]! + pop[below & 0x1ff]! + pop[(below >>> 9) & 0xff]!;
      w = nodes[n * NODE_WORDS]!;
    }
    if (w !== len) return -1;
    const rec = nodes[n * NODE_WORDS + 1]!;
    if (!LITTLE_ENDIAN) {
      const heap = this.#heap;
      for (let j = 0; j < len; j++) if (heap[rec + j] !== key[j]) return -1;
      return n;
    }
    // Four bytes of the key against one word of the record; the tail word is masked, as the
    // bytes past the key are padding (and, in the scratch, an earlier key's bytes).
    const heap32 = this.#heap32;
    let p = rec >>> 2;
    const words = len >>> 2;
    let tail: number;
    if (len >= SCRATCH_MIN) {
      // A native copy into the aligned scratch, then whole words on both sides.
      const scratch = this.#scratch32;
      this.#scratch8.set(key);
      for (let q = 0; q < words; q++, p++) if (heap32[p] !== scratch[q]) return -1;
      tail = scratch[words]!;
    } else {
      let j = 0;
      for (; j < words * 4; j += 4, p++) {
        if (heap32[p] !== (key[j]! | key[j + 1]! << 8 | key[j + 2]! << 16 | key[j + 3]! << 24)) {
          return -1;
        }
      }
      tail = 0;
      if (j < len) tail = key[j]!;
      if (j + 1 < len) tail |= key[j + 1]! << 8;
      if (j + 2 < len) tail |= key[j + 2]! << 16;
    }
    const rest = len & 3;
    if (rest !== 0 && ((heap32[p]! ^ tail) & ((1 << (rest * 8)) - 1)) !== 0) return -1;
    return n;
  }

  #recordSize(keyLength: number): number {
    return this.#valueSpan + ((keyLength + RECORD_ALIGN - 1) & ~(RECORD_ALIGN - 1));
  }

  #sameKey(leaf: number, key: Uint8Array): boolean {
    const heap = this.#heap;
    const rec = this.#nodes[leaf * NODE_WORDS + 1]!;
    for (let j = 0; j < key.length; j++) if (heap[rec + j] !== key[j]) return false;
    return true;
  }

  #insert(key: Uint8Array, value: Uint8Array): void {
    const len = key.length;
    const size = this.#recordSize(len);
    // Leaves point at the key; the value sits in the aligned span before it.
    const rec = this.#allocRecord(size) + this.#valueSpan;
    const heap = this.#heap;
    heap.set(value, rec - this.#valueSpan);
    heap.set(key, rec);
    this.#heapLive += size;
    this.#version++;
    if (this.#size++ === 0) {
      this.#nodes[0] = len;
      this.#nodes[1] = rec;
      return;
    }
    // Growing a branch frees its old twig block, and blocks of sizes no branch grows into again
    // pile up (in an insert-only trie, most of the arena). So when this insert may have to grow
    // the arena and much of it is garbage, rebuild instead: before the walk, as a rebuild moves
    // every twig block. The rebuilt arena has a quarter of headroom, which takes at least
    // live / 68 inserts to use up (each takes at most MAX_TWIGS nodes): amortised O(1).
    if (
      (this.#nodeTop + MAX_TWIGS) * NODE_WORDS > this.#nodes.length &&
      this.#freeNodes > MIN_NODES && this.#freeNodes * INSERT_GARBAGE > this.#nodeTop
    ) this.#rebuildNodes();
    let nodes = this.#nodes;
    // Any leaf reached by following the key's nibbles shares the key's longest common prefix
    // with the trie; the first nibble where they differ is where the new leaf goes.
    let n = ROOT;
    let w = nodes[0]!;
    while ((w & BRANCH) !== 0) {
      const m = 1 << nibbleBit(key, 0, len, (w >>> INDEX_SHIFT) & INDEX_MASK);
      n = nodes[n * NODE_WORDS + 1]! + ((w & m) !== 0 ? popcount(w & (m - 1)) : 0);
      w = nodes[n * NODE_WORDS]!;
    }
    const leafRec = nodes[n * NODE_WORDS + 1]!;
    const leafLen = w;
    const common = Math.min(len, leafLen);
    let b = 0;
    while (b < common && heap[leafRec + b] === key[b]) b++;
    const index = b < common
      ? b * 2 + (((heap[leafRec + b]! ^ key[b]!) & 0xf0) !== 0 ? 0 : 1)
      : b * 2;
    const newBit = nibbleBit(key, 0, len, index);
    const oldBit = nibbleBit(heap, leafRec, leafLen, index);
    n = ROOT;
    w = nodes[0]!;
    while ((w & BRANCH) !== 0) {
      const i = (w >>> INDEX_SHIFT) & INDEX_MASK;
      if (i >= index) break;
      const m = 1 << nibbleBit(key, 0, len, i);
      n = nodes[n * NODE_WORDS + 1]! + popcount(w & (m - 1));
      w = nodes[n * NODE_WORDS]!;
    }
    if ((w & BRANCH) !== 0 && ((w >>> INDEX_SHIFT) & INDEX_MASK) === index) {
      // A branch already tests this nibble: grow its twig block by one.
      const k = popcount(w & BITMAP_MASK);
      const m = 1 << newBit;
      const slot = popcount(w & (m - 1));
      const old = nodes[n * NODE_WORDS + 1]!;
      const twigs = this.#allocTwigs(k + 1);
      nodes = this.#nodes;
      nodes.copyWithin(twigs * NODE_WORDS, old * NODE_WORDS, (old + slot) * NODE_WORDS);
      nodes[(twigs + slot) * NODE_WORDS] = len;
      nodes[(twigs + slot) * NODE_WORDS + 1] = rec;
      nodes.copyWithin(
        (twigs + slot + 1) * NODE_WORDS,
        (old + slot) * NODE_WORDS,
        (old + k) * NODE_WORDS,
      );
      this.#freeTwigs(old, k);
      nodes[n * NODE_WORDS] = w | m;
      nodes[n * NODE_WORDS + 1] = twigs;
    } else {
      // A new two-way branch takes node n's place; node n moves into its twig block.
      const twigs = this.#allocTwigs(2);
      nodes = this.#nodes;
      const leafSlot = newBit < oldBit ? 0 : 1;
      const moved = (twigs + 1 - leafSlot) * NODE_WORDS;
      nodes[moved] = w;
      nodes[moved + 1] = nodes[n * NODE_WORDS + 1]!;
      nodes[(twigs + leafSlot) * NODE_WORDS] = len;
      nodes[(twigs + leafSlot) * NODE_WORDS + 1] = rec;
      nodes[n * NODE_WORDS] = BRANCH | (index << INDEX_SHIFT) | (1 << newBit) | (1 << oldBit);
      nodes[n * NODE_WORDS + 1] = twigs;
    }
  }

  // Finds the first leaf after (or at, when inclusive) the key bytes[off, off+len), leaving in
  // `frames` the path to it as (branch, slot) pairs so #advance can continue from it.
  #seek(bytes: Uint8Array, off: number, len: number, inclusive: boolean, frames: number[]): number {
    frames.length = 0;
    if (this.#size === 0) return -1;
    const nodes = this.#nodes;
    const heap = this.#heap;
    let n = ROOT;
    let w = nodes[0]!;
    while ((w & BRANCH) !== 0) {
      const m = 1 << nibbleBit(bytes, off, len, (w >>> INDEX_SHIFT) & INDEX_MASK);
      const slot = (w & m) !== 0 ? popcount(w & (m - 1)) : 0;
      frames.push(n, slot);
      n = nodes[n * NODE_WORDS + 1]! + slot;
      w = nodes[n * NODE_WORDS]!;
    }
    const leafRec = nodes[n * NODE_WORDS + 1]!;
    const leafLen = w;
    const common = Math.min(len, leafLen);
    let b = 0;
    while (b < common && heap[leafRec + b] === bytes[off + b]) b++;
    if (b === len && b === leafLen) return inclusive ? n : this.#advance(frames);
    const index = b < common
      ? b * 2 + (((heap[leafRec + b]! ^ bytes[off + b]!) & 0xf0) !== 0 ? 0 : 1)
      : b * 2;
    const keyBit = nibbleBit(bytes, off, len, index);
    const leafBit = nibbleBit(heap, leafRec, leafLen, index);
    frames.length = 0;
    n = ROOT;
    w = nodes[0]!;
    while ((w & BRANCH) !== 0) {
      const i = (w >>> INDEX_SHIFT) & INDEX_MASK;
      if (i > index) break;
      if (i === index) {
        // The key's own slot is empty here: continue at the first occupied slot above it.
        const bitmap = w & BITMAP_MASK;
        const above = bitmap & (-1 << (keyBit + 1));
        if (above === 0) return this.#advance(frames);
        const slot = popcount(bitmap & ((above & -above) - 1));
        frames.push(n, slot);
        return this.#descendMin(nodes[n * NODE_WORDS + 1]! + slot, frames);
      }
      const m = 1 << nibbleBit(bytes, off, len, i);
      const slot = popcount(w & (m - 1));
      frames.push(n, slot);
      n = nodes[n * NODE_WORDS + 1]! + slot;
      w = nodes[n * NODE_WORDS]!;
    }
    // Every key under n agrees with the found leaf up to `index`, so one comparison orders
    // the whole subtree against the key.
    return keyBit < leafBit ? this.#descendMin(n, frames) : this.#advance(frames);
  }

  #descendMin(n: number, frames: number[]): number {
    const nodes = this.#nodes;
    let w = nodes[n * NODE_WORDS]!;
    while ((w & BRANCH) !== 0) {
      frames.push(n, 0);
      n = nodes[n * NODE_WORDS + 1]!;
      w = nodes[n * NODE_WORDS]!;
    }
    return n;
  }

  #advance(frames: number[]): number {
    const nodes = this.#nodes;
    while (frames.length > 0) {
      const slot = frames.pop()!;
      const n = frames.pop()!;
      if (slot + 1 < popcount(nodes[n * NODE_WORDS]! & BITMAP_MASK)) {
        frames.push(n, slot + 1);
        return this.#descendMin(nodes[n * NODE_WORDS + 1]! + slot + 1, frames);
      }
    }
    return -1;
  }

  // The leaf of the longest stored prefix of bytes[off, off+len), or -1. The keys ending at
  // branches on the key's path are nested prefixes of each other, so each needs only the bytes
  // past the previous one compared.
  #longestPrefix(bytes: Uint8Array, off: number, len: number): number {
    if (this.#size === 0) return -1;
    const nodes = this.#nodes;
    const heap = this.#heap;
    let n = ROOT;
    let w = nodes[0]!;
    let best = -1;
    let verified = 0;
    while ((w & BRANCH) !== 0) {
      const i = (w >>> INDEX_SHIFT) & INDEX_MASK;
      if ((w & (1 << END_BIT)) !== 0) {
        const l = i >>> 1;
        if (l > len) return best;
        const rec = nodes[nodes[n * NODE_WORDS + 1]! * NODE_WORDS + 1]!;
        for (; verified < l; verified++) {
          if (heap[rec + verified] !== bytes[off + verified]) return best;
        }
        best = nodes[n * NODE_WORDS + 1]!;
      }
      const m = 1 << nibbleBit(bytes, off, len, i);
      if ((w & m) === 0) return best;
      n = nodes[n * NODE_WORDS + 1]! + popcount(w & (m - 1));
      w = nodes[n * NODE_WORDS]!;
    }
    if (w > len) return best;
    const rec = nodes[n * NODE_WORDS + 1]!;
    for (let j = verified; j < w; j++) if (heap[rec + j] !== bytes[off + j]) return best;
    return n;
  }

  *#iterate<T>(
    start: Uint8Array | undefined,
    prefix: Uint8Array | undefined,
    project: (leaf: number) => T,
  ): IterableIterator<T> {
    const frames: number[] = [];
    let leaf: number;
    if (start === undefined) {
      leaf = this.#size === 0 ? -1 : this.#descendMin(ROOT, frames);
    } else {
      leaf = this.#seek(start, 0, start.length, true, frames);
    }
    let version = this.#version;
    while (leaf >= 0) {
      const heap = this.#heap;
      const len = this.#nodes[leaf * NODE_WORDS]!;
      const rec = this.#nodes[leaf * NODE_WORDS + 1]!;
      if (prefix !== undefined) {
        if (len < prefix.length) return;
        for (let j = 0; j < prefix.length; j++) if (heap[rec + j] !== prefix[j]) return;
      }
      yield project(leaf);
      if (this.#version === version) {
        leaf = this.#advance(frames);
      } else {
        // The trie changed under us: continue from the yielded key's successor. Its bytes are
        // still in `heap`: records are never overwritten and compaction copies to a new buffer.
        version = this.#version;
        leaf = this.#seek(heap, rec, len, false, frames);
      }
    }
  }

  #copyKey(leaf: number): Uint8Array {
    const rec = this.#nodes[leaf * NODE_WORDS + 1]!;
    return this.#heap.slice(rec, rec + this.#nodes[leaf * NODE_WORDS]!);
  }

  #valueOf(leaf: number): Uint8Array {
    const at = this.#nodes[leaf * NODE_WORDS + 1]! - this.#valueSpan;
    return this.#heap.slice(at, at + this.#valueSize);
  }

  #copyValue(leaf: number, out: Uint8Array): void {
    const heap = this.#heap;
    const at = this.#nodes[leaf * NODE_WORDS + 1]! - this.#valueSpan;
    const vs = this.#valueSize;
    if (vs <= 16) {
      let j = 0;
      if (LITTLE_ENDIAN) {
        // The value starts on a word: read words, store their bytes (a byte store keeps the
        // low 8 bits).
        const heap32 = this.#heap32;
        for (let p = at >>> 2; j + 4 <= vs; j += 4, p++) {
          const x = heap32[p]!;
          out[j] = x;
          out[j + 1] = x >>> 8;
          out[j + 2] = x >>> 16;
          out[j + 3] = x >>> 24;
        }
      }
      for (; j < vs; j++) out[j] = heap[at + j]!;
    } else {
      out.set(heap.subarray(at, at + vs));
    }
  }

  #checkOut(out: Uint8Array): void {
    if (!(out instanceof Uint8Array) || out.length < this.#valueSize) {
      throw new StoreError(
        "EINVAL",
        `output buffer ${
          out instanceof Uint8Array ? `of ${out.length} B` : "is not a Uint8Array"
        }` +
          `, needs ${this.#valueSize} B`,
      );
    }
  }

  #allocTwigs(k: number): number {
    const head = this.#freeHeads[k]!;
    if (head >= 0) {
      this.#freeHeads[k] = this.#nodes[head * NODE_WORDS + 1]!;
      this.#freeNodes -= k;
      return head;
    }
    if ((this.#nodeTop + k) * NODE_WORDS > this.#nodes.length) {
      const nodes = Math.max(
        Math.ceil(this.#nodes.length / NODE_WORDS * NODE_GROWTH),
        this.#nodeTop + k,
      );
      const next = new Int32Array(nodes * NODE_WORDS);
      next.set(this.#nodes.subarray(0, this.#nodeTop * NODE_WORDS));
      this.#nodes = next;
    }
    const base = this.#nodeTop;
    this.#nodeTop += k;
    return base;
  }

  #freeTwigs(base: number, k: number): void {
    this.#nodes[base * NODE_WORDS] = FREE | k;
    this.#nodes[base * NODE_WORDS + 1] = this.#freeHeads[k]!;
    this.#freeHeads[k] = base;
    this.#freeNodes += k;
  }

  #allocRecord(bytes: number): number {
    if (this.#heapTop + bytes > this.#heap.length) this.#moveHeap(bytes);
    const rec = this.#heapTop;
    this.#heapTop += bytes;
    return rec;
  }

  // Moves the heap to a new buffer sized for the live bytes plus `extra`. Mostly garbage:
  // the live records are compacted in key order (which also helps iteration); else copied
  // whole. Always a new buffer, so live iterators keep reading their last key.
  #moveHeap(extra: number): void {
    const live = this.#heapLive;
    const compact = (this.#heapTop - live) * 4 > this.#heapTop;
    const need = (compact ? live : this.#heapTop) + extra;
    const want = Math.ceil((need + Math.max(MIN_HEAP, need / HEAP_SLACK)) / HEAP_ALIGN) *
      HEAP_ALIGN;
    const next = new Uint8Array(want);
    const old = this.#heap;
    if (!compact) {
      next.set(old.subarray(0, this.#heapTop));
    } else {
      const nodes = this.#nodes;
      const span = this.#valueSpan;
      let top = 0;
      const stack = this.#size === 0 ? [] : [ROOT];
      while (stack.length > 0) {
        const n = stack.pop()!;
        const w = nodes[n * NODE_WORDS]!;
        if ((w & BRANCH) !== 0) {
          const twigs = nodes[n * NODE_WORDS + 1]!;
          for (let s = popcount(w & BITMAP_MASK) - 1; s >= 0; s--) stack.push(twigs + s);
        } else {
          const rec = nodes[n * NODE_WORDS + 1]!;
          const size = this.#recordSize(w);
          next.set(old.subarray(rec - span, rec - span + size), top);
          nodes[n * NODE_WORDS + 1] = top + span;
          top += size;
        }
      }
      this.#heapTop = top;
    }
    this.#heap = next;
    this.#heap32 = new Int32Array(next.buffer);
  }

  // Copies the tree into a fresh arena, each twig block allocated as it is reached, which
  // drops every free block. The new arena keeps NODE_GROWTH headroom (at least one largest
  // block), so the rebuild check of the next insert does not fire again at once.
  #rebuildNodes(): void {
    const old = this.#nodes;
    const live = this.#nodeTop - this.#freeNodes;
    const next = new Int32Array(
      Math.max(MIN_NODES, Math.ceil(live * NODE_GROWTH), live + MAX_TWIGS) * NODE_WORDS,
    );
    next[0] = old[0]!;
    next[1] = old[1]!;
    let top = 1;
    const stack = [ROOT];
    while (stack.length > 0) {
      const n = stack.pop()!;
      const w = next[n * NODE_WORDS]!;
      if ((w & BRANCH) === 0) continue;
      const k = popcount(w & BITMAP_MASK);
      const twigs = next[n * NODE_WORDS + 1]!;
      next.set(old.subarray(twigs * NODE_WORDS, (twigs + k) * NODE_WORDS), top * NODE_WORDS);
      next[n * NODE_WORDS + 1] = top;
      for (let s = k - 1; s >= 0; s--) stack.push(top + s);
      top += k;
    }
    this.#nodes = next;
    this.#nodeTop = top;
    this.#freeNodes = 0;
    this.#freeHeads.fill(-1);
  }

  #reset(): void {
    this.#nodes = new Int32Array(MIN_NODES * NODE_WORDS);
    this.#nodeTop = 1;
    this.#freeNodes = 0;
    this.#freeHeads.fill(-1);
    this.#heap = new Uint8Array(MIN_HEAP);
    this.#heap32 = new Int32Array(this.#heap.buffer);
    this.#heapTop = 0;
    this.#heapLive = 0;
  }
}
