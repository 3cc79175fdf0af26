/**
 * The program side (the RFC's BPF side): attach to a store's shared regions and get, put and
 * delete existing keys with plain typed-array access - no allocation, no locks beyond the
 * optional per-key sequence counter.
 *
 * @module
 */

import { copyBytes, StoreError } from "@kvkit/store";
import * as layout from "./layout.ts";
import type { RegionBuffer, UptrKvRegions } from "./regions.ts";
import { backoff, lockKey, unlockKey } from "./_seqlock.ts";
import { validateRegions } from "./_validate.ts";

// Module-local copies of the layout constants. V8 loads an imported binding from its module
// cell on every use, but folds a local const into optimized code: with the imports, a get or
// put of 8 bytes took about 5 ns longer (a raw 8-byte copy takes about 5 ns).
const {
  CTRL_DELETES,
  CTRL_FLAGS,
  CTRL_GENERATION,
  CTRL_MANIFEST_VERSION,
  CTRL_NR_PAGES,
  CTRL_SEQ,
  FLAG_CONSISTENT,
  INIT_BIT,
  MAX_PAGES,
  META_ENTRIES,
  PAGE_IDX_MASK,
  PAGE_OFF_MASK,
  PAGE_OFF_SHIFT,
  PAGE_SIZE,
  RESERVED_MASK,
  SIZE_MASK,
  SIZE_SHIFT,
} = layout;

// Values up to this length are copied by a loop; longer ones by TypedArray#set on a cached
// view of the slot (a builtin call costs more than a short loop).
const LOOP_COPY_MAX = 16;
// #locate results below zero.
const ABSENT = -1;
const CORRUPT = -2;
// An entry the fast paths take as is: init set, reserved bits clear, offset 8-byte aligned.
const FAST_MASK = INIT_BIT | RESERVED_MASK | (7 << PAGE_OFF_SHIFT);

function badKey(key: number): StoreError {
  return new StoreError("EINVAL", `key ${key} is not an integer in 0..${META_ENTRIES - 1}`);
}

/**
 * A program's handle on a store: reads and writes existing keys in place. It cannot create
 * keys or change a value's size - only the owner ({@linkcode UptrKvOwner}) manages space.
 * Unknown or uninitialised keys are `ENOENT`, as in the RFC.
 *
 * In a consistent store (the default) every read retries until it saw no concurrent writer
 * of that key (seqlock), and every write holds the key's counter odd while it copies. In a
 * plain store, reads and writes are bare typed-array access: each metadata entry is read
 * whole (aligned u32 reads do not tear) and every byte read is one some writer wrote, but a
 * value read while another thread writes it may be half old, half new, and the owner must
 * not move values (resize, compact, migrate) while programs run.
 *
 * | operation | cost |
 * | --- | --- |
 * | `getInto` / `put` / typed readers | O(value size), no allocation |
 * | `get` | O(value size), allocates the copy |
 * | `delete` / `has` / `sizeOf` | O(1) |
 * | `attach` | O(1024): validates every metadata entry |
 *
 * @example Attaching in a Worker after `postMessage` of the regions
 * ```ts
 * import { UptrKvOwner, UptrKvProgram } from "@kvkit/uptr-kv";
 * import assert from "node:assert/strict";
 *
 * const owner = new UptrKvOwner();
 * owner.put(3, new Uint8Array(8));
 * // in a Worker: onmessage = (e) => { const kv = UptrKvProgram.attach(e.data); ... }
 * const kv = UptrKvProgram.attach(owner.regions);
 * kv.writeF64(3, 0, 2.5);
 * assert.equal(owner.program.readF64(3, 0), 2.5);
 * assert.throws(() => kv.put(4, new Uint8Array(8)), { code: "ENOENT" });
 * ```
 */
