// What the Store view adds beyond the conformance suite: its bytes, its drawing, opening an
// existing area, and the capabilities of each profile.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { u32Key } from "@kvkit/store";
import { PROFILES, Traits, traitsBackend, TraitsStore } from "./mod.ts";

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
    const text = store.describe();
    assert.match(text, /capacity 48 B, used 26 B, free 22 B, 2 keys, profile 2\/4\/8/);
    const lines = text.split("\n");
    const row = (set: Record<number, string>, rest: string): string =>
      Array.from({ length: 64 }, (_, k) => set[k] ?? rest).join("");
    assert.ok(lines.includes(`  high  ${row({ 40: "1" }, "0")}`));
    assert.ok(lines.includes(`  low   ${row({ 0: "1", 40: "1" }, "0")}`));
    assert.ok(lines.some((l) => l.startsWith(`  code  ${row({ 0: "1", 40: "3" }, ".")}`)));
    assert.ok(lines.includes("  @16..17   key  0  2 B  be ef"));
    assert.ok(lines.includes("  @18..25   key 40  8 B  00 00 00 00 00 00 00 01"));
    assert.match(text, /free @26\.\.47 \(22 B\)/);
  });

  it("rejects bad options with EINVAL", () => {
    assert.throws(() => new TraitsStore({ capacity: 15 }), { code: "EINVAL" });
    assert.throws(() => new TraitsStore({ capacity: 2 ** 30 }), { code: "EINVAL" });
    assert.throws(() => new TraitsStore({ profile: "1/2/3" as never }), { code: "EINVAL" });
    assert.throws(() => new TraitsStore({ area: new Uint8Array(8) }), { code: "EINVAL" });
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
