import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { allocBytes, copyBytes } from "@kvkit/store";

describe("allocBytes / copyBytes", () => {
  it("hands out zero-filled regions that never overlap, across slabs", () => {
    const all: Uint8Array[] = [];
    for (let i = 0; i < 5000; i++) {
      const a = allocBytes(1 + (i % 37));
      assert.ok(a.every((b) => b === 0));
      a.fill(i & 0xff || 1);
      all.push(a);
    }
    for (let i = 0; i < all.length; i++) {
      assert.ok(all[i]!.every((b) => b === (i & 0xff || 1)), `region ${i} was overwritten`);
    }
  });

  it("aligns every region to 8 bytes and gives large copies a buffer of their own", () => {
    for (let i = 0; i < 100; i++) assert.equal(allocBytes(3).byteOffset % 8, 0);
    const big = allocBytes(5000);
    assert.equal(big.byteOffset, 0);
    assert.equal(big.buffer.byteLength, 5000);
  });

  it("copies a range, independent of its source", () => {
    const src = new Uint8Array(200).map((_, i) => i);
    for (const [start, end] of [[0, 200], [3, 11], [100, 100], [10, 150]] as const) {
      const copy = copyBytes(src, start, end);
      assert.deepEqual(copy, src.slice(start, end));
      copy.fill(255);
      assert.equal(src[start], start === end ? start : start);
    }
    assert.deepEqual(copyBytes(src.subarray(5, 8)), new Uint8Array([5, 6, 7]));
  });

  it("starts a new slab when some copy's buffer was transferred away", () => {
    const kept = allocBytes(8).fill(7);
    const moved = allocBytes(8);
    if (moved.buffer === kept.buffer) {
      structuredClone(moved, { transfer: [moved.buffer as ArrayBuffer] });
      assert.equal(kept.length, 0, "the neighbours of a transferred copy go with it");
    }
    for (let i = 0; i < 2000; i++) assert.deepEqual(allocBytes(8), new Uint8Array(8));
    assert.deepEqual(copyBytes(new Uint8Array([1, 2, 3])), new Uint8Array([1, 2, 3]));
  });
});