export class UptrKvProgram {
  /** The regions this program is attached to. */
  readonly regions: UptrKvRegions;
  /** Whether reads and writes use the per-key sequence counters (fixed by the owner). */
  readonly consistent: boolean;
  readonly #meta: Uint32Array;
  readonly #ctrl: Int32Array;
  readonly #buf: RegionBuffer;
  #data: Uint8Array;
  #u32: Uint32Array;
  #f64: Float64Array;
  // Per key: a view of its slot and the metadata word it was made for (reused while equal).
  readonly #slots: (Uint8Array | undefined)[] = new Array(META_ENTRIES).fill(undefined);
  readonly #slotMeta = new Uint32Array(META_ENTRIES);
  // Outputs of #locate besides its return value, so the hot path allocates nothing.
  #n = 0;
  #m = 0;

  /**
   * Validates the regions and attaches to them (same as {@linkcode UptrKvProgram.attach}).
   *
   * @param regions The regions from {@linkcode UptrKvOwner.regions}.
   */
  constructor(regions: UptrKvRegions) {
    validateRegions(regions);
    this.regions = { meta: regions.meta, data: regions.data, control: regions.control };
    this.#meta = new Uint32Array(regions.meta);
    this.#ctrl = new Int32Array(regions.control);
    this.#buf = regions.data;
    this.consistent = (Atomics.load(this.#ctrl, CTRL_FLAGS) & FLAG_CONSISTENT) !== 0;
    const len = this.#buf.byteLength;
    this.#data = new Uint8Array(this.#buf, 0, len);
    this.#u32 = new Uint32Array(this.#buf, 0, len >>> 2);
    this.#f64 = new Float64Array(this.#buf, 0, len >>> 3);
  }

  /**
   * Attaches to a store's regions in one step: checks their sizes, header and every metadata
   * entry (an entry pointing outside the data region or overlapping another is `EINVAL`).
   *
   * @param regions The regions, e.g. received by a Worker through `postMessage`.
   * @returns The program handle.
   * @throws {StoreError} `EINVAL` for regions that are not a valid store.
   *
   * @example Attaching to an owner's regions
   * ```ts
   * import { UptrKvOwner, UptrKvProgram } from "@kvkit/uptr-kv";
   * import assert from "node:assert/strict";
   *
   * const owner = new UptrKvOwner();
   * assert.ok(UptrKvProgram.attach(owner.regions).consistent);
   * const bad = { ...owner.regions, meta: new ArrayBuffer(100) };
   * assert.throws(() => UptrKvProgram.attach(bad), { code: "EINVAL" });
   * ```
   */
  static attach(regions: UptrKvRegions): UptrKvProgram {
    return new UptrKvProgram(regions);
  }

  /** Data pages currently allocated by the owner (1..8). */
  get pageCount(): number {
    return Atomics.load(this.#ctrl, CTRL_NR_PAGES);
  }

  /**
   * The version of the last manifest the owner applied, or `undefined` before any; a program
   * polls it to notice a rollout.
   */
  get manifestVersion(): number | undefined {
    return Atomics.load(this.#ctrl, CTRL_GENERATION) === 0
      ? undefined
      : Atomics.load(this.#ctrl, CTRL_MANIFEST_VERSION);
  }

  // The byte start of key's value, leaving its length in #n and entry in #m; or ABSENT/CORRUPT.
  #locate(key: number): number {
    const m = this.#meta[key]!;
    if ((m & INIT_BIT) === 0) return ABSENT;
    const off = (m >>> PAGE_OFF_SHIFT) & PAGE_OFF_MASK;
    const n = ((m >>> SIZE_SHIFT) & SIZE_MASK) + 1;
    const start = (m & PAGE_IDX_MASK) * PAGE_SIZE + off;
    if ((off & 7) !== 0 || off + n > PAGE_SIZE || (m & RESERVED_MASK) !== 0) return CORRUPT;
    if (start + n > this.#data.length && !this.#refresh(start + n)) return CORRUPT;
    this.#n = n;
    this.#m = m;
    return start;
  }

  // The owner grew the data region since our views were made: remake them.
  #refresh(need: number): boolean {
    const len = Math.min(this.#buf.byteLength, MAX_PAGES * PAGE_SIZE) & ~(PAGE_SIZE - 1);
    if (len > this.#data.length) {
      this.#data = new Uint8Array(this.#buf, 0, len);
      this.#u32 = new Uint32Array(this.#buf, 0, len >>> 2);
      this.#f64 = new Float64Array(this.#buf, 0, len >>> 3);
    }
    return need <= this.#data.length;
  }

  // A view of key's slot for TypedArray#set, made once per entry word `m` and reused.
  #slot(key: number, m: number, start: number, n: number): Uint8Array {
    let v = this.#slots[key];
    if (v === undefined || this.#slotMeta[key] !== m) {
      v = this.#data.subarray(start, start + n);
      this.#slots[key] = v;
      this.#slotMeta[key] = m;
    }
    return v;
  }

  #fail(key: number, code: number): never {
    if (code === ABSENT) throw new StoreError("ENOENT", `key ${key} is not initialised`);
    throw new StoreError("EINVAL", `metadata entry of key ${key} is out of bounds`);
  }

  /**
   * Whether `key` is present.
   *
   * @param key An integer key, 0..1023.
   * @returns `true` when the key's `init` bit is set.
   * @throws {StoreError} `EINVAL` for a key out of range.
   *
   * @example Whether a key is present
   * ```ts
   * import { UptrKvOwner } from "@kvkit/uptr-kv";
   * import assert from "node:assert/strict";
   *
   * const owner = new UptrKvOwner();
   * owner.put(1, new Uint8Array([1]));
   * assert.ok(owner.program.has(1));
   * assert.ok(!owner.program.has(2));
   * ```
   */
  has(key: number): boolean {
    if ((key >>> 0) !== key || key >= META_ENTRIES) throw badKey(key);
    return (this.#meta[key]! & INIT_BIT) !== 0;
  }

  /**
   * The length of `key`'s value.
   *
   * @param key An integer key, 0..1023.
   * @returns The length in bytes, or `undefined` when the key is absent.
   * @throws {StoreError} `EINVAL` for a key out of range.
   *
   * @example The length of a value
   * ```ts
   * import { UptrKvOwner } from "@kvkit/uptr-kv";
   * import assert from "node:assert/strict";
   *
   * const owner = new UptrKvOwner();
   * owner.put(1, new Uint8Array(4096));
   * assert.equal(owner.program.sizeOf(1), 4096);
   * assert.equal(owner.program.sizeOf(2), undefined);
   * ```
   */
  sizeOf(key: number): number | undefined {
    if ((key >>> 0) !== key || key >= META_ENTRIES) throw badKey(key);
    const m = this.#meta[key]!;
    return (m & INIT_BIT) === 0 ? undefined : ((m >>> SIZE_SHIFT) & SIZE_MASK) + 1;
  }

  /**
   * Copies `key`'s value into `out` at `offset` without allocating.
   *
   * @param key An integer key, 0..1023.
   * @param out Receives the value from `offset`; needs room for the value's length there.
   * @param offset Where in `out` the value starts (default 0).
   * @returns The value's length.
   * @throws {StoreError} `ENOENT` for an absent key; `EINVAL` for a bad key or offset, no room
   * in `out` (left untouched) or a corrupt metadata entry; `EBUSY` when a writer held the key
   * for over 2 s.
   *
   * @example Reading into a caller-owned buffer
   * ```ts
   * import { UptrKvOwner } from "@kvkit/uptr-kv";
   * import assert from "node:assert/strict";
   *
   * const owner = new UptrKvOwner();
   * owner.put(9, new Uint8Array([1, 2, 3]));
   * const out = new Uint8Array(16);
   * assert.equal(owner.program.getInto(9, out), 3);
   * assert.deepEqual(out.subarray(0, 3), new Uint8Array([1, 2, 3]));
   * assert.equal(owner.program.getInto(9, out, 13), 3);
   * assert.deepEqual(out.subarray(13), new Uint8Array([1, 2, 3]));
   * ```
   */
  getInto(key: number, out: Uint8Array, offset = 0): number {
    if ((key >>> 0) !== key || key >= META_ENTRIES) throw badKey(key);
    if (typeof offset !== "number" || (offset >>> 0) !== offset) {
      throw new StoreError("EINVAL", `offset ${String(offset)} is not a non-negative integer`);
    }
    if (!this.consistent) {
      const n = this.#readFast(key, out, offset);
      return n >= 0 ? n : this.#getIntoSlow(key, out, offset);
    }
    // Seqlock read: the counter sampled (atomically) around the copy, unchanged and even.
    const ctrl = this.#ctrl;
    const idx = CTRL_SEQ + key;
    const s = Atomics.load(ctrl, idx);
    if ((s & 1) === 0) {
      const n = this.#readFast(key, out, offset);
      if (n >= 0 && Atomics.load(ctrl, idx) === s) return n;
    }
    return this.#getIntoSlow(key, out, offset);
  }

  // The fast path of a read: one entry load, one mask test for init/reserved/alignment, bounds,
  // copy. Returns the length, or -1 for anything else (absent, corrupt, short out, grown data
  // region), which the slow path sorts out. Plain and consistent paths each inline their own
  // copy, so the plain loop is compiled apart from the Atomics calls.
  #readFast(key: number, out: Uint8Array, offset: number): number {
    const m = this.#meta[key]!;
    const off = (m >>> PAGE_OFF_SHIFT) & PAGE_OFF_MASK;
    const n = ((m >>> SIZE_SHIFT) & SIZE_MASK) + 1;
    const start = (m & PAGE_IDX_MASK) * PAGE_SIZE + off;
    const data = this.#data;
    if (
      (m & FAST_MASK) !== INIT_BIT || off + n > PAGE_SIZE || start + n > data.length ||
      offset + n > out.length
    ) return -1;
    if (n <= LOOP_COPY_MAX) {
      for (let i = 0; i < n; i++) out[offset + i] = data[start + i]!;
    } else {
      out.set(this.#slot(key, m, start, n), offset);
    }
    return n;
  }

  // The fast path of a write, as #readFast: false for anything the slow path must sort out.
  #writeFast(key: number, value: Uint8Array): boolean {
    const m = this.#meta[key]!;
    const off = (m >>> PAGE_OFF_SHIFT) & PAGE_OFF_MASK;
    const n = ((m >>> SIZE_SHIFT) & SIZE_MASK) + 1;
    const start = (m & PAGE_IDX_MASK) * PAGE_SIZE + off;
    const data = this.#data;
    if (
      (m & FAST_MASK) !== INIT_BIT || off + n > PAGE_SIZE || start + n > data.length ||
      n !== value.length
    ) return false;
    if (n <= LOOP_COPY_MAX) {
      for (let i = 0; i < n; i++) data[start + i] = value[i]!;
    } else {
      this.#slot(key, m, start, n).set(value);
    }
    return true;
  }

  #getIntoSlow(key: number, out: Uint8Array, offset: number): number {
    if (!this.consistent) {
      const start = this.#locate(key);
      const n = this.#n;
      if (start < 0) this.#fail(key, start);
      if (offset + n > out.length) throw this.#short(key, n, out, offset);
      this.#copyOut(key, start, n, out, offset);
      return n;
    }
    const ctrl = this.#ctrl;
    const idx = CTRL_SEQ + key;
    let started = 0;
    for (let spins = 0;; spins++) {
      const s = Atomics.load(ctrl, idx);
      if ((s & 1) === 0) {
        const start = this.#locate(key);
        const n = this.#n;
        const room = offset + n <= out.length;
        if (start >= 0 && room) this.#copyOut(key, start, n, out, offset);
        if (Atomics.load(ctrl, idx) === s) {
          if (start < 0) this.#fail(key, start);
          if (!room) throw this.#short(key, n, out, offset);
          return n;
        }
      }
      started = backoff(spins, started, key);
    }
  }

  #short(key: number, n: number, out: Uint8Array, offset: number): StoreError {
    return new StoreError(
      "EINVAL",
      `output of length ${out.length} has no room for key ${key}'s ${n} bytes at offset ${
        String(offset)
      }`,
    );
  }

  #copyOut(key: number, start: number, n: number, out: Uint8Array, offset: number): void {
    if (n <= LOOP_COPY_MAX) {
      const data = this.#data;
      for (let i = 0; i < n; i++) out[offset + i] = data[start + i]!;
    } else {
      out.set(this.#slot(key, this.#m, start, n), offset);
    }
  }

  /**
   * A copy of `key`'s value, carved from a shared slab by `allocBytes` of `@kvkit/store`
   * (use {@linkcode UptrKvProgram.getInto} in hot loops: it allocates nothing).
   *
   * @param key An integer key, 0..1023.
   * @returns A copy of the value, independent of the store.
   * @throws {StoreError} `ENOENT` for an absent key; `EINVAL` for a bad key.
   *
   * @example Reading a copy
   * ```ts
   * import { UptrKvOwner } from "@kvkit/uptr-kv";
   * import assert from "node:assert/strict";
   *
   * const owner = new UptrKvOwner();
   * owner.put(0, new Uint8Array([7]));
   * assert.deepEqual(owner.program.get(0), new Uint8Array([7]));
   * assert.throws(() => owner.program.get(1), { code: "ENOENT" });
   * ```
   */
  get(key: number): Uint8Array {
    if ((key >>> 0) !== key || key >= META_ENTRIES) throw badKey(key);
    const ctrl = this.#ctrl;
    const idx = CTRL_SEQ + key;
    let started = 0;
    for (let spins = 0;; spins++) {
      const s = this.consistent ? Atomics.load(ctrl, idx) : 0;
      if ((s & 1) === 0) {
        const start = this.#locate(key);
        const copy = start >= 0 ? copyBytes(this.#data, start, start + this.#n) : undefined;
        if (!this.consistent || Atomics.load(ctrl, idx) === s) {
          if (copy === undefined) this.#fail(key, start);
          return copy;
        }
      }
      started = backoff(spins, started, key);
    }
  }

  /**
   * Overwrites `key`'s value in place. The length must equal the present value's: a program
   * cannot allocate.
   *
   * @param key An integer key, 0..1023.
   * @param value The new bytes, exactly as long as the present value.
   * @throws {StoreError} `ENOENT` for an absent key; `EINVAL` for a bad key or another length.
   *
   * @example Overwriting a value of the same length
   * ```ts
   * import { UptrKvOwner } from "@kvkit/uptr-kv";
   * import assert from "node:assert/strict";
   *
   * const owner = new UptrKvOwner();
   * owner.put(0, new Uint8Array(2));
   * owner.program.put(0, new Uint8Array([4, 5]));
   * assert.deepEqual(owner.get(0), new Uint8Array([4, 5]));
   * assert.throws(() => owner.program.put(0, new Uint8Array(3)), { code: "EINVAL" });
   * ```
   */
  put(key: number, value: Uint8Array): void {
    if ((key >>> 0) !== key || key >= META_ENTRIES) throw badKey(key);
    if (!(value instanceof Uint8Array)) throw new StoreError("EINVAL", "value is not a Uint8Array");
    if (!this.consistent) {
      if (!this.#writeFast(key, value)) this.#putSlow(key, value);
      return;
    }
    // Seqlock write: take the counter from even to odd, copy, release at the next even value.
    // A plain read of the counter is enough to guess it: the compareExchange checks the guess
    // atomically, and a wrong one only sends us to the slow path (one Atomics call saved).
    const ctrl = this.#ctrl;
    const idx = CTRL_SEQ + key;
    const s = ctrl[idx]!;
    if ((s & 1) === 0 && Atomics.compareExchange(ctrl, idx, s, (s + 1) | 0) === s) {
      const ok = this.#writeFast(key, value);
      Atomics.store(ctrl, idx, (s + 2) | 0);
      if (ok) return;
    }
    this.#putSlow(key, value);
  }

  // Kept out of put: a try/finally in the hot method slows its fast path down.
  #putSlow(key: number, value: Uint8Array): void {
    if (!this.consistent) return this.#write(key, value);
    const held = lockKey(this.#ctrl, key);
    try {
      this.#write(key, value);
    } finally {
      unlockKey(this.#ctrl, key, held);
    }
  }

  #write(key: number, value: Uint8Array): void {
    const start = this.#locate(key);
    if (start < 0) this.#fail(key, start);
    const n = this.#n;
    if (value.length !== n) {
      throw new StoreError(
        "EINVAL",
        `value length ${value.length} differs from key ${key}'s ${n} (only the owner resizes)`,
      );
    }
    if (n <= LOOP_COPY_MAX) {
      const data = this.#data;
      for (let i = 0; i < n; i++) data[start + i] = value[i]!;
    } else {
      this.#slot(key, this.#m, start, n).set(value);
    }
  }

  /**
   * Deletes `key`: clears its metadata entry. The owner reuses the space on its next
   * allocation.
   *
   * @param key An integer key, 0..1023.
   * @throws {StoreError} `ENOENT` for an absent key; `EINVAL` for a bad key.
   *
   * @example Deleting a key from a program
   * ```ts
   * import { UptrKvOwner } from "@kvkit/uptr-kv";
   * import assert from "node:assert/strict";
   *
   * const owner = new UptrKvOwner();
   * owner.put(5, new Uint8Array(1));
   * owner.program.delete(5);
   * assert.equal(owner.has(5), false);
   * assert.throws(() => owner.program.delete(5), { code: "ENOENT" });
   * ```
   */
  delete(key: number): void {
    if ((key >>> 0) !== key || key >= META_ENTRIES) throw badKey(key);
    const s = this.consistent ? lockKey(this.#ctrl, key) : 0;
    try {
      if ((this.#meta[key]! & INIT_BIT) === 0) this.#fail(key, ABSENT);
      Atomics.store(this.#meta, key, 0);
      // After the entry: an owner that sees the new count also sees the key gone.
      Atomics.add(this.#ctrl, CTRL_DELETES, 1);
    } finally {
      if (this.consistent) unlockKey(this.#ctrl, key, s);
    }
  }

  // Shared by the typed readers: the element index of `index` in a view of `width` bytes.
  #element(key: number, index: number, width: number): number {
    const start = this.#locate(key);
    if (start < 0) this.#fail(key, start);
    if ((index >>> 0) !== index || (index + 1) * width > this.#n) {
      throw new StoreError(
        "EINVAL",
        `index ${index} of a ${width}-byte element is outside key ${key}'s ${this.#n} bytes`,
      );
    }
    return start / width + index;
  }

  // Fast path of the typed accessors: the element index of `index` in a view of 2^shift-byte
  // elements, or -1 for the slow path to sort out. The index may lie past the view's end (a
  // page added after the views were made, a corrupt entry): readers get `undefined` there and
  // writers check the view's length, which costs less than checking the data length first.
  // Shifts, not division, so the index stays an integer in optimized code.
  #fastElement(key: number, index: number, shift: number): number {
    const m = this.#meta[key]!;
    const off = (m >>> PAGE_OFF_SHIFT) & PAGE_OFF_MASK;
    const n = ((m >>> SIZE_SHIFT) & SIZE_MASK) + 1;
    return (m & FAST_MASK) === INIT_BIT && off + n <= PAGE_SIZE && (index >>> 0) === index &&
        index < (n >>> shift)
      ? (((m & PAGE_IDX_MASK) * PAGE_SIZE + off) >>> shift) + index
      : -1;
  }

  /**
   * Reads the `index`-th u32 (native byte order) of `key`'s value, in place.
   *
   * @param key An integer key, 0..1023.
   * @param index Element index; `(index + 1) * 4` must not exceed the value's length.
   * @returns The u32.
   * @throws {StoreError} `ENOENT` for an absent key; `EINVAL` for a bad key or index.
   *
   * @example Reading a u32 element
   * ```ts
   * import { UptrKvOwner } from "@kvkit/uptr-kv";
   * import assert from "node:assert/strict";
   *
   * const owner = new UptrKvOwner();
   * owner.put(2, new Uint8Array(8));
   * owner.program.writeU32(2, 1, 0xdeadbeef);
   * assert.equal(owner.program.readU32(2, 1), 0xdeadbeef);
   * assert.throws(() => owner.program.readU32(2, 2), { code: "EINVAL" });
   * ```
   */
  readU32(key: number, index: number): number {
    if ((key >>> 0) !== key || key >= META_ENTRIES) throw badKey(key);
    if (!this.consistent) {
      const v = this.#u32[this.#fastElement(key, index, 2)];
      return v !== undefined ? v : this.#readSlow(key, index, 4);
    }
    const ctrl = this.#ctrl;
    const idx = CTRL_SEQ + key;
    const s = Atomics.load(ctrl, idx);
    if ((s & 1) === 0) {
      const v = this.#u32[this.#fastElement(key, index, 2)];
      if (v !== undefined && Atomics.load(ctrl, idx) === s) return v;
    }
    return this.#readSlow(key, index, 4);
  }

  /**
   * Writes the `index`-th u32 (native byte order) of `key`'s value, in place.
   *
   * @param key An integer key, 0..1023.
   * @param index Element index; `(index + 1) * 4` must not exceed the value's length.
   * @param value The u32 to store (taken modulo 2^32).
   * @throws {StoreError} `ENOENT` for an absent key; `EINVAL` for a bad key or index.
   *
   * @example Writing a u32 element
   * ```ts
   * import { UptrKvOwner } from "@kvkit/uptr-kv";
   * import assert from "node:assert/strict";
   *
   * const owner = new UptrKvOwner();
   * owner.put(2, new Uint8Array(4));
   * owner.program.writeU32(2, 0, 7);
   * assert.equal(owner.program.readU32(2, 0), 7);
   * ```
   */
  writeU32(key: number, index: number, value: number): void {
    if ((key >>> 0) !== key || key >= META_ENTRIES) throw badKey(key);
    if (!this.consistent) {
      const e = this.#fastElement(key, index, 2);
      if (e >= 0 && e < this.#u32.length) this.#u32[e] = value;
      else this.#writeSlow(key, index, 4, value);
      return;
    }
    // As in put: a plain guess of the counter, checked by the compareExchange.
    const ctrl = this.#ctrl;
    const idx = CTRL_SEQ + key;
    const s = ctrl[idx]!;
    if ((s & 1) === 0 && Atomics.compareExchange(ctrl, idx, s, (s + 1) | 0) === s) {
      const e = this.#fastElement(key, index, 2);
      const ok = e >= 0 && e < this.#u32.length;
      if (ok) this.#u32[e] = value;
      Atomics.store(ctrl, idx, (s + 2) | 0);
      if (ok) return;
    }
    this.#writeSlow(key, index, 4, value);
  }

  /**
   * Reads the `index`-th f64 (native byte order) of `key`'s value, in place.
   *
   * @param key An integer key, 0..1023.
   * @param index Element index; `(index + 1) * 8` must not exceed the value's length.
   * @returns The number.
   * @throws {StoreError} `ENOENT` for an absent key; `EINVAL` for a bad key or index.
   *
   * @example Reading an f64 element
   * ```ts
   * import { UptrKvOwner } from "@kvkit/uptr-kv";
   * import assert from "node:assert/strict";
   *
   * const owner = new UptrKvOwner();
   * owner.put(4, new Uint8Array(16));
   * owner.program.writeF64(4, 1, Math.PI);
   * assert.equal(owner.program.readF64(4, 1), Math.PI);
   * ```
   */
  readF64(key: number, index: number): number {
    if ((key >>> 0) !== key || key >= META_ENTRIES) throw badKey(key);
    if (!this.consistent) {
      const v = this.#f64[this.#fastElement(key, index, 3)];
      return v !== undefined ? v : this.#readSlow(key, index, 8);
    }
    const ctrl = this.#ctrl;
    const idx = CTRL_SEQ + key;
    const s = Atomics.load(ctrl, idx);
    if ((s & 1) === 0) {
      const v = this.#f64[this.#fastElement(key, index, 3)];
      if (v !== undefined && Atomics.load(ctrl, idx) === s) return v;
    }
    return this.#readSlow(key, index, 8);
  }

  // Slow path of readU32/readF64 (errors, a held key, a grown data region).
  #readSlow(key: number, index: number, width: 4 | 8): number {
    if (!this.consistent) {
      const e = this.#element(key, index, width);
      return width === 4 ? this.#u32[e]! : this.#f64[e]!;
    }
    const ctrl = this.#ctrl;
    const idx = CTRL_SEQ + key;
    let started = 0;
    for (let spins = 0;; spins++) {
      const s = Atomics.load(ctrl, idx);
      if ((s & 1) === 0) {
        const e = this.#element(key, index, width);
        const v = width === 4 ? this.#u32[e]! : this.#f64[e]!;
        if (Atomics.load(ctrl, idx) === s) return v;
      }
      started = backoff(spins, started, key);
    }
  }

  /**
   * Writes the `index`-th f64 (native byte order) of `key`'s value, in place.
   *
   * @param key An integer key, 0..1023.
   * @param index Element index; `(index + 1) * 8` must not exceed the value's length.
   * @param value The number to store.
   * @throws {StoreError} `ENOENT` for an absent key; `EINVAL` for a bad key or index.
   *
   * @example Writing an f64 element
   * ```ts
   * import { UptrKvOwner } from "@kvkit/uptr-kv";
   * import assert from "node:assert/strict";
   *
   * const owner = new UptrKvOwner();
   * owner.put(4, new Uint8Array(8));
   * owner.program.writeF64(4, 0, -1.5);
   * assert.equal(owner.program.readF64(4, 0), -1.5);
   * ```
   */
  writeF64(key: number, index: number, value: number): void {
    if ((key >>> 0) !== key || key >= META_ENTRIES) throw badKey(key);
    if (!this.consistent) {
      const e = this.#fastElement(key, index, 3);
      if (e >= 0 && e < this.#f64.length) this.#f64[e] = value;
      else this.#writeSlow(key, index, 8, value);
      return;
    }
    // As in put: a plain guess of the counter, checked by the compareExchange.
    const ctrl = this.#ctrl;
    const idx = CTRL_SEQ + key;
    const s = ctrl[idx]!;
    if ((s & 1) === 0 && Atomics.compareExchange(ctrl, idx, s, (s + 1) | 0) === s) {
      const e = this.#fastElement(key, index, 3);
      const ok = e >= 0 && e < this.#f64.length;
      if (ok) this.#f64[e] = value;
      Atomics.store(ctrl, idx, (s + 2) | 0);
      if (ok) return;
    }
    this.#writeSlow(key, index, 8, value);
  }

  // Slow path of writeU32/writeF64 (errors, a held key), out of the hot methods.
  #writeSlow(key: number, index: number, width: 4 | 8, value: number): void {
    const held = this.consistent ? lockKey(this.#ctrl, key) : 0;
    try {
      const e = this.#element(key, index, width);
      if (width === 4) this.#u32[e] = value;
      else this.#f64[e] = value;
    } finally {
      if (this.consistent) unlockKey(this.#ctrl, key, held);
    }
  }

  /**
   * The present keys, ascending.
   *
   * @returns An iterator of keys.
   *
   * @example Listing the present keys
   * ```ts
   * import { UptrKvOwner } from "@kvkit/uptr-kv";
   * import assert from "node:assert/strict";
   *
   * const owner = new UptrKvOwner();
   * owner.put(8, new Uint8Array(1));
   * owner.put(3, new Uint8Array(1));
   * assert.deepEqual([...owner.program.keys()], [3, 8]);
   * ```
   */
  *keys(): IterableIterator<number> {
    for (let key = 0; key < META_ENTRIES; key++) {
      if ((this.#meta[key]! & INIT_BIT) !== 0) yield key;
    }
  }
}
