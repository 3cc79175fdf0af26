/**
 * A CIDR longest-prefix-match table (the kernel's lpm-trie use case) on a {@linkcode QpTrie}.
 *
 * @module
 */

import { checkOptions, intOption, StoreError } from "@kvkit/store";
import { QpTrie, type QpTrieOptions } from "./qptrie.ts";
import {
  checkPrefixShape,
  formatAddress,
  maskAddress,
  parseAddressInto,
  parseCidr,
  type ParsedPrefix,
} from "./_cidr.ts";

/** Options of {@linkcode LpmTable}. */
export interface LpmTableOptions {
  /** The most prefixes, a hard limit: a new prefix past it is `ENOSPC` (default 2^20). */
  maxEntries: number;
  /**
   * The most bytes of the trie's record heap, as {@linkcode QpTrieOptions.maxHeapBytes}
   * (default and most 2^31 - 64): a route's record is 4 B plus 1 + its length in bits,
   * rounded up to 4 (40 B for an IPv4 /32, 136 B for an IPv6 /128), so the default holds
   * ~15.8M IPv6 /128 routes or ~53M IPv4 /32s. A new prefix past it is `ENOMEM`, the table
   * unchanged.
   */
  maxHeapBytes: number;
}

/**
 * A prefix in byte form, the kernel's `struct bpf_lpm_trie_key`: a 4-byte (IPv4) or 16-byte
 * (IPv6) address and a length in bits.
 */
export interface CidrBytes {
  /**
   * The address. Bits past `length` may be set, as in the kernel's key: they take no part in
   * matching, and {@linkcode LpmTable.set} keeps them as given ({@linkcode LpmTable.nextKey}
   * returns them).
   */
  readonly address: Uint8Array;
  /** The prefix length, 0..32 (IPv4) or 0..128 (IPv6). */
  readonly length: number;
}

/**
 * A prefix: `"10.0.0.0/8"`, `"2001:db8::/32"`, or {@linkcode CidrBytes}. Text is strict: host
 * bits set past the length (`"10.0.0.1/8"`) are `EINVAL`, as `ip route` refuses them.
 */
export type Cidr = string | CidrBytes;

/** Options of {@linkcode LpmTable.entries}. */
export interface LpmIterateOptions {
  /**
   * `"sorted"` (the default): IPv4 first, then by address, a prefix before the longer prefixes
   * inside it. `"kernel"`: the kernel's `BPF_MAP_GET_NEXT_KEY` order (post-order: the more
   * specific prefixes inside a prefix first, the 0 branch before the 1 branch), IPv4 first.
   */
  order?: "sorted" | "kernel";
}

/** The most specific prefix matching an address, with its value. */
export interface LpmMatch<T> {
  /** The prefix as text, e.g. `"10.1.0.0/16"`. */
  readonly prefix: string;
  /** Its length in bits. */
  readonly length: number;
  /** Its value. */
  readonly value: T;
}

/** The trie key: one family byte, then one byte (0 or 1) per prefix bit. */
const FAMILY_V4 = 4;
/** The family byte of IPv6 keys (IPv4 keys sort first). */
const FAMILY_V6 = 6;
/** Bytes of a value slot number in the trie. */
const SLOT_BYTES = 4;
/** Bytes per value slot counted by memoryUsage (one array element). */
const SLOT_COST = 8;
/** The option names {@linkcode LpmTable} reads. */
const OPTION_NAMES: readonly string[] = ["maxEntries", "maxHeapBytes"];

