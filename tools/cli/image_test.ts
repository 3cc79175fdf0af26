import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { decodeImage, encodeImage, type StoreImage } from "./image.ts";

const entry = fc.tuple(fc.uint8Array({ maxLength: 12 }), fc.uint8Array({ maxLength: 12 }));
const image: fc.Arbitrary<StoreImage> = fc.record({
  backend: fc.constantFrom("map", "rhash", "qptrie"),
  options: fc.dictionary(fc.constantFrom("keySize", "valueSize", "x"), fc.integer()),
  entries: fc.uniqueArray(entry, { maxLength: 6, selector: ([k]) => k.join(",") }),
});

describe("store image", () => {
  it("round-trips backend, options and entries", () => {
    fc.assert(fc.property(image, (img) => {
      const back = decodeImage(encodeImage(img));
      assert.equal(back.backend, img.backend);
      assert.deepEqual(back.options, { ...img.options });
      assert.deepEqual(back.entries, img.entries);
    }));
  });

  it("rejects every truncation", () => {
    fc.assert(fc.property(image, fc.nat(), (img, cut) => {
      const bytes = encodeImage(img);
      const at = cut % bytes.length;
      assert.throws(() => decodeImage(bytes.subarray(0, at)), /bad store image/);
    }));
  });

  it("rejects every single-bit corruption", () => {
    fc.assert(fc.property(image, fc.nat(), fc.integer({ min: 0, max: 7 }), (img, pos, bit) => {
      const bytes = encodeImage(img);
      bytes[pos % bytes.length]! ^= 1 << bit;
      assert.throws(() => decodeImage(bytes), /bad store image/);
    }));
  });

  it("rejects a key that appears twice, naming the entry", () => {
    const k = new Uint8Array([1, 2]);
    const bytes = encodeImage({
      backend: "map",
      options: {},
      entries: [[k, new Uint8Array([1])], [new Uint8Array([3]), new Uint8Array(0)], [
        k.slice(),
        new Uint8Array([2]),
      ]],
    });
    assert.throws(() => decodeImage(bytes), {
      code: "EINVAL",
      message: "EINVAL: bad store image: duplicate key at entry 2",
    });
  });

  it("names what is wrong: magic, version, checksum, trailing bytes", () => {
    const good = encodeImage({
      backend: "map",
      options: {},
      entries: [[new Uint8Array(1), new Uint8Array(1)]],
    });
    assert.throws(() => decodeImage(new TextEncoder().encode("hello")), /not a kvkit store image/);
    const v2 = good.slice();
    v2[8] = 2;
    assert.throws(() => decodeImage(v2), /format version 2; this explorer reads version 1/);
    const flipped = good.slice();
    flipped[good.length - 6]! ^= 0xff;
    assert.throws(() => decodeImage(flipped), /checksum mismatch/);
    const longer = new Uint8Array(good.length + 3);
    longer.set(good);
    assert.throws(() => decodeImage(longer), /trailing bytes/);
    assert.throws(() => decodeImage(good.subarray(0, 30)), /truncated: 30 of \d+ bytes/);
  });
});
