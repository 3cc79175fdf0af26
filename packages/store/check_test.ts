import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  type Capabilities,
  checkFlags,
  checkUpdate,
  compareBytes,
  ERRNO,
  F_LOCK,
  readU32Key,
  StoreError,
  u32Key,
} from "@kvkit/store";

const caps: Capabilities = {
  keySize: { min: 4, max: 4 },
  valueSize: { min: 2, max: 8 },
  valueSizes: [2, 4, 8],
  keyRange: { min: 0, max: 63 },
  maxEntries: 64,
  ordered: true,
  fullError: "ENOSPC",
  valueTooBig: "E2BIG",
  lock: false,
};

describe("argument checks", () => {
  it("follow the kernel's order: flags before key before value", () => {
    const badAll = () => checkUpdate(caps, u32Key(99), new Uint8Array(3), 3);
    assert.throws(badAll, /bad update flags 3/);
    assert.throws(() => checkUpdate(caps, u32Key(99), new Uint8Array(3), 0), /key 99 not in 0..63/);
    assert.throws(
      () => checkUpdate(caps, u32Key(1), new Uint8Array(3), 0),
      /value length 3 not in 2\/4\/8/,
    );
    assert.throws(() => checkUpdate(caps, u32Key(1), new Uint8Array(9), 0), { code: "E2BIG" });
  });

  it("accept F_LOCK only on stores with locked updates", () => {
    assert.throws(() => checkFlags(F_LOCK, false), { code: "EINVAL" });
    assert.equal(checkFlags(F_LOCK, true), 0);
  });

  it("give every error code its negative Linux errno", () => {
    for (const [code, errno] of Object.entries(ERRNO)) {
      assert.equal(new StoreError(code as keyof typeof ERRNO, "x").errno, errno);
      assert.ok(errno < 0);
    }
  });
});

describe("keys", () => {
  it("u32 keys round-trip and reject non-u32", () => {
    for (const k of [0, 1, 255, 256, 65535, 2 ** 31, 2 ** 32 - 1]) {
      assert.equal(readU32Key(u32Key(k)), k);
    }
    for (const k of [-1, 2 ** 32, 1.5, NaN]) assert.throws(() => u32Key(k), { code: "EINVAL" });
    assert.throws(() => readU32Key(new Uint8Array(3)), { code: "EINVAL" });
  });

  it("compareBytes orders a key before its extensions", () => {
    const keys = [[2], [1, 0], [1], [], [1, 0, 0], [0, 255]].map((k) => new Uint8Array(k));
    keys.sort(compareBytes);
    assert.deepEqual(keys.map((k) => [...k]), [[], [0, 255], [1], [1, 0], [1, 0, 0], [2]]);
  });

  it("recognise a StoreError from another copy of the module", () => {
    const foreign = Object.assign(new Error("ENOSPC: full"), {
      name: "StoreError",
      code: "ENOSPC",
      errno: -28,
    });
    assert.ok(foreign instanceof StoreError);
    assert.ok(!(new Error("x") instanceof StoreError));
    assert.ok(
      !(Object.assign(new Error("x"), { name: "StoreError", code: "ENOSPC", errno: 1 }) instanceof
        StoreError),
    );
  });

  it("say when a key is not bytes at all", () => {
    assert.throws(
      () => checkUpdate(caps, "abcd" as never, new Uint8Array(2), 0),
      /key is not a Uint8Array/,
    );
  });
});