/**
 * A routing table of IPv4 and IPv6 CIDR prefixes with bit-level lengths: {@linkcode
 * LpmTable.lookup} returns the value of the most specific prefix containing an address.
 *
 * Each prefix is a {@linkcode QpTrie} key of one family byte followed by one byte per prefix
 * bit, so a `/n` route contains an address exactly when its key is a byte prefix of the
 * address's key and the trie's longest-prefix walk answers the lookup; the trie's 4-byte value
 * is a slot in an array of your values (any JavaScript value).
 *
 * | operation | cost |
 * | --- | --- |
 * | set / get / delete | O(prefix length) |
 * | lookup / match | O(address bits), about log16 n branches |
 * | entries, either order | O(1) amortised each |
 * | nextKey (the kernel's order) | O(prefix length) |
 *
 * @example Routing IPv4 lookups to the most specific prefix
 * ```ts
 * import { LpmTable } from "@kvkit/qptrie";
 * import assert from "node:assert/strict";
 *
 * const table = new LpmTable<string>();
 * table.set("0.0.0.0/0", "default");
 * table.set("192.168.0.0/16", "lan");
 * table.set({ address: new Uint8Array([192, 168, 7, 0]), length: 25 }, "lab");
 * assert.equal(table.lookup("192.168.7.1"), "lab");
 * assert.equal(table.lookup("192.168.7.200"), "lan");
 * assert.equal(table.lookup(new Uint8Array([8, 8, 8, 8])), "default");
 * assert.equal(table.lookup("::1"), undefined);
 * assert.throws(() => table.set("10.0.0.1/8", "x"), { code: "EINVAL" });
 * ```
 */
export class LpmTable<T> {
  readonly #trie: QpTrie;
  readonly #values: (T | undefined)[] = [];
  // Per value slot: the address as given when it had host bits set (the kernel keeps the key's
  // bytes as given), else undefined (the network address, read from the trie key).
  readonly #given: (Uint8Array | undefined)[] = [];
  // Bytes held by #given, for memoryUsage.
  #givenBytes = 0;
  // The address with host bits of the prefix #encode last read, else undefined.
  #hostAddress: Uint8Array | undefined = undefined;
  readonly #freeSlots: number[] = [];
  readonly #slot = new Uint8Array(SLOT_BYTES);
  readonly #address = new Uint8Array(16);
  // Scratch lookup keys: family byte + 32 or 128 bit bytes.
  readonly #key4 = new Uint8Array(1 + 32);
  readonly #key6 = new Uint8Array(1 + 128);
  // Address bytes (4 or 16) of the last lookup, for match().
  #addressSize = 4;

  /**
   * Opens an empty table.
   *
   * @param options The entry limit and the heap limit.
   * @throws {StoreError} `EINVAL` for options that are not an object, an unknown option or a bad
   * `maxEntries` or `maxHeapBytes`.
   */
  constructor(options?: Partial<LpmTableOptions>) {
    const { maxEntries, maxHeapBytes } = checkOptions("LpmTable", options, OPTION_NAMES);
    const max = intOption("maxEntries", maxEntries, 2 ** 20, 1, 2 ** 26);
    const trieOptions: Partial<QpTrieOptions> = {
      maxKeyLength: 1 + 128,
      valueSize: SLOT_BYTES,
      maxEntries: max,
    };
    // The trie checks the range; only a given limit is passed, so the default stays its own.
    if (maxHeapBytes !== undefined) trieOptions.maxHeapBytes = maxHeapBytes;
    this.#trie = new QpTrie(trieOptions);
    this.#key4[0] = FAMILY_V4;
    this.#key6[0] = FAMILY_V6;
  }

  /** The number of prefixes. */
  get size(): number {
    return this.#trie.size;
  }

