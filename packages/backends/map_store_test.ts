import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { openStore } from "@kvkit/backends";
import { u32Key } from "@kvkit/store";
import { Buffer } from "node:buffer";

describe("map store", () => {
  it("walks keys by nextKey in insertion order", () => {
    const store = openStore("map", { keySize: 4, valueSize: 1 });
    for (const k of [5, 1, 9]) store.set(u32Key(k), new Uint8Array([k]));
    const seen: Uint8Array[] = [];
    for (let k = store.nextKey(); k !== undefined; k = store.nextKey(k)) seen.push(k);
    assert.deepEqual(seen, [u32Key(5), u32Key(1), u32Key(9)]);
  });

  it("does not continue a nextKey walk from a key deleted and set again", () => {
    const store = openStore("map", { keySize: 4, valueSize: 1 });
    for (const k of [1, 2, 3]) store.set(u32Key(k), new Uint8Array([k]));
    assert.deepEqual(store.nextKey(), u32Key(1));
    store.delete(u32Key(1));
    store.set(u32Key(1), new Uint8Array([1]));
    assert.equal(store.nextKey(u32Key(1)), undefined, "key 1 is now last");
  });

  it("copies a Node Buffer, whose slice() is a view", () => {
    const store = openStore("map", { keySize: 4, valueSize: 2 });
    const value = Buffer.from([1, 2]);
    store.set(u32Key(1), value);
    value[0] = 9;
    assert.deepEqual(store.get(u32Key(1)), new Uint8Array([1, 2]));
  });

  it("reports memory that grows with entries and includes the table's slack", () => {
    const store = openStore("map", { keySize: 4, valueSize: 8 });
    const empty = store.memoryUsage();
    for (let i = 0; i < 100; i++) store.set(u32Key(i), new Uint8Array(8));
    assert.ok(store.memoryUsage() > empty + 100 * 8);
  });
});
