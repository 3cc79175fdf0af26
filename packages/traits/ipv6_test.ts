import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { formatIPv6, parseIPv6 } from "./ipv6.ts";

describe("IPv6 text form", () => {
  it("round-trips IPv6 bytes through the RFC 5952 text form", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (bytes) => {
        const text = formatIPv6(bytes);
        assert.deepEqual(parseIPv6(text), bytes);
        assert.equal(text, text.toLowerCase());
      }),
    );
    fc.assert(fc.property(fc.ipV6(), (text) => assert.equal(parseIPv6(text).length, 16)));
    assert.equal(formatIPv6(parseIPv6("2001:db8:0:0:1:0:0:1")), "2001:db8::1:0:0:1");
    assert.equal(formatIPv6(parseIPv6("::ffff:192.0.2.1")), "::ffff:c000:201");
    assert.equal(formatIPv6(parseIPv6("1:0:0:0:0:0:0:0")), "1::");
    assert.equal(formatIPv6(parseIPv6("1:0:1:1:1:1:1:1")), "1:0:1:1:1:1:1:1");
    for (
      const bad of ["1:2:3:4:5:6:7", "1::2::3", "12345::", "1:2:3:4:5:6:7:8:9", "::1%eth0", ":1::"]
    ) {
      assert.throws(() => parseIPv6(bad), { code: "EINVAL" }, bad);
    }
  });
});
