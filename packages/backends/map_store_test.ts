import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { openStore } from "@kvkit/backends";
import { u32Key } from "@kvkit/store";

describe("map store", () => {
  it("walks keys by nextKey in insertion order", () => {
    const store = openStore("map", { keySize: 4, valueSize: 1 });
    for (const k of [5, 1, 9]) store.set(u32Key(k), new Uint8Array([k]));
    const seen: Uint8Array[] = [];
    for (let k = store.nextKey(); k !== undefined; k = store.nextKey(k)) seen.push(k);
    assert.deepEqual(seen, [u32Key(5), u32Key(1), u32Key(9)]);
  });
});
