import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  decodeMeta,
  encodeMeta,
  INIT_BIT,
  META_BYTES,
  PAGE_OFF_SHIFT,
  SIZE_SHIFT,
  UptrKvOwner,
  UptrKvProgram,
} from "./mod.ts";

describe("metadata entry", () => {
  it("packs page_idx:3, page_off:12, size:12, init:1 from the low bits, size stored minus one", () => {
    const word = encodeMeta({ page: 5, offset: 4088, size: 8 });
    assert.equal(word & 0x7, 5);
    assert.equal((word >>> PAGE_OFF_SHIFT) & 0xfff, 4088);
    assert.equal((word >>> SIZE_SHIFT) & 0xfff, 7);
    assert.equal(word & INIT_BIT, INIT_BIT);
    assert.equal(word >>> 28, 0);
  });

  it("encodes both ends of the value size: 1 as 0 and 4096 as 4095", () => {
    assert.equal(encodeMeta({ page: 0, offset: 0, size: 1 }), INIT_BIT);
    assert.equal(
      encodeMeta({ page: 0, offset: 0, size: 4096 }),
      (INIT_BIT | 4095 << SIZE_SHIFT) >>> 0,
    );
    assert.deepEqual(decodeMeta(INIT_BIT), { page: 0, offset: 0, size: 1 });
    assert.deepEqual(decodeMeta((INIT_BIT | 4095 << SIZE_SHIFT) >>> 0), {
      page: 0,
      offset: 0,
      size: 4096,
    });
  });

  it("rejects slots that cross a page, misaligned offsets and out-of-range fields", () => {
    for (
      const slot of [
        { page: 0, offset: 8, size: 4096 },
        { page: 0, offset: 4, size: 1 },
        { page: 8, offset: 0, size: 1 },
        { page: 0, offset: 0, size: 0 },
        { page: 0, offset: 0, size: 4097 },
      ]
    ) {
      assert.throws(() => encodeMeta(slot), { code: "EINVAL" }, JSON.stringify(slot));
    }
    assert.throws(() => decodeMeta((INIT_BIT | 4095 << SIZE_SHIFT | 8 << PAGE_OFF_SHIFT) >>> 0), {
      code: "EINVAL",
    });
  });

  it("stores 1-byte and 4096-byte values and reads them back on both sides", () => {
    const owner = new UptrKvOwner();
    const big = Uint8Array.from({ length: 4096 }, (_, i) => i * 7);
    owner.put(0, new Uint8Array([0xab]));
    owner.put(1023, big);
    const meta = new Uint32Array(owner.regions.meta);
    assert.equal((meta[0]! >>> SIZE_SHIFT) & 0xfff, 0);
    assert.equal((meta[1023]! >>> SIZE_SHIFT) & 0xfff, 4095);
    const program = UptrKvProgram.attach(owner.regions);
    assert.deepEqual(program.get(0), new Uint8Array([0xab]));
    assert.deepEqual(program.get(1023), big);
    const out = new Uint8Array(4096);
    assert.equal(program.getInto(1023, out), 4096);
    assert.deepEqual(out, big);
    assert.equal(program.sizeOf(0), 1);
    assert.equal(program.sizeOf(1023), 4096);
    assert.equal(META_BYTES, 4096);
  });

  it("rejects a 4097-byte value with E2BIG and an empty one with EINVAL", () => {
    const owner = new UptrKvOwner();
    assert.throws(() => owner.put(0, new Uint8Array(4097)), { code: "E2BIG" });
    assert.throws(() => owner.put(0, new Uint8Array(0)), { code: "EINVAL" });
    assert.equal(owner.size, 0);
  });
});
