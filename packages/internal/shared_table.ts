/**
 * {@linkcode SharedTable}: the hash map `SharedHtab` and `SharedRhash` are - every array in
 * SharedArrayBuffers, so Workers read and write one map at once.
 *
 * Concurrency: inserts and deletes take a per-bucket lock (htab's `raw_spin_lock` per bucket,
 * rhashtable's bit lock); an update of a present key takes only its value's lock (the kernel's
 * `BPF_F_LOCK` update path), so writers of different keys share no lock; readers take none. An
 * element carries a generation, even while it is linked and stable, odd while it is free or being
 * filled; a reader that copied a value checks the generation again and retries when it moved (the
 * element was freed and reused: the kernel's `SLAB_TYPESAFE_BY_RCU` reuse check), and a chain ends
 * in its bucket's own marker (the kernel's nulls list), so a reader carried onto another chain by
 * a reused element starts over. A value has two copies and a version that names the live one:
 * htab promises what the kernel's htab gets from allocating a new element per update (a reader
 * never sees a torn value nor misses the key) - here every htab update writes the other copy and
 * then moves the version, which allocates nothing, and readers check the version after copying.
 * rhash updates the live copy in place as the kernel's rhash does: a plain read may see part of
 * a plain update; `F_LOCK` updates go through the other copy and `F_LOCK` reads check the
 * version, so those never tear - and neither kind of read ever waits or writes shared memory.
 * rhash resizes as rhashtable does: a future table, elements moved one bucket at a time (the
 * tail of each chain first), lookups searching the table then the future table, so a lookup
 * never waits for a resize.
 *
 * Faults: every lock records its holder; a wait is bounded (`EBUSY` naming the holder), and
 * {@linkcode SharedTable.recover} releases what a dead agent held and repairs its half-done write
 * from the intent it logged in its agent slot.
 *
 * Memory order: every publishing store and every validating load is an `Atomics` access
 * (sequentially consistent); the value copies and key compares between a reader's two loads of a
 * version or generation are plain. The compilers keep plain accesses between atomic ones, and
 * x86-64 keeps loads in order, which is what these machines are; on hardware that may reorder
 * loads (ARM64) such a plain copy is not fenced.
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
  checkPresence,
  checkUpdate,
  F_LOCK,
  isStoreError,
  type IterateOptions,
  NOEXIST,
  type Store,
  StoreBase,
  StoreError,
} from "@kvkit/store";
import { fitsLookup } from "./fits.ts";
import { halfSip1, halfSip2, halfSipWords } from "./halfsiphash.ts";
import { randomWords } from "./hash_key.ts";
import { loadWords } from "./key_words.ts";
import { murmurFinish, murmurMix, murmurWords } from "./murmur3.ts";
import { growAbove75, HASH_MIN_SIZE, shrinkBelow30, shrinkSize } from "./resize_policy.ts";
import { SHARED_HOOKS } from "./_shared_hooks.ts";
import {
  A_COUNTED,
  A_ELEM,
  A_FREE,
  A_FREE_LOCK,
  A_MOVE_BUCKET,
  A_MOVE_ELEM,
  A_MOVE_PREV,
  A_OP,
  A_STATE,
  AGENT_WORDS,
  agentId,
  E_GEN,
  E_HASH,
  E_KEY,
  E_NEXT,
  elementBytesOf,
  encodeTable,
  FREE_END,
  H_AGENTS,
  H_ATTACHED,
  H_BUMP,
  H_CAPACITY,
  H_COUNT,
  H_FIRST_BUCKETS,
  H_FUTURE,
  H_GROWS,
  H_HASH,
  H_K0,
  H_K1,
  H_KEY_SIZE,
  H_KIND,
  H_LOCK_TIMEOUT,
  H_MAGIC,
  H_MAP_ID,
  H_MAX_BUCKETS,
  H_MAX_ENTRIES,
  H_MOVED,
  H_PROGRESS,
  H_RESIZER,
  H_RID,
  H_SEED,
  H_SEQ,
  H_SERIAL,
  H_SHRINKS,
  H_TBL,
  H_VALUE_SIZE,
  H_VERSION,
  HANDLE_KIND,
  HASH_SIP,
  HEADER_WORDS,
  keyStrideOf,
  KIND_HTAB,
  MAGIC,
  MAX_AGENTS,
  MOVED,
  nulls,
  OP_DELETE,
  OP_INSERT,
  ORPHAN,
  type Params,
  readHandle,
  regionsOf,
  type SharedHandle,
  slotOf,
  STAMP_BYTES,
  V_LOCK,
  V_SEQ,
  V_VALUE,
  valueStrideOf,
  VERSION,
} from "./shared_layout.ts";

/** What a new shared map is made with (the wrappers derive it from their options). */
export interface SharedTableInit {
  /** Key bytes. */
  keySize: number;
  /** Value bytes. */
  valueSize: number;
  /** The most entries. */
  maxEntries: number;
  /** Buckets of the first table (a power of two). */
  firstBuckets: number;
  /** The most buckets a table may have (a power of two; htab: `firstBuckets`). */
  maxBuckets: number;
  /** HalfSipHash-1-3 under (`k0`, `k1`) when true, else MurmurHash3 under `seed`. */
  keyed: boolean;
  /** MurmurHash3's seed. */
  seed: number;
  /** HalfSipHash's key, first word. */
  k0: number;
  /** HalfSipHash's key, second word. */
  k1: number;
  /** How long a lock is waited for before `EBUSY`, in ms. */
  lockTimeoutMs: number;
}

/** What {@linkcode SharedTable.recover} did. */
export interface RecoverReport {
  /** Locks the dead agent held, released. */
  readonly locks: number;
  /** Half-done writes and resize steps finished or undone. */
  readonly repaired: number;
}

// #probe's answers besides an element.
const MISS = -1;
const RESTART = -2;
// A lookup that restarts this often is not racing writers: the memory is corrupt.
const RESTARTS_MAX = 1_000_000;
// Spins between clock reads (and naps) while waiting for a lock.
const SPINS_PER_CHECK = 256;
const POSITIONS = 2 ** 32;
// Values up to this length are copied by a byte loop (no temporary view).
const SMALL_COPY = 64;

/**
 * The bits of `x` reversed: walks go in this order of the hash, which is the order of the buckets
 * of every power-of-two table at once, so a walk keeps its place across resizes.
 *
 * @param x A 32-bit word.
 * @returns The reversed word, unsigned.
 */
function rev32(x: number): number {
  x = (x >>> 1 & 0x5555_5555) | (x & 0x5555_5555) << 1;
  x = (x >>> 2 & 0x3333_3333) | (x & 0x3333_3333) << 2;
  x = (x >>> 4 & 0x0f0f_0f0f) | (x & 0x0f0f_0f0f) << 4;
  x = (x >>> 8 & 0x00ff_00ff) | (x & 0x00ff_00ff) << 8;
  return (x >>> 16 | x << 16) >>> 0;
}

function corrupt(what: string): never {
  throw new StoreError("EINVAL", `shared map memory is corrupt: ${what}`);
}

/** One bucket's entries copied out for a walk, sorted by (reversed hash, key words). */
class Snapshot {
  n = 0;
  rev: Float64Array = new Float64Array(8);
  keys: Int32Array;
  vals: Uint8Array;
  order: Int32Array = new Int32Array(8);
  readonly kw: number;
  readonly vs: number;
  constructor(kw: number, vs: number) {
    this.kw = kw;
    this.vs = vs;
    this.keys = new Int32Array(8 * kw);
    this.vals = new Uint8Array(8 * vs);
  }
  /** Room for one more entry; its index. */
  reserve(): number {
    const i = this.n++;
    if (i === this.rev.length) {
      const n = i * 2;
      const rev = new Float64Array(n);
      rev.set(this.rev);
      this.rev = rev;
      this.order = new Int32Array(n);
      const keys = new Int32Array(n * this.kw);
      keys.set(this.keys);
      this.keys = keys;
      const vals = new Uint8Array(n * this.vs);
      vals.set(this.vals);
      this.vals = vals;
    }
    return i;
  }
  cmp(a: number, b: number): number {
    const d = this.rev[a]! - this.rev[b]!;
    if (d !== 0) return d;
    const kw = this.kw;
    for (let i = 0; i < kw; i++) {
      const x = this.keys[a * kw + i]! >>> 0;
      const y = this.keys[b * kw + i]! >>> 0;
      if (x !== y) return x - y;
    }
    return 0;
  }
  /** Sorts, and drops a key seen twice (an element read on both chains of a move). */
  finish(): void {
    const o = this.order;
    for (let i = 0; i < this.n; i++) o[i] = i;
    for (let i = 1; i < this.n; i++) {
      const x = o[i]!;
      let j = i - 1;
      while (j >= 0 && this.cmp(o[j]!, x) > 0) {
        o[j + 1] = o[j]!;
        j--;
      }
      o[j + 1] = x;
    }
    let m = 0;
    for (let i = 0; i < this.n; i++) {
      if (m === 0 || this.cmp(o[m - 1]!, o[i]!) !== 0) o[m++] = o[i]!;
    }
    this.n = m;
  }
}

