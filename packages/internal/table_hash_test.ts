import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { hashOption, TABLE_HASHES } from "./mod.ts";

describe("the hash option", () => {
  it("takes the three names and undefined, and refuses anything else with EINVAL", () => {
    for (const h of TABLE_HASHES) assert.equal(hashOption(h), h);
    assert.equal(hashOption(undefined), "auto");
    for (const bad of [null, 1, "AUTO", "", {}, "jhash"]) {
      assert.throws(() => hashOption(bad), { code: "EINVAL" }, String(bad));
    }
  });

  it("takes a table's own list, naming it when it refuses", () => {
    const htab = [...TABLE_HASHES, "jhash"] as const;
    assert.equal(hashOption("jhash", htab), "jhash");
    assert.equal(hashOption(undefined, htab), "auto");
    assert.throws(() => hashOption("sha256", htab), {
      code: "EINVAL",
      message: /auto, halfsiphash, murmur3, jhash/,
    });
  });
});
