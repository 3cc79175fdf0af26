import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { formatIPv4, parseIPv4 } from "./ipv4.ts";

describe("IPv4 text form", () => {
  it("round-trips every IPv4 address", () => {
    fc.assert(fc.property(fc.ipV4(), (text) => assert.equal(formatIPv4(parseIPv4(text)), text)));
    for (const bad of ["1.2.3", "1.2.3.4.5", "01.2.3.4", "1.2.3.256", " 1.2.3.4", "a.b.c.d"]) {
      assert.throws(() => parseIPv4(bad), { code: "EINVAL" }, bad);
    }
  });
});
