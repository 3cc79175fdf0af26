import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { hex } from "@kvkit/internal";
import { isStoreError } from "@kvkit/store";
import { type ProfileName, PROFILES, Traits } from "./mod.ts";

// The RFC's layout written independently of the implementation: header words as bigints,
// values concatenated in ascending key order.
function encode(entries: ReadonlyMap<number, Uint8Array>, sizes: readonly number[]): Uint8Array {
  let high = 0n, low = 0n;
  const keys = [...entries.keys()].sort((a, b) => a - b);
  const values: number[] = [];
  for (const k of keys) {
    const v = entries.get(k)!;
    const code = sizes.indexOf(v.length) + 1;
    if (code & 2) high |= 1n << BigInt(k);
    if (code & 1) low |= 1n << BigInt(k);
    values.push(...v);
  }
  const out = new Uint8Array(16 + values.length);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, high, true);
  view.setBigUint64(8, low, true);
  out.set(values, 16);
  return out;
}

function code(call: () => unknown): string | undefined {
  try {
    call();
    return undefined;
  } catch (err) {
    if (isStoreError(err)) return err.code;
    throw err;
  }
}

describe("Traits layout", () => {
  it("writes the RFC's size codes: 01 = 2 B in low, 10 = 4 B in high, 11 = 8 B in both", () => {
    const t = Traits.init(new Uint8Array(64));
    t.set(0, new Uint8Array([0xa1, 0xa2]));
    t.set(33, new Uint8Array([1, 2, 3, 4]));
    t.set(63, new Uint8Array(8).fill(9));
    const b = t.bytes();
    // high: bits 33 and 63; low: bits 0 and 63
    assert.equal(hex(b.subarray(0, 8)), "0000000002000080");
    assert.equal(hex(b.subarray(8, 16)), "0100000000000080");
    assert.equal(hex(b.subarray(16)), "a1a2" + "01020304" + "0909090909090909");
    assert.equal(t.usedSize, 16 + 2 + 4 + 8);
  });

  it("uses each profile's sizes for the three codes, flags taking no bytes", () => {
    for (const [name, p] of Object.entries(PROFILES)) {
      const t = Traits.init(new Uint8Array(128), { profile: name as ProfileName });
      const model = new Map<number, Uint8Array>();
      p.sizes.forEach((size, i) => {
        const v = Uint8Array.from({ length: size }, (_, j) => i * 16 + j);
        t.set(10 - i * 3, v);
        model.set(10 - i * 3, v);
      });
      assert.equal(hex(t.bytes()), hex(encode(model, p.sizes)), name);
      assert.equal(t.usedSize, 16 + p.sizes[0] + p.sizes[1] + p.sizes[2]);
    }
  });

  it("works at any offset of any buffer and never writes outside the area", () => {
    const buf = new Uint8Array(100).fill(0xee);
    const t = Traits.init(buf.subarray(7, 7 + 40));
    t.setU64(5, 0x0102030405060708n, false);
    t.setU16(2, 0xabcd, false);
    assert.equal(hex(buf.subarray(23, 33)), "abcd0102030405060708");
    assert.ok(buf.subarray(0, 7).every((x) => x === 0xee));
    assert.ok(buf.subarray(47).every((x) => x === 0xee));
  });
});