  /**
   * Adds `prefix` or replaces its value. As the kernel's `BPF_MAP_UPDATE_ELEM` (flags `BPF_ANY`),
   * `{ address, length }` may have host bits set past the length: two keys that differ only
   * there are one prefix, and the latest address given is kept ({@linkcode LpmTable.nextKey}
   * returns it).
   *
   * @param prefix `"a.b.c.d/n"`, `"x:y::/n"` (host bits zero) or `{ address, length }`.
   * @param value Anything.
   * @throws {StoreError} `EINVAL` for a malformed prefix, `ENOSPC` when full and new, `ENOMEM`
   * when its key does not fit the trie's heap limit; the table is unchanged.
   *
   * @example Replacing a route, and a full table
   * ```ts
   * import { LpmTable } from "@kvkit/qptrie";
   * import assert from "node:assert/strict";
   *
   * const table = new LpmTable<number>({ maxEntries: 1 });
   * table.set("2001:db8::/32", 1);
   * table.set("2001:db8::/32", 2);
   * assert.equal(table.get("2001:db8::/32"), 2);
   * assert.throws(() => table.set("2001:db9::/32", 3), { code: "ENOSPC" });
   * ```
   *
   * @example Host bits, kept as the kernel keeps them
   * ```ts
   * import { LpmTable } from "@kvkit/qptrie";
   * import assert from "node:assert/strict";
   *
   * const table = new LpmTable<number>();
   * table.set({ address: new Uint8Array([10, 0, 0, 1]), length: 8 }, 1);
   * assert.equal(table.get("10.0.0.0/8"), 1);
   * assert.deepEqual(table.nextKey(), { address: new Uint8Array([10, 0, 0, 1]), length: 8 });
   * ```
   */
  set(prefix: Cidr, value: T): void {
    const key = this.#encode(prefix);
    const host = this.#hostAddress;
    const trie = this.#trie;
    if (trie.getInto(key, this.#slot)) {
      const slot = this.#readSlot();
      this.#values[slot] = value;
      this.#setGiven(slot, host);
      return;
    }
    if (trie.size >= trie.capabilities.maxEntries) {
      throw new StoreError("ENOSPC", `table is full (maxEntries ${trie.capabilities.maxEntries})`);
    }
    const free = this.#freeSlots;
    const slot = free.length > 0 ? free[free.length - 1]! : this.#values.length;
    const s = this.#slot;
    s[0] = slot & 255;
    s[1] = (slot >>> 8) & 255;
    s[2] = (slot >>> 16) & 255;
    s[3] = slot >>> 24;
    trie.set(key, s);
    // Taken only once the trie took the key: a set that fails (ENOMEM) keeps the slot free.
    if (free.length > 0) free.pop();
    this.#values[slot] = value;
    this.#setGiven(slot, host);
  }

  /**
   * The value of exactly `prefix` (not a match: see {@linkcode LpmTable.lookup}).
   *
   * @param prefix The prefix (host bits of `{ address, length }` ignored).
   * @returns Its value, or `undefined` when absent.
   * @throws {StoreError} `EINVAL` for a malformed prefix.
   *
   * @example Reading the value of an exact prefix
   * ```ts
   * import { LpmTable } from "@kvkit/qptrie";
   * import assert from "node:assert/strict";
   *
   * const table = new LpmTable<string>();
   * table.set("10.0.0.0/8", "a");
   * assert.equal(table.get("10.0.0.0/8"), "a");
   * assert.equal(table.get("10.0.0.0/9"), undefined);
   * ```
   */
  get(prefix: Cidr): T | undefined {
    return this.#trie.getInto(this.#encode(prefix), this.#slot)
      ? this.#values[this.#readSlot()]
      : undefined;
  }

  /**
   * Whether exactly `prefix` is in the table.
   *
   * @param prefix The prefix (host bits of `{ address, length }` ignored).
   * @returns `true` when present.
   * @throws {StoreError} `EINVAL` for a malformed prefix.
   *
   * @example Checking for an exact prefix
   * ```ts
   * import { LpmTable } from "@kvkit/qptrie";
   * import assert from "node:assert/strict";
   *
   * const table = new LpmTable<string>();
   * table.set("10.0.0.0/8", "a");
   * assert.ok(table.has("10.0.0.0/8"));
   * ```
   */
  has(prefix: Cidr): boolean {
    return this.#trie.has(this.#encode(prefix));
  }

  /**
   * Removes exactly `prefix`. As the kernel's `BPF_MAP_DELETE_ELEM`, host bits of
   * `{ address, length }` are ignored: `{ 10.9.9.9, 8 }` removes 10.0.0.0/8.
   *
   * @param prefix The prefix.
   * @returns `false` when it was absent.
   * @throws {StoreError} `EINVAL` for a malformed prefix.
   *
   * @example Withdrawing a more specific route
   * ```ts
   * import { LpmTable } from "@kvkit/qptrie";
   * import assert from "node:assert/strict";
   *
   * const table = new LpmTable<string>();
   * table.set("10.0.0.0/8", "a");
   * table.set("10.0.0.0/16", "b");
   * assert.ok(table.delete("10.0.0.0/16"));
   * assert.equal(table.lookup("10.0.0.1"), "a");
   * ```
   */
  delete(prefix: Cidr): boolean {
    const key = this.#encode(prefix);
    if (!this.#trie.getInto(key, this.#slot)) return false;
    const slot = this.#readSlot();
    this.#trie.delete(key);
    this.#values[slot] = undefined;
    this.#setGiven(slot, undefined);
    this.#freeSlots.push(slot);
    return true;
  }

  /**
   * The value of the most specific prefix containing `address`. Given `{ address, length }`
   * (the kernel's `BPF_MAP_LOOKUP_ELEM` key), only prefixes of at most `length` bits match:
   * `{ 10.1.2.3, 20 }` finds 10.1.0.0/16, not 10.1.2.0/24.
   *
   * @param address `"a.b.c.d"`, an IPv6 address, its 4 / 16 bytes, or `{ address, length }`.
   * @returns The value, or `undefined` when no prefix contains it.
   * @throws {StoreError} `EINVAL` for a malformed address or length.
   *
   * @example Longest-prefix match of an IPv6 address
   * ```ts
   * import { LpmTable } from "@kvkit/qptrie";
   * import assert from "node:assert/strict";
   *
   * const table = new LpmTable<string>();
   * table.set("2001:db8::/32", "doc");
   * table.set("2001:db8:1::/48", "site");
   * assert.equal(table.lookup("2001:db8:1::5"), "site");
   * assert.equal(table.lookup("2001:db8:2::5"), "doc");
   * ```
   *
   * @example A lookup bounded by its own prefix length, as the kernel's
   * ```ts
   * import { LpmTable } from "@kvkit/qptrie";
   * import assert from "node:assert/strict";
   *
   * const table = new LpmTable<string>();
   * table.set("10.1.0.0/16", "site");
   * table.set("10.1.2.0/24", "lab");
   * assert.equal(table.lookup({ address: new Uint8Array([10, 1, 2, 3]), length: 20 }), "site");
   * assert.equal(table.lookup({ address: new Uint8Array([10, 1, 2, 3]), length: 32 }), "lab");
   * ```
   */
  lookup(address: string | Uint8Array | CidrBytes): T | undefined {
    const length = this.#lookup(address);
    return length < 0 ? undefined : this.#values[this.#readSlot()];
  }

  /**
   * The most specific prefix containing `address`, with its value.
   *
   * @param address As {@linkcode LpmTable.lookup}: text, 4 / 16 bytes, or `{ address, length }`
   * (only prefixes of at most `length` bits match).
   * @returns The match (its prefix as the network address), or `undefined` when none.
   * @throws {StoreError} `EINVAL` for a malformed address or length.
   *
   * @example The matching prefix, its length and its value
   * ```ts
   * import { LpmTable } from "@kvkit/qptrie";
   * import assert from "node:assert/strict";
   *
   * const table = new LpmTable<string>();
   * table.set("10.0.0.0/8", "a");
   * assert.deepEqual(table.match("10.9.9.9"), { prefix: "10.0.0.0/8", length: 8, value: "a" });
   * ```
   */
  match(address: string | Uint8Array | CidrBytes): LpmMatch<T> | undefined {
    const length = this.#lookup(address);
    if (length < 0) return undefined;
    const addr = maskAddress(this.#address.subarray(0, this.#addressSize), length);
    return {
      prefix: `${formatAddress(addr)}/${length}`,
      length,
      value: this.#values[this.#readSlot()] as T,
    };
  }

  /**
   * Every prefix (as its network address) and its value. In the default `"sorted"` order: IPv4
   * first, then by address, a prefix before the longer prefixes inside it. With `{ order:
   * "kernel" }`: the kernel's `BPF_MAP_GET_NEXT_KEY` order (post-order: the more specific
   * prefixes inside a prefix first, the 0 branch before the 1 branch), IPv4 first. The
   * consumer may change the table during the walk; every prefix present throughout is yielded
   * once.
   *
   * @param options `order`: `"sorted"` (default) or `"kernel"`.
   * @returns An iterator of `[prefix text, value]`.
   * @throws {StoreError} `EINVAL` for an unknown option or order.
   *
   * @example Routes sorted, IPv4 before IPv6
   * ```ts
   * import { LpmTable } from "@kvkit/qptrie";
   * import assert from "node:assert/strict";
   *
   * const table = new LpmTable<number>();
   * table.set("::/0", 3);
   * table.set("10.1.0.0/16", 2);
   * table.set("10.0.0.0/8", 1);
   * assert.deepEqual([...table.entries()], [["10.0.0.0/8", 1], ["10.1.0.0/16", 2], ["::/0", 3]]);
   * ```
   *
   * @example Routes in the kernel's order, most specific first
   * ```ts
   * import { LpmTable } from "@kvkit/qptrie";
   * import assert from "node:assert/strict";
   *
   * const table = new LpmTable<number>();
   * for (const p of ["0.0.0.0/0", "10.0.0.0/8", "10.1.0.0/16", "10.1.2.0/24"]) table.set(p, 0);
   * assert.deepEqual([...table.entries({ order: "kernel" })].map(([p]) => p), [
   *   "10.1.2.0/24",
   *   "10.1.0.0/16",
   *   "10.0.0.0/8",
   *   "0.0.0.0/0",
   * ]);
   * ```
   */
  entries(options?: LpmIterateOptions): IterableIterator<[string, T]> {
    const { order } = checkOptions("LpmTable.entries", options, ENTRIES_OPTION_NAMES);
    if (order === undefined || order === "sorted") return this.#sortedEntries();
    if (order === "kernel") return this.#kernelEntries();
    throw new StoreError("EINVAL", `order ${String(order)} is not "sorted" or "kernel"`);
  }

  /**
   * The prefix after `prefix` in the kernel's `BPF_MAP_GET_NEXT_KEY` order (post-order: the
   * more specific prefixes inside a prefix first, the 0 branch before the 1 branch; IPv4
   * first), with its address as stored (host bits as given to {@linkcode LpmTable.set}). As the
   * kernel: no `prefix`, or one not in the table, gives the first; host bits of `prefix` are
   * ignored.
   *
   * @param prefix The prefix to follow, or nothing for the first.
   * @returns The next prefix (a fresh copy), or `undefined` after the last.
   * @throws {StoreError} `EINVAL` for a malformed prefix.
   *
   * @example Walking routes as the kernel's get_next_key does
   * ```ts
   * import { type CidrBytes, LpmTable } from "@kvkit/qptrie";
   * import assert from "node:assert/strict";
   *
   * const table = new LpmTable<number>();
   * for (const p of ["0.0.0.0/0", "10.0.0.0/8", "10.1.0.0/16", "10.128.0.0/9"]) table.set(p, 0);
   * const walk: string[] = [];
   * for (let k: CidrBytes | undefined = table.nextKey(); k; k = table.nextKey(k)) {
   *   walk.push(`${k.address.join(".")}/${k.length}`);
   * }
   * assert.deepEqual(walk, ["10.1.0.0/16", "10.128.0.0/9", "10.0.0.0/8", "0.0.0.0/0"]);
   * assert.equal(table.nextKey("0.0.0.0/0"), undefined);
   * assert.deepEqual(table.nextKey("192.0.2.0/24"), { address: new Uint8Array([10, 1, 0, 0]), length: 16 });
   * ```
   */
  nextKey(prefix?: Cidr): CidrBytes | undefined {
    const trie = this.#trie;
    let key = prefix === undefined ? undefined : this.#encode(prefix);
    if (key !== undefined && !trie.has(key)) key = undefined;
    let next: Uint8Array | undefined;
    if (key === undefined) {
      const first = trie.nextKey();
      next = first === undefined ? undefined : this.#leftmost(first);
    } else {
      // The first key after key's subtree (its extensions), and key's nearest stored ancestor:
      // the next in post-order is the leftmost leaf from there when still under the ancestor,
      // else the ancestor itself.
      const full = key.length === 1 + (key[0] === FAMILY_V4 ? 32 : 128);
      let after: Uint8Array | undefined;
      if (full) {
        after = trie.nextKey(key);
      } else {
        const past = new Uint8Array(key.length + 1);
        past.set(key);
        past[key.length] = 2; // after every extension (bit bytes are 0 or 1)
        after = trie.nextKey(past);
      }
      const parent = key.length > 1
        ? trie.longestPrefixOf(key.subarray(0, key.length - 1))
        : undefined;
      next = after !== undefined && (parent === undefined || startsWith(after, parent))
        ? this.#leftmost(after)
        : parent;
    }
    if (next === undefined) return undefined;
    trie.getInto(next, this.#slot);
    const given = this.#given[this.#readSlot()];
    const address = given !== undefined
      ? given.slice()
      : new Uint8Array(next[0] === FAMILY_V4 ? 4 : 16);
    if (given === undefined) keyToAddress(next, next.length, address);
    return { address, length: next.length - 1 };
  }

  /**
   * Removes every prefix.
   *
   * @example Emptying the table
   * ```ts
   * import { LpmTable } from "@kvkit/qptrie";
   * import assert from "node:assert/strict";
   *
   * const table = new LpmTable<number>();
   * table.set("10.0.0.0/8", 1);
   * table.clear();
   * assert.equal(table.lookup("10.0.0.1"), undefined);
   * ```
   */
  clear(): void {
    this.#trie.clear();
    this.#values.length = 0;
    this.#freeSlots.length = 0;
    this.#given.length = 0;
    this.#givenBytes = 0;
  }

  /**
   * The bytes of the trie arenas, 8 per value slot and the addresses kept for host bits (your
   * values themselves not counted).
   *
   * @returns Bytes held.
   *
   * @example Bytes held by an empty table
   * ```ts
   * import { LpmTable } from "@kvkit/qptrie";
   * import assert from "node:assert/strict";
   *
   * assert.ok(new LpmTable().memoryUsage() > 0);
   * ```
   */
  memoryUsage(): number {
    return this.#trie.memoryUsage() + this.#values.length * SLOT_COST + this.#givenBytes;
  }

  /**
   * Draws the underlying trie (see {@linkcode QpTrie.describe}).
   *
   * @returns The drawing.
   *
   * @example Drawing the table
   * ```ts
   * import { LpmTable } from "@kvkit/qptrie";
   * import assert from "node:assert/strict";
   *
   * const table = new LpmTable<number>();
   * table.set("10.0.0.0/8", 1);
   * assert.ok(table.describe().startsWith("qptrie: 1 keys"));
   * ```
   */
  describe(): string {
    return this.#trie.describe();
  }

  #readSlot(): number {
    const s = this.#slot;
    return (s[0]! | s[1]! << 8 | s[2]! << 16 | s[3]! << 24) >>> 0;
  }

  #setGiven(slot: number, host: Uint8Array | undefined): void {
    const old = this.#given[slot];
    if (old === undefined && host === undefined) return;
    this.#givenBytes += (host === undefined ? 0 : host.length) -
      (old === undefined ? 0 : old.length);
    this.#given[slot] = host;
  }

  // Starting at a stored key, its first descendant in key order while there is one: the first
  // leaf in key order at or under `key`, the first in post-order.
  #leftmost(key: Uint8Array): Uint8Array {
    for (;;) {
      const next = this.#trie.nextKey(key);
      if (next === undefined || !startsWith(next, key)) return key;
      key = next;
    }
  }

  *#sortedEntries(): IterableIterator<[string, T]> {
    // Keys and addresses are only read to format the prefix: reused, not copied.
    const addr4 = new Uint8Array(4);
    const addr6 = new Uint8Array(16);
    for (const [key, slot] of this.#trie.entries({ reuse: true })) {
      const s = slot[0]! | slot[1]! << 8 | slot[2]! << 16 | slot[3]! << 24;
      yield [keyText(key, key.length, addr4, addr6), this.#values[s] as T];
    }
  }

  // Post-order from the trie's pre-order walk: a key waits until the first key that does not
  // extend it, so a prefix comes after every prefix inside it.
  *#kernelEntries(): IterableIterator<[string, T]> {
    const trie = this.#trie;
    const addr4 = new Uint8Array(4);
    const addr6 = new Uint8Array(16);
    // Its own slot buffer: the consumer may call the table between steps.
    const slot = new Uint8Array(SLOT_BYTES);
    // The last key read; every waiting key is a prefix of it (the lengths in `waiting`).
    const path = new Uint8Array(1 + 128);
    const waiting: number[] = [];
    const take = (length: number): [string, T] | undefined => {
      // Read again: the consumer may have deleted or replaced it since it was read.
      const key = path.subarray(0, length);
      if (!trie.getInto(key, slot)) return undefined;
      const s = slot[0]! | slot[1]! << 8 | slot[2]! << 16 | slot[3]! << 24;
      return [keyText(key, length, addr4, addr6), this.#values[s] as T];
    };
    for (const key of trie.keys({ reuse: true })) {
      while (waiting.length > 0) {
        const length = waiting[waiting.length - 1]!;
        if (length < key.length && startsWith(key, path.subarray(0, length))) break;
        waiting.pop();
        const entry = take(length);
        if (entry !== undefined) yield entry;
      }
      path.set(key);
      waiting.push(key.length);
    }
    while (waiting.length > 0) {
      const entry = take(waiting.pop()!);
      if (entry !== undefined) yield entry;
    }
  }

  // The trie key of a prefix; leaves in #hostAddress a copy of its address when it has host
  // bits set (byte form only: text with host bits is EINVAL).
  #encode(prefix: Cidr): Uint8Array {
    let p: ParsedPrefix;
    this.#hostAddress = undefined;
    if (typeof prefix === "string") {
      p = parseCidr(prefix);
    } else {
      p = { address: prefix?.address, length: prefix?.length } as ParsedPrefix;
      if (checkPrefixShape(p)) this.#hostAddress = p.address.slice();
    }
    const key = new Uint8Array(1 + p.length);
    key[0] = p.address.length === 4 ? FAMILY_V4 : FAMILY_V6;
    for (let i = 0; i < p.length; i++) key[1 + i] = (p.address[i >>> 3]! >>> (7 - (i & 7))) & 1;
    return key;
  }

