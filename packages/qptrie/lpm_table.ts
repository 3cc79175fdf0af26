/**
 * A CIDR longest-prefix-match table (the kernel's lpm-trie use case) on a {@linkcode QpTrie}.
 *
 * @module
 */

import { StoreError } from "@kvkit/store";
import { QpTrie } from "./qp_trie.ts";
import {
  checkPrefix,
  formatAddress,
  parseAddressInto,
  parseCidr,
  type ParsedPrefix,
} from "./_cidr.ts";

/** Options of {@linkcode LpmTable}. */
export interface LpmTableOptions {
  /** The most prefixes, a hard limit: a new prefix past it is `ENOSPC` (default 2^20). */
  maxEntries: number;
}

/** A prefix in byte form: a 4-byte (IPv4) or 16-byte (IPv6) address and a length in bits. */
export interface CidrBytes {
  /** The network address; bits past `length` must be zero. */
  readonly address: Uint8Array;
  /** The prefix length, 0..32 (IPv4) or 0..128 (IPv6). */
  readonly length: number;
}

/** A prefix: `"10.0.0.0/8"`, `"2001:db8::/32"`, or {@linkcode CidrBytes}. */
export type Cidr = string | CidrBytes;

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
 * | entries (ordered by family, address, length) | O(1) amortised each |
 *
 * @example
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
   * @param options The entry limit.
   * @throws {StoreError} `EINVAL` for a bad `maxEntries`.
   */
  constructor(options: Partial<LpmTableOptions> = {}) {
    const max = options.maxEntries ?? 2 ** 20;
    if (!Number.isInteger(max) || max < 1 || max > 2 ** 26) {
      throw new StoreError(
        "EINVAL",
        `maxEntries ${String(max)} is not an integer in 1..${2 ** 26}`,
      );
    }
    this.#trie = new QpTrie({ maxKeyLength: 1 + 128, valueSize: SLOT_BYTES, maxEntries: max });
    this.#key4[0] = FAMILY_V4;
    this.#key6[0] = FAMILY_V6;
  }

  /** The number of prefixes. */
  get size(): number {
    return this.#trie.size;
  }

  /**
   * Adds `prefix` or replaces its value.
   *
   * @param prefix `"a.b.c.d/n"`, `"x:y::/n"` or `{ address, length }`; host bits must be zero.
   * @param value Anything.
   * @throws {StoreError} `EINVAL` for a malformed prefix, `ENOSPC` when full and new.
   *
   * @example
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
   */
  set(prefix: Cidr, value: T): void {
    const key = this.#encode(prefix);
    const trie = this.#trie;
    if (trie.getInto(key, this.#slot)) {
      this.#values[this.#readSlot()] = value;
      return;
    }
    if (trie.size >= trie.capabilities.maxEntries) {
      throw new StoreError("ENOSPC", `table is full (maxEntries ${trie.capabilities.maxEntries})`);
    }
    const slot = this.#freeSlots.pop() ?? this.#values.length;
    const s = this.#slot;
    s[0] = slot & 255;
    s[1] = (slot >>> 8) & 255;
    s[2] = (slot >>> 16) & 255;
    s[3] = slot >>> 24;
    trie.set(key, s);
    this.#values[slot] = value;
  }

  /**
   * The value of exactly `prefix` (not a match: see {@linkcode LpmTable.lookup}).
   *
   * @param prefix The prefix.
   * @returns Its value, or `undefined` when absent.
   * @throws {StoreError} `EINVAL` for a malformed prefix.
   *
   * @example
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
   * @param prefix The prefix.
   * @returns `true` when present.
   * @throws {StoreError} `EINVAL` for a malformed prefix.
   *
   * @example
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
   * Removes exactly `prefix`.
   *
   * @param prefix The prefix.
   * @returns `false` when it was absent.
   * @throws {StoreError} `EINVAL` for a malformed prefix.
   *
   * @example
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
    this.#freeSlots.push(slot);
    return true;
  }

  /**
   * The value of the most specific prefix containing `address`.
   *
   * @param address `"a.b.c.d"`, an IPv6 address, or its 4 / 16 bytes.
   * @returns The value, or `undefined` when no prefix contains it.
   * @throws {StoreError} `EINVAL` for a malformed address.
   *
   * @example
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
   */
  lookup(address: string | Uint8Array): T | undefined {
    const length = this.#lookup(address);
    return length < 0 ? undefined : this.#values[this.#readSlot()];
  }

  /**
   * The most specific prefix containing `address`, with its value.
   *
   * @param address `"a.b.c.d"`, an IPv6 address, or its 4 / 16 bytes.
   * @returns The match, or `undefined` when no prefix contains it.
   * @throws {StoreError} `EINVAL` for a malformed address.
   *
   * @example
   * ```ts
   * import { LpmTable } from "@kvkit/qptrie";
   * import assert from "node:assert/strict";
   *
   * const table = new LpmTable<string>();
   * table.set("10.0.0.0/8", "a");
   * assert.deepEqual(table.match("10.9.9.9"), { prefix: "10.0.0.0/8", length: 8, value: "a" });
   * ```
   */
  match(address: string | Uint8Array): LpmMatch<T> | undefined {
    const length = this.#lookup(address);
    if (length < 0) return undefined;
    const addr = this.#address.slice(0, this.#addressSize);
    for (let i = length; i < addr.length * 8; i++) addr[i >>> 3]! &= ~(0x80 >>> (i & 7));
    return {
      prefix: `${formatAddress(addr)}/${length}`,
      length,
      value: this.#values[this.#readSlot()] as T,
    };
  }

  /**
   * Every prefix and its value, IPv4 first, then by address, a prefix before the longer
   * prefixes inside it.
   *
   * @returns An iterator of `[prefix text, value]`.
   *
   * @example
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
   */
  *entries(): IterableIterator<[string, T]> {
    for (const [key, slot] of this.#trie.entries()) {
      const addr = new Uint8Array(key[0] === FAMILY_V4 ? 4 : 16);
      for (let i = 1; i < key.length; i++) {
        if (key[i] === 1) addr[(i - 1) >>> 3]! |= 0x80 >>> ((i - 1) & 7);
      }
      const s = slot[0]! | slot[1]! << 8 | slot[2]! << 16 | slot[3]! << 24;
      yield [`${formatAddress(addr)}/${key.length - 1}`, this.#values[s] as T];
    }
  }

  /**
   * Removes every prefix.
   *
   * @example
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
  }

  /**
   * The bytes of the trie arenas plus 8 per value slot (your values themselves not counted).
   *
   * @returns Bytes held.
   *
   * @example
   * ```ts
   * import { LpmTable } from "@kvkit/qptrie";
   * import assert from "node:assert/strict";
   *
   * assert.ok(new LpmTable().memoryUsage() > 0);
   * ```
   */
  memoryUsage(): number {
    return this.#trie.memoryUsage() + this.#values.length * SLOT_COST;
  }

  /**
   * Draws the underlying trie (see {@linkcode QpTrie.describe}).
   *
   * @returns The drawing.
   *
   * @example
   * ```ts
   * import { LpmTable } from "@kvkit/qptrie";
   * import assert from "node:assert/strict";
   *
   * const table = new LpmTable<number>();
   * table.set("10.0.0.0/8", 1);
   * assert.match(table.describe(), /1 keys/);
   * ```
   */
  describe(): string {
    return this.#trie.describe();
  }

  #readSlot(): number {
    const s = this.#slot;
    return (s[0]! | s[1]! << 8 | s[2]! << 16 | s[3]! << 24) >>> 0;
  }

  #encode(prefix: Cidr): Uint8Array {
    let p: ParsedPrefix;
    if (typeof prefix === "string") {
      p = parseCidr(prefix);
    } else {
      p = { address: prefix?.address, length: prefix?.length } as ParsedPrefix;
      checkPrefix(p);
    }
    const key = new Uint8Array(1 + p.length);
    key[0] = p.address.length === 4 ? FAMILY_V4 : FAMILY_V6;
    for (let i = 0; i < p.length; i++) key[1 + i] = (p.address[i >>> 3]! >>> (7 - (i & 7))) & 1;
    return key;
  }

  // Looks the address up; leaves the value slot in #slot and the address in #address.
  // Returns the matched prefix length, or -1.
  #lookup(address: string | Uint8Array): number {
    const a = this.#address;
    let size: number;
    if (typeof address === "string") {
      size = parseAddressInto(address, a);
      if (size === 0) throw new StoreError("EINVAL", `'${address}' is not an IPv4 or IPv6 address`);
    } else if (address instanceof Uint8Array && (address.length === 4 || address.length === 16)) {
      size = address.length;
      a.set(address);
    } else {
      throw new StoreError("EINVAL", "address must be a string or a Uint8Array of 4 or 16 bytes");
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
    const matched = this.#trie.longestPrefixInto(key, this.#slot);
    return matched < 0 ? -1 : matched - 1;
  }
}