describe("Traits operations", () => {
  it("follows the RFC's error codes", () => {
    assert.equal(code(() => Traits.init(new Uint8Array(15))), "ENOMEM");
    assert.equal(code(() => Traits.init(new Uint8Array(32), { capacity: 33 })), "EINVAL");
    const t = Traits.init(new Uint8Array(20));
    assert.equal(code(() => t.set(64, new Uint8Array(2))), "EINVAL");
    assert.equal(code(() => t.set(-1, new Uint8Array(2))), "EINVAL");
    assert.equal(code(() => t.set(1.5, new Uint8Array(2))), "EINVAL");
    assert.equal(code(() => t.set(1, new Uint8Array(3))), "EINVAL");
    assert.equal(code(() => t.set(1, new Uint8Array(0))), "EINVAL");
    t.set(1, new Uint8Array(4));
    assert.equal(code(() => t.set(1, new Uint8Array(2))), "EBUSY");
    assert.equal(code(() => t.set(2, new Uint8Array(2))), "ENOSPC");
    assert.equal(code(() => t.get(2, new Uint8Array(8))), "ENOENT");
    assert.equal(code(() => t.get(1, new Uint8Array(3))), "ENOSPC");
    assert.equal(code(() => t.get(64, new Uint8Array(8))), "EINVAL");
    assert.equal(code(() => t.delete(2)), "ENOENT");
    assert.equal(code(() => t.delete(64)), "EINVAL");
  });

  it("overwrites a present key in place and moves higher values on insert and delete", () => {
    const t = Traits.init(new Uint8Array(64));
    t.set(10, new Uint8Array([1, 1]));
    t.set(20, new Uint8Array([2, 2, 2, 2]));
    t.set(5, new Uint8Array([3, 3]));
    assert.equal(hex(t.bytes().subarray(16)), "0303" + "0101" + "02020202");
    t.set(10, new Uint8Array([9, 9]));
    assert.equal(hex(t.bytes().subarray(16)), "0303" + "0909" + "02020202");
    t.delete(5);
    assert.equal(hex(t.bytes().subarray(16)), "0909" + "02020202");
    assert.deepEqual([t.nextKey(), t.nextKey(10), t.nextKey(20)], [10, 20, -1]);
  });

  it("changes capacity, never below the used size", () => {
    const t = Traits.init(new Uint8Array(64), { capacity: 16 });
    assert.equal(code(() => t.setU16(0, 1, true)), "ENOSPC");
    t.setCapacity(18);
    t.setU16(0, 1, true);
    assert.equal(code(() => t.setCapacity(17)), "ENOSPC");
    assert.equal(code(() => t.setCapacity(65)), "EINVAL");
    assert.equal(code(() => t.setCapacity(20.5)), "EINVAL");
    t.setCapacity(64);
    t.setU64(1, 1n, true);
    assert.equal(t.capacity, 64);
  });

  it("reads and writes typed values with an explicit byte order", () => {
    const t = Traits.init(new Uint8Array(64));
    t.setU16(1, 0x0102, false);
    t.setU32(2, 0x01020304, true);
    t.setU64(3, 0x0102030405060708n, false);
    assert.equal(hex(t.bytes().subarray(16)), "0102" + "04030201" + "0102030405060708");
    assert.equal(t.getU16(1, true), 0x0201);
    assert.equal(t.getU32(2, false), 0x04030201);
    assert.equal(t.getU64(3, true), 0x0807060504030201n);
    assert.equal(code(() => t.getU32(1, true)), "EINVAL"); // holds 2 bytes
    assert.equal(code(() => t.getU32(9, true)), "ENOENT");
    assert.equal(code(() => t.setU32(9, -1, true)), "EINVAL");
    assert.equal(code(() => t.setU32(9, 2 ** 32, true)), "EINVAL");
    assert.equal(code(() => t.setU16(9, 1.5, true)), "EINVAL");
    assert.equal(code(() => t.setU64(9, 2n ** 64n, true)), "EINVAL");
    assert.equal(code(() => t.setU64(1, 1n, true)), "EBUSY");
    assert.equal(t.size, 3);
  });

  it("stores IPv4, IPv6 and UUIDs in network order", () => {
    const t = Traits.init(new Uint8Array(64), { profile: "0/4/16" });
    t.setIPv4(1, "203.0.113.9");
    t.setIPv6(2, "2001:db8::8a2e:370:7334");
    t.setUuid(3, "123e4567-e89b-12d3-a456-426614174000");
    t.setFlag(0);
    const b = t.bytes();
    assert.equal(hex(b.subarray(16, 20)), "cb007109");
    assert.equal(hex(b.subarray(20, 36)), "20010db8000000000000 8a2e03707334".replace(" ", ""));
    assert.equal(hex(b.subarray(36, 52)), "123e4567e89b12d3a456426614174000");
    assert.equal(t.getIPv4(1), "203.0.113.9");
    assert.equal(t.getIPv6(2), "2001:db8::8a2e:370:7334");
    assert.equal(t.getUuid(3), "123e4567-e89b-12d3-a456-426614174000");
    assert.ok(t.has(0));
    assert.equal(code(() => t.setIPv6(4, "2001:db8::1::1")), "EINVAL");
    assert.equal(
      code(() =>
        Traits.init(new Uint8Array(64)).setUuid(1, "123e4567-e89b-12d3-a456-426614174000")
      ),
      "EINVAL",
    );
    assert.equal(t.size, 4);
  });

  it("sets and gets batches of consecutive keys, all or nothing", () => {
    const t = Traits.init(new Uint8Array(48));
    const ipv6 = Uint8Array.from({ length: 16 }, (_, i) => i);
    t.setBatch(20, 21, ipv6, 8); // a 16-byte value over two 8-byte keys of the RFC profile
    const out = new Uint8Array(16);
    assert.equal(t.getBatch(20, 21, out), 16);
    assert.deepEqual(out, ipv6);
    t.set(25, new Uint8Array([7, 7]));
    const before = hex(t.bytes());
    // key 22 is new (fits), key 25 is present with another length: nothing changes
    assert.equal(code(() => t.setBatch(22, 25, new Uint8Array(16), 4)), "EBUSY");
    // 4 + 4 + 8 new bytes do not fit in 48 - 34
    assert.equal(code(() => t.setBatch(22, 24, new Uint8Array(16), [4, 4, 8])), "ENOSPC");
    assert.equal(code(() => t.setBatch(22, 23, new Uint8Array(5), 2)), "EINVAL");
    assert.equal(code(() => t.setBatch(22, 23, new Uint8Array(4), [2])), "EINVAL");
    assert.equal(code(() => t.setBatch(23, 22, new Uint8Array(2), 2)), "EINVAL");
    assert.equal(code(() => t.setBatch(63, 64, new Uint8Array(4), 2)), "EINVAL");
    assert.equal(code(() => t.getBatch(20, 22, out)), "ENOENT");
    assert.equal(code(() => t.getBatch(20, 21, new Uint8Array(15))), "ENOSPC");
    assert.equal(hex(t.bytes()), before);
    // overwriting present keys and adding new ones in one call
    t.setBatch(21, 24, new Uint8Array(14).fill(1), [8, 2, 2, 2]);
    assert.equal(hex(t.bytes().subarray(16)), hex(ipv6.subarray(0, 8)) + "01".repeat(14) + "0707");
  });

  it("leaves the bytes unchanged whenever a call throws", () => {
    const t = Traits.init(new Uint8Array(24));
    t.setU32(3, 5, true);
    const before = hex(t.area);
    for (
      const call of [
        () => t.set(3, new Uint8Array(2)),
        () => t.set(4, new Uint8Array(8)),
        () => t.setU16(99, 1, true),
        () => t.setU32(4, 1.5, true),
        () => t.setBatch(0, 1, new Uint8Array(8), 4),
        () => t.delete(7),
        () => t.setCapacity(19),
      ]
    ) assert.ok(code(call) !== undefined);
    assert.equal(hex(t.area), before);
  });

  it("sees writes made through another object over the same bytes", () => {
    const area = new Uint8Array(64);
    const writer = Traits.init(area);
    const reader = Traits.open(area);
    writer.setU32(40, 1, true);
    for (let i = 0; i < 3; i++) assert.equal(reader.getU32(40, true), 1); // builds its table
    writer.setU16(3, 2, true); // moves key 40
    writer.setU32(40, 7, true);
    assert.equal(reader.getU32(40, true), 7);
    assert.equal(reader.getU32(40, true), 7);
    writer.delete(3);
    writer.setU32(35, 9, true);
    assert.equal(reader.getU32(40, true), 7);
    assert.equal(reader.getU32(35, true), 9);
    assert.equal(reader.size, 2);
    // a header corrupted behind its back is rejected, not read past the capacity
    area.fill(0xff, 0, 16);
    assert.equal(code(() => reader.getU32(40, true)), "EINVAL");
    assert.equal(code(() => reader.usedSize), "EINVAL");
  });

  it("answers bad keys, unset keys and other widths the same once its offset table is built", () => {
    const t = Traits.init(new Uint8Array(64));
    t.setU32(2, 5, true);
    t.setU16(40, 6, true);
    for (let round = 0; round < 3; round++) { // the first read uses popcounts, later ones the table
      assert.equal(t.getU32(2, true), 5);
      assert.equal(t.getU16(40, true), 6);
      assert.equal(t.has(3), false);
      assert.equal(t.has(41), false);
      assert.equal(t.valueLength(40), 2);
      for (const bad of [-1, 64, 1.5, NaN, 2 ** 32 + 2]) {
        assert.equal(code(() => t.getU32(bad, true)), "EINVAL", String(bad));
        assert.equal(code(() => t.has(bad)), "EINVAL", String(bad));
      }
      assert.equal(code(() => t.getU32(3, true)), "ENOENT");
      assert.equal(code(() => t.getU32(41, true)), "ENOENT");
      assert.equal(code(() => t.getU16(2, true)), "EINVAL");
      assert.equal(code(() => t.getU64(40, true)), "EINVAL");
    }
  });

  it("answers ENOENT for an unset key even when the profile has no values of that width", () => {
    const wide = Traits.init(new Uint8Array(64), { profile: "4/8/16" }); // no 2-byte values
    wide.setU32(1, 0xaabbccdd, true);
    const narrow = Traits.init(new Uint8Array(64)); // 2/4/8: no 16-byte values
    narrow.setU32(1, 0x11223344, true);
    const flags = Traits.init(new Uint8Array(64), { profile: "0/4/16" }); // no 2 or 8
    flags.setFlag(1);
    for (let round = 0; round < 3; round++) { // popcounts first, then the table
      assert.equal(wide.getU32(1, true), 0xaabbccdd);
      assert.equal(code(() => wide.getU16(5, true)), "ENOENT");
      assert.equal(code(() => wide.getU16(1, true)), "EINVAL");
      assert.equal(code(() => narrow.getIPv6(5)), "ENOENT");
      assert.equal(code(() => narrow.getUuid(1)), "EINVAL");
      assert.equal(code(() => flags.getU64(5, true)), "ENOENT");
      assert.equal(code(() => flags.getU16(1, true)), "EINVAL");
      assert.ok(flags.has(1));
    }
  });

  it("follows a key that another writer gave another width after the table was built", () => {
    const area = new Uint8Array(64);
    const writer = Traits.init(area);
    const reader = Traits.open(area);
    writer.setU32(2, 7, true);
    writer.setU64(50, 8n, true);
    for (let i = 0; i < 3; i++) assert.equal(reader.getU32(2, true), 7);
    assert.equal(reader.getU64(50, true), 8n);
    writer.delete(2);
    writer.setU16(2, 9, true); // same key, 2 bytes now: key 50 moves down by 2
    assert.equal(code(() => reader.getU32(2, true)), "EINVAL");
    assert.equal(reader.getU16(2, true), 9);
    assert.equal(reader.getU64(50, true), 8n);
    writer.delete(2);
    assert.equal(code(() => reader.getU16(2, true)), "ENOENT");
    assert.equal(code(() => reader.getU32("2" as unknown as number, true)), "EINVAL");
  });

  it("peeks one field of received bytes without opening", () => {
    const t = Traits.init(new Uint8Array(64), { profile: "4/8/16" });
    t.setU32(50, 0xfeedface, false);
    t.set(10, new Uint8Array(16).fill(3));
    const bytes = t.bytes();
    assert.equal(Traits.peekU32(bytes, 50, false, "4/8/16"), 0xfeedface);
    const out = new Uint8Array(16);
    assert.equal(Traits.peek(bytes, 10, out, "4/8/16"), 16);
    assert.equal(
      code(() => Traits.peekU32(bytes.subarray(0, bytes.length - 1), 50, false, "4/8/16")),
      "EINVAL",
    );
    assert.equal(code(() => Traits.peekU16(bytes, 50, false, "4/8/16")), "EINVAL");
    assert.equal(code(() => Traits.peekU32(bytes, 51, false, "4/8/16")), "ENOENT");
    assert.equal(code(() => Traits.peekU32(new Uint8Array(15), 1, false)), "EINVAL");
  });
});

