import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { loadWords, loadWordsMurmur, murmurWords } from "./mod.ts";

describe("key words", () => {
  it("loadWords writes the bytes little-endian, the tail zero, and nothing else", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 70 }), fc.nat(3), (key, base) => {
        const n = Math.ceil(key.length / 4);
        const words = new Int32Array(base + n + 1).fill(-1);
        loadWords(key, 0, key.length, words, base);
        const want = new Int32Array(n);
        new Uint8Array(want.buffer).set(key);
        assert.deepEqual([...words.subarray(base, base + n)], [...want]);
        assert.ok(words.subarray(0, base).every((w) => w === -1), "before base untouched");
        assert.equal(words[base + n], -1, "after the key untouched");
        // The same key from inside a larger buffer.
        const inside = new Uint8Array(key.length + 5);
        inside.set(key, 3);
        const again = new Int32Array(n);
        loadWords(inside, 3, key.length, again, 0);
        assert.deepEqual([...again], [...want]);
      }),
    );
  });

  it("loadWordsMurmur loads the same words and returns murmurWords over them", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 70 }), fc.integer(), (key, seed) => {
        const n = Math.ceil(key.length / 4);
        const a = new Int32Array(n);
        const b = new Int32Array(n).fill(-1);
        loadWords(key, 0, key.length, a, 0);
        const h = loadWordsMurmur(key, key.length, b, 0, seed);
        assert.deepEqual(b, a);
        assert.equal(h, murmurWords(a, 0, n, seed));
      }),
    );
  });
});
