import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { hex, hexSpaced, hexWord } from "./mod.ts";

describe("hex", () => {
  it("hex and hexSpaced agree with toString(16) for every byte", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (bytes) => {
        const parts = [...bytes].map((b) => b.toString(16).padStart(2, "0"));
        assert.equal(hex(bytes), parts.join(""));
        assert.equal(hexSpaced(bytes), parts.join(" "));
      }),
    );
  });

  it("hexWord reads int32s as unsigned", () => {
    assert.equal(hexWord(0), "0x00000000");
    assert.equal(hexWord(0x80000000 | 0), "0x80000000");
    assert.equal(hexWord(0xffffffff), "0xffffffff");
  });
});
