/**
 * The qp-trie: an ordered map of variable-length binary keys in two typed-array arenas.
 *
 * @module
 */

import {
  allocBytes,
  type Capabilities,
  checkKey,
  checkLookup,
  checkOptions,
  checkPresence,
  checkUpdate,
  compareBytes,
  copyBytes,
  intOption,
  type IterateOptions,
  type Store,
  StoreBase,
  StoreError,
} from "@kvkit/store";
import {
  BITMAP_MASK,
  BRANCH,
  END_BIT,
  INDEX_MASK,
  INDEX_SHIFT,
  MAX_KEY_LENGTH,
  nibbleBit,
  NODE_WORDS,
  popcount,
  POPCOUNT9,
  ROOT,
} from "./_layout.ts";
import { HEAP_ALIGN, MAX_HEAP_BYTES, MIN_HEAP, TrieArena } from "./_arena.ts";
import { checkValid } from "./_check_valid.ts";
import { describeTrie } from "./_describe.ts";
import { internals } from "./_internals.ts";

/** Options of {@linkcode QpTrie}. */
export interface QpTrieOptions {
  /** The longest key in bytes, 1..4096 (default 255). Keys are 1..maxKeyLength bytes. */
  maxKeyLength: number;
  /** The value length in bytes, fixed per trie like a BPF map's `value_size`, 0..65536 (default 8). */
  valueSize: number;
  /** The most entries (`max_entries`), a hard limit: a new key past it is `ENOSPC` (default 2^24). */
  maxEntries: number;
  /**
   * The most bytes the record heap (every key and value, with the garbage deletes leave and the
   * growth slack) may take: 1024..2^31 - 64, rounded down to 64 (default and most: 2^31 - 64,
   * as leaves hold record offsets in int32 words). A new key whose record does not fit beside the
   * live ones - after compacting away all garbage - is `ENOMEM`, the trie unchanged: a memory
   * limit, apart from the entry limit `maxEntries` (`ENOSPC`). The node arena is not counted.
   */
  maxHeapBytes: number;
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

/** What {@linkcode QpTrie.arenaUsage} reports: how full the node arena and record heap are. */
export interface ArenaUsage {
  /** Nodes in the tree (the root included). */
  nodesUsed: number;
  /** Nodes in free twig blocks, reused by later inserts or dropped by a rebuild. */
  nodesFree: number;
  /** Nodes the arena has room for. */
  nodesTotal: number;
  /** Bytes of live records (each the value, then the key, padded to 4 B). */
  heapLive: number;
  /** Bytes of records deletes left behind, dropped when the heap is next compacted. */
  heapGarbage: number;
  /** Bytes of the heap buffer. */
  heapLength: number;
  /** The most bytes the heap may take: `maxHeapBytes` rounded down to 64. */
  heapMax: number;
}

/** Options of {@linkcode QpTrie.describe}. */
export interface DescribeOptions {
  /** The most lines of tree to draw before truncating (default 64). */
  maxLines?: number;
}

/** Int32Array words are little-endian here (everywhere in practice); else compare bytes. */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
/**
 * The most entries a trie may be created with. Node indices stay far inside int32: at most
 * 2n - 1 live nodes for n keys, an arena of at most ~1.67x that (see INSERT_GARBAGE), so under
 * 2^28 nodes (a 1.8 GB Int32Array, inside every runtime's 4 GiB typed-array limit; failing to
 * allocate it is ENOMEM). Heap offsets are bounded
 * by MAX_HEAP_BYTES instead, since 2^26 records of up to 69,632 B would pass 2^31.
 */
const MAX_ENTRIES = 2 ** 26;
/** The largest fixed value size. */
const MAX_VALUE_SIZE = 65536;

/** Keys this long or longer compare via the scratch copy: one native copy beats building words. */
const SCRATCH_MIN = 16;
/** The placeholder of a reused tuple before its first entry. */
const EMPTY = new Uint8Array(0);
/** The option names {@linkcode QpTrie} reads. */
const OPTION_NAMES: readonly string[] = ["maxKeyLength", "valueSize", "maxEntries", "maxHeapBytes"];

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
 * @example Prefix listing, successor and longest prefix over words
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
  readonly #maxEntries: number;
  // The node arena and record heap (see _arena.ts). Walks read its arrays directly. Made in
  // the initializer, not the constructor: a field first holding `undefined` loses V8's record
  // of its type, which costs every read path a map check (~1 ns, 2.5% of an 8-byte getInto).
  readonly #arena: TrieArena = new TrieArena();
  // The arena's arrays again, for #find and #copyValue (get, getInto, has, set): one load
  // fewer per lookup than through #arena (~0.4 ns, 1-2% of an 8-byte getInto). #sync
  // refreshes them after every call that may move the arrays: insert, delete, clear.
  #nodes: Int32Array = this.#arena.nodes;
  #heap: Uint8Array = this.#arena.heap;
  #heap32: Int32Array = this.#arena.heap32;
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
   * @param options Key length limit, value size, entry limit and heap limit.
   * @throws {StoreError} `EINVAL` for options that are not an object, an unknown option name or
   * an option out of range.
   */
  constructor(options?: Partial<QpTrieOptions>) {
    super();
    options = checkOptions("qptrie", options, OPTION_NAMES);
    this.#maxKeyLength = intOption("maxKeyLength", options.maxKeyLength, 255, 1, MAX_KEY_LENGTH);
    this.#valueSize = intOption("valueSize", options.valueSize, 8, 0, MAX_VALUE_SIZE);
    this.#maxEntries = intOption("maxEntries", options.maxEntries, 2 ** 24, 1, MAX_ENTRIES);
    const maxHeap = intOption(
      "maxHeapBytes",
      options.maxHeapBytes,
      MAX_HEAP_BYTES,
      MIN_HEAP,
      MAX_HEAP_BYTES,
    );
    this.#arena.setLimits(this.#valueSize, maxHeap - maxHeap % HEAP_ALIGN);
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
   * @example Reading a copy of a value
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
    if (!(key instanceof Uint8Array) || key.length === 0 || key.length > this.#maxKeyLength) {
      checkKey(this.capabilities, key);
    }
    const leaf = this.#find(key);
    if (leaf < 0) return undefined;
    const out = allocBytes(this.#valueSize);
    this.#copyValue(leaf, out, 0);
    return out;
  }

  /**
   * Copies the value of `key` into `out` at `offset` without allocating: the read path of hot
   * loops (the kernel's `BPF_MAP_LOOKUP_ELEM`). Checks in the kernel's order: flags, key, then
   * room for valueSize bytes in `out` (present or not).
   *
   * @param key 1..maxKeyLength bytes.
   * @param out Where the value goes: at least `offset + valueSize` bytes.
   * @param offset Where in `out` the value starts (default 0).
   * @param flags `0` (default); the trie has no locked reads, so `F_LOCK` is `EINVAL`.
   * @returns Whether the key was present (`out` is untouched when not).
   * @throws {StoreError} `EINVAL` for bad flags, a wrong key length or no room in `out`.
   *
   * @example Reading a value into a caller's buffer at an offset
   * ```ts
   * import { QpTrie } from "@kvkit/qptrie";
   * import assert from "node:assert/strict";
   *
   * const trie = new QpTrie({ valueSize: 4 });
   * trie.set(new Uint8Array([9]), new Uint8Array([1, 2, 3, 4]));
   * const out = new Uint8Array(6);
   * assert.ok(trie.getInto(new Uint8Array([9]), out, 2));
   * assert.deepEqual(out, new Uint8Array([0, 0, 1, 2, 3, 4]));
   * assert.equal(trie.getInto(new Uint8Array([8]), out), false);
   * assert.throws(() => trie.getInto(new Uint8Array([9]), out, 3), { code: "EINVAL" });
   * ```
   */
  override getInto(key: Uint8Array, out: Uint8Array, offset = 0, flags = 0): boolean {
    // One cheap test of every argument; the full check (which throws) only when it fails.
    if (
      flags !== 0 || !(key instanceof Uint8Array) || key.length === 0 ||
      key.length > this.#maxKeyLength || !(out instanceof Uint8Array) ||
      typeof offset !== "number" ||
      offset >>> 0 !== offset ||
      offset + this.#valueSize > out.length
    ) checkLookup(this.capabilities, key, out, offset, flags);
    const leaf = this.#find(key);
    if (leaf < 0) return false;
    this.#copyValue(leaf, out, offset);
    return true;
  }

  /**
   * Whether `key` is present.
   *
   * @param key 1..maxKeyLength bytes.
   * @returns `true` when present.
   * @throws {StoreError} `EINVAL` for a wrong key length.
   *
   * @example Presence of a key, not of its extensions
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
   * in a full trie (`ENOSPC`), then a new record that does not fit the heap limit or memory the
   * machine cannot give (`ENOMEM`). The bytes are copied in.
   *
   * @param key 1..maxKeyLength bytes.
   * @param value Exactly valueSize bytes.
   * @param flags `ANY` (default), `NOEXIST` or `EXIST`.
   * @throws {StoreError} `EINVAL`, `EEXIST`, `ENOENT`, `ENOSPC` or `ENOMEM`; the trie is
   * unchanged.
   *
   * @example Update flags, the entry limit and the heap limit
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
   *
   * // A 1 KiB heap holds 32 records of 32 B (a 28-byte value + a 1-byte key padded to 4).
   * const small = new QpTrie({ maxKeyLength: 1, valueSize: 28, maxHeapBytes: 1024 });
   * for (let i = 0; i < 32; i++) small.set(new Uint8Array([i]), new Uint8Array(28));
   * assert.throws(() => small.set(new Uint8Array([32]), new Uint8Array(28)), { code: "ENOMEM" });
   * assert.equal(small.size, 32);
   * small.delete(new Uint8Array([0]));
   * small.set(new Uint8Array([32]), new Uint8Array(28)); // compacts: the deleted record's room
   * ```
   */
  set(key: Uint8Array, value: Uint8Array, flags = 0): void {
    const mode = checkUpdate(this.capabilities, key, value, flags);
    const leaf = this.#find(key);
    checkPresence(mode, leaf >= 0);
    if (leaf >= 0) {
      this.#heap.set(value, this.#nodes[leaf * NODE_WORDS + 1]! - this.#arena.valueSpan);
      return;
    }
    if (this.#size >= this.#maxEntries) {
      throw new StoreError("ENOSPC", `trie is full (maxEntries ${this.#maxEntries})`);
    }
    try {
      this.#insert(key, value);
    } finally {
      // Also after ENOMEM: a step before the failing one may have moved an array.
      this.#sync();
    }
  }

  /**
   * Removes `key`.
   *
   * @param key 1..maxKeyLength bytes.
   * @returns `false` when it was absent.
   * @throws {StoreError} `EINVAL` for a wrong key length.
   *
   * @example Deleting a key twice
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
    const nodes = this.#arena.nodes;
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
    const k = parent < 0 ? 0 : popcount(parentWord & BITMAP_MASK);
    // A branch left with k - 1 > 1 children moves to a smaller block: room for it first, so a
    // failure to grow the arena (ENOMEM) comes before anything changes.
    const arena = this.#arena;
    if (k > 2) arena.reserveTwigs(k - 1);
    arena.dropRecord(len);
    this.#size--;
    this.#version++;
    if (parent < 0) {
      arena.reset();
      this.#sync();
      return true;
    }
    const ns = arena.nodes;
    const twigs = ns[parent * NODE_WORDS + 1]!;
    const slot = n - twigs;
    if (k === 2) {
      // The branch is left with one child: the child takes the branch's place.
      const sibling = (twigs + 1 - slot) * NODE_WORDS;
      ns[parent * NODE_WORDS] = ns[sibling]!;
      ns[parent * NODE_WORDS + 1] = ns[sibling + 1]!;
      arena.freeTwigs(twigs, 2);
    } else {
      const next = arena.allocTwigs(k - 1);
      ns.copyWithin(next * NODE_WORDS, twigs * NODE_WORDS, n * NODE_WORDS);
      ns.copyWithin((next + slot) * NODE_WORDS, (n + 1) * NODE_WORDS, (twigs + k) * NODE_WORDS);
      arena.freeTwigs(twigs, k);
      ns[parent * NODE_WORDS] = parentWord & ~bitMask;
      ns[parent * NODE_WORDS + 1] = next;
    }
    arena.giveBack();
    this.#sync();
    return true;
  }

  /**
   * Removes every entry and returns the arenas to their initial size.
   *
   * @example Emptying the trie
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
    this.#arena.reset();
    this.#sync();
  }

  /**
   * The key after `key` in byte order (BPF `get_next_key`), also for a key that is not
   * present: its successor.
   *
   * @param key 1..maxKeyLength bytes, or `undefined` for the first key.
   * @returns A copy of the next key, or `undefined` after the last.
   * @throws {StoreError} `EINVAL` for a wrong key length.
   *
   * @example Walking keys with nextKey, present or not
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
   * @example The longest stored prefix of a path
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
   * @example Longest-prefix match into a caller's buffer
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
    this.#copyValue(leaf, out, 0);
    return this.#arena.nodes[leaf * NODE_WORDS]!;
  }

  /**
   * Every entry in key order, as copies - or, with `{ reuse: true }`, as the same `[key,
   * value]` tuple overwritten in place at every step (one value array, one key array per key
   * length), which allocates nothing per entry. The consumer may delete any key (or change the
   * trie in any way) during the walk: it then continues from the yielded key's successor, so
   * every key present throughout is yielded exactly once.
   *
   * @param options `reuse: true` to yield reused arrays; copy what you keep.
   * @returns An iterator of `[key, value]`.
   *
   * @example Entries as copies and as one reused tuple
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
   * let sum = 0;
   * for (const [key, value] of trie.entries({ reuse: true })) sum += key.length + value[0]!;
   * assert.equal(sum, 2 + 19 + 1 + 20);
   * ```
   */
  entries(options?: IterateOptions): IterableIterator<[Uint8Array, Uint8Array]> {
    if (options?.reuse === true) {
      const keyOf = this.#reusedKey();
      const valueOf = this.#reusedValue();
      const pair: [Uint8Array, Uint8Array] = [EMPTY, EMPTY];
      return this.#iterate(undefined, undefined, (leaf) => {
        pair[0] = keyOf(leaf);
        pair[1] = valueOf(leaf);
        return pair;
      });
    }
    return this.#iterate(
      undefined,
      undefined,
      (leaf) => [this.#copyKey(leaf), this.#valueOf(leaf)],
    );
  }

  /**
   * Every key in order, as copies (or reused arrays, one per key length, with `{ reuse: true }`).
   *
   * @param options `reuse: true` to yield reused arrays.
   * @returns An iterator of keys.
   *
   * @example Keys in byte order, a key before its extensions
   * ```ts
   * import { QpTrie } from "@kvkit/qptrie";
   * import assert from "node:assert/strict";
   *
   * const trie = new QpTrie({ valueSize: 0 });
   * trie.set(new Uint8Array([1, 0]), new Uint8Array(0));
   * trie.set(new Uint8Array([1]), new Uint8Array(0));
   * assert.deepEqual([...trie.keys()], [new Uint8Array([1]), new Uint8Array([1, 0])]);
   * assert.deepEqual([...trie.keys({ reuse: true })].map((k) => k.length), [1, 2]);
   * ```
   */
  override keys(options?: IterateOptions): IterableIterator<Uint8Array> {
    return this.#iterate(
      undefined,
      undefined,
      options?.reuse === true ? this.#reusedKey() : (leaf) => this.#copyKey(leaf),
    );
  }

  /**
   * Every value in key order, as copies (or one reused array with `{ reuse: true }`).
   *
   * @param options `reuse: true` to yield one reused array.
   * @returns An iterator of values.
   *
   * @example Values in key order, copied or reused
   * ```ts
   * import { QpTrie } from "@kvkit/qptrie";
   * import assert from "node:assert/strict";
   *
   * const trie = new QpTrie({ valueSize: 1 });
   * trie.set(new Uint8Array([2]), new Uint8Array([2]));
   * trie.set(new Uint8Array([1]), new Uint8Array([1]));
   * assert.deepEqual([...trie.values()], [new Uint8Array([1]), new Uint8Array([2])]);
   * assert.deepEqual([...trie.values({ reuse: true })].map((v) => v[0]), [2, 2]); // one array
   * ```
   */
  override values(options?: IterateOptions): IterableIterator<Uint8Array> {
    return this.#iterate(
      undefined,
      undefined,
      options?.reuse === true ? this.#reusedValue() : (leaf) => this.#valueOf(leaf),
    );
  }

  /**
   * The entries whose key starts with `prefix`, in order.
   *
   * @param prefix 0..maxKeyLength bytes (empty: every entry).
   * @returns An iterator of `[key, value]` copies.
   * @throws {StoreError} `EINVAL` for a prefix longer than maxKeyLength.
   *
   * @example Entries under a prefix
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
   * @example Counting the words under a prefix
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
   * @example Entries from a lower bound that is not present
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
   * @example Keys from a lower bound that is present
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
   * @example Scanning a prefix into reused buffers
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
    const span = this.#arena.valueSpan;
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
    let nodes = this.#arena.nodes;
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
    let heap = this.#arena.heap;
    let heap32 = this.#arena.heap32;
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
      heap = this.#arena.heap;
      heap32 = this.#arena.heap32;
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
          nodes = this.#arena.nodes;
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
   * @example Memory grows with the entries
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
    return this.#arena.byteLength() + this.#scratch32.byteLength;
  }

  /**
   * How full the two arenas are: nodes in the tree, in free twig blocks and in all, and bytes
   * of live records, of garbage deletes left and of the heap, with its limit. What a test or a
   * tuning session needs to see growth and reclaiming, without parsing {@linkcode
   * QpTrie.describe}.
   *
   * @returns The counts, as they are now.
   *
   * @example Garbage after deletes
   * ```ts
   * import { QpTrie } from "@kvkit/qptrie";
   * import assert from "node:assert/strict";
   *
   * const trie = new QpTrie({ valueSize: 4 });
   * for (let i = 0; i < 100; i++) trie.set(new Uint8Array([i]), new Uint8Array(4));
   * trie.delete(new Uint8Array([7]));
   * const use = trie.arenaUsage();
   * assert.equal(use.heapLive, 99 * 8); // 4 B value + 1 B key padded to 4
   * assert.equal(use.heapGarbage, 8);
   * assert.ok(use.nodesUsed + use.nodesFree <= use.nodesTotal);
   * ```
   */
  arenaUsage(): ArenaUsage {
    const a = this.#arena;
    return {
      nodesUsed: a.nodeTop - a.freeNodes,
      nodesFree: a.freeNodes,
      nodesTotal: a.nodes.length / NODE_WORDS,
      heapLive: a.heapLive,
      heapGarbage: a.heapTop - a.heapLive,
      heapLength: a.heap.length,
      heapMax: a.maxHeap,
    };
  }

  /**
   * Draws the trie: arena usage, then the tree with each branch's nibble index, bitmap and
   * slots, and each leaf's key and value, truncated after `maxLines` lines.
   *
   * @param options `maxLines` (default 64).
   * @returns The drawing.
   *
   * @example Drawing a branch and its leaves
   * ```ts
   * import { QpTrie } from "@kvkit/qptrie";
   * import assert from "node:assert/strict";
   *
   * const te = new TextEncoder();
   * const trie = new QpTrie({ valueSize: 1 });
   * trie.set(te.encode("ab"), new Uint8Array([1]));
   * trie.set(te.encode("ac"), new Uint8Array([2]));
   * const tree = trie.describe().split("\n").slice(3); // after three lines of arena usage
   * assert.deepEqual(tree, [
   *   "branch #0 nibble 3 (byte 1 lo) bitmap 00000000000011000 slots [2 3] twigs #1",
   *   '  [2] leaf #1 "ab" (2 B @4) = 01',
   *   '  [3] leaf #2 "ac" (2 B @12) = 02',
   * ]);
   * ```
   */
  describe(options: DescribeOptions = {}): string {
    return describeTrie(this, options.maxLines ?? 64);
  }

  /**
   * Walks the whole structure and throws when an invariant does not hold: every branch has
   * 2..17 children and a nibble index above its parent's; the child in slot `b` holds only keys
   * whose nibble selects bit `b` and which agree with their siblings on every earlier nibble;
   * an end-of-key child is a leaf exactly `index / 2` bytes long; keys are 1..maxKeyLength
   * bytes, strictly ascending in walk order and `size` of them; records do not overlap and
   * account for the live heap bytes; every node is either in the tree or in exactly one free
   * block; lookups read the arena's current arrays. For tests (O(n log n)).
   *
   * @throws {Error} Naming the first broken invariant.
   *
   * @example Checking the invariants after inserts
   * ```ts
   * import { QpTrie } from "@kvkit/qptrie";
   *
   * const trie = new QpTrie({ valueSize: 1 });
   * for (let i = 0; i < 50; i++) trie.set(new Uint8Array([i % 7, i]), new Uint8Array([i]));
   * trie.checkValid();
   * ```
   */
  checkValid(): void {
    checkValid(this);
  }

  static {
    // What _describe.ts and _check_valid.ts read besides the public API.
    internals.arena = (trie) => trie.#arena;
    internals.synced = (trie) =>
      trie.#nodes === trie.#arena.nodes && trie.#heap === trie.#arena.heap &&
      trie.#heap32 === trie.#arena.heap32;
  }

  // ---- internals ----

  // Refreshes the lookup path's copies of the arena's arrays.
  #sync(): void {
    const arena = this.#arena;
    this.#nodes = arena.nodes;
    this.#heap = arena.heap;
    this.#heap32 = arena.heap32;
  }

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

  #sameKey(leaf: number, key: Uint8Array): boolean {
    const { heap, nodes } = this.#arena;
    const rec = nodes[leaf * NODE_WORDS + 1]!;
    for (let j = 0; j < key.length; j++) if (heap[rec + j] !== key[j]) return false;
    return true;
  }

  #insert(key: Uint8Array, value: Uint8Array): void {
    const arena = this.#arena;
    const len = key.length;
    const size = arena.recordSize(len);
    // What can fail (ENOMEM) comes before any entry changes: room for the record (at the heap
    // limit nothing changes at all), then, once the walk knows its size, for the twig block.
    if (arena.heapTop + size > arena.heap.length) arena.moveHeap(size);
    const heap = arena.heap;
    if (this.#size === 0) {
      arena.nodes[0] = len;
      arena.nodes[1] = arena.putRecord(key, value, size);
      this.#size++;
      this.#version++;
      return;
    }
    // Before the walk, as a rebuild of the node arena moves every twig block.
    arena.beforeInsert();
    let nodes = arena.nodes;
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
    const join = (w & BRANCH) !== 0 && ((w >>> INDEX_SHIFT) & INDEX_MASK) === index;
    // A branch's block grows from k to k + 1 nodes; a new branch takes a block of 2. Growing
    // the arena keeps every node index, so the walk above still holds.
    const k = join ? popcount(w & BITMAP_MASK) : 1;
    arena.reserveTwigs(k + 1);
    const rec = arena.putRecord(key, value, size);
    this.#size++;
    this.#version++;
    nodes = arena.nodes;
    if (join) {
      // A branch already tests this nibble: grow its twig block by one.
      const m = 1 << newBit;
      const slot = popcount(w & (m - 1));
      const old = nodes[n * NODE_WORDS + 1]!;
      const twigs = arena.allocTwigs(k + 1);
      nodes = arena.nodes;
      nodes.copyWithin(twigs * NODE_WORDS, old * NODE_WORDS, (old + slot) * NODE_WORDS);
      nodes[(twigs + slot) * NODE_WORDS] = len;
      nodes[(twigs + slot) * NODE_WORDS + 1] = rec;
      nodes.copyWithin(
        (twigs + slot + 1) * NODE_WORDS,
        (old + slot) * NODE_WORDS,
        (old + k) * NODE_WORDS,
      );
      arena.freeTwigs(old, k);
      nodes[n * NODE_WORDS] = w | m;
      nodes[n * NODE_WORDS + 1] = twigs;
    } else {
      // A new two-way branch takes node n's place; node n moves into its twig block.
      const twigs = arena.allocTwigs(2);
      nodes = arena.nodes;
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
    const nodes = this.#arena.nodes;
    const heap = this.#arena.heap;
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
    const nodes = this.#arena.nodes;
    let w = nodes[n * NODE_WORDS]!;
    while ((w & BRANCH) !== 0) {
      frames.push(n, 0);
      n = nodes[n * NODE_WORDS + 1]!;
      w = nodes[n * NODE_WORDS]!;
    }
    return n;
  }

  #advance(frames: number[]): number {
    const nodes = this.#arena.nodes;
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
    const nodes = this.#arena.nodes;
    const heap = this.#arena.heap;
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
      const { heap, nodes } = this.#arena;
      const len = nodes[leaf * NODE_WORDS]!;
      const rec = nodes[leaf * NODE_WORDS + 1]!;
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

  // The key projection of a reusing walk: every key is copied into one buffer of its own and
  // yielded as the view of its length, made the first time that length is seen.
  #reusedKey(): (leaf: number) => Uint8Array {
    const words = new Int32Array((this.#maxKeyLength + 3) >>> 2);
    const views: Uint8Array[] = [];
    const arena = this.#arena;
    return (leaf) => {
      const { nodes, heap32 } = arena;
      const len = nodes[leaf * NODE_WORDS]!;
      const rec = nodes[leaf * NODE_WORDS + 1]!;
      // Records are word-aligned and padded, so whole words of the key copy at once (the
      // padding lands past the view's end); byte order does not matter for a plain copy.
      for (let i = 0, p = rec >>> 2, n = (len + 3) >>> 2; i < n; i++, p++) words[i] = heap32[p]!;
      return views[len] ??= new Uint8Array(words.buffer, 0, len);
    };
  }

  // The value projection of a reusing walk: one array, overwritten at every step.
  #reusedValue(): (leaf: number) => Uint8Array {
    const value = new Uint8Array(this.#valueSize);
    return (leaf) => {
      this.#copyValue(leaf, value, 0);
      return value;
    };
  }

  // Copies handed out come from the store package's pooled slabs, not `slice()`: under Deno a
  // fresh typed array costs ~250 ns, a pooled region ~15 ns.
  #copyKey(leaf: number): Uint8Array {
    const { nodes, heap } = this.#arena;
    const rec = nodes[leaf * NODE_WORDS + 1]!;
    return copyBytes(heap, rec, rec + nodes[leaf * NODE_WORDS]!);
  }

  #valueOf(leaf: number): Uint8Array {
    const out = allocBytes(this.#valueSize);
    this.#copyValue(leaf, out, 0);
    return out;
  }

  // Copies the value of `leaf` to out[offset..]; the caller has checked the room.
  #copyValue(leaf: number, out: Uint8Array, offset: number): void {
    const heap = this.#heap;
    const at = this.#nodes[leaf * NODE_WORDS + 1]! - this.#arena.valueSpan;
    const vs = this.#valueSize;
    if (vs <= 16) {
      let j = 0;
      if (LITTLE_ENDIAN) {
        // The value starts on a word: read words, store their bytes (a byte store keeps the
        // low 8 bits).
        const heap32 = this.#heap32;
        for (let p = at >>> 2, o = offset; j + 4 <= vs; j += 4, p++, o += 4) {
          const x = heap32[p]!;
          out[o] = x;
          out[o + 1] = x >>> 8;
          out[o + 2] = x >>> 16;
          out[o + 3] = x >>> 24;
        }
      }
      for (; j < vs; j++) out[offset + j] = heap[at + j]!;
    } else {
      out.set(heap.subarray(at, at + vs), offset);
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
}
