import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { parseExploreArgs } from "./args.ts";

describe("parseExploreArgs", () => {
  it("maps any --kebab-case option to a camelCase backend option, typed", () => {
    const a = parseExploreArgs([
      "qptrie",
      "--max-key-length",
      "32",
      "--value-size=16",
      "--mode",
      "lru",
      "--shared",
      "false",
      "--prealloc",
      "--no-resize",
      "--ratio",
      "0.5",
    ]);
    assert.equal(a.backend, "qptrie");
    assert.deepEqual(a.options, {
      maxKeyLength: 32,
      valueSize: 16,
      mode: "lru",
      shared: false,
      prealloc: true,
      resize: false,
      ratio: 0.5,
    });
  });

  it("keeps the explorer's own flags apart, wherever they stand", () => {
    const a = parseExploreArgs(["--json", "-s", "x.kvs", "--key-size", "8", "-i", "--no-color"]);
    assert.equal(a.backend, undefined);
    assert.deepEqual(a.options, { keySize: 8 });
    assert.equal(a.script, "x.kvs");
    assert.equal(a.json, true);
    assert.equal(a.interactive, true);
    assert.equal(a.color, false);
  });

  it("remembers the flag each option came from, for errors that name it", () => {
    const a = parseExploreArgs(["htab", "--max-entrie", "4", "--no-lru", "--key-size=8", "--json"]);
    assert.deepEqual(a.options, { maxEntrie: 4, lru: false, keySize: 8 });
    assert.deepEqual(a.flags, {
      maxEntrie: "--max-entrie",
      lru: "--no-lru",
      keySize: "--key-size",
    });
  });

  it("rejects two backends, an unknown short flag, and a flag without its value", () => {
    assert.throws(() => parseExploreArgs(["map", "rhash"]), /one backend only/);
    assert.throws(() => parseExploreArgs(["-k", "8"]), /unknown flag -k/);
    assert.throws(() => parseExploreArgs(["--script"]), /--script needs a value/);
  });

  it("reads a negative number after a backend option as its value, not a flag", () => {
    const a = parseExploreArgs(["map", "--max-entries", "-1", "--ratio", "-0.5", "--json"]);
    assert.deepEqual(a.options, { maxEntries: -1, ratio: -0.5 });
    assert.equal(a.json, true);
    assert.equal(a.flags.maxEntries, "--max-entries");
    // After the explorer's boolean flags a negative number is still refused as a flag.
    assert.throws(() => parseExploreArgs(["map", "--json", "-1"]), {
      code: "EINVAL",
      message: /-1/,
    });
    assert.equal(parseExploreArgs(["--script", "-1"]).script, "-1");
  });
});