/**
 * A hash map in SharedArrayBuffers that any number of agents (up to {@linkcode MAX_AGENTS})
 * read and write at once; `SharedHtab` and `SharedRhash` are its two kinds. Open one through
 * them or `openStore(name, { shared: true })`, hand {@linkcode SharedTable.share}'s handle to a
 * Worker, and attach there.
 *
 * @example Two attachments of one map, as two Workers would hold them
 * ```ts
 * import { SharedTable } from "@kvkit/internal";
 * import { F_LOCK, u32Key } from "@kvkit/store";
 * import assert from "node:assert/strict";
 *
 * const a = new SharedTable("rhash", {
 *   init: {
 *     keySize: 4, valueSize: 4, maxEntries: 100, firstBuckets: 4, maxBuckets: 256,
 *     keyed: true, seed: 0, k0: 1, k1: 2, lockTimeoutMs: 2000,
 *   },
 * });
 * const b = new SharedTable("rhash", { attach: a.share() }); // in a Worker: the handle, posted
 * a.set(u32Key(1), new Uint8Array([1, 2, 3, 4]));
 * b.set(u32Key(2), new Uint8Array([5, 6, 7, 8]), F_LOCK);
 * const out = new Uint8Array(4);
 * assert.ok(b.getInto(u32Key(1), out, 0, F_LOCK));
 * assert.deepEqual(out, new Uint8Array([1, 2, 3, 4]));
 * assert.equal(a.size, 2);
 * b.close();
 * a.close();
 * ```
 */
export class SharedTable extends StoreBase implements Store {
  /** The catalog name of the kind: `"htab"` or `"rhash"`. */
  readonly backend: string;
  /** What this map accepts; `lock` is true: `set` and `getInto` take `F_LOCK`. */
  readonly capabilities: Capabilities;
  readonly #handle: SharedHandle;
  readonly #h: Int32Array;
  readonly #e: Int32Array;
  readonly #eb: Uint8Array;
  readonly #b: Int32Array;
  readonly #htab: boolean;
  readonly #ks: number;
  readonly #vs: number;
  readonly #kw: number;
  readonly #stride: number;
  // Word of element 0's value record, and words per value record.
  readonly #vrec: number;
  readonly #vstride: number;
  // Words of one copy of a value.
  readonly #vw: number;
  readonly #cap: number;
  readonly #max: number;
  readonly #maxLog2: number;
  readonly #regions: number;
  readonly #minBuckets: number;
  // Words of a bucket region.
  readonly #rw: number;
  readonly #sip: boolean;
  readonly #seed: number;
  readonly #k0: number;
  readonly #k1: number;
  readonly #timeout: number;
  readonly #agent: number;
  // The agent id + 1: what this agent's locks hold.
  readonly #me: number;
  readonly #slot: number;
  readonly #scratch: Int32Array;
  readonly #snap: Snapshot;
  // Set by #probe and #find: the generation of the element found.
  #gen = 0;
  // Set by #lockFor: the element holding the key (-1 absent) and its predecessor (-1 first).
  #found = -1;
  #prev = -1;
  #closed = false;
  // Atomics.wait for naps while a lock is contended, until a runtime refuses it.
  #nap: Int32Array | undefined = new Int32Array(new SharedArrayBuffer(4));

