import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { jhash, jhash2, JHASH_INITVAL, jhashFinal, jhashWords, loadWords } from "./mod.ts";

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

describe("jhash (the kernel's lookup3)", () => {
  it("matches lookup3's published checks (driver5 of lookup3.c)", () => {
    const four = text("Four score and seven years ago");
    assert.equal(jhash(new Uint8Array(0), 0, 0, 0) >>> 0, 0xdeadbeef);
    assert.equal(jhash(new Uint8Array(0), 0, 0, 0xdeadbeef) >>> 0, 0xbd5b7dde);
    assert.equal(jhash(four, 0, 30, 0) >>> 0, 0x17770551);
    assert.equal(jhash(four, 0, 30, 1) >>> 0, 0xcd628161);
  });

  it("reads the key from `from` and only `length` bytes", () => {
    const four = text("xFour score and seven years agoyy");
    assert.equal(jhash(four, 1, 30, 0) >>> 0, 0x17770551);
  });

  it("jhashWords over padded little-endian words is jhash (any length) and jhash2 (4n)", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 0, maxLength: 70 }),
        fc.integer({ min: 0, max: 0xffff_ffff }),
        (key, seed) => {
          const n = Math.ceil(key.length / 4);
          const words = new Int32Array(n + 2).fill(-1);
          loadWords(key, 0, key.length, words, 1);
          const h = jhashWords(words, 1, n, key.length, seed);
          assert.equal(h, jhash(key, 0, key.length, seed));
          if (key.length % 4 === 0) assert.equal(h, jhash2(words, 1, n, seed));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("takes its tail little-endian, as the kernel's `k[11] << 24 ... k[0]` switch", () => {
    // One byte in the tail's last position: it enters `a` shifted left 24, not as the low byte.
    const key = new Uint8Array([0, 0, 0, 5]);
    const i = (JHASH_INITVAL + 4) | 0;
    assert.equal(jhash(key, 0, 4, 0), jhashFinal(i + (5 << 24), i, i));
    assert.notEqual(jhash(key, 0, 4, 0), jhashFinal(i + 5, i, i));
    // A 5-byte key: its fifth byte goes into b, as the low byte.
    const five = new Uint8Array([1, 2, 3, 4, 9]);
    const j = (JHASH_INITVAL + 5) | 0;
    assert.equal(jhash(five, 0, 5, 0), jhashFinal(j + 0x04030201, j + 9, j));
  });

  it("mixes every 12-byte block but the last, which only the final mix sees", () => {
    // 12 bytes: no mix, one final; 13 bytes: a mix of the first 12, then the final of the 13th.
    const twelve = Uint8Array.from({ length: 12 }, (_, i) => i + 1);
    const s = (JHASH_INITVAL + 12) | 0;
    const w = new Int32Array(twelve.buffer);
    assert.equal(jhash(twelve, 0, 12, 0), jhashFinal(s + w[0]!, s + w[1]!, s + w[2]!));
    const thirteen = Uint8Array.from({ length: 13 }, (_, i) => i + 1);
    assert.notEqual(jhash(thirteen, 0, 13, 0), jhash(thirteen, 0, 12, 0));
  });
});
