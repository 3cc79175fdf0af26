// What the Store view adds beyond the conformance suite: its bytes, its drawing, opening an
// existing area, and the capabilities of each profile.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { F_LOCK, isStoreError, readU32Key, u32Key } from "@kvkit/store";
import { PROFILES, Traits, traitsBackend, TraitsStore } from "./mod.ts";

// Detaches `buffer` the way a transfer to a Worker does (on every runtime).
function detach(buffer: ArrayBuffer): void {
  structuredClone(buffer, { transfer: [buffer] });
}

// An output buffer of over 4 GiB, where the runtime makes one (Deno does, lazily, so it costs
// no memory until written; Node's and Bun's typed arrays stop at 4 GiB).
const HUGE: Uint8Array | undefined = (() => {
  try {
    return new Uint8Array(2 ** 32 + 16);
  } catch {
    return undefined;
  }
})();

describe("TraitsStore", () => {
  it("declares the profile's sizes, 64 ordered keys, ENOSPC and EINVAL", () => {
    for (const [name, p] of Object.entries(PROFILES)) {
      const store = traitsBackend.create({ profile: p });
      const caps = store.capabilities;
      assert.deepEqual(caps.valueSizes, p.sizes, name);
      assert.deepEqual(caps.keyRange, { min: 0, max: 63 });
      assert.deepEqual(caps.keySize, { min: 4, max: 4 });
      assert.equal(caps.ordered, true);
      assert.equal(caps.fullError, "ENOSPC");
      assert.equal(caps.valueTooBig, "EINVAL");
      // the default capacity holds all 64 keys at the largest size; no offset table yet
      assert.equal(store.memoryUsage(), 16 + 64 * p.sizes[2]);
      for (let k = 0; k < 64; k++) store.set(u32Key(k), new Uint8Array(p.sizes[2]));
      assert.equal(store.size, 64);
    }
  });

  it("counts the offset table only once a header read twice has built it", () => {
    const store = new TraitsStore({ capacity: 64 });
    store.set(u32Key(5), new Uint8Array([1, 2, 3, 4]));
    assert.equal(store.memoryUsage(), 64);
    assert.equal(store.traits.tableBytes, 0);
    // a store get reads the header twice (length, then value): the table is built
    assert.deepEqual(store.get(u32Key(5)), new Uint8Array([1, 2, 3, 4]));
    // per key: a slot and one offset per typed width, Int32 each
    assert.equal(store.traits.tableBytes, 64 * 4 * 4);
    assert.equal(store.memoryUsage(), 64 + 64 * 4 * 4);
    // the table is kept (rebuilt in place) when the header changes
    store.delete(u32Key(5));
    assert.equal(store.memoryUsage(), 64 + 64 * 4 * 4);
  });

  it("exposes the used region, which opens again as the same store", () => {
    const store = new TraitsStore({ capacity: 40, profile: "0/4/16" });
    store.set(u32Key(3), new Uint8Array([1, 2, 3, 4]));
    store.set(u32Key(1), new Uint8Array(0));
    const bytes = store.bytes();
    assert.equal(bytes.length, 20);
    const copy = new TraitsStore({ area: bytes, profile: "0/4/16" });
    assert.deepEqual([...copy.entries()], [...store.entries()]);
    assert.throws(() => new TraitsStore({ area: bytes.subarray(0, 19), profile: "0/4/16" }), {
      code: "EINVAL",
    });
    // the typed API works on the same bytes
    assert.equal(copy.traits.getU32(3, false), 0x01020304);
  });

  it("draws header bits and value slots", () => {
    const store = new TraitsStore({ capacity: 48 });
    store.traits.setU16(0, 0xbeef, false);
    store.traits.setU64(40, 1n, false);
    const lines = store.describe().split("\n");
    assert.equal(
      lines[0],
      "traits area: capacity 48 B, used 26 B, free 22 B, 2 keys, profile 2/4/8" +
        " (code 01=2 B, 10=4 B, 11=8 B)",
    );
    const row = (set: Record<number, string>, rest: string): string =>
      Array.from({ length: 64 }, (_, k) => set[k] ?? rest).join("");
    assert.ok(lines.includes(`  high  ${row({ 40: "1" }, "0")}`));
    assert.ok(lines.includes(`  low   ${row({ 0: "1", 40: "1" }, "0")}`));
    assert.ok(lines.some((l) => l.startsWith(`  code  ${row({ 0: "1", 40: "3" }, ".")}`)));
    assert.ok(lines.includes("  @16..17   key  0  2 B  be ef"));
    assert.ok(lines.includes("  @18..25   key 40  8 B  00 00 00 00 00 00 00 01"));
    assert.equal(lines.at(-1), "free @26..47 (22 B)");
  });

  it("rejects bad options with EINVAL", () => {
    assert.throws(() => new TraitsStore({ capacity: 2 ** 30 }), { code: "EINVAL" });
    assert.throws(() => new TraitsStore({ capacity: -1 }), { code: "EINVAL" });
    assert.throws(() => new TraitsStore({ capacity: 16.5 }), { code: "EINVAL" });
    assert.throws(() => new TraitsStore({ profile: "1/2/3" as never }), { code: "EINVAL" });
    assert.throws(() => new TraitsStore({ area: new Uint8Array(8) }), { code: "EINVAL" });
  });

  it("answers a capacity below the 16-byte header with ENOMEM, as the RFC's trait_init", () => {
    for (const capacity of [0, 12, 15]) {
      assert.throws(() => traitsBackend.create({ capacity }), { code: "ENOMEM" }, `${capacity}`);
    }
    assert.equal(traitsBackend.create({ capacity: 16 }).size, 0);
  });

  it("checks options as a whole: unknown names, non-objects and wrong types are EINVAL", () => {
    assert.throws(
      () => traitsBackend.create({ capacty: 64 } as never),
      (e) =>
        isStoreError(e, "EINVAL") && /unknown option 'capacty'/.test(e.message) &&
        /did you mean 'capacity'/.test(e.message) &&
        /known: capacity, profile, area/.test(e.message),
    );
    for (const bad of [null, 5, "2/4/8", [], [64]]) {
      assert.throws(() => traitsBackend.create(bad as never), { code: "EINVAL" }, String(bad));
    }
    // Types that used to escape as TypeError from a template literal or JSON.stringify.
    const wrong: Record<string, unknown>[] = [
      { capacity: Symbol("64") },
      { capacity: 64n },
      { capacity: "64" },
      { profile: 248n },
      { profile: [2n, 4n, 8n] },
      { profile: Symbol("2/4/8") },
      { profile: null },
      { capacity: null },
      { area: new Uint8Array(32), profile: null },
      { area: "bytes" },
      { area: new Uint8Array(32), capacity: Symbol("32") },
    ];
    for (const options of wrong) {
      assert.throws(() => traitsBackend.create(options as never), { code: "EINVAL" });
    }
    // The typed API's own options are checked the same way.
    assert.throws(() => Traits.init(new Uint8Array(32), { capacty: 20 } as never), {
      code: "EINVAL",
    });
    assert.throws(() => Traits.open(new Uint8Array(32), null as never), { code: "EINVAL" });
  });

  it("answers a detached area with a StoreError (EINVAL), never a TypeError", () => {
    // Opened over a buffer already detached.
    const gone = new ArrayBuffer(64);
    const view = new Uint8Array(gone);
    detach(gone);
    assert.throws(() => Traits.init(view), { code: "EINVAL" });
    assert.throws(() => Traits.open(view), { code: "EINVAL" });
    assert.throws(() => traitsBackend.create({ area: view }), { code: "EINVAL" });
    // Detached while open: every operation of both views, table built or not.
    for (const reads of [0, 3]) {
      const buffer = new ArrayBuffer(64);
      const store = new TraitsStore({ area: new Uint8Array(buffer) });
      const t = store.traits;
      t.setU32(1, 7, true);
      for (let i = 0; i < reads; i++) t.getU32(1, true);
      detach(buffer);
      const out = new Uint8Array(8);
      const calls: (() => unknown)[] = [
        () => t.getU32(1, true),
        () => t.has(1),
        () => t.get(1, out),
        () => t.setU16(2, 1, true),
        () => t.delete(1),
        () => t.nextKey(),
        () => t.size,
        () => t.clear(),
        () => t.bytes(),
        () => t.getBatch(0, 1, out),
        () => store.get(u32Key(1)),
        () => store.getInto(u32Key(1), out),
        () => store.set(u32Key(1), new Uint8Array(4)),
        () => store.nextKey(),
        () => [...store.entries()],
        () => store.describe(),
      ];
      for (const call of calls) assert.throws(call, { code: "EINVAL" }, String(call));
    }
  });

  it(
    "copies to offsets past 2^32 - 1 in an output over 4 GiB",
    { skip: HUGE === undefined },
    () => {
      // Issue #12's class of 32-bit offsets: `offset >>> 0 !== offset` made such an offset
      // ENOSPC in Traits#get (and so in getInto), though the value fits.
      const out = HUGE!;
      const store = traitsBackend.create();
      store.set(u32Key(5), new Uint8Array([1, 2, 3, 4]));
      const at = 2 ** 32 + 3;
      assert.equal(store.getInto(u32Key(5), out, at), true);
      assert.deepEqual(out.subarray(at, at + 4), new Uint8Array([1, 2, 3, 4]));
      assert.equal((store as TraitsStore).traits.get(5, out, at + 8), 4);
      assert.deepEqual(out.subarray(at + 8, at + 12), new Uint8Array([1, 2, 3, 4]));
      assert.throws(() => store.getInto(u32Key(5), out, at + 10), { code: "EINVAL" });
      assert.throws(() => (store as TraitsStore).traits.get(5, out, at + 10), { code: "ENOSPC" });
    },
  );

  it("getInto copies into the caller's buffer: offset, absent, no room, F_LOCK, out untouched", () => {
    const store = traitsBackend.create({ capacity: 64 });
    store.set(u32Key(1), new Uint8Array([1, 2]));
    store.set(u32Key(2), new Uint8Array([3, 4, 5, 6, 7, 8, 9, 10]));
    const out = new Uint8Array(10).fill(0xee);
    assert.equal(store.getInto(u32Key(2), out, 2), true);
    assert.deepEqual(out, new Uint8Array([0xee, 0xee, 3, 4, 5, 6, 7, 8, 9, 10]));
    assert.equal(store.getInto(u32Key(1), out), true);
    assert.deepEqual(out.subarray(0, 3), new Uint8Array([1, 2, 3]));
    const before = out.slice();
    // Absent: false, whatever the room (values have several lengths).
    assert.equal(store.getInto(u32Key(3), out), false);
    assert.equal(store.getInto(u32Key(3), new Uint8Array(0)), false);
    assert.deepEqual(out, before);
    // Room is checked for the value found: 2 bytes fit where 8 do not.
    assert.equal(store.getInto(u32Key(1), out, 8), true);
    assert.throws(() => store.getInto(u32Key(2), out, 3), { code: "EINVAL" });
    assert.throws(() => store.getInto(u32Key(1), out, 9), { code: "EINVAL" });
    assert.throws(() => store.getInto(u32Key(1), out, -1), { code: "EINVAL" });
    assert.throws(() => store.getInto(u32Key(1), out, 0.5), { code: "EINVAL" });
    assert.throws(() => store.getInto(u32Key(1), [0, 0] as never), { code: "EINVAL" });
    // No locked reads: F_LOCK and unknown flags are EINVAL, checked before the key.
    assert.throws(() => store.getInto(u32Key(1), out, 0, F_LOCK), { code: "EINVAL" });
    assert.throws(() => store.getInto(u32Key(64), out, 0, 8), /flags/);
    assert.throws(() => store.getInto(u32Key(64), out), /key 64/);
    assert.throws(() => store.getInto(new Uint8Array(3), out), { code: "EINVAL" });
    const last = out.slice();
    for (const args of [[u32Key(2), out, 3], [u32Key(1), out, 0, F_LOCK]] as const) {
      assert.throws(() => store.getInto(...(args as [Uint8Array, Uint8Array, number])));
      assert.deepEqual(out, last);
    }
    assert.equal(store.size, 2);
    // The typed API's get takes the offset too: a short out is the RFC's ENOSPC there.
    const t = (store as TraitsStore).traits;
    assert.equal(t.get(1, out, 8), 2);
    assert.throws(() => t.get(1, out, 9), { code: "ENOSPC" });
    assert.throws(() => t.get(1, out, -1), { code: "EINVAL" });
    assert.throws(() => t.get(1, out, 1.5), { code: "EINVAL" });
    assert.ok(Object.hasOwn(TraitsStore.prototype, "getInto")); // native, not StoreBase's
  });

  it("iterates with reused arrays: one tuple, one key, one value array per length", () => {
    const store = traitsBackend.create({ profile: "0/4/16" });
    store.set(u32Key(9), new Uint8Array(16).fill(9));
    store.set(u32Key(0), new Uint8Array(0));
    store.set(u32Key(5), new Uint8Array([5, 5, 5, 5]));
    store.set(u32Key(7), new Uint8Array([7, 7, 7, 7]));
    const copies = [...store.entries()];
    const tuples = new Set<unknown>();
    const keys = new Set<Uint8Array>();
    const values = new Map<number, Set<Uint8Array>>();
    const seen: [Uint8Array, Uint8Array][] = [];
    for (const pair of store.entries({ reuse: true })) {
      tuples.add(pair);
      keys.add(pair[0]);
      if (!values.has(pair[1].length)) values.set(pair[1].length, new Set());
      values.get(pair[1].length)!.add(pair[1]);
      seen.push([pair[0].slice(), pair[1].slice()]);
      pair[0].fill(0xff); // scribbling on the reused key does not move the walk
    }
    assert.deepEqual(seen, copies);
    assert.equal(tuples.size, 1);
    assert.equal(keys.size, 1);
    assert.deepEqual([...values.values()].map((v) => v.size), [1, 1, 1]);
    // One key array: collected without copying, every element shows the last key.
    assert.deepEqual([...store.keys({ reuse: true })].map(readU32Key), [9, 9, 9, 9]);
    assert.deepEqual([...store.values({ reuse: true })].map((v) => v.length), [0, 4, 4, 16]);
    // Copies stay independent of each other and of the store.
    const [a, b] = [...store.values()].slice(1);
    a!.fill(1);
    assert.deepEqual(b, new Uint8Array([7, 7, 7, 7]));
    assert.deepEqual(store.get(u32Key(5)), new Uint8Array([5, 5, 5, 5]));
  });

  it("iteration survives the consumer deleting any key, also one not yet yielded", () => {
    // Issue #12 defect 8: the successor was looked up before the consumer's turn, and a
    // deleted successor made the walk throw ENOENT.
    for (const reuse of [false, true]) {
      const store = traitsBackend.create();
      for (let k = 0; k < 64; k += 3) store.set(u32Key(k), new Uint8Array([k, 0]));
      const seen: number[] = [];
      for (const [key] of store.entries({ reuse })) {
        const k = readU32Key(key);
        seen.push(k);
        store.delete(u32Key(k + 3)); // the next key
        if (k === 12) store.delete(u32Key(12)); // the key itself
        if (k === 30) store.delete(u32Key(3)); // one already yielded
      }
      assert.deepEqual(seen, [0, 6, 12, 18, 24, 30, 36, 42, 48, 54, 60], `reuse ${reuse}`);
      const keys: number[] = [];
      const fresh = traitsBackend.create();
      for (const k of [1, 2, 3, 4]) fresh.set(u32Key(k), new Uint8Array(4));
      for (const key of fresh.keys({ reuse })) {
        keys.push(readU32Key(key));
        fresh.delete(u32Key(readU32Key(key) + 1));
      }
      assert.deepEqual(keys, [1, 3], `keys, reuse ${reuse}`);
    }
  });

  it("shares its bytes with Traits objects over the same area", () => {
    const area = new Uint8Array(64);
    const writer = Traits.init(area);
    const store = new TraitsStore({ area });
    writer.setIPv4(7, "192.0.2.33");
    assert.deepEqual(store.get(u32Key(7)), new Uint8Array([192, 0, 2, 33]));
    store.delete(u32Key(7));
    assert.equal(writer.has(7), false);
  });
});
