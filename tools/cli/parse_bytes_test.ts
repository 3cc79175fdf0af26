import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import type { Capabilities } from "@kvkit/store";
import { parseBytes, readBytes } from "./parse_bytes.ts";
import { tokenize } from "./tokenize.ts";
import { hex } from "./format.ts";

function caps(over: Partial<Capabilities>): Capabilities {
  return {
    keySize: { min: 4, max: 4 },
    valueSize: { min: 8, max: 8 },
    maxEntries: 16,
    ordered: false,
    fullError: "E2BIG",
    valueTooBig: "EINVAL",
    lock: false,
    ...over,
  };
}
const bare = (text: string) => ({ text, quoted: false });
const bytes = (...b: number[]) => new Uint8Array(b);

describe("readBytes", () => {
  const c = caps({});
  it("reads hex as 0x.. and hex:..", () => {
    assert.deepEqual(readBytes(bare("0x0aFF"), "key", c), bytes(10, 255));
    assert.deepEqual(readBytes(bare("hex:01_02"), "key", c), bytes(1, 2));
    assert.throws(() => readBytes(bare("0xabc"), "key", c), /odd number of digits/);
    assert.throws(() => readBytes(bare("0xzz"), "key", c), { code: "EINVAL" });
  });

  it("reads quoted and str: text as UTF-8", () => {
    assert.deepEqual(readBytes({ text: "é", quoted: true }, "value", c), bytes(0xc3, 0xa9));
    assert.deepEqual(readBytes(bare("str:ab"), "value", c), bytes(97, 98));
    // A quoted word is text even when it looks like a number.
    assert.deepEqual(readBytes({ text: "12", quoted: true }, "key", c), bytes(49, 50));
  });

  it("reads sized integers little-endian and rejects overflow", () => {
    assert.deepEqual(readBytes(bare("u16:258"), "key", c), bytes(2, 1));
    assert.deepEqual(readBytes(bare("u32:0x01020304"), "key", c), bytes(4, 3, 2, 1));
    assert.deepEqual(
      readBytes(bare("u64:18446744073709551615"), "key", c),
      new Uint8Array(8).fill(255),
    );
    assert.throws(() => readBytes(bare("u8:256"), "key", c), /does not fit in 1 byte/);
    assert.throws(() => readBytes(bare("u32:-1"), "key", c), /not an unsigned integer/);
  });

  it("sizes a bare decimal per store: u32 for integer or 4-byte keys, u64 for 8-byte keys", () => {
    assert.deepEqual(readBytes(bare("5"), "key", c), bytes(5, 0, 0, 0));
    const intKeyed = caps({ keyRange: { min: 0, max: 63 } });
    assert.deepEqual(readBytes(bare("63"), "key", intKeyed), bytes(63, 0, 0, 0));
    const wide = caps({ keySize: { min: 8, max: 8 } });
    assert.deepEqual(readBytes(bare("1"), "key", wide), bytes(1, 0, 0, 0, 0, 0, 0, 0));
    assert.deepEqual(readBytes(bare("7"), "value", c), bytes(7, 0, 0, 0, 0, 0, 0, 0));
    const variable = caps({ keySize: { min: 1, max: 255 }, valueSizes: [2, 4, 8] });
    assert.throws(() => readBytes(bare("5"), "key", variable), /no fixed width.*u32:5/);
    assert.throws(() => readBytes(bare("5"), "value", variable), /2\/4\/8/);
  });

  it("reads IPv4 and IPv6 addresses in network order", () => {
    assert.deepEqual(readBytes(bare("10.0.0.1"), "key", c), bytes(10, 0, 0, 1));
    assert.equal(
      hex(readBytes(bare("2001:db8::1"), "key", c)),
      "0x20010db8000000000000000000000001",
    );
    assert.equal(hex(readBytes(bare("::1"), "key", c)), "0x" + "00".repeat(15) + "01");
    assert.equal(
      hex(readBytes(bare("::ffff:1.2.3.4"), "key", c)),
      "0x" + "00".repeat(10) + "ffff01020304",
    );
    assert.throws(() => readBytes(bare("1.2.3.256"), "key", c), /cannot read/);
    assert.throws(() => readBytes(bare("1::2::3"), "key", c), /cannot read/);
  });

  it("rejects bare words with a hint", () => {
    assert.throws(
      () => readBytes(bare("hello"), "key", c),
      /cannot read 'hello' as a key: write 0x/,
    );
  });

  it("reads back any bytes from their hex", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 40 }), (b) => {
      assert.deepEqual(readBytes(bare(hex(b)), "value", c), b);
    }));
  });
});

