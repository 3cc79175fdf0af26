import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { tokenize } from "./tokenize.ts";

describe("tokenize", () => {
  it("reads \\u{N} escapes up to U+10FFFF", () => {
    assert.deepEqual(tokenize('"\\u{10FFFF}\\u{41}"'), [{ text: "\u{10FFFF}A", quoted: true }]);
  });

  it("refuses a code point above U+10FFFF with StoreError EINVAL, not a RangeError", () => {
    assert.throws(() => tokenize('set "\\u{110000}" 1'), {
      name: "StoreError",
      code: "EINVAL",
      message: /escape \\u\{110000\} is above U\+10FFFF/,
    });
  });

  it("refuses unterminated quotes and unknown escapes with EINVAL", () => {
    assert.throws(() => tokenize('"abc'), { code: "EINVAL", message: /unterminated " quote/ });
    assert.throws(() => tokenize('"\\q"'), { code: "EINVAL", message: /bad escape \\q/ });
  });
});
