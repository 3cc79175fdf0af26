// SharedTable from one thread: two attachments of one map, with the test hooks stopping a write
// at each of its steps and the other attachment acting right there - the interleavings a second
// Worker would produce, made deterministic. Also hostile memory and handles. The real Worker
// tests are shared_table_workers_test.ts.

import { afterEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { F_LOCK, isStoreError } from "@kvkit/store";
import { SharedTable, type SharedTableInit } from "./mod.ts";
import { SHARED_HOOKS } from "./_shared_hooks.ts";
import { keyStrideOf } from "./shared_layout.ts";

function init(over: Partial<SharedTableInit> = {}): SharedTableInit {
  return {
    keySize: 8,
    valueSize: 16,
    maxEntries: 256,
    firstBuckets: 4,
    maxBuckets: 512,
    keyed: true,
    seed: 1,
    k0: 7,
    k1: 9,
    lockTimeoutMs: 50,
    ...over,
  };
}

function key(i: number): Uint8Array {
  const k = new Uint8Array(8);
  new DataView(k.buffer).setUint32(0, i, true);
  new DataView(k.buffer).setUint32(4, i * 7 + 1, true);
  return k;
}

function value(i: number, fill = i): Uint8Array {
  return new Uint8Array(16).fill(fill & 0xff);
}

function pair(
  name: "htab" | "rhash",
  over: Partial<SharedTableInit> = {},
): [SharedTable, SharedTable] {
  const a = new SharedTable(name, {
    init: init(name === "htab" ? { firstBuckets: 256, maxBuckets: 256, ...over } : over),
  });
  return [a, new SharedTable(name, { attach: a.share() })];
}

afterEach(() => {
  SHARED_HOOKS.step = undefined;
  SHARED_HOOKS.unlocked = false;
});

/** Runs `during` once, the first time a write of `a` reaches `where`; `ran()` says it did. */
function at(where: string, during: () => void): { ran: () => boolean } {
  let done = false;
  SHARED_HOOKS.step = (w) => {
    if (w !== where || done) return;
    done = true;
    during();
  };
  return { ran: () => done };
}

describe("SharedTable interleavings, one thread", () => {
  it("htab: mid-update, readers see the old value whole; another writer of the key waits", () => {
    const [a, b] = pair("htab");
    for (let i = 0; i < 50; i++) a.set(key(i), value(i));
    const out = new Uint8Array(16);
    const hook = at("update:copying", () => {
      // Half the new value is written (into the value's other copy): reads see the old one.
      assert.ok(b.getInto(key(7), out));
      assert.deepEqual(out, value(7));
      assert.ok(b.getInto(key(7), out, 0, F_LOCK));
      assert.deepEqual(out, value(7));
      assert.deepEqual([...b.entries()].find(([k]) => k[0] === 7)?.[1], value(7));
      // Other keys read and write freely; another writer of this key waits, then gives up.
      b.set(key(9), value(9, 0x99));
      assert.throws(
        () => b.set(key(7), value(1)),
        (e) => isStoreError(e, "EBUSY") && e.message.includes(`agent ${a.agent}`),
      );
      assert.equal(b.size, 50);
    });
    a.set(key(7), value(7, 0xee));
    assert.ok(hook.ran());
    a.checkValid();
    assert.ok(b.getInto(key(7), out));
    assert.deepEqual(out, value(7, 0xee));
  });

  it("rhash: during a resize step every key is found, and writes land", () => {
    const [a, b] = pair("rhash");
    let steps = 0;
    const out = new Uint8Array(16);
    SHARED_HOOKS.step = (w) => {
      if (w !== "resize:moving") return;
      steps++;
      // An element is on both chains now; lookups from the other agent find every key.
      for (let i = 0; i < a.size; i++) {
        if (b.has(key(i))) assert.ok(b.getInto(key(i), out));
      }
    };
    for (let i = 0; i < 100; i++) a.set(key(i), value(i));
    assert.ok(steps > 0, "no resize step ran");
    SHARED_HOOKS.step = undefined;
    for (let i = 0; i < 100; i++) {
      assert.ok(b.getInto(key(i), out), `key ${i}`);
      assert.deepEqual(out, value(i));
    }
    a.checkValid();
    assert.ok(a.bucketCount >= 128);
    assert.ok(a.resizes.grows >= 5);
  });

  it("rhash: a lookup never misses a key present throughout a grow, nor a walk", () => {
    const [a, b] = pair("rhash");
    for (let i = 0; i < 3; i++) a.set(key(i), value(i));
    let checks = 0;
    SHARED_HOOKS.step = (w) => {
      if (w !== "resize:moving") return;
      for (let i = 0; i < 3; i++) assert.ok(b.has(key(i)), `key ${i} missed mid-resize`);
      // A walk started now yields each of the keys present throughout exactly once.
      const keys = [...b.keys()].map((k) =>
        new DataView(k.buffer, k.byteOffset).getUint32(0, true)
      );
      for (let i = 0; i < 3; i++) assert.equal(keys.filter((k) => k === i).length, 1);
      checks++;
    };
    for (let i = 3; i < 200; i++) a.set(key(i), value(i));
    assert.ok(checks > 10);
  });

  it("a batched walk keeps its place across grows and shrinks", () => {
    const [a, b] = pair("rhash");
    for (let i = 0; i < 40; i++) a.set(key(i), value(i));
    const seen = new Map<number, number>();
    let cursor: Uint8Array | undefined;
    let round = 0;
    do {
      const batch = b.lookupBatch(cursor, 4);
      for (const k of batch.keys) {
        const id = new DataView(k.buffer, k.byteOffset).getUint32(0, true);
        seen.set(id, (seen.get(id) ?? 0) + 1);
      }
      cursor = batch.cursor;
      // Between batches the other agent grows the table, then shrinks it.
      if (round === 1) { for (let i = 1000; i < 1150; i++) a.set(key(i), value(i)); }
      if (round === 3) { for (let i = 1000; i < 1150; i++) a.delete(key(i)); }
      round++;
    } while (cursor !== undefined);
    for (let i = 0; i < 40; i++) assert.equal(seen.get(i), 1, `key ${i}`);
    assert.ok(a.resizes.grows > 0 && a.resizes.shrinks > 0);
    a.checkValid();
  });

  it("rhash: memory grows with the table and shrinks back", () => {
    const [a] = pair("rhash");
    const empty = a.memoryUsage();
    for (let i = 0; i < 200; i++) a.set(key(i), value(i));
    const full = a.memoryUsage();
    for (let i = 0; i < 200; i++) a.delete(key(i));
    a.checkValid();
    assert.ok(full > empty);
    assert.ok(a.memoryUsage() < full);
    assert.equal(a.bucketCount, 4);
  });

  it("rhash: an F_LOCK write is seen whole or not at all; a plain write in place", () => {
    const [a, b] = pair("rhash");
    a.set(key(1), value(1));
    const out = new Uint8Array(16);
    let hook = at("update:copying", () => {
      // The locked write fills the other copy: locked and plain reads see the old value.
      assert.ok(b.getInto(key(1), out, 0, F_LOCK));
      assert.deepEqual(out, value(1));
      assert.ok(b.getInto(key(1), out));
      assert.deepEqual(out, value(1));
    });
    a.set(key(1), value(1, 9), F_LOCK);
    assert.ok(hook.ran());
    assert.ok(b.getInto(key(1), out, 0, F_LOCK));
    assert.deepEqual(out, value(1, 9));
    hook = at("update:copying", () => {
      // A plain write copies over the live value: a read may see part of each (as the kernel).
      assert.ok(b.getInto(key(1), out));
      assert.deepEqual(out.subarray(0, 8), new Uint8Array(8).fill(5));
      assert.deepEqual(out.subarray(8), new Uint8Array(8).fill(9));
    });
    a.set(key(1), value(1, 5));
    assert.ok(hook.ran());
  });

  it("close: EBADF after, the last close ends the map, slots are reused", () => {
    const [a, b] = pair("htab");
    const handle = a.share();
    assert.equal(b.agent, 1);
    b.close();
    b.close();
    assert.throws(() => b.get(key(1)), (e) => isStoreError(e, "EBADF"));
    const c = new SharedTable("htab", { attach: handle });
    assert.equal(c.agent, 1);
    c.close();
    a.close();
    assert.throws(
      () => new SharedTable("htab", { attach: handle }),
      (e) => isStoreError(e, "EINVAL"),
    );
  });

  it("recover refuses this agent, a free slot and non-ids", () => {
    const [a, b] = pair("htab");
    for (const id of [a.agent, 5, -1, 64, 1.5, NaN]) {
      assert.throws(() => a.recover(id), (e) => isStoreError(e, "EINVAL"), String(id));
    }
    assert.deepEqual(a.recover(b.agent), { locks: 0, repaired: 0 });
  });
});

describe("SharedTable handles and hostile memory", () => {
  it("bad handles are EINVAL", () => {
    const [a] = pair("rhash");
    const h = a.share();
    const bad: unknown[] = [
      undefined,
      null,
      42,
      "handle",
      [],
      {},
      { ...h, extra: 1 },
      { ...h, kind: "other" },
      { ...h, header: new ArrayBuffer(h.header.byteLength) },
      { ...h, elements: new SharedArrayBuffer(8) },
      { ...h, header: new SharedArrayBuffer(h.header.byteLength) }, // no magic
      { ...h, buckets: h.elements },
      new (class {
        kind = h.kind;
        backend = h.backend;
        header = h.header;
        elements = h.elements;
        buckets = h.buckets;
      })(),
    ];
    for (const x of bad) {
      assert.throws(
        () => new SharedTable("rhash", { attach: x }),
        (e) => isStoreError(e, "EINVAL"),
      );
    }
    // An rhash handle given to htab.
    assert.throws(() => new SharedTable("htab", { attach: h }), (e) => isStoreError(e, "EINVAL"));
    // Parameters out of range in a copied header.
    const forged = new SharedArrayBuffer(h.header.byteLength);
    new Int32Array(forged).set(new Int32Array(h.header));
    new Int32Array(forged)[7] = 3; // maxBuckets not a power of two
    assert.throws(
      () => new SharedTable("rhash", { attach: { ...h, header: forged } }),
      (e) => isStoreError(e, "EINVAL"),
    );
  });

  it("corrupt links are EINVAL, never an out-of-bounds read or an endless loop", () => {
    for (const name of ["htab", "rhash"] as const) {
      // Few buckets, so every chain is long and the probes below walk one.
      const [a, b] = pair(name, {
        firstBuckets: name === "htab" ? 1 : 4,
        maxBuckets: name === "htab" ? 1 : 4,
      });
      for (let i = 0; i < 20; i++) a.set(key(i), value(i));
      const buckets = new Int32Array(a.share().buckets);
      const elements = new Int32Array(a.share().elements);
      // Every bucket head points past the elements.
      const saved = buckets.slice();
      for (let i = 0; i < buckets.length; i += 2) if (buckets[i]! >= 0) buckets[i] = 1 << 29;
      for (const op of [() => b.get(key(3)), () => b.set(key(3), value(3)), () => [...b.keys()]]) {
        assert.throws(op, (e) => isStoreError(e, "EINVAL"), name);
      }
      buckets.set(saved);
      // A cycle: every element links to itself.
      const stride = keyStrideOf(8); // key records first: each element's link at el · stride
      for (let el = 0; el < 20; el++) elements[el * stride] = el;
      for (const op of [() => b.set(key(999), value(3)), () => b.get(key(999)), () => [...b]]) {
        assert.throws(op, (e) => isStoreError(e, "EINVAL"), name);
      }
    }
  });
});