  // Looks the address up; leaves the value slot in #slot and the address in #address.
  // Returns the matched prefix length, or -1.
  #lookup(address: string | Uint8Array | CidrBytes): number {
    const a = this.#address;
    let size: number;
    let bound = -1;
    if (typeof address === "string") {
      size = parseAddressInto(address, a);
      if (size === 0) throw new StoreError("EINVAL", `'${address}' is not an IPv4 or IPv6 address`);
    } else if (address instanceof Uint8Array) {
      if (address.length !== 4 && address.length !== 16) {
        throw new StoreError("EINVAL", "address must be a Uint8Array of 4 or 16 bytes");
      }
      size = address.length;
      a.set(address);
    } else if (typeof address === "object" && address !== null) {
      const p = { address: address.address, length: address.length } as ParsedPrefix;
      checkPrefixShape(p);
      size = p.address.length;
      a.set(p.address);
      bound = p.length;
    } else {
      throw new StoreError(
        "EINVAL",
        "address must be a string, a Uint8Array of 4 or 16 bytes or { address, length }",
      );
    }
    const key = size === 4 ? this.#key4 : this.#key6;
    this.#addressSize = size;
    for (let i = 0; i < size; i++) {
      const byte = a[i]!;
      const at = 1 + i * 8;
      key[at] = byte >>> 7;
      key[at + 1] = (byte >>> 6) & 1;
      key[at + 2] = (byte >>> 5) & 1;
      key[at + 3] = (byte >>> 4) & 1;
      key[at + 4] = (byte >>> 3) & 1;
      key[at + 5] = (byte >>> 2) & 1;
      key[at + 6] = (byte >>> 1) & 1;
      key[at + 7] = byte & 1;
    }
    // A bounded lookup matches only prefixes of at most `bound` bits: the key's first bits.
    const matched = this.#trie.longestPrefixInto(
      bound < 0 || bound === size * 8 ? key : key.subarray(0, 1 + bound),
      this.#slot,
    );
    return matched < 0 ? -1 : matched - 1;
  }
}

/** The option names {@linkcode LpmTable.entries} reads. */
const ENTRIES_OPTION_NAMES: readonly string[] = ["order"];

/** Whether `bytes` starts with `prefix` (and is longer). */
function startsWith(bytes: Uint8Array, prefix: Uint8Array): boolean {
  if (bytes.length <= prefix.length) return false;
  for (let i = prefix.length - 1; i >= 0; i--) if (bytes[i] !== prefix[i]) return false;
  return true;
}

/** Sets `out` (4 or 16 bytes) to the network address of the trie key `key[0, length)`. */
function keyToAddress(key: Uint8Array, length: number, out: Uint8Array): void {
  out.fill(0);
  for (let i = 1; i < length; i++) {
    if (key[i] === 1) out[(i - 1) >>> 3]! |= 0x80 >>> ((i - 1) & 7);
  }
}

/** The prefix text of the trie key `key[0, length)`, through the reused address buffers. */
function keyText(key: Uint8Array, length: number, addr4: Uint8Array, addr6: Uint8Array): string {
  const addr = key[0] === FAMILY_V4 ? addr4 : addr6;
  keyToAddress(key, length, addr);
  return `${formatAddress(addr)}/${length - 1}`;
}
