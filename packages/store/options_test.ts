import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { checkOptions } from "@kvkit/store";

describe("checkOptions", () => {
  const known = ["keySize", "valueSize", "maxEntries", "seed"];

  it("passes known names and undefined", () => {
    assert.deepEqual(checkOptions("x", undefined, known), {});
    const given = { keySize: 4, seed: 0 };
    assert.equal(checkOptions("x", given, known), given);
    const bare = Object.assign(Object.create(null), { keySize: 4 });
    assert.equal(checkOptions("x", bare, known), bare);
  });

  it("names an unknown option, suggests the closest and lists the known ones", () => {
    assert.throws(() => checkOptions("htab", { maxEntrie: 4 }, known), {
      code: "EINVAL",
      message: "EINVAL: htab: unknown option 'maxEntrie' (did you mean 'maxEntries'?); " +
        "known: keySize, valueSize, maxEntries, seed",
    });
    assert.throws(
      () => checkOptions("htab", { colour: 1 }, known),
      (err: Error) => !err.message.includes("did you mean"),
    );
    assert.throws(() => checkOptions("htab", { [Symbol("s")]: 1 }, known), /Symbol\(s\)/);
  });

  it("refuses what is not an options object", () => {
    const inherited = Object.create({ maxEntrie: 4 });
    for (const bad of [null, 3, "keySize", [], true, new Map([["keySize", 4]]), inherited]) {
      assert.throws(() => checkOptions("htab", bad as never, known), { code: "EINVAL" });
    }
  });
});