describe("Traits against a model", () => {
  // Few keys (so sets hit present keys), the half-word and range edges, and mostly valid sizes.
  const key = fc.oneof(fc.integer({ min: 0, max: 7 }), fc.constantFrom(31, 32, 33, 62, 63, 64, 66));
  const len = fc.oneof(fc.constantFrom(0, 2, 4, 8, 16), fc.integer({ min: 0, max: 17 }));
  const op = fc.oneof(
    {
      arbitrary: fc.record({ op: fc.constant("set" as const), key, len, fill: fc.nat(255) }),
      weight: 4,
    },
    { arbitrary: fc.record({ op: fc.constant("del" as const), key }), weight: 2 },
    { arbitrary: fc.record({ op: fc.constant("get" as const), key, len }), weight: 2 },
    {
      arbitrary: fc.record({
        op: fc.constant("batch" as const),
        key: fc.oneof(fc.integer({ min: 0, max: 7 }), fc.constantFrom(30, 31, 61, 62, 63)),
        n: fc.integer({ min: 1, max: 4 }),
        pick: fc.integer({ min: 0, max: 2 }),
      }),
      weight: 1,
    },
    {
      arbitrary: fc.record({
        op: fc.constant("cap" as const),
        capacity: fc.integer({ min: 0, max: 140 }),
      }),
      weight: 1,
    },
  );

  for (const [name, profile] of Object.entries(PROFILES)) {
    it(`matches the RFC semantics and layout byte for byte (${name})`, () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 16, max: 140 }),
          fc.array(op, { minLength: 10, maxLength: 60 }),
          (cap, ops) => {
            const sizes = profile.sizes;
            const area = new Uint8Array(140);
            const t = Traits.init(area, { capacity: cap, profile });
            const other = Traits.open(area, { capacity: 140, profile }); // a second reader
            const model = new Map<number, Uint8Array>();
            let capacity = cap;
            const used = (): number => [...model.values()].reduce((n, v) => n + v.length, 16);
            for (const o of ops) {
              let expected: string | undefined;
              if (o.op === "set") {
                const v = new Uint8Array(o.len).fill(o.fill);
                const cur = model.get(o.key);
                expected = o.key > 63 || !sizes.includes(o.len)
                  ? "EINVAL"
                  : cur !== undefined
                  ? (cur.length === o.len ? undefined : "EBUSY")
                  : used() + o.len > capacity
                  ? "ENOSPC"
                  : undefined;
                assert.equal(code(() => t.set(o.key, v)), expected);
                if (expected === undefined) model.set(o.key, v);
              } else if (o.op === "del") {
                expected = o.key > 63 ? "EINVAL" : model.has(o.key) ? undefined : "ENOENT";
                assert.equal(code(() => t.delete(o.key)), expected);
                model.delete(o.key);
              } else if (o.op === "get") {
                const out = new Uint8Array(o.len);
                const cur = model.get(o.key);
                expected = o.key > 63
                  ? "EINVAL"
                  : cur === undefined
                  ? "ENOENT"
                  : o.len < cur.length
                  ? "ENOSPC"
                  : undefined;
                assert.equal(code(() => t.get(o.key, out)), expected);
                if (expected === undefined) {
                  assert.equal(hex(out.subarray(0, cur!.length)), hex(cur!));
                }
              } else if (o.op === "batch") {
                const keys = Array.from({ length: o.n }, (_, i) => o.key + i);
                const size = sizes[o.pick]!;
                const value = Uint8Array.from({ length: size * o.n }, (_, i) => i);
                const added = keys.filter((k) => !model.has(k)).length * size;
                expected = keys.at(-1)! > 63
                  ? "EINVAL"
                  : keys.some((k) => model.has(k) && model.get(k)!.length !== size)
                  ? "EBUSY"
                  : used() + added > capacity
                  ? "ENOSPC"
                  : undefined;
                assert.equal(code(() => t.setBatch(o.key, o.key + o.n - 1, value, size)), expected);
                if (expected === undefined) {
                  keys.forEach((k, i) => model.set(k, value.slice(i * size, (i + 1) * size)));
                }
              } else {
                expected = o.capacity < used() ? "ENOSPC" : undefined;
                assert.equal(code(() => t.setCapacity(o.capacity)), expected);
                if (expected === undefined) capacity = o.capacity;
              }
              const bytes = encode(model, sizes);
              assert.equal(hex(t.bytes()), hex(bytes));
              assert.equal(t.usedSize, bytes.length);
              assert.equal(t.size, model.size);
              // the second object over the same bytes agrees, through its table too
              for (const [k, v] of model) {
                const out = new Uint8Array(16);
                assert.equal(other.get(k, out), v.length);
                assert.equal(hex(out.subarray(0, v.length)), hex(v));
                assert.equal(other.valueLength(k), v.length);
              }
              assert.equal(other.size, model.size);
            }
          },
        ),
        { numRuns: 60 },
      );
    });
  }
});
