// Regression tests for the races and hostile-memory defects an adversarial review of SharedTable
// found (issue #15; numbered as in the review). Each forces its interleaving in one thread: by
// wrapping Atomics.load / add / store (a legal order of another core's accesses), by a
// SHARED_HOOKS step, or by writing a dead agent's id into a lock word. Each failed on the code
// before the fixes (checked against the reviewed version under Deno, Node and Bun).

import { afterEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { type ErrorCode, F_LOCK, isStoreError, u32Key } from "@kvkit/store";
import { SharedTable, type SharedTableInit } from "./shared_table.ts";
import { SHARED_HOOKS } from "./_shared_hooks.ts";
import * as L from "./shared_layout.ts";

type Backend = "htab" | "rhash";
type AtomicsOp = (arr: Int32Array, i: number, v?: number) => number;

const REAL = { load: Atomics.load, add: Atomics.add, store: Atomics.store };
const ATOMICS = Atomics as unknown as Record<"load" | "add" | "store", AtomicsOp>;

afterEach(() => {
  Object.assign(Atomics, REAL);
  SHARED_HOOKS.step = undefined;
  SHARED_HOOKS.unlocked = false;
});

function init(over: Partial<SharedTableInit> = {}): SharedTableInit {
  return {
    keySize: 4,
    valueSize: 8,
    maxEntries: 64,
    firstBuckets: 4,
    maxBuckets: 4,
    keyed: true,
    seed: 0,
    k0: 11,
    k1: 22,
    lockTimeoutMs: 20,
    ...over,
  };
}

type Agents<N extends number, T extends SharedTable[] = []> = T["length"] extends N ? T
  : Agents<N, [...T, SharedTable]>;

/** A new map and `n - 1` more attachments of it (as many Workers would hold). */
function agents<N extends 1 | 2 | 3 | 4>(
  backend: Backend,
  n: N,
  over: Partial<SharedTableInit> = {},
): Agents<N> {
  const a = new SharedTable(backend, { init: init(over) });
  const all = [a];
  for (let i = 1; i < n; i++) all.push(new SharedTable(backend, { attach: a.share() }));
  return all as Agents<N>;
}

const filled = (size: number, byte: number): Uint8Array => new Uint8Array(size).fill(byte);

function isCode(code: ErrorCode): (err: unknown) => boolean {
  return (err) => isStoreError(err, code);
}

/** Runs `f` with `during` run once, at the first Atomics.load on `buffer`. Returns whether it ran. */
function atFirstLoad<T>(buffer: ArrayBufferLike, during: () => void, f: () => T): [T, boolean] {
  let armed = true;
  ATOMICS.load = (arr, i) => {
    if (armed && arr.buffer === buffer) {
      armed = false;
      during();
    }
    return REAL.load(arr, i);
  };
  try {
    return [f(), !armed];
  } finally {
    ATOMICS.load = REAL.load;
  }
}

/** Runs `f`, which must end: past `loads` atomic loads it is taken for an endless loop. */
function bounded<T>(f: () => T, loads = 200_000): T {
  let n = 0;
  ATOMICS.load = (arr, i) => {
    if (++n > loads) throw new Error(`no end after ${loads} atomic loads`);
    return REAL.load(arr, i);
  };
  try {
    return f();
  } finally {
    ATOMICS.load = REAL.load;
  }
}

/** The word an agent's locks hold (seen on the bucket lock a delete of an absent key takes). */
function lockIdOf(t: SharedTable, buckets: SharedArrayBuffer): number {
  const cas = Atomics.compareExchange;
  let id = 0;
  Atomics.compareExchange = ((arr: Int32Array, i: number, expected: number, value: number) => {
    if (id === 0 && arr.buffer === buckets && expected === 0) id = value;
    return cas(arr, i, expected, value);
  }) as typeof Atomics.compareExchange;
  try {
    t.delete(u32Key(0xdead));
  } finally {
    Atomics.compareExchange = cas;
  }
  assert.notEqual(id, 0);
  return id;
}

describe("SharedTable races (review of #15)", () => {
  for (const walk of [false, true]) {
    it(`#1 htab: ${walk ? "a walk" : "a plain lookup"} never misses a key updated meanwhile`, () => {
      // One bucket: the chain is P -> K (inserts link at the head). The reader stands on P (its
      // first atomic load) when K is updated: the update writes K's other value copy and moves
      // its version, K's element stays linked, so the reader meets K and its new value.
      const [r, w] = agents("htab", 2, { firstBuckets: 1, maxBuckets: 1 });
      const K = u32Key(1);
      r.set(K, filled(8, 1));
      r.set(u32Key(2), filled(8, 2));
      const out = new Uint8Array(8);
      const [seen, ran] = atFirstLoad(r.share().elements, () => w.set(K, filled(8, 3)), () => {
        if (walk) return [...r.keys()].map((k) => k[0]!).sort();
        return r.getInto(K, out) ? [out[0]!] : [];
      });
      assert.ok(ran);
      assert.deepEqual(seen, walk ? [1, 2] : [3]);
      r.checkValid();
    });
  }

  describe("#2 rhash: a lookup or a walk across the end of a resize misses no key", () => {
    const HEADER = new Set<ArrayBufferLike>();
    // While `held` is an array, the resizer is paused right at its end-of-resize SEQ++: that op
    // and every header write after it wait, in order, until released (a reader on another core
    // runs between the resizer's last stores).
    let held: (() => void)[] | undefined;
    let tbl0 = 0;
    let holding = false;
    function hold(arr: Int32Array, i: number, op: () => number): number {
      if (!holding || !HEADER.has(arr.buffer)) return op();
      if (held === undefined && i === L.H_SEQ && REAL.load(arr, L.H_TBL) !== tbl0) held = [];
      if (held === undefined) return op();
      held.push(op);
      return REAL.load(arr, i);
    }
    function wrap(): void {
      ATOMICS.add = (arr, i, v) => hold(arr, i, () => REAL.add(arr, i, v!));
      ATOMICS.store = (arr, i, v) => hold(arr, i, () => REAL.store(arr, i, v!));
    }

    /**
     * Keys 1..3 in 4 buckets, plus the keys whose inserts started a grow to 8 that stopped at
     * a bucket another agent holds (EBUSY: left for the next write to resume).
     */
    function setup(): {
      r: SharedTable;
      w: SharedTable;
      header: SharedArrayBuffer;
      keys: number[];
    } {
      const [r, w, z] = agents("rhash", 3, {
        maxEntries: 1000,
        maxBuckets: 2048,
        lockTimeoutMs: 5,
      });
      for (const k of [1, 2, 3]) r.set(u32Key(k), filled(8, k));
      const keys = [1, 2, 3];
      // Bucket 0's lock (the word after its head) held by Z, as by a Worker in the middle of a
      // write there: the grow an insert starts stops at bucket 0, left for a later write.
      const buckets = new Int32Array(r.share().buckets);
      Atomics.store(buckets, 1, lockIdOf(z, r.share().buckets));
      for (let k = 4; w.resizes.grows === 0; k++) {
        try {
          w.set(u32Key(k), filled(8, k));
          keys.push(k);
        } catch (err) {
          if (!isStoreError(err, "EBUSY")) throw err; // its bucket is the held one
        }
      }
      Atomics.store(buckets, 1, 0);
      assert.equal(r.bucketCount, 4, "the grow is left unfinished");
      z.close();
      const header = r.share().header;
      HEADER.add(header);
      tbl0 = REAL.load(new Int32Array(header), L.H_TBL);
      return { r, w, header, keys };
    }

    /** The other agent's next insert resumes the grow and ends it, its SEQ++ held back. */
    function endGrow(w: SharedTable): void {
      holding = true;
      w.set(u32Key(1000), filled(8, 0));
      assert.ok(held !== undefined, "the grow ended");
      assert.equal(w.bucketCount, 8);
    }

    function release(): void {
      holding = false;
      for (const op of held ?? []) op();
      held = undefined;
    }

    it("has()", () => {
      for (const key of setup().keys) {
        const { r, w } = setup();
        wrap();
        try {
          // The reader's first atomic load on the elements: it has read SEQ, the table and the
          // bucket's head; the grow moves every bucket and ends right there.
          const [seen, ran] = atFirstLoad(r.share().elements, () => endGrow(w), () => {
            return r.has(u32Key(key));
          });
          assert.ok(ran);
          assert.ok(seen, `key ${key} was present throughout the grow`);
        } finally {
          release();
        }
        r.checkValid();
      }
    });

    it("entries()", () => {
      for (let nth = 1; nth <= 8; nth++) {
        const { r, w, header, keys } = setup();
        wrap();
        let loads = 0;
        const load = ATOMICS.load;
        ATOMICS.load = (arr, i) => {
          // The walk's nth read of the future table: the grow ends right before it.
          if (arr.buffer === header && i === L.H_FUTURE && ++loads === nth) endGrow(w);
          return load(arr, i);
        };
        let walked: number[];
        try {
          walked = [...r.keys()].map((k) => k[0]! | k[1]! << 8);
        } finally {
          ATOMICS.load = load;
          release();
        }
        assert.ok(loads >= nth, "the grow ended during the walk");
        for (const k of keys) assert.ok(walked.includes(k), `walk ${nth}: key ${k} missing`);
        r.checkValid();
      }
    });
  });

  for (const backend of ["htab", "rhash"] as const) {
    describe(`#3 ${backend}: a value lock is released only by its holder`, () => {
      const K = u32Key(1);
      const K2 = u32Key(2);
      /** K's element (the map's first) and its value lock word, as a dead holder leaves it. */
      function holdValueLock(m: SharedTable, holder: SharedTable): void {
        const e = new Int32Array(m.share().elements);
        // Element 0's value record follows every key record (capacity: maxEntries + MAX_AGENTS).
        const valueRecords = (m.capabilities.maxEntries + L.MAX_AGENTS) * L.keyStrideOf(4);
        Atomics.store(e, valueRecords + L.V_LOCK, lockIdOf(holder, m.share().buckets));
      }
      const heldBy = (t: SharedTable) => (err: unknown) =>
        isStoreError(err, "EBUSY") && (err as Error).message.includes(`agent ${t.agent} `);

      it("an element freed while a dead writer holds its value lock is not reused until recover", () => {
        const [a, b, c, z] = agents(backend, 4);
        a.set(K, filled(8, 1));
        holdValueLock(a, z); // Z died updating K in place
        // B deletes K: its element cannot be freed for reuse while Z may still copy into it
        // (the delete waits for the lock, then leaves the element orphaned and succeeds).
        assert.ok(b.delete(K));
        b.set(K2, filled(8, 2));
        c.set(K2, filled(8, 3), F_LOCK); // K2 is in another element: no wait for Z
        assert.deepEqual(c.get(K2), filled(8, 3));
        a.checkValid(); // the orphan is not a leak while its lock is held
        assert.ok(a.recover(z.agent).locks >= 1);
        a.checkValid(); // freed once released
        for (let k = 100; a.size < 8; k++) a.set(u32Key(k), filled(8, 4));
        assert.equal(a.size, 8);
      });

      it("an agent recovered mid-update does not release the lock another agent took since", () => {
        const [a, r, d, c] = agents(backend, 4);
        a.set(K, filled(8, 1));
        let ran = false;
        SHARED_HOOKS.step = (where) => {
          if (where !== "update:copying" || ran) return;
          ran = true;
          // A, taken for dead (a terminated Worker that still runs), is recovered: its locks
          // pass to R, which releases them. D then takes K's value lock and dies holding it.
          assert.ok(r.recover(a.agent).locks >= 1);
          holdValueLock(r, d);
        };
        a.set(K, filled(8, 2), F_LOCK); // A's update ends, and releases... not D's hold
        SHARED_HOOKS.step = undefined;
        assert.ok(ran);
        assert.throws(() => c.set(K, filled(8, 3), F_LOCK), heldBy(d));
        assert.throws(() => a.size, isCode("EBADF"));
        assert.ok(r.recover(d.agent).locks >= 1);
        c.set(K, filled(8, 3), F_LOCK);
        assert.deepEqual(c.get(K), filled(8, 3));
        r.checkValid();
      });
    });
  }

  it("#5 of two agents recovering the same dead agent at once, one does it", () => {
    const [a, b, d, c] = agents("rhash", 4, { firstBuckets: 16, maxBuckets: 64 });
    for (let k = 1; k <= 3; k++) a.set(u32Key(k), filled(8, k));
    // D dies right after unlinking key 2 (its intent stays logged; delete's finally releases
    // the bucket lock, as recover would).
    SHARED_HOOKS.step = (where) => {
      if (where === "delete:unlinked") throw new Error("D died");
    };
    assert.throws(() => d.delete(u32Key(2)), /D died/);
    SHARED_HOOKS.step = undefined;
    let stores = 0;
    const elements = a.share().elements;
    // B recovers D too, while A's recover is about to free the element D unlinked (A's first
    // atomic store to the elements: the element's generation going odd).
    ATOMICS.store = (arr, i, v) => {
      if (arr.buffer === elements && ++stores === 1) {
        assert.throws(() => b.recover(d.agent), isCode("EINVAL"));
      }
      return REAL.store(arr, i, v!);
    };
    try {
      a.recover(d.agent);
    } finally {
      Atomics.store = REAL.store;
    }
    assert.ok(stores > 0);
    assert.equal(a.size, 2);
    assert.equal(a.has(u32Key(2)), false);
    a.checkValid();
    assert.throws(() => d.size, isCode("EBADF"));
    c.close();
  });

  for (const backend of ["htab", "rhash"] as const) {
    it(`#6 ${backend}: a free never waits for the free list's lock (no EBUSY after a commit)`, () => {
      const [a, c] = agents(backend, 2, { maxEntries: 16 });
      a.set(u32Key(1), filled(8, 1));
      a.set(u32Key(2), filled(8, 2));
      // C died inside a pop from A's free list (its own empty, the never-used tail handed out):
      // A's free-list lock stays C's.
      const h = new Int32Array(a.share().header);
      const freeLock = L.H_AGENTS + a.agent * L.AGENT_WORDS + L.A_FREE_LOCK;
      Atomics.store(h, freeLock, lockIdOf(c, a.share().buckets));
      // An update, and a delete, which commits and then frees its element: neither may fail
      // after the commit.
      a.set(u32Key(2), filled(8, 9));
      assert.deepEqual(a.get(u32Key(2)), filled(8, 9));
      assert.ok(a.delete(u32Key(1)));
      assert.equal(a.has(u32Key(1)), false);
      assert.equal(a.size, 1);
      // Taking an element from the list does wait for its lock, and fails before any change.
      assert.throws(() => a.set(u32Key(3), filled(8, 3)), isCode("EBUSY"));
      assert.equal(a.has(u32Key(3)), false);
      assert.equal(a.size, 1);
      assert.ok(a.recover(c.agent).locks >= 1);
      a.checkValid();
      // The freed elements are reused: fill the map to maxEntries.
      for (let k = 3; k <= 17; k++) a.set(u32Key(k), filled(8, k));
      assert.equal(a.size, 16);
      a.checkValid();
    });
  }

  it("#7 htab: a plain read during an F_LOCK update sees a whole value, without waiting", () => {
    const [a, b] = agents("htab", 2, { valueSize: 16 });
    const K = u32Key(1);
    a.set(K, filled(16, 0xaa));
    const out = new Uint8Array(16);
    let reads = 0;
    SHARED_HOOKS.step = (where) => {
      if (where !== "update:copying") return;
      reads++;
      // Mid-update (the writer stopped halfway through the other copy, its value lock held):
      // the whole old value, never half of each, and no wait for the lock.
      assert.ok(b.getInto(K, out));
      assert.deepEqual(out, filled(16, 0xaa));
    };
    a.set(K, filled(16, 0xbb), F_LOCK);
    SHARED_HOOKS.step = undefined;
    assert.equal(reads, 1);
    assert.ok(b.getInto(K, out, 0, F_LOCK));
    assert.deepEqual(out, filled(16, 0xbb));
    a.checkValid();
  });

  describe("#8 hostile memory and handles: EINVAL, never a hang or a foreign buffer", () => {
    it("a bucket marked moved while no resize runs", () => {
      const [m] = agents("rhash", 1, { firstBuckets: 8, maxBuckets: 8192 });
      const b = new Int32Array(m.share().buckets);
      for (let i = 0; i < 8; i++) b[2 * i] = L.MOVED;
      assert.throws(() => bounded(() => m.set(u32Key(1), filled(8, 1))), isCode("EINVAL"));
    });

    for (const backend of ["htab", "rhash"] as const) {
      it(`${backend}: a chain that cycles through stable elements`, () => {
        const [m] = agents(backend, 1, { firstBuckets: 1, maxBuckets: 1 });
        m.set(u32Key(1), filled(8, 1)); // element 0
        m.set(u32Key(2), filled(8, 2)); // element 1: the chain is 1 -> 0
        const e = new Int32Array(m.share().elements);
        e[0 * L.keyStrideOf(4) + L.E_NEXT] = 1; // 1 -> 0 -> 1 -> ...
        assert.throws(() => bounded(() => m.has(u32Key(3))), isCode("EINVAL"));
      });

      it(`${backend}: a walk of a chain that cycles through stable elements`, () => {
        const [m] = agents(backend, 1, { firstBuckets: 1, maxBuckets: 1 });
        m.set(u32Key(1), filled(8, 1));
        m.set(u32Key(2), filled(8, 2));
        const e = new Int32Array(m.share().elements);
        e[0 * L.keyStrideOf(4) + L.E_NEXT] = 1;
        assert.throws(() => bounded(() => [...m.keys()]), isCode("EINVAL"));
      });
    }

    it("htab: a table word naming a second region (htab has one)", () => {
      const [m] = agents("htab", 1);
      const h = new Int32Array(m.share().header);
      h[L.H_TBL] = h[L.H_TBL]! | 1;
      assert.throws(() => bounded(() => m.has(u32Key(1))), isCode("EINVAL"));
      assert.throws(() => bounded(() => m.set(u32Key(1), filled(8, 1))), isCode("EINVAL"));
      assert.throws(() => bounded(() => [...m.entries()]), isCode("EINVAL"));
      assert.throws(() => bounded(() => m.nextKey()), isCode("EINVAL"));
      assert.throws(() => bounded(() => m.lookupBatch(undefined, 8)), isCode("EINVAL"));
    });

    it("rhash: a future table that is the table (a resize's agent died before its last store)", () => {
      const [m] = agents("rhash", 1, { maxBuckets: 64 });
      m.set(u32Key(1), filled(8, 1));
      const h = new Int32Array(m.share().header);
      h[L.H_FUTURE] = h[L.H_TBL]!;
      h[L.H_SEQ] = h[L.H_SEQ]! + 1; // mid-resize
      // Writes go on; the next insert finishes the resize's last steps.
      bounded(() => {
        for (let k = 2; k < 10; k++) m.set(u32Key(k), filled(8, k));
      });
      assert.equal(h[L.H_FUTURE], -1);
      assert.equal(h[L.H_SEQ]! & 1, 0);
      for (let k = 1; k < 10; k++) assert.deepEqual(m.get(u32Key(k)), filled(8, k));
      m.checkValid();
    });

    it("a handle is read once: a getter cannot swap a buffer after the checks", () => {
      const [m] = agents("rhash", 1);
      const real = m.share();
      let reads = 0;
      const hostile = {
        kind: real.kind,
        backend: real.backend,
        header: real.header,
        get elements() {
          return ++reads <= 2 ? real.elements : new SharedArrayBuffer(8);
        },
        buckets: real.buckets,
      };
      let s: SharedTable;
      try {
        s = new SharedTable("rhash", { attach: hostile });
      } catch (err) {
        assert.ok(isStoreError(err, "EINVAL"), String(err));
        return;
      }
      s.set(u32Key(1), filled(8, 7));
      assert.deepEqual(m.get(u32Key(1)), filled(8, 7), "the attachment uses the checked buffers");
      s.checkValid();
    });

    it("buffers of two maps mixed in one handle", () => {
      const [m1] = agents("htab", 1);
      const [m2] = agents("htab", 1);
      m1.set(u32Key(1), filled(8, 1));
      const h1 = m1.share();
      const h2 = m2.share();
      for (const mixed of [{ ...h2, elements: h1.elements }, { ...h2, buckets: h1.buckets }]) {
        assert.throws(() => new SharedTable("htab", { attach: mixed }), isCode("EINVAL"));
      }
      assert.equal(m2.size, 0);
      m2.close(); // the failed attaches counted nothing in: this was the last agent
      assert.throws(() => new SharedTable("htab", { attach: h2 }), isCode("EINVAL"));
    });
  });

  it("#10 after close: every getter, and the next step of a walk, is EBADF", () => {
    const [m, other] = agents("rhash", 2, { maxBuckets: 64 });
    m.set(u32Key(1), filled(8, 1));
    const started = m.entries();
    assert.deepEqual(started.next().value?.[0], u32Key(1)); // the walk stands after its only key
    const lazy = m.keys(); // made before close, first stepped after
    m.close();
    assert.throws(() => m.size, isCode("EBADF"));
    assert.throws(() => m.memoryUsage(), isCode("EBADF"));
    assert.throws(() => m.bucketCount, isCode("EBADF"));
    assert.throws(() => m.resizes, isCode("EBADF"));
    assert.throws(() => started.next(), isCode("EBADF"));
    assert.throws(() => lazy.next(), isCode("EBADF"));
    assert.equal(other.size, 1);
    other.close();
  });
});

// ---- The second review (D1-D6): its repros made tests, by the same means.

/** The hash a map made by init() stores for u32 key `k` (its low bits pick the bucket). */
const hashes = new Map<number, number>();
function hashOf(k: number): number {
  let hash = hashes.get(k);
  if (hash === undefined) {
    // A map with init()'s hash key, holding only `k`: its element 0.
    const [m] = agents("htab", 1, { maxEntries: 1, firstBuckets: 1, maxBuckets: 1 });
    m.set(u32Key(k), filled(8, 0));
    hash = new Int32Array(m.share().elements)[L.E_HASH]!;
    m.close();
    hashes.set(k, hash);
  }
  return hash;
}

/** Runs `f` with `during` run once, at the first Atomics.load of word `i` of `buffer`. */
function atLoad<T>(
  buffer: ArrayBufferLike,
  i: number,
  during: () => void,
  f: () => T,
): [T, boolean] {
  let armed = true;
  ATOMICS.load = (arr, j) => {
    if (armed && arr.buffer === buffer && j === i) {
      armed = false;
      during();
    }
    return REAL.load(arr, j);
  };
  try {
    return [f(), !armed];
  } finally {
    ATOMICS.load = REAL.load;
  }
}

/** The words of a map most tests here read or write directly. */
function words(t: SharedTable): {
  h: Int32Array;
  e: Int32Array;
  bk: Int32Array;
  ks: number;
  /** Element `el`'s value record. */
  vr: (el: number) => number;
  /** Agent `of`'s slot in the header. */
  slot: (of: SharedTable) => number;
} {
  const { header, elements, buckets } = t.share();
  const h = new Int32Array(header);
  const ks = L.keyStrideOf(h[L.H_KEY_SIZE]!);
  const vs = L.valueStrideOf(h[L.H_VALUE_SIZE]!);
  return {
    h,
    e: new Int32Array(elements),
    bk: new Int32Array(buckets),
    ks,
    vr: (el) => h[L.H_CAPACITY]! * ks + el * vs,
    slot: (of) => L.H_AGENTS + of.agent * L.AGENT_WORDS,
  };
}

/** The element holding u32 key `k` (a linear scan of the key records in use). */
function elementOf(t: SharedTable, k: number): number {
  const { h, e, ks } = words(t);
  for (let el = 0; el < h[L.H_BUMP]!; el++) if (e[el * ks + L.E_KEY] === k) return el;
  throw new Error(`key ${k} not found`);
}

/**
 * On an rhash map of 4 buckets: inserts keys outside bucket 3 (from `from`, by agent `by`) until
 * one starts a grow to 8 that stops before bucket 3, whose lock is `holder`'s (a Worker mid-write
 * there; the EBUSY leaves the grow for a later write). Returns the keys inserted.
 */
function stallGrow(by: SharedTable, holder: SharedTable, from: number): number[] {
  const { h, bk } = words(by);
  const keys = [];
  bk[2 * 3 + 1] = lockIdOf(holder, by.share().buckets);
  for (let k = from; h[L.H_FUTURE] === -1; k++) {
    if ((hashOf(k) & 3) === 3) continue;
    by.set(u32Key(k), filled(8, k));
    keys.push(k);
  }
  bk[2 * 3 + 1] = 0;
  return keys;
}

describe("SharedTable races (second review of #15)", () => {
  it("D1 rhash: a write across the end of a resize is not taken for corrupt memory", () => {
    const [a, b, z] = agents("rhash", 3, { maxBuckets: 64, lockTimeoutMs: 5 });
    const { h } = words(a);
    for (const k of [1, 2, 3]) a.set(u32Key(k), filled(8, k));
    const keys = [1, 2, 3, ...stallGrow(a, z, 10)];
    const progress = h[L.H_PROGRESS]!;
    assert.ok(progress > 0 && progress <= 3, "buckets before 3 moved");
    // K in a moved bucket; K2 elsewhere: A's insert of K2 ends the grow.
    const K = keys.find((k) => (hashOf(k) & 3) < progress)!;
    let K2 = 1000;
    while ((hashOf(K2) & 3) === (hashOf(K) & 3) || (hashOf(K2) & 3) === 3) K2++;
    // B's delete of K: at its first read of the future table (locking K's bucket), A ends the
    // grow (TBL = the new table, then FUTURE = -1) - B stands next to a bucket marked moved.
    const [deleted, ran] = atLoad(a.share().header, L.H_FUTURE, () => {
      a.set(u32Key(K2), filled(8, 9));
    }, () => b.delete(u32Key(K)));
    assert.ok(ran);
    assert.equal(a.bucketCount, 8, "the grow ended during the delete");
    assert.ok(deleted);
    assert.equal(a.has(u32Key(K)), false);
    for (const k of [...keys, K2]) if (k !== K) assert.ok(a.has(u32Key(k)), `key ${k}`);
    assert.equal(a.size, keys.length);
    a.checkValid();
  });

  it("D2 rhash: a resize step that stopped at EBUSY leaves no step for recover() to repair", () => {
    const [a, b, z] = agents("rhash", 3, { maxBuckets: 64, lockTimeoutMs: 5 });
    const { h, bk, slot } = words(a);
    const rw = 2 * 64; // a region's words
    // EL and Y: bucket 3 of 4, bucket 3 of 8, and one bucket of 16; A links EL, then Y (Y -> EL).
    const [EL, Y] = [...Array(200).keys()].filter((k) => (hashOf(k) & 7) === 3)
      .filter((k, _, all) => (hashOf(k) & 15) === (hashOf(all[0]!) & 15)) as [number, number];
    assert.ok(Y !== undefined);
    const keys = [EL, Y];
    for (const k of keys) a.set(u32Key(k), filled(8, k));
    for (let k = 1000; keys.length < 3; k++) {
      if ((hashOf(k) & 3) !== 3) keys.push(k), a.set(u32Key(k), filled(8, k));
    }
    keys.push(...stallGrow(b, z, 2000));
    // A's next insert resumes the grow at bucket 3: the step for EL (the chain's tail) stops at
    // EL's future bucket, which Z holds (EBUSY; the grow is left for a later write).
    const nw = (h[L.H_FUTURE]! & 1) * rw + 2 * (hashOf(EL) & 7);
    bk[nw + 1] = lockIdOf(z, a.share().buckets);
    let k = 3000;
    while ((hashOf(k) & 3) === 3) k++;
    a.set(u32Key(k), filled(8, k));
    keys.push(k);
    bk[nw + 1] = 0;
    assert.equal(a.bucketCount, 4, "the grow is left unfinished");
    // B's inserts end that grow (A logs nothing more), then start a grow to 16 that stops before
    // bucket 7 (held): EL and Y are in its future table again, Y -> EL.
    for (k = 4000; h[L.H_FUTURE] !== -1; k++) {
      if ((hashOf(k) & 7) !== 7 && (hashOf(k) & 7) !== 3) {
        keys.push(k), b.set(u32Key(k), filled(8, k));
      }
    }
    const held = (h[L.H_TBL]! & 1) * rw + 2 * 7 + 1;
    bk[held] = lockIdOf(z, a.share().buckets);
    for (k = 5000; h[L.H_FUTURE] === -1; k++) {
      if ((hashOf(k) & 7) !== 7) keys.push(k), b.set(u32Key(k), filled(8, k));
    }
    bk[held] = 0;
    // A resumes this grow and dies (waiting for bucket 7): it is the resizer; B recovers it.
    h[L.H_RESIZER] = h[slot(a) + L.A_STATE]!;
    b.recover(a.agent);
    for (const k of keys) assert.ok(b.has(u32Key(k)), `key ${k} lost`);
    assert.equal(b.size, keys.length);
    b.checkValid();
    z.close();
  });

  it("D3 htab: an orphan is not adopted while another update holds its lock", () => {
    // A's update of K1 in element X stalls; meanwhile X is freed (D1 orphans it, A releases, D1
    // adopts it), reused for K3, and orphaned again by D2 while B's update of K3 holds X's lock.
    // A's release then sees X orphaned: it must not free X under B, whose copy would land in
    // the next key's value.
    const [a, d, b] = agents("htab", 3);
    const { e, ks, vr } = words(a);
    a.set(u32Key(1), filled(8, 1));
    const X = elementOf(a, 1);
    const lock = vr(X) + L.V_LOCK;
    const bid = lockIdOf(b, a.share().buckets);
    let ran = false;
    SHARED_HOOKS.step = (where) => {
      if (where !== "update:copying" || ran) return;
      ran = true;
      // D1's delete of K1 waits for A, times out and orphans X; A releases right then (played
      // here: A is stalled below us), and D1 frees X.
      let armed = true;
      ATOMICS.load = (arr, i) => {
        if (armed && arr.buffer === e.buffer && i === lock && e[X * ks + L.E_NEXT] === L.ORPHAN) {
          armed = false;
          Atomics.store(e, lock, 0);
        }
        return REAL.load(arr, i);
      };
      try {
        assert.ok(d.delete(u32Key(1)));
      } finally {
        ATOMICS.load = REAL.load;
      }
      assert.ok(!armed);
      d.set(u32Key(3), filled(8, 3));
      assert.equal(elementOf(a, 3), X, "K3 reuses X");
      Atomics.store(e, lock, bid); // B's update of K3: X's lock taken, generation checked, stalled
      assert.ok(d.delete(u32Key(3))); // D2: waits for B, times out, orphans X
      assert.equal(e[X * ks + L.E_NEXT], L.ORPHAN);
    };
    a.set(u32Key(1), filled(8, 2)); // A's update ends: its release comes last
    SHARED_HOOKS.step = undefined;
    assert.ok(ran);
    assert.equal(e[lock], bid, "B still holds X's lock");
    a.set(u32Key(4), filled(8, 4));
    // B's update goes on as #update does: the other copy, then the version; B dies then.
    const at = vr(X) + L.V_SEQ;
    const v = e[at]!;
    new Uint8Array(e.buffer).set(filled(8, 33), (vr(X) + L.V_VALUE + ((v + 1) & 1) * 2) * 4);
    Atomics.store(e, at, v + 1);
    a.recover(b.agent);
    assert.deepEqual(a.get(u32Key(4)), filled(8, 4), "K4's value is not B's value for K3");
    assert.equal(a.size, 1);
    a.checkValid();
  });

  it("D4 htab: an orphan left by a deleter that died before its adopt check is freed by recover()", () => {
    // C's update of K stalls past B's lock wait; B's delete of K goes on to orphan K's element X,
    // C releases in between (X not orphaned yet: C does not adopt it), and B dies right after
    // storing the orphan mark, before it checks the lock itself.
    const [a, b, c] = agents("htab", 3, { maxEntries: 8 });
    const { e, ks, vr } = words(a);
    a.set(u32Key(7), filled(8, 7));
    const X = elementOf(a, 7);
    const lock = vr(X) + L.V_LOCK;
    const cid = lockIdOf(c, a.share().buckets);
    Atomics.store(e, lock, cid);
    let phase = 0;
    ATOMICS.load = (arr, i) => {
      if (arr.buffer === e.buffer) {
        if (phase === 0 && i === X * ks + L.E_GEN) {
          phase = 1; // B's wait timed out: C releases now
          Atomics.compareExchange(e, lock, cid, 0);
        } else if (phase === 1 && i === lock && e[X * ks + L.E_NEXT] === L.ORPHAN) {
          phase = 2;
          throw new Error("B died");
        }
      }
      return REAL.load(arr, i);
    };
    try {
      assert.throws(() => b.delete(u32Key(7)), /B died/);
    } finally {
      ATOMICS.load = REAL.load;
    }
    assert.equal(phase, 2);
    a.recover(b.agent);
    a.checkValid();
    assert.equal(a.size, 0);
    for (let k = 1; k <= 8; k++) a.set(u32Key(k), filled(8, k)); // X among them
    assert.equal(a.size, 8);
    a.checkValid();
    c.close();
  });

  for (const backend of ["htab", "rhash"] as const) {
    it(`D5 ${backend}: an insert dead right before its count's add leaves the count right`, () => {
      const [a, b] = agents(backend, 2);
      const header = a.share().header;
      a.set(u32Key(1), filled(8, 1));
      ATOMICS.add = (arr, i, v) => {
        if (arr.buffer === header && i === L.H_COUNT) throw new Error("B died");
        return REAL.add(arr, i, v!);
      };
      try {
        assert.throws(() => b.set(u32Key(2), filled(8, 2)), /B died/);
      } finally {
        Atomics.add = REAL.add;
      }
      a.recover(b.agent);
      assert.equal(a.size, 1);
      assert.equal(a.has(u32Key(2)), false);
      a.checkValid();
    });

    it(`D5 ${backend}: a delete dead right after its count's sub leaves the count right`, () => {
      const [a, b] = agents(backend, 2);
      const header = a.share().header;
      a.set(u32Key(1), filled(8, 1));
      a.set(u32Key(2), filled(8, 2));
      const sub = Atomics.sub;
      Atomics.sub = ((arr: Int32Array, i: number, v: number) => {
        const old = sub(arr, i, v);
        if (arr.buffer === header && i === L.H_COUNT) throw new Error("B died");
        return old;
      }) as typeof Atomics.sub;
      try {
        assert.throws(() => b.delete(u32Key(2)), /B died/);
      } finally {
        Atomics.sub = sub;
      }
      a.recover(b.agent);
      assert.equal(a.size, 1);
      assert.equal(a.has(u32Key(2)), false);
      a.checkValid();
    });
  }

  describe("D6 hostile memory: EINVAL, never a RangeError or a write out of place", () => {
    /** An rhash map with a grow to 8 left unfinished before bucket 3, and a third agent. */
    function resizing(): [SharedTable, SharedTable] {
      const [a, b, z] = agents("rhash", 3, { maxBuckets: 64, lockTimeoutMs: 5 });
      for (const k of [1, 2, 3]) a.set(u32Key(k), filled(8, k));
      stallGrow(a, z, 10);
      z.close();
      return [a, b];
    }

    it("rhash: a negative resize progress", () => {
      const [a] = resizing();
      const { h } = words(a);
      h[L.H_PROGRESS] = -3;
      assert.throws(() => bounded(() => a.set(u32Key(99), filled(8, 9))), isCode("EINVAL"));
    });

    for (const backend of ["htab", "rhash"] as const) {
      it(`${backend}: a negative count of elements ever taken`, () => {
        const [a] = agents(backend, 1);
        words(a).h[L.H_BUMP] = -5;
        assert.throws(() => bounded(() => a.set(u32Key(1), filled(8, 1))), isCode("EINVAL"));
      });
    }

    for (
      const [what, word, bad] of [
        ["predecessor past the key records", L.A_MOVE_PREV, "capacity"],
        ["predecessor below -1", L.A_MOVE_PREV, -2],
        ["bucket past the table", L.A_MOVE_BUCKET, 1 << 20],
        ["negative bucket", L.A_MOVE_BUCKET, -1],
      ] as const
    ) {
      it(`rhash: a dead resizer's move step with a ${what}`, () => {
        const [a, b] = resizing();
        const { h, e, vr, slot } = words(a);
        // B resizes (it holds RESIZER) and logged a step of element 0 from bucket 0.
        h[L.H_RESIZER] = h[slot(b) + L.A_STATE]!;
        h[slot(b) + L.A_MOVE_ELEM] = 0;
        h[slot(b) + L.A_MOVE_BUCKET] = 0;
        h[slot(b) + L.A_MOVE_PREV] = -1;
        h[slot(b) + word] = bad === "capacity" ? h[L.H_CAPACITY]! : bad;
        const before = e.slice();
        assert.throws(() => bounded(() => a.recover(b.agent)), isCode("EINVAL"));
        assert.deepEqual(e, before, "no element word written");
        assert.equal(e[vr(0) + L.V_LOCK], 0);
        // Its log mended, B is recovered, and the grow finishes.
        h[slot(b) + L.A_MOVE_ELEM] = -1;
        a.recover(b.agent);
        for (const k of [1, 2, 3]) assert.deepEqual(a.get(u32Key(k)), filled(8, k));
        a.checkValid();
      });
    }
  });
});