describe("parseBytes", () => {
  it("rejects a short value with the sizes and the pad hint, and pads only when asked", () => {
    const c = caps({});
    assert.throws(
      () => parseBytes(bare("0x01"), "value", c, false),
      /value '0x01' is 1 byte but this store's values take 8; .*'pad'/,
    );
    assert.deepEqual(parseBytes(bare("0x01"), "value", c, true), bytes(1, 0, 0, 0, 0, 0, 0, 0));
    assert.deepEqual(parseBytes(bare("0x01"), "key", c, true), bytes(1, 0, 0, 0));
  });

  it("pads to the next accepted size of a store with valueSizes", () => {
    const c = caps({ valueSize: { min: 2, max: 8 }, valueSizes: [2, 4, 8] });
    assert.equal(parseBytes(bare("0x010203"), "value", c, true).length, 4);
    assert.throws(() => parseBytes(bare("0x010203"), "value", c, false), /take 2\/4\/8/);
  });

  it("refuses long keys and values with the sizes and the store's code, never fits prefixes", () => {
    const c = caps({});
    assert.throws(() => parseBytes(bare("0x0102030405"), "key", c, true), {
      code: "EINVAL",
      message: /key '0x0102030405' is 5 bytes but this store's keys take 4; give at most 4/,
    });
    assert.throws(() => parseBytes(bare("0x010203040506070809"), "value", c, false), {
      code: c.valueTooBig,
      message: /value .* is 9 bytes .*take 8; give at most 8/,
    });
    const sized = caps({ valueSize: { min: 2, max: 8 }, valueSizes: [2, 4, 8] });
    assert.throws(() => parseBytes(bare("str:abcdefghi"), "value", sized, true), /take 2\/4\/8/);
    assert.equal(parseBytes(bare("0x01"), "prefix", c, false).length, 1);
    assert.equal(parseBytes(bare("0x0102030405"), "prefix", c, false).length, 5);
  });

  it("zero-fills text values unasked, but never keys or other values", () => {
    const c = caps({});
    assert.deepEqual(
      parseBytes({ text: "ab", quoted: true }, "value", c, false),
      bytes(97, 98, 0, 0, 0, 0, 0, 0),
    );
    assert.deepEqual(
      parseBytes(bare("str:ab"), "value", c, false),
      bytes(97, 98, 0, 0, 0, 0, 0, 0),
    );
    assert.throws(() => parseBytes({ text: "ab", quoted: true }, "key", c, false), /take 4.*'pad'/);
    assert.throws(() => parseBytes(bare("0x0102"), "value", c, false), /take 8.*'pad'/);
  });
});

describe("tokenize", () => {
  it("splits on whitespace, groups quotes, resolves escapes, drops comments", () => {
    assert.deepEqual(tokenize(`set 'a b' "c\\"d\\n\\x41" str:"x y" # comment`), [
      { text: "set", quoted: false },
      { text: "a b", quoted: true },
      { text: 'c"d\nA', quoted: true },
      { text: "str:x y", quoted: false },
    ]);
    assert.deepEqual(tokenize("   "), []);
  });

  it("rejects an unterminated quote", () => {
    assert.throws(() => tokenize('get "abc'), { code: "EINVAL" });
  });

  it("reads back any printable string written as a JSON string", () => {
    fc.assert(fc.property(fc.string({ unit: fc.constantFrom(..." ab\"\\#'xyz") }), (s) => {
      assert.deepEqual(tokenize(`get ${JSON.stringify(s)}`)[1], { text: s, quoted: true });
    }));
  });
});
