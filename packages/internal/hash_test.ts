import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  halfSip1,
  halfSip2,
  halfSipHash,
  halfSipWords,
  murmurCollisions,
  murmurFinish,
  murmurMix,
  murmurWords,
  randomSeed,
  randomWords,
  seedKey,
} from "./mod.ts";

// The words of a key as htab and rhash hold it: little-endian, the tail zero-padded.
function wordsOf(key: Uint8Array): Int32Array {
  const words = new Int32Array(Math.ceil(key.length / 4));
  new Uint8Array(words.buffer).set(key);
  return words;
}

describe("HalfSipHash", () => {
  it("matches the reference implementation's 2-4 vectors (vectors_hsip32)", () => {
    // Key bytes 0..7, message bytes 0..i-1; the reference prints the tag little-endian.
    const want = [
      0x5b9f35a9,
      0xb85a4727,
      0x03a662fa,
      0x04e7fe8a,
      0x89466e2a,
      0x69b6fac5,
      0x23fc6358,
      0xc563cf8b,
    ];
    const message = Uint8Array.from({ length: 8 }, (_, i) => i);
    want.forEach((tag, i) => {
      assert.equal(halfSipHash(message, 0, i, 0x03020100, 0x07060504, 2, 4), tag, `length ${i}`);
    });
  });

  it("the word forms equal the byte-wise HalfSipHash-1-3 for every length", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 70 }),
        fc.integer(),
        fc.integer(),
        (key, k0, k1) => {
          const words = wordsOf(key);
          const want = halfSipHash(key, 0, key.length, k0, k1);
          assert.equal(halfSipWords(words, 0, words.length, key.length, k0, k1) >>> 0, want);
          if (key.length === 4) assert.equal(halfSip1(words[0]!, k0, k1) >>> 0, want);
          if (key.length === 8) assert.equal(halfSip2(words[0]!, words[1]!, k0, k1) >>> 0, want);
        },
      ),
    );
  });

  it("depends on the key: the same message hashes differently under another key", () => {
    const words = new Int32Array([1, 2, 3]);
    const a = halfSipWords(words, 0, 3, 12, 1, 2);
    assert.notEqual(a, halfSipWords(words, 0, 3, 12, 1, 3));
    assert.notEqual(a, halfSipWords(words, 0, 3, 12, 5, 2));
  });
});

describe("MurmurHash3", () => {
  it("matches the known x86_32 vectors", () => {
    // (bytes as one little-endian word or none, seed) -> hash, from the reference implementation.
    assert.equal(murmurFinish(0 ^ 0) >>> 0, 0);
    assert.equal(murmurFinish(1 ^ 0) >>> 0, 0x514e28b7);
    assert.equal(murmurFinish(0xffffffff ^ 0) >>> 0, 0x81f16f39);
    assert.equal(murmurFinish(murmurMix(0, 0x87654321) ^ 4) >>> 0, 0xf55b516b);
    assert.equal(murmurFinish(murmurMix(0x5082edee, 0x87654321) ^ 4) >>> 0, 0x2362f9de);
  });
});

describe("murmurCollisions", () => {
  it("gives distinct keys with one MurmurHash3 for every seed", () => {
    const keys = murmurCollisions(256, 70, 3);
    assert.equal(keys.length, 256);
    assert.equal(new Set(keys.map((k) => k.join())).size, 256);
    for (const k of keys) {
      assert.equal(k.length, 70);
      assert.equal(k[69], k[69]! & 0xff); // padded words: the tail stays within the key
    }
    fc.assert(fc.property(fc.integer(), (seed) => {
      const hashes = new Set(keys.map((k) => murmurWords(wordsOf(k), 0, 18, seed)));
      assert.equal(hashes.size, 1);
    }));
  });

  it("different salts give different families; too short a key is a RangeError", () => {
    const a = murmurCollisions(4, 16, 1);
    const b = murmurCollisions(4, 16, 2);
    assert.notEqual(murmurWords(wordsOf(a[0]!), 0, 4, 9), murmurWords(wordsOf(b[0]!), 0, 4, 9));
    assert.throws(() => murmurCollisions(5, 16), RangeError); // 3 pairs need 24 B
    assert.throws(() => murmurCollisions(0, 16), RangeError);
  });

  it("does not collide under HalfSipHash", () => {
    const keys = murmurCollisions(1024, 80);
    const [k0, k1] = randomWords(new Int32Array(2));
    const hashes = new Set(keys.map((k) => halfSipWords(wordsOf(k), 0, 20, 80, k0!, k1!)));
    assert.ok(hashes.size > 1000, `${hashes.size} distinct hashes`);
  });
});

describe("keys and seeds", () => {
  it("draws random seeds and keys, and derives a fixed key from a seed", () => {
    const seeds = new Set(Array.from({ length: 16 }, randomSeed));
    assert.ok(seeds.size > 1);
    for (const s of seeds) assert.ok(Number.isInteger(s) && s >= 0 && s < 2 ** 32);
    assert.deepEqual(
      seedKey(0xdead_beef, new Int32Array(2)),
      seedKey(0xdead_beef, new Int32Array(2)),
    );
    assert.equal(seedKey(5, new Int32Array(2))[0], 5);
  });
});