  /**
   * Creates a map, or attaches to one.
   *
   * @param backend `"htab"` (fixed buckets; reads never torn) or `"rhash"` (resizes; plain
   * reads may see part of a plain update).
   * @param source `{ init }`: the parameters of a new map; `{ attach }`: a handle from
   * {@linkcode SharedTable.share} (checked: it may come from anywhere).
   * @throws {StoreError} `EINVAL` for a handle that is not a live map of this kind, `ENOMEM`
   * when the buffers cannot be allocated, `ENOSPC` when {@linkcode MAX_AGENTS} are attached.
   */
  constructor(
    backend: "htab" | "rhash",
    source: { readonly init: SharedTableInit } | { readonly attach: unknown },
  ) {
    super();
    this.backend = backend;
    let p: Params;
    const attaching = "attach" in source;
    if (attaching) {
      const read = readHandle(source.attach, backend);
      p = read.params;
      this.#handle = read.handle;
    } else {
      const init = source.init;
      p = {
        kind: backend === "htab" ? KIND_HTAB : KIND_HTAB + 1,
        keySize: init.keySize,
        valueSize: init.valueSize,
        maxEntries: init.maxEntries,
        capacity: init.maxEntries + MAX_AGENTS,
        maxBuckets: init.maxBuckets,
        firstBuckets: init.firstBuckets,
        hash: init.keyed ? HASH_SIP : HASH_SIP + 1,
        seed: init.seed | 0,
        k0: init.k0 | 0,
        k1: init.k1 | 0,
        lockTimeout: init.lockTimeoutMs,
      };
      this.#handle = SharedTable.#create(backend, p);
    }
    this.#h = new Int32Array(this.#handle.header);
    this.#e = new Int32Array(this.#handle.elements);
    this.#eb = new Uint8Array(this.#handle.elements);
    this.#b = new Int32Array(this.#handle.buckets);
    this.#htab = p.kind === KIND_HTAB;
    this.#ks = p.keySize;
    this.#vs = p.valueSize;
    this.#kw = Math.ceil(p.keySize / 4);
    this.#stride = keyStrideOf(p.keySize);
    this.#vrec = p.capacity * this.#stride;
    this.#vstride = valueStrideOf(p.valueSize);
    this.#vw = Math.ceil(p.valueSize / 4);
    this.#cap = p.capacity;
    this.#max = p.maxEntries;
    this.#maxLog2 = Math.log2(p.maxBuckets);
    this.#regions = regionsOf(p.kind);
    this.#minBuckets = this.#htab ? p.maxBuckets : Math.min(HASH_MIN_SIZE, p.firstBuckets);
    this.#rw = p.maxBuckets * 2;
    this.#sip = p.hash === HASH_SIP;
    this.#seed = p.seed;
    this.#k0 = p.k0;
    this.#k1 = p.k1;
    this.#timeout = p.lockTimeout;
    this.#scratch = new Int32Array(this.#kw);
    this.#snap = new Snapshot(this.#kw, p.valueSize);
    this.capabilities = {
      keySize: { min: p.keySize, max: p.keySize },
      valueSize: { min: p.valueSize, max: p.valueSize },
      maxEntries: p.maxEntries,
      ordered: false,
      fullError: "E2BIG",
      valueTooBig: "EINVAL",
      lock: true,
    };
    const h = this.#h;
    if (attaching) {
      // Count this attachment in, unless the last agent closed the map meanwhile.
      for (let n = Atomics.load(h, H_ATTACHED);;) {
        if (n <= 0) {
          throw new StoreError(
            "EINVAL",
            "not a shared table handle: the map was closed by every agent",
          );
        }
        const seen = Atomics.compareExchange(h, H_ATTACHED, n, n + 1);
        if (seen === n) break;
        n = seen;
      }
    }
    const serial = Atomics.add(h, H_SERIAL, 1);
    let agent = -1;
    for (let a = 0; a < MAX_AGENTS && agent < 0; a++) {
      const id = agentId(serial, a);
      if (Atomics.compareExchange(h, H_AGENTS + a * AGENT_WORDS + A_STATE, 0, id) === 0) agent = a;
    }
    if (agent < 0) {
      Atomics.sub(h, H_ATTACHED, 1);
      throw new StoreError("ENOSPC", `${MAX_AGENTS} agents are attached to this map already`);
    }
    this.#agent = agent;
    this.#me = agentId(serial, agent);
    this.#slot = H_AGENTS + agent * AGENT_WORDS;
    h[this.#slot + A_OP] = 0;
    h[this.#slot + A_MOVE_ELEM] = -1;
  }

  static #create(backend: string, p: Params): SharedHandle {
    const elementBytes = elementBytesOf(p.capacity, p.keySize, p.valueSize) + STAMP_BYTES;
    const bucketBytes = regionsOf(p.kind) * p.maxBuckets * 8 + STAMP_BYTES;
    if (elementBytes > 2 ** 31 - 1 || bucketBytes > 2 ** 31 - 1) {
      throw new StoreError(
        "ENOMEM",
        `a shared map of ${p.maxEntries} entries needs ${elementBytes} + ${bucketBytes} bytes; ` +
          "the most is 2^31 - 1 per buffer (lower maxEntries)",
      );
    }
    let handle: SharedHandle;
    try {
      handle = {
        kind: HANDLE_KIND,
        backend,
        header: new SharedArrayBuffer(HEADER_WORDS * 4),
        elements: new SharedArrayBuffer(elementBytes),
        buckets: new SharedArrayBuffer(bucketBytes),
      };
    } catch (err) {
      throw new StoreError("ENOMEM", `cannot allocate the shared map: ${(err as Error).message}`);
    }
    const h = new Int32Array(handle.header);
    h[H_MAGIC] = MAGIC;
    h[H_VERSION] = VERSION;
    h[H_KIND] = p.kind;
    h[H_KEY_SIZE] = p.keySize;
    h[H_VALUE_SIZE] = p.valueSize;
    h[H_MAX_ENTRIES] = p.maxEntries;
    h[H_CAPACITY] = p.capacity;
    h[H_MAX_BUCKETS] = p.maxBuckets;
    h[H_FIRST_BUCKETS] = p.firstBuckets;
    h[H_HASH] = p.hash;
    h[H_SEED] = p.seed;
    h[H_K0] = p.k0;
    h[H_K1] = p.k1;
    h[H_LOCK_TIMEOUT] = p.lockTimeout;
    h[H_ATTACHED] = 1;
    h[H_TBL] = encodeTable(0, Math.log2(p.firstBuckets), 0);
    h[H_FUTURE] = -1;
    for (let a = 0; a < MAX_AGENTS; a++) {
      h[H_AGENTS + a * AGENT_WORDS + A_FREE] = FREE_END;
      h[H_AGENTS + a * AGENT_WORDS + A_MOVE_ELEM] = -1;
    }
    const b = new Int32Array(handle.buckets);
    for (let i = 0; i < p.firstBuckets; i++) b[2 * i] = nulls(i, 0);
    const id = randomWords(new Int32Array(2));
    h.set(id, H_MAP_ID);
    for (const buffer of [handle.elements, handle.buckets]) {
      new Int32Array(buffer, buffer.byteLength - STAMP_BYTES, 2).set(id);
    }
    return handle;
  }

  /**
   * A structured-cloneable handle to this map: post it to a Worker, which attaches with
   * `openStore(name, { attach: handle })` (or the wrapper's `attach`).
   *
   * @returns The handle (three SharedArrayBuffers and two names).
   * @throws {StoreError} `EBADF` after {@linkcode SharedTable.close}.
   */
  share(): SharedHandle {
    this.#open();
    return { ...this.#handle };
  }

  /** This attachment's agent id, 0..{@linkcode MAX_AGENTS} - 1 (what `recover` takes). */
  get agent(): number {
    return this.#agent;
  }

  /** The number of entries (exact once writers stop; counts inserts in progress meanwhile). */
  get size(): number {
    this.#open();
    return Atomics.load(this.#h, H_COUNT);
  }

  /** Buckets of the table (and of the future table while a resize runs). */
  get bucketCount(): number {
    this.#open();
    return 1 << (Atomics.load(this.#h, H_TBL) >>> 1 & 31);
  }

  /** Resizes so far: grows and shrinks started, elements moved (rhash; zero for htab). */
  get resizes(): { grows: number; shrinks: number; moved: number } {
    this.#open();
    const h = this.#h;
    return { grows: h[H_GROWS]!, shrinks: h[H_SHRINKS]!, moved: h[H_MOVED]! };
  }

  /** Every call starts here: this attachment is closed, or was recovered by another agent. */
  #open(): void {
    if (this.#h[this.#slot + A_STATE] !== this.#me) {
      throw new StoreError(
        "EBADF",
        this.#closed
          ? "the shared map was closed by this agent"
          : `agent ${this.#agent} was recovered by another agent (it was taken for dead)`,
      );
    }
  }

  // ---- hashing

  /** Loads `key` into the scratch words and returns its hash. */
  #load(key: Uint8Array): number {
    const s = this.#scratch;
    const ks = this.#ks;
    // 4- and 8-byte keys (the common ones) inline: no loop, no call.
    if (ks === 8 || ks === 4) {
      s[0] = key[0]! | key[1]! << 8 | key[2]! << 16 | key[3]! << 24;
      if (ks === 8) s[1] = key[4]! | key[5]! << 8 | key[6]! << 16 | key[7]! << 24;
    } else {
      loadWords(key, 0, ks, s, 0);
    }
    return this.#hashWords(s, 0);
  }

  #hashWords(words: Int32Array, base: number): number {
    const ks = this.#ks;
    if (!this.#sip) {
      if (ks === 8) {
        return murmurFinish(murmurMix(murmurMix(this.#seed, words[base]!), words[base + 1]!));
      }
      return murmurFinish(murmurWords(words, base, this.#kw, this.#seed));
    }
    if (ks === 4) return halfSip1(words[base]!, this.#k0, this.#k1);
    if (ks === 8) return halfSip2(words[base]!, words[base + 1]!, this.#k0, this.#k1);
    return halfSipWords(words, base, this.#kw, ks, this.#k0, this.#k1);
  }

  /** The word of element `el`'s value record (its lock; the sequence and value follow). */
  #vr(el: number): number {
    return this.#vrec + el * this.#vstride;
  }

  #keyAt(o: number): boolean {
    const e = this.#e;
    const s = this.#scratch;
    const base = o + E_KEY;
    for (let i = 0; i < this.#kw; i++) if (e[base + i] !== s[i]) return false;
    return true;
  }

  /** The word of `hash`'s bucket in table `t` (its lock is the next word). */
  #word(t: number, hash: number): number {
    const log2 = t >>> 1 & 31;
    if (log2 > this.#maxLog2 || (t & 1) >= this.#regions) corrupt(`table word ${t}`);
    return (t & 1) * this.#rw + ((hash & ((1 << log2) - 1)) << 1);
  }

  // ---- lock-free reads

  /** Searches table `t` for the scratch key: an element (with #gen), MISS or RESTART. */
  #probe(t: number, hash: number): number {
    const e = this.#e;
    const w = this.#word(t, hash);
    let el = this.#b[w]!;
    if (el === MOVED) return MISS;
    const stride = this.#stride;
    const cap = this.#cap;
    let steps = 0;
    while (el >= 0) {
      // More hops than elements: a cycle (each hop is checked stable, so no race makes one).
      if (el >= cap || ++steps > cap) corrupt(`chain through element ${el}`);
      const o = el * stride;
      // Stable across the hop, or the element was freed (maybe reused elsewhere): start over.
      const g = Atomics.load(e, o + E_GEN);
      if ((g & 1) !== 0) return RESTART;
      if (e[o + E_HASH] === hash && this.#keyAt(o)) {
        this.#gen = g;
        return el;
      }
      el = Atomics.load(e, o + E_NEXT);
      if (Atomics.load(e, o + E_GEN) !== g) return RESTART;
    }
    return this.#chainEnd(t, w, el);
  }

  /**
   * What a chain's last link says: its own bucket's marker, or the future table's (an element
   * being moved, the old chain's tail, links into the future table, searched next), is the end;
   * any other marker means the walk was carried off (RESTART).
   */
  #chainEnd(t: number, w: number, el: number): number {
    const region = t & 1;
    if (el === ~(w - region * this.#rw + region)) return MISS;
    return el !== FREE_END && el !== MOVED && (~el & 1) !== region ? MISS : RESTART;
  }

  /** The element holding the scratch key (with #gen), or -1: a miss no resize could hide. */
  #find(hash: number): number {
    const h = this.#h;
    for (let restarts = 0; restarts < RESTARTS_MAX; restarts++) {
      // Plain loads between atomic ones stay in place (an atomic access is a barrier to the
      // compilers); the atomic loads order what a reader must see (seq, each element's gen).
      const s0 = Atomics.load(h, H_SEQ);
      let el = this.#probe(h[H_TBL]!, hash);
      if (el >= 0) return el;
      if (el === RESTART) continue;
      const f = h[H_FUTURE]!;
      if (f !== -1) {
        el = this.#probe(f, hash);
        if (el >= 0) return el;
        if (el === RESTART) continue;
      }
      if (Atomics.load(h, H_SEQ) === s0) return -1;
    }
    return corrupt(`a lookup restarted ${RESTARTS_MAX} times`);
  }

  /** Byte offset of copy `copy` (0 or 1) of element `el`'s value. */
  #valueAt(el: number, copy: number): number {
    return (this.#vr(el) + V_VALUE + (copy & 1) * this.#vw) * 4;
  }

  #copyOut(el: number, copy: number, out: Uint8Array, offset: number): void {
    const vs = this.#vs;
    const from = this.#valueAt(el, copy);
    if (vs <= SMALL_COPY) {
      const eb = this.#eb;
      for (let i = 0; i < vs; i++) out[offset + i] = eb[from + i]!;
    } else {
      out.set(this.#eb.subarray(from, from + vs), offset);
    }
  }

  /**
   * Copies the scratch key's live value; false when absent. `whole`: never a torn copy (the
   * version is the same after the copy, so no consistent update reused that copy meanwhile) -
   * every htab read, and rhash's `F_LOCK` reads. Never waits for a writer.
   */
  #read(hash: number, out: Uint8Array, offset: number, whole: boolean): boolean {
    const e = this.#e;
    for (;;) {
      const el = this.#find(hash);
      if (el < 0) return false;
      const at = this.#vr(el) + V_SEQ;
      const v = Atomics.load(e, at);
      this.#copyOut(el, v, out, offset);
      if (whole && Atomics.load(e, at) !== v) continue;
      // Still the same element: it was not freed (and maybe reused) under the copy.
      if (Atomics.load(e, el * this.#stride + E_GEN) === this.#gen) return true;
    }
  }

  /**
   * Copies the value of `key` into `out` at `offset`, allocating nothing. htab: never a torn
   * value. rhash: with `F_LOCK` (`BPF_MAP_LOOKUP_ELEM` with `BPF_F_LOCK`) never torn by an
   * `F_LOCK` update - the copy is checked against the value's version, which those updates
   * move, and retried, so a locked read neither waits nor writes shared memory; without it, a
   * read racing a plain update may see part of each, as the kernel's rhash.
   *
   * @param key The key.
   * @param out Where the value goes.
   * @param offset Where in `out` (default 0).
   * @param flags `0` or `F_LOCK`.
   * @returns `true` when present; `false`, `out` untouched, when absent.
   * @throws {StoreError} `EINVAL` for bad arguments; `EBUSY` when the value's lock stays held.
   */
  override getInto(key: Uint8Array, out: Uint8Array, offset?: number, flags?: number): boolean;
  override getInto(key: Uint8Array, out: Uint8Array): boolean {
    // `offset` and `flags` from `arguments`: see Htab.getInto (V8's argument-count mismatch).
    let offset = 0;
    let flags = 0;
    if (arguments.length > 2) {
      offset = arguments[2] ?? 0;
      flags = arguments[3] ?? 0;
    }
    this.#open();
    if (!fitsLookup(key, this.#ks, out, offset, this.#vs, flags)) {
      checkLookup(this.capabilities, key, out, offset, flags);
    }
    return this.#read(this.#load(key), out, offset, this.#htab || flags === F_LOCK);
  }

  /**
   * A copy of the value of `key`, or `undefined` when absent.
   *
   * @param key The key.
   * @returns The copy.
   * @throws {StoreError} `EINVAL` for a bad key.
   */
  get(key: Uint8Array): Uint8Array | undefined {
    this.#open();
    checkKey(this.capabilities, key);
    const out = allocBytes(this.#vs);
    return this.#read(this.#load(key), out, 0, this.#htab) ? out : undefined;
  }

  /**
   * Whether `key` is present.
   *
   * @param key The key.
   * @returns Whether present.
   */
  has(key: Uint8Array): boolean {
    this.#open();
    checkKey(this.capabilities, key);
    const hash = this.#load(key);
    for (;;) {
      const el = this.#find(hash);
      // Still the element whose key matched (a multi-word key could match half-rewritten).
      if (el < 0 || Atomics.load(this.#e, el * this.#stride + E_GEN) === this.#gen) return el >= 0;
    }
  }

  // ---- locks

  #acquire(arr: Int32Array, idx: number, what: string): void {
    if (Atomics.compareExchange(arr, idx, 0, this.#me) === 0) return;
    if (SHARED_HOOKS.unlocked) return;
    this.#contend(arr, idx, what);
  }

  // Only this agent's own hold is released: a lock taken over by recover() stays the
  // recoverer's, and a reused element's lock stays whoever holds it.
  #release(arr: Int32Array, idx: number): void {
    Atomics.compareExchange(arr, idx, this.#me, 0);
  }

  #contend(arr: Int32Array, idx: number, what: string): void {
    const started = Date.now();
    for (let spins = 1;; spins++) {
      const v = Atomics.load(arr, idx);
      if (v === 0 && Atomics.compareExchange(arr, idx, 0, this.#me) === 0) return;
      if (v === this.#me) corrupt(`${what} taken twice (a table is linked twice)`);
      if (spins % SPINS_PER_CHECK === 0) {
        if (Date.now() - started > this.#timeout) {
          throw new StoreError(
            "EBUSY",
            `${what} held by agent ${slotOf(v)} for over ${this.#timeout} ms ` +
              `(if that agent is gone, recover(${slotOf(v)}) releases it)`,
          );
        }
        this.#pause();
      }
    }
  }

  // A short sleep, so a holder that lost its CPU gets it back; a realm that may not block
  // (a browser's main thread) only spins.
  #pause(): void {
    if (this.#nap === undefined) return;
    try {
      Atomics.wait(this.#nap, 0, 0, 0.05);
    } catch {
      this.#nap = undefined;
    }
  }

  // ---- elements

  /** Takes an element: this agent's free list, the never-used tail, another agent's list. */
  #alloc(): number {
    const h = this.#h;
    let el = this.#pop(this.#slot);
    if (el >= 0) return el;
    const bump = Atomics.load(h, H_BUMP);
    if (bump < 0) corrupt(`element count ${bump}`);
    if (bump < this.#cap) {
      const n = Atomics.add(h, H_BUMP, 1);
      h[this.#slot + A_ELEM] = n < this.#cap ? n : -1;
      if (n < this.#cap) {
        Atomics.store(this.#e, n * this.#stride + E_GEN, 1);
        return n;
      }
    }
    for (let a = 0; a < MAX_AGENTS; a++) {
      const slot = H_AGENTS + a * AGENT_WORDS;
      if (slot !== this.#slot && Atomics.load(h, slot + A_FREE) !== FREE_END) {
        el = this.#pop(slot);
        if (el >= 0) return el;
      }
    }
    // Unreachable while every insert reserves its count first (live <= maxEntries, and each
    // agent holds at most one element in flight).
    throw new StoreError("E2BIG", "no free element");
  }

  #pop(slot: number): number {
    const h = this.#h;
    if (Atomics.load(h, slot + A_FREE) === FREE_END) return -1;
    this.#acquire(h, slot + A_FREE_LOCK, "free list");
    const el = Atomics.load(h, slot + A_FREE);
    if (el === FREE_END) {
      this.#release(h, slot + A_FREE_LOCK);
      return -1;
    }
    if (el < 0 || el >= this.#cap) {
      this.#release(h, slot + A_FREE_LOCK);
      corrupt(`free list head ${el}`);
    }
    // Pops hold the list's lock, pushes (by its owner) do not: the head is taken by
    // compare-exchange, and a failed one (a push came in between) retries. No ABA: only the
    // lock holder removes elements.
    const next = Atomics.load(this.#e, el * this.#stride + E_NEXT);
    // Logged before the pop commits (no call between): a death here leaves it listed, not lost.
    h[this.#slot + A_ELEM] = el;
    const taken = Atomics.compareExchange(h, slot + A_FREE, el, next) === el;
    if (!taken) h[this.#slot + A_ELEM] = -1; // still listed: not this agent's to reclaim
    this.#release(h, slot + A_FREE_LOCK);
    return taken ? el : this.#pop(slot);
  }

  /** Returns an unlinked element to this agent's free list (its generation goes odd). */
  #free(el: number): void {
    const e = this.#e;
    const o = el * this.#stride;
    const lock = this.#vr(el) + V_LOCK;
    // Under the value's lock, so an update that found the element before it was unlinked
    // either finished or sees the new generation and starts over.
    let held = true;
    try {
      this.#acquire(e, lock, "value lock");
    } catch {
      held = false;
    }
    // Odd before anything else changes: a reader still on this element sees it leave.
    const g = Atomics.load(e, o + E_GEN);
    if ((g & 1) === 0) Atomics.store(e, o + E_GEN, g + 1);
    if (held) {
      this.#release(e, lock);
      this.#push(el);
      return;
    }
    // An update held the lock past the wait (stalled, or dead): it may still copy into this
    // element, so it is not reused before that lock is released - whoever sees it released
    // first frees it. A free never fails after the write it ends has committed.
    Atomics.store(e, o + E_NEXT, ORPHAN);
    if (Atomics.load(e, lock) === 0) this.#adopt(el);
  }

  /**
   * Frees an orphaned element whose value lock is released (once, whoever comes first) - under
   * that lock: an orphan seen after a release may be a later life's, orphaned again while
   * another update holds the lock, which then adopts it when it releases.
   */
  #adopt(el: number): void {
    const e = this.#e;
    const lock = this.#vr(el) + V_LOCK;
    if (Atomics.compareExchange(e, lock, 0, this.#me) !== 0) return;
    const taken =
      Atomics.compareExchange(e, el * this.#stride + E_NEXT, ORPHAN, FREE_END) === ORPHAN;
    Atomics.compareExchange(e, lock, this.#me, 0);
    if (taken) this.#push(el);
  }

  /**
   * Pushes a free element onto this agent's list, without the list's lock (see #pop), so a free
   * never waits.
   */
  #push(el: number): void {
    const e = this.#e;
    const h = this.#h;
    const next = el * this.#stride + E_NEXT;
    const slot = this.#slot;
    for (;;) {
      const head = Atomics.load(h, slot + A_FREE);
      Atomics.store(e, next, head);
      if (Atomics.compareExchange(h, slot + A_FREE, head, el) === head) return;
    }
  }

  /** Writes the scratch key and `value` into a taken element, then makes it stable (even). */
  #fill(el: number, hash: number, value: Uint8Array): void {
    const e = this.#e;
    const o = el * this.#stride;
    // The value's lock is left alone: only its holder releases it.
    e[o + E_HASH] = hash;
    const s = this.#scratch;
    for (let i = 0; i < this.#kw; i++) e[o + E_KEY + i] = s[i]!;
    this.#copyIn(this.#valueAt(el, e[this.#vr(el) + V_SEQ]!), value, false);
    Atomics.store(e, o + E_GEN, Atomics.load(e, o + E_GEN) + 1);
  }

  /** Releases a value lock; frees the element if a delete left it orphaned meanwhile. */
  #unlockValue(el: number): void {
    this.#release(this.#e, this.#vr(el) + V_LOCK);
    if (Atomics.load(this.#e, el * this.#stride + E_NEXT) === ORPHAN) this.#adopt(el);
  }

  /**
   * Writes `value` over a present key's value, under its value lock: `whole` (every htab update,
   * rhash's `F_LOCK` ones) writes the other copy and then makes it live; a plain rhash update
   * writes the live copy in place.
   */
  #update(el: number, value: Uint8Array, whole: boolean): void {
    const e = this.#e;
    const at = this.#vr(el) + V_SEQ;
    const v = e[at]!;
    if (whole && !SHARED_HOOKS.unlocked) {
      this.#copyIn(this.#valueAt(el, v + 1), value, true);
      Atomics.store(e, at, v + 1);
    } else {
      this.#copyIn(this.#valueAt(el, v), value, true);
    }
  }

  /** Copies `value` to byte `to` of the element buffer (with the test hook midway). */
  #copyIn(to: number, value: Uint8Array, hooked: boolean): void {
    const eb = this.#eb;
    const vs = this.#vs;
    if (hooked && SHARED_HOOKS.step !== undefined) {
      const half = vs >>> 1;
      for (let i = 0; i < half; i++) eb[to + i] = value[i]!;
      SHARED_HOOKS.step("update:copying");
      for (let i = half; i < vs; i++) eb[to + i] = value[i]!;
    } else if (vs <= SMALL_COPY) {
      for (let i = 0; i < vs; i++) eb[to + i] = value[i]!;
    } else {
      eb.set(value, to);
    }
  }

  // ---- writes

  /** Under the bucket's lock: the element holding the scratch key (#prev its predecessor). */
  #findLocked(w: number, hash: number): number {
    const e = this.#e;
    const stride = this.#stride;
    let prev = -1;
    let el = Atomics.load(this.#b, w);
    for (let steps = 0; el >= 0; steps++) {
      if (el >= this.#cap || steps > this.#cap) corrupt(`chain at bucket word ${w}`);
      const o = el * stride;
      if (e[o + E_HASH] === hash && this.#keyAt(o)) {
        this.#prev = prev;
        return el;
      }
      prev = el;
      el = Atomics.load(e, o + E_NEXT);
    }
    return -1;
  }

  /**
   * Locks the bucket that holds the scratch key, or that an insert of it goes to: the table's,
   * or the future table's once the table's bucket moved or while a resize runs and the key is
   * not in the table. Sets #found and #prev; the caller releases the returned word + 1.
   */
  #lockFor(hash: number): number {
    const h = this.#h;
    const b = this.#b;
    for (let tries = 0;; tries++) {
      if (tries === RESTARTS_MAX) corrupt("a write found no bucket to lock");
      const t = Atomics.load(h, H_TBL);
      let w = this.#word(t, hash);
      this.#acquire(b, w + 1, "bucket lock");
      try {
        // The future table before the table is checked: a resize ends with TBL = f, then
        // FUTURE = -1, so a FUTURE read after the check could already be the ended resize's -1
        // (next to a bucket it moved) or the next resize's (in this table's region).
        const f0 = Atomics.load(h, H_FUTURE);
        if (t === Atomics.load(h, H_TBL)) {
          const moved = Atomics.load(b, w) === MOVED;
          // A resize ending stores the table, then clears the future table: for that moment
          // they are one table, the one to insert into.
          const f = f0 === t ? -1 : f0;
          if (f !== -1 && (f & 1) === (t & 1)) corrupt("the future table is the table");
          if (moved && f === -1) corrupt("a bucket is marked moved with no resize running");
          if (!moved) {
            this.#found = this.#findLocked(w, hash);
            if (this.#found >= 0 || f === -1) return w;
          }
        }
      } catch (err) {
        this.#release(b, w + 1);
        throw err;
      }
      this.#release(b, w + 1);
      const f = Atomics.load(h, H_FUTURE);
      if (f === -1) continue;
      w = this.#word(f, hash);
      this.#acquire(b, w + 1, "bucket lock");
      try {
        if (f === Atomics.load(h, H_FUTURE) && Atomics.load(b, w) !== MOVED) {
          this.#found = this.#findLocked(w, hash);
          return w;
        }
      } catch (err) {
        this.#release(b, w + 1);
        throw err;
      }
      this.#release(b, w + 1);
    }
  }

  /**
   * Creates or updates `key` (`ANY`, `NOEXIST`, `EXIST`, `F_LOCK`). An update of a present key
   * takes only that value's lock (as the kernel's `F_LOCK` update does): writers of different
   * keys share no lock. Every htab update, and rhash's `F_LOCK` ones, write the value's other
   * copy and then make it live, so no reader sees a torn value; a plain rhash update copies over
   * the live value in place as the kernel's rhash (a plain reader may see part of it). A new key
   * locks its bucket.
   *
   * @param key The key.
   * @param value The value.
   * @param flags The update flags.
   * @throws {StoreError} `EINVAL`, `EEXIST`, `ENOENT`, `E2BIG` (full); `EBUSY` when a lock
   * stays held past the map's `lockTimeoutMs`.
   */
  set(key: Uint8Array, value: Uint8Array, flags = 0): void {
    this.#open();
    const mode = checkUpdate(this.capabilities, key, value, flags);
    const whole = this.#htab || (flags & F_LOCK) !== 0;
    const hash = this.#load(key);
    const e = this.#e;
    // A present key: found without locks, then its value lock, then checked still the same.
    if (mode !== NOEXIST) {
      for (;;) {
        const el = this.#find(hash);
        if (el < 0) break;
        this.#acquire(e, this.#vr(el) + V_LOCK, "value lock");
        if (Atomics.load(e, el * this.#stride + E_GEN) === this.#gen) {
          try {
            this.#update(el, value, whole);
          } finally {
            this.#unlockValue(el);
          }
          return;
        }
        this.#unlockValue(el); // freed meanwhile: look again
      }
    }
    // A new key (or NOEXIST): under the bucket's lock.
    const w = this.#lockFor(hash);
    const el = this.#found;
    try {
      checkPresence(mode, el >= 0);
      if (el < 0) {
        this.#insert(w, hash, value);
      } else {
        this.#acquire(e, this.#vr(el) + V_LOCK, "value lock");
        try {
          this.#update(el, value, whole);
        } finally {
          this.#unlockValue(el);
        }
      }
    } finally {
      this.#release(this.#b, w + 1);
    }
    if (el < 0 && !this.#htab) this.#maybeResize(true);
  }

  #insert(w: number, hash: number, value: Uint8Array): void {
    const h = this.#h;
    const slot = this.#slot;
    // The count's windows err high: a death between a count change and its log leaves the
    // count one too high, never one too low.
    h[slot + A_ELEM] = -1;
    h[slot + A_COUNTED] = 0;
    h[slot + A_OP] = OP_INSERT;
    if (Atomics.add(h, H_COUNT, 1) >= this.#max) {
      Atomics.sub(h, H_COUNT, 1);
      h[slot + A_OP] = 0;
      throw new StoreError("E2BIG", `the map holds maxEntries ${this.#max} entries`);
    }
    h[slot + A_COUNTED] = 1;
    let el: number;
    try {
      el = this.#alloc();
    } catch (err) {
      Atomics.sub(h, H_COUNT, 1);
      h[slot + A_OP] = 0;
      throw err;
    }
    this.#fill(el, hash, value);
    const e = this.#e;
    Atomics.store(e, el * this.#stride + E_NEXT, Atomics.load(this.#b, w));
    Atomics.store(this.#b, w, el);
    SHARED_HOOKS.step?.("insert:linked");
    h[slot + A_OP] = 0;
  }

  #unlink(w: number, el: number, prev: number): void {
    const e = this.#e;
    const next = Atomics.load(e, el * this.#stride + E_NEXT);
    if (prev === -1) Atomics.store(this.#b, w, next);
    else Atomics.store(e, prev * this.#stride + E_NEXT, next);
  }

  /**
   * Removes `key`.
   *
   * @param key The key.
   * @returns `false` when it was absent.
   * @throws {StoreError} `EINVAL` for a bad key; `EBUSY` when its bucket's lock stays held.
   */
  delete(key: Uint8Array): boolean {
    this.#open();
    checkKey(this.capabilities, key);
    const hash = this.#load(key);
    const w = this.#lockFor(hash);
    const el = this.#found;
    try {
      if (el >= 0) this.#remove(w, el, this.#prev);
    } finally {
      this.#release(this.#b, w + 1);
    }
    if (el >= 0 && !this.#htab) this.#maybeResize(false);
    return el >= 0;
  }

  #remove(w: number, el: number, prev: number): void {
    const h = this.#h;
    const slot = this.#slot;
    h[slot + A_ELEM] = el;
    h[slot + A_COUNTED] = 1;
    h[slot + A_OP] = OP_DELETE;
    this.#unlink(w, el, prev);
    SHARED_HOOKS.step?.("delete:unlinked");
    h[slot + A_COUNTED] = 0;
    Atomics.sub(h, H_COUNT, 1);
    // The intent ends right after the free's push commits (no call or loop between, so no
    // termination lands there): a death inside the free leaves it for recover() to finish.
    this.#free(el);
    h[slot + A_OP] = 0;
  }

  // ---- resizing (rhash)

  /** After an insert (`grow`) or a delete: resumes an unfinished resize, or starts one. */
  #maybeResize(grow: boolean): void {
    const h = this.#h;
    if (Atomics.load(h, H_RESIZER) !== 0) return;
    if (Atomics.load(h, H_FUTURE) !== -1 || this.#wanted(grow) !== 0) this.#resize(grow);
  }

  /**
   * The size a resize should go to now, or 0: inserts grow (`rht_grow_above_75`), deletes
   * shrink (`rht_shrink_below_30`, rhashtable's automatic shrinking), as in `Rhash`.
   */
  #wanted(grow: boolean): number {
    const size = this.bucketCount;
    const n = Atomics.load(this.#h, H_COUNT);
    if (grow) return growAbove75(n, size) && size * 2 <= 1 << this.#maxLog2 ? size * 2 : 0;
    if (size > this.#minBuckets && shrinkBelow30(n, size)) {
      return Math.max(this.#minBuckets, shrinkSize(n));
    }
    return 0;
  }

  /** Resumes an unfinished resize, or starts the one the load calls for, and moves every bucket. */
  #resize(grow: boolean): void {
    const h = this.#h;
    if (Atomics.compareExchange(h, H_RESIZER, 0, this.#me) !== 0) return;
    try {
      let f = Atomics.load(h, H_FUTURE);
      if (f === -1) {
        const size = this.#wanted(grow);
        if (size === 0) return;
        f = this.#startResize(size);
      }
      this.#finishResize(f);
    } catch (err) {
      // Resizing is the map's own work: a dead agent's lock leaves it to be resumed later.
      if (!isStoreError(err, "EBUSY")) throw err;
    } finally {
      Atomics.store(h, H_RESIZER, 0);
    }
  }

  #startResize(size: number): number {
    const h = this.#h;
    const b = this.#b;
    const t = Atomics.load(h, H_TBL);
    const region = 1 - (t & 1);
    // A new id first: a writer still holding the region's old table word sees it is stale.
    const rid = Atomics.load(h, H_RID + region) + 1 & 0xff_ffff;
    Atomics.store(h, H_RID + region, rid);
    const base = region * this.#rw;
    for (let i = 0; i < size; i++) {
      this.#acquire(b, base + 2 * i + 1, "bucket lock");
      Atomics.store(b, base + 2 * i, nulls(i, region));
      this.#release(b, base + 2 * i + 1);
    }
    const f = encodeTable(rid, Math.log2(size), region);
    Atomics.store(h, H_PROGRESS, 0);
    Atomics.add(h, H_SEQ, 1);
    Atomics.store(h, H_FUTURE, f);
    Atomics.add(h, size > this.bucketCount ? H_GROWS : H_SHRINKS, 1);
    return f;
  }

  #finishResize(f: number): void {
    const h = this.#h;
    const t = Atomics.load(h, H_TBL);
    // t === f: the resize's agent died after storing the table, before clearing the future
    // table: only the last steps are left.
    const size = t === f ? 0 : 1 << (t >>> 1 & 31);
    const from = Atomics.load(h, H_PROGRESS);
    if (from < 0 || from > size && size > 0) corrupt(`resize progress ${from}`);
    for (let i = from; i < size; i++) {
      this.#moveBucket(t, f, i);
      Atomics.store(h, H_PROGRESS, i + 1);
    }
    if (t === f) {
      if ((Atomics.load(h, H_SEQ) & 1) !== 0) Atomics.add(h, H_SEQ, 1);
      Atomics.store(h, H_FUTURE, -1);
      return;
    }
    // The sequence moves before the future table is cleared: a reader that finds no future
    // table after missing in the old one then sees the sequence changed, and looks again.
    Atomics.store(h, H_TBL, f);
    Atomics.add(h, H_SEQ, 1);
    Atomics.store(h, H_FUTURE, -1);
  }

  /** Moves old bucket `i`'s chain to the future table, tail first, and marks it moved. */
  #moveBucket(t: number, f: number, i: number): void {
    const h = this.#h;
    const b = this.#b;
    const e = this.#e;
    const stride = this.#stride;
    const slot = this.#slot;
    const region = t & 1;
    const w = region * this.#rw + 2 * i;
    this.#acquire(b, w + 1, "bucket lock");
    try {
      for (;;) {
        let el = Atomics.load(b, w);
        if (el < 0) break;
        let prev = -1;
        for (let steps = 0;; steps++) {
          if (el >= this.#cap || steps > this.#cap) corrupt(`chain of old bucket ${i}`);
          const next = Atomics.load(e, el * stride + E_NEXT);
          if (next < 0) break;
          prev = el;
          el = next;
        }
        const nw = this.#word(f, e[el * stride + E_HASH]!);
        // Logged once the future bucket is locked: an EBUSY there leaves no step logged (a stale
        // log would be "repaired" by recover() long after, cutting a live chain).
        this.#acquire(b, nw + 1, "bucket lock");
        h[slot + A_MOVE_PREV] = prev;
        h[slot + A_MOVE_BUCKET] = i;
        h[slot + A_MOVE_ELEM] = el;
        Atomics.store(e, el * stride + E_NEXT, Atomics.load(b, nw));
        Atomics.store(b, nw, el);
        this.#release(b, nw + 1);
        SHARED_HOOKS.step?.("resize:moving");
        if (prev === -1) Atomics.store(b, w, nulls(i, region));
        else Atomics.store(e, prev * stride + E_NEXT, nulls(i, region));
        h[slot + A_MOVE_ELEM] = -1;
        Atomics.add(h, H_MOVED, 1);
      }
      Atomics.store(b, w, MOVED);
    } finally {
      this.#release(b, w + 1);
    }
  }

  // ---- walks

  /**
   * Copies into #snap the entries whose reversed hash is in [p, q), q the end of the bucket
   * holding p in the larger table; one consistent view (retried when a resize ended or a chain
   * changed under the copy). Returns q.
   */
  #collect(p: number): number {
    const h = this.#h;
    const snap = this.#snap;
    for (let restarts = 0; restarts < RESTARTS_MAX; restarts++) {
      const s0 = Atomics.load(h, H_SEQ);
      const t = Atomics.load(h, H_TBL);
      const f = Atomics.load(h, H_FUTURE);
      const k = Math.max(t >>> 1 & 31, f === -1 ? 0 : f >>> 1 & 31);
      const width = 2 ** (32 - k);
      const q = (Math.floor(p / width) + 1) * width;
      snap.n = 0;
      if (!this.#snapBucket(t, p, q)) continue;
      if (f !== -1 && !this.#snapBucket(f, p, q)) continue;
      if (Atomics.load(h, H_SEQ) !== s0) continue;
      snap.finish();
      return q;
    }
    return corrupt(`a walk restarted ${RESTARTS_MAX} times`);
  }

  #snapBucket(t: number, p: number, q: number): boolean {
    const e = this.#e;
    const eb = this.#eb;
    const snap = this.#snap;
    const log2 = t >>> 1 & 31;
    if (log2 > this.#maxLog2 || (t & 1) >= this.#regions) corrupt(`table word ${t}`);
    const region = t & 1;
    const bucket = log2 === 0 ? 0 : rev32(Math.floor(p / 2 ** (32 - log2))) >>> (32 - log2);
    let el = Atomics.load(this.#b, region * this.#rw + 2 * bucket);
    if (el === MOVED) return true;
    const stride = this.#stride;
    const kw = this.#kw;
    const vs = this.#vs;
    let steps = 0;
    while (el >= 0) {
      if (el >= this.#cap || ++steps > this.#cap) corrupt(`chain through element ${el}`);
      const o = el * stride;
      const g = Atomics.load(e, o + E_GEN);
      if ((g & 1) !== 0) return false;
      const r = rev32(e[o + E_HASH]!);
      if (r >= p && r < q) {
        // The live copy; htab's values are never torn (a version moved under it: again).
        const at = this.#vr(el) + V_SEQ;
        const v = Atomics.load(e, at);
        const i = snap.reserve();
        snap.rev[i] = r;
        for (let j = 0; j < kw; j++) snap.keys[i * kw + j] = e[o + E_KEY + j]!;
        const from = this.#valueAt(el, v);
        for (let j = 0; j < vs; j++) snap.vals[i * vs + j] = eb[from + j]!;
        if (this.#htab && Atomics.load(e, at) !== v) return false;
      }
      const next = Atomics.load(e, o + E_NEXT);
      if (Atomics.load(e, o + E_GEN) !== g) return false;
      el = next;
    }
    return this.#chainEnd(t, region * this.#rw + 2 * bucket, el) === MISS;
  }

  /** Writes key `i` of the snapshot as bytes into `out` (at `at`). */
  #snapKey(i: number, out: Uint8Array, at = 0): Uint8Array {
    const keys = this.#snap.keys;
    const base = i * this.#kw;
    for (let j = 0; j < this.#ks; j++) {
      out[at + j] = keys[base + (j >>> 2)]! >>> ((j & 3) * 8) & 0xff;
    }
    return out;
  }

  #snapValue(i: number, out: Uint8Array): Uint8Array {
    const vs = this.#vs;
    out.set(this.#snap.vals.subarray(i * vs, i * vs + vs));
    return out;
  }

  /**
   * Every entry: in the order of the keys' reversed hashes, one bucket's keys copied at a time,
   * each yielded with its value as it is then (a key deleted before its turn is not yielded).
   * Keys present throughout the walk are yielded once, across resizes and whatever this or any
   * agent writes meanwhile; a key inserted meanwhile may or may not be.
   *
   * @param options `reuse: true` yields one tuple and one key and value array, overwritten.
   * @returns The entries.
   */
  *entries(options?: IterateOptions): IterableIterator<[Uint8Array, Uint8Array]> {
    this.#open();
    const reuse = options?.reuse === true;
    const ks = this.#ks;
    const tuple: [Uint8Array, Uint8Array] = [new Uint8Array(ks), new Uint8Array(this.#vs)];
    // The keys of one bucket, copied out before yielding (the consumer may call into this map,
    // which reuses #snap).
    let keys = new Uint8Array(8 * ks);
    for (let p = 0; p < POSITIONS;) {
      this.#open();
      p = this.#collect(p);
      const snap = this.#snap;
      const n = snap.n;
      if (n * ks > keys.length) keys = new Uint8Array(n * ks * 2);
      for (let i = 0; i < n; i++) this.#snapKey(snap.order[i]!, keys, i * ks);
      for (let i = 0; i < n; i++) {
        this.#open();
        const key = reuse ? tuple[0] : allocBytes(ks);
        for (let j = 0; j < ks; j++) key[j] = keys[i * ks + j]!;
        const value = reuse ? tuple[1] : allocBytes(this.#vs);
        // Its value now - and not at all if it was deleted before its turn.
        if (!this.#read(this.#load(key), value, 0, this.#htab)) continue;
        yield reuse ? tuple : [key, value];
      }
    }
  }

  /**
   * The key after `key` in the order of {@linkcode SharedTable.entries}; the first key for
   * `undefined` or an absent key (as the kernel's hash maps).
   *
   * @param key The key, or `undefined`.
   * @returns A copy of the next key, or `undefined` after the last.
   * @throws {StoreError} `EINVAL` for a bad key.
   */
  nextKey(key?: Uint8Array): Uint8Array | undefined {
    this.#open();
    let p = 0;
    let after = -1;
    if (key !== undefined) {
      checkKey(this.capabilities, key);
      const hash = this.#load(key);
      if (this.#find(hash) >= 0) {
        p = rev32(hash);
        after = p;
      }
    }
    const snap = this.#snap;
    while (p < POSITIONS) {
      p = this.#collect(p);
      for (let i = 0; i < snap.n; i++) {
        const j = snap.order[i]!;
        if (after >= 0 && snap.rev[j] === after && !this.#snapAfterScratch(j)) continue;
        return this.#snapKey(j, allocBytes(this.#ks));
      }
    }
    return undefined;
  }

  /** Whether snapshot key `j` sorts after the scratch key (same reversed hash). */
  #snapAfterScratch(j: number): boolean {
    const keys = this.#snap.keys;
    const s = this.#scratch;
    for (let i = 0; i < this.#kw; i++) {
      const x = keys[j * this.#kw + i]! >>> 0;
      const y = s[i]! >>> 0;
      if (x !== y) return x > y;
    }
    return false;
  }

  /**
   * Up to `count` entries from `cursor` on, whole buckets at a time; the cursor is a position in
   * the walk's order (4 bytes), valid across resizes and any writes: keys present throughout a
   * batched walk are returned once. `ENOSPC` when the next bucket holds more than `count` and
   * nothing was copied yet, as the kernel's batch ops.
   *
   * @param cursor `undefined` to start, else the last batch's cursor.
   * @param count The most entries.
   * @param options `delete: true` removes what it returns.
   * @returns The batch.
   * @throws {StoreError} `EINVAL` for a bad cursor or count, `ENOSPC` as above.
   */
  override lookupBatch(
    cursor: Uint8Array | undefined,
    count: number,
    options?: BatchOptions,
  ): Batch {
    this.#open();
    checkBatchCount(count);
    let p = 0;
    if (cursor !== undefined) {
      if (!(cursor instanceof Uint8Array) || cursor.length !== 4) {
        throw new StoreError("EINVAL", "a shared map's batch cursor is 4 bytes");
      }
      p = (cursor[0]! | cursor[1]! << 8 | cursor[2]! << 16 | cursor[3]! << 24) >>> 0;
    }
    const keys: Uint8Array[] = [];
    const values: Uint8Array[] = [];
    const snap = this.#snap;
    while (p < POSITIONS) {
      const q = this.#collect(p);
      const n = snap.n;
      if (keys.length + n > count) {
        if (keys.length === 0) {
          throw new StoreError("ENOSPC", `the next bucket holds ${n} entries, more than ${count}`);
        }
        break;
      }
      for (let i = 0; i < n; i++) {
        const j = snap.order[i]!;
        keys.push(this.#snapKey(j, allocBytes(this.#ks)));
        values.push(this.#snapValue(j, allocBytes(this.#vs)));
      }
      p = q;
    }
    if (options?.delete === true) { for (const k of keys) this.delete(k); }
    let next: Uint8Array | undefined;
    if (p < POSITIONS) {
      next = allocBytes(4);
      next[0] = p & 0xff;
      next[1] = p >>> 8 & 0xff;
      next[2] = p >>> 16 & 0xff;
      next[3] = p >>> 24 & 0xff;
    }
    return { keys, values, cursor: next };
  }

  /** Removes every entry (best effort against concurrent inserts: each bucket once). */
  clear(): void {
    this.#open();
    const snap = this.#snap;
    const key = new Uint8Array(this.#ks);
    for (let p = 0; p < POSITIONS;) {
      p = this.#collect(p);
      const n = snap.n;
      const keys: Uint8Array[] = [];
      for (let i = 0; i < n; i++) keys.push(this.#snapKey(snap.order[i]!, key.slice()));
      for (const k of keys) this.delete(k);
    }
  }

  /**
   * htab: the bytes of its buffers (preallocated, as `Htab`). rhash: the bytes in use - the
   * header, the elements handed out so far (a high-water mark) and the buckets of the table (and
   * future table), so it grows and shrinks with the table; the rest of its buffers is reserved
   * address space no page of which was touched. Resident memory can stay higher after a shrink:
   * JavaScript cannot hand pages of a SharedArrayBuffer back until the map is dropped.
   *
   * @returns Bytes.
   */
  memoryUsage(): number {
    this.#open();
    const h = this.#h;
    const { header, elements, buckets: bucketBuffer } = this.#handle;
    // htab preallocates, as Htab does: all of its buffers.
    if (this.#htab) return header.byteLength + elements.byteLength + bucketBuffer.byteLength;
    const f = Atomics.load(h, H_FUTURE);
    const buckets = this.bucketCount + (f === -1 ? 0 : 1 << (f >>> 1 & 31));
    return HEADER_WORDS * 4 +
      Math.min(Atomics.load(h, H_BUMP), this.#cap) * (this.#stride + this.#vstride) * 4 +
      buckets * 8;
  }

  // ---- lifetime and recovery

  /**
   * Detaches this agent: frees its agent slot (its free elements stay for the others). The
   * map lives while any agent is attached; once the last one closes, its handle attaches no
   * more. Later calls on this attachment are `EBADF`; a second `close` does nothing.
   */
  override close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const h = this.#h;
    // Not if another agent recovered this one meanwhile (the slot is no longer this agent's).
    if (Atomics.compareExchange(h, this.#slot + A_STATE, this.#me, 0) === this.#me) {
      h[this.#slot + A_OP] = 0;
      Atomics.sub(h, H_ATTACHED, 1);
    }
  }

  /**
   * Recovers from an agent that died attached (a Worker terminated, crashed or gone): claims its
   * slot, takes over every lock it held, finishes or undoes the insert or delete it was in (from the
   * intent it logged in its agent slot) and a resize step it was running, releases the locks, frees the slot and finishes its resize. Two agents recovering
   * the same one: one does it, the other gets `EINVAL`.
   *
   * Call it only once that agent can no longer run: under Node after `await worker.terminate()`
   * (or its `exit` event), under Bun after `terminate()`. Under Deno, `terminate()` does not stop
   * a Worker that is busy in synchronous code - it runs on until it returns to its event loop -
   * so there wait for the Worker to report it stopped, or end it through its own code. An
   * agent recovered while still running gets `EBADF` from its next call, but a write it is in
   * the middle of can still land. An update the dead agent was copying never became live (htab,
   * `F_LOCK`: the old value stays), except a plain rhash update, copied in place, which may be
   * left part old, part new.
   *
   * @param agent The dead agent's id (its attachment's {@linkcode SharedTable.agent}).
   * @returns What was released and repaired.
   * @throws {StoreError} `EINVAL` for this agent's own id or a slot that is not attached;
   * `EBUSY` when a lock the repair needs stays held (everything is left as it was: call again).
   */
  recover(agent: number): RecoverReport {
    this.#open();
    const h = this.#h;
    if (!Number.isInteger(agent) || agent < 0 || agent >= MAX_AGENTS || agent === this.#agent) {
      throw new StoreError("EINVAL", `agent ${String(agent)} is not another agent's id`);
    }
    const dslot = H_AGENTS + agent * AGENT_WORDS;
    const dead = Atomics.load(h, dslot + A_STATE);
    // Claimed first: of two agents recovering it at once, one does it and the other is refused.
    if (dead <= 0 || Atomics.compareExchange(h, dslot + A_STATE, dead, -1) !== dead) {
      throw new StoreError("EINVAL", `agent ${agent} is not attached (or is being recovered)`);
    }
    const me = this.#me;
    const e = this.#e;
    const b = this.#b;
    // Take over every lock it held: the repairs below run under them.
    const stolen: [Int32Array, number][] = [];
    const steal = (arr: Int32Array, idx: number) => {
      if (Atomics.compareExchange(arr, idx, dead, me) === dead) stolen.push([arr, idx]);
    };
    for (let i = 1; i < this.#regions * this.#rw; i += 2) steal(b, i);
    for (let el = 0; el < this.#cap; el++) steal(e, this.#vr(el) + V_LOCK);
    for (let a = 0; a < MAX_AGENTS; a++) steal(h, H_AGENTS + a * AGENT_WORDS + A_FREE_LOCK);
    const resizing = Atomics.compareExchange(h, H_RESIZER, dead, me) === dead;
    let repaired = 0;
    try {
      if (resizing) repaired += this.#repairMove(dslot);
      repaired += this.#repairWrite(dslot);
    } catch (err) {
      // (EBUSY: a lock the repair needs stays held.) Everything back as it was, to try again.
      for (const [arr, idx] of stolen) Atomics.compareExchange(arr, idx, me, dead);
      if (resizing) Atomics.compareExchange(h, H_RESIZER, me, dead);
      Atomics.store(h, dslot + A_STATE, dead);
      throw err;
    }
    for (const [arr, idx] of stolen) this.#release(arr, idx);
    // Every orphan whose value lock is free now is freed: those whose lock the dead agent held,
    // and one it orphaned itself but died before freeing (a free lock, no intent left).
    for (let el = 0; el < this.#cap; el++) {
      if (Atomics.load(e, el * this.#stride + E_NEXT) === ORPHAN) this.#adopt(el);
    }
    if (resizing) this.#release(h, H_RESIZER);
    h[dslot + A_OP] = 0;
    h[dslot + A_MOVE_ELEM] = -1;
    Atomics.store(h, dslot + A_STATE, 0);
    Atomics.sub(h, H_ATTACHED, 1);
    // Finish the dead agent's resize now (the next write would, too).
    if (resizing && Atomics.load(h, H_FUTURE) !== -1) this.#resize(true);
    return { locks: stolen.length + (resizing ? 1 : 0), repaired };
  }

  /** A resize step the dead agent left between linking an element and unlinking it. */
  #repairMove(dslot: number): number {
    const h = this.#h;
    const e = this.#e;
    const b = this.#b;
    const el = h[dslot + A_MOVE_ELEM]!;
    const f = Atomics.load(h, H_FUTURE);
    if (el < 0 || el >= this.#cap || f === -1) return 0;
    const t = Atomics.load(h, H_TBL);
    const i = h[dslot + A_MOVE_BUCKET]!;
    const prev = h[dslot + A_MOVE_PREV]!;
    const region = t & 1;
    if (!(i >= 0 && i < 1 << (t >>> 1 & 31)) || !(prev >= -1 && prev < this.#cap)) {
      corrupt(`agent slot's move step (bucket ${i}, predecessor ${prev})`);
    }
    const hash = e[el * this.#stride + E_HASH]!;
    const end = nulls(i, region);
    if (this.#onChain(this.#word(f, hash), el)) {
      // Linked into the future table: finish the step by cutting it off the old chain.
      if (prev === -1) Atomics.store(b, region * this.#rw + 2 * i, end);
      else Atomics.store(e, prev * this.#stride + E_NEXT, end);
    } else {
      // Not linked: it is still the old chain's tail.
      Atomics.store(e, el * this.#stride + E_NEXT, end);
    }
    return 1;
  }

  /** Whether `target` is on the links from `first` (a chain or a free list; bounded). */
  #reaches(first: number, target: number): boolean {
    const e = this.#e;
    let el = first;
    for (let steps = 0; el >= 0 && el < this.#cap && steps <= this.#cap; steps++) {
      if (el === target) return true;
      el = Atomics.load(e, el * this.#stride + E_NEXT);
    }
    return false;
  }

  #onChain(w: number, target: number): boolean {
    return this.#reaches(Atomics.load(this.#b, w), target);
  }

  /** Where element `el` is linked: its bucket word in the table or future table, or -1. */
  #linkedAt(el: number): number {
    const h = this.#h;
    const hash = this.#e[el * this.#stride + E_HASH]!;
    for (const t of [Atomics.load(h, H_TBL), Atomics.load(h, H_FUTURE)]) {
      if (t === -1) continue;
      const w = this.#word(t, hash);
      if (this.#onChain(w, el)) return w;
    }
    return -1;
  }

  #isFree(el: number): boolean {
    for (let a = 0; a < MAX_AGENTS; a++) {
      if (this.#reaches(Atomics.load(this.#h, H_AGENTS + a * AGENT_WORDS + A_FREE), el)) {
        return true;
      }
    }
    return false;
  }

  /** The insert or delete the dead agent was in: finished or undone. */
  #repairWrite(dslot: number): number {
    const h = this.#h;
    const op = h[dslot + A_OP]!;
    if (op === 0) return 0;
    const el = h[dslot + A_ELEM]!;
    const valid = (x: number) => x >= 0 && x < this.#cap;
    const reclaim = (x: number) => {
      if (!valid(x) || this.#linkedAt(x) >= 0 || this.#isFree(x)) return;
      // An orphan whose lock is free: the dead agent stopped before its own adopt check.
      if (Atomics.load(this.#e, x * this.#stride + E_NEXT) === ORPHAN) this.#adopt(x);
      else this.#free(x);
    };
    if (op === OP_INSERT) {
      if (!(valid(el) && this.#linkedAt(el) >= 0)) {
        if (h[dslot + A_COUNTED] === 1) Atomics.sub(h, H_COUNT, 1);
        reclaim(el);
      }
    } else if (op === OP_DELETE) {
      if (valid(el) && this.#linkedAt(el) < 0) {
        if (h[dslot + A_COUNTED] === 1) Atomics.sub(h, H_COUNT, 1);
        reclaim(el);
      }
    }
    return 1;
  }

  // ---- introspection

  /**
   * Walks the whole map and throws when an invariant does not hold: every chain ends in its
   * own marker, every linked element is stable, in the right bucket, with its stored hash, once;
   * no key twice; the count; every element handed out is linked, free, or held by a write in
   * progress. Meaningful while no agent writes.
   *
   * @throws {Error} Naming the first broken invariant.
   */
  checkValid(): void {
    this.#open();
    const h = this.#h;
    const e = this.#e;
    const b = this.#b;
    const stride = this.#stride;
    const bump = Math.min(Atomics.load(h, H_BUMP), this.#cap);
    const seen = new Uint8Array(this.#cap);
    const fail = (msg: string): never => {
      throw new Error(`shared ${this.backend}: ${msg}`);
    };
    let count = 0;
    const t = Atomics.load(h, H_TBL);
    const f = Atomics.load(h, H_FUTURE);
    for (const [tbl, name] of [[t, "table"], [f, "future table"]] as const) {
      if (tbl === -1) continue;
      const log2 = tbl >>> 1 & 31;
      const region = tbl & 1;
      for (let i = 0; i < 1 << log2; i++) {
        const w = region * this.#rw + 2 * i;
        let el = b[w]!;
        if (el === MOVED) {
          if (tbl !== t || f === -1) {
            fail(`${name} bucket ${i} is marked moved with no resize running`);
          }
          continue;
        }
        const chain: number[] = [];
        while (el >= 0) {
          if (el >= bump) fail(`${name} bucket ${i} links element ${el}, never handed out`);
          if (seen[el] !== 0) fail(`element ${el} is linked twice`);
          seen[el] = 1;
          const o = el * stride;
          if ((e[o + E_GEN]! & 1) !== 0) fail(`linked element ${el} has an odd generation`);
          const hash = this.#hashWords(e, o + E_KEY);
          if (hash !== e[o + E_HASH]) fail(`element ${el} stores a hash that is not its key's`);
          if (this.#word(tbl, hash) !== w) fail(`element ${el} is in the wrong bucket`);
          for (const other of chain) {
            let same = true;
            for (let j = 0; j < this.#kw; j++) {
              if (e[other * stride + E_KEY + j] !== e[o + E_KEY + j]) same = false;
            }
            if (same) fail(`key of element ${el} is also element ${other}'s`);
          }
          chain.push(el);
          count++;
          el = e[o + E_NEXT]!;
        }
        if (el !== nulls(i, region)) fail(`${name} bucket ${i} ends in ${el}, not its marker`);
      }
    }
    if (count !== Atomics.load(h, H_COUNT)) fail(`count ${h[H_COUNT]} but ${count} linked`);
    for (let a = 0; a < MAX_AGENTS; a++) {
      const slot = H_AGENTS + a * AGENT_WORDS;
      let el = h[slot + A_FREE]!;
      while (el !== FREE_END) {
        if (el < 0 || el >= bump) fail(`agent ${a}'s free list holds ${el}`);
        if (seen[el] !== 0) fail(`free element ${el} is also linked or listed twice`);
        seen[el] = 2;
        if ((e[el * stride + E_GEN]! & 1) === 0) fail(`free element ${el} has an even generation`);
        el = e[el * stride + E_NEXT]!;
      }
    }
    for (let el = 0; el < bump; el++) {
      // (An orphan waits for an update still holding its value lock.)
      const orphan = e[el * stride + E_NEXT] === ORPHAN && e[this.#vr(el) + V_LOCK] !== 0;
      if (seen[el] === 0 && !orphan) fail(`element ${el} is neither linked nor free (leaked)`);
    }
  }

  /**
   * The map's layout as text: table and future table, counts, agents, elements.
   *
   * @returns The description.
   */
  describe(): string {
    this.#open();
    const h = this.#h;
    const f = Atomics.load(h, H_FUTURE);
    const agents: number[] = [];
    for (let a = 0; a < MAX_AGENTS; a++) {
      if (Atomics.load(h, H_AGENTS + a * AGENT_WORDS + A_STATE) > 0) agents.push(a);
    }
    const r = this.resizes;
    return [
      `shared ${this.backend}: ${this.size} / ${this.#max} entries, key ${this.#ks} B, value ${this.#vs} B`,
      `  table: ${this.bucketCount} buckets${
        f === -1 ? "" : `, resizing to ${1 << (f >>> 1 & 31)} (bucket ${h[H_PROGRESS]} next)`
      }${this.#htab ? " (fixed)" : `, grows ${r.grows}, shrinks ${r.shrinks}, moved ${r.moved}`}`,
      `  elements: ${Math.min(h[H_BUMP]!, this.#cap)} of ${this.#cap} handed out, ${
        (this.#stride + this.#vstride) * 4
      } B each`,
      `  agents attached: ${agents.join(", ")} (this one: ${this.#agent})`,
      `  hash: ${
        this.#sip ? "HalfSipHash-1-3 (keyed)" : "MurmurHash3"
      }; lock wait ${this.#timeout} ms`,
    ].join("\n");
  }
}
