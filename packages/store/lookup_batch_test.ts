import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { entriesByNextKey, lookupBatch, u32Key } from "@kvkit/store";
import { openStore } from "@kvkit/backends";

function filled(n: number) {
  const store = openStore("map", { keySize: 4, valueSize: 1 });
  for (let i = 0; i < n; i++) store.set(u32Key(i), new Uint8Array([i]));
  return store;
}

describe("generic lookupBatch", () => {
  it("returns count entries per call and ends with an undefined cursor", () => {
    const store = filled(5);
    const sizes: number[] = [];
    let cursor: Uint8Array | undefined;
    do {
      const batch = lookupBatch(store, cursor, 2);
      sizes.push(batch.keys.length);
      cursor = batch.cursor;
    } while (cursor !== undefined);
    assert.deepEqual(sizes, [2, 2, 1]);
  });

  it("with delete, removes what it returns and still visits every entry once", () => {
    const store = filled(7);
    const seen: number[] = [];
    let cursor: Uint8Array | undefined;
    do {
      const batch = lookupBatch(store, cursor, 3, { delete: true });
      for (const v of batch.values) seen.push(v[0]!);
      cursor = batch.cursor;
    } while (cursor !== undefined);
    assert.deepEqual(seen.sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6]);
    assert.equal(store.size, 0);
  });

  it("hands out a cursor that is not any returned key: scrubbing keys cannot move the walk", () => {
    const store = filled(6);
    const seen: number[] = [];
    let cursor: Uint8Array | undefined;
    let calls = 0;
    do {
      const batch = lookupBatch(store, cursor, 2);
      for (const k of batch.keys) {
        assert.notEqual(batch.cursor, k);
        seen.push(k[0]!);
        k.fill(0); // the caller scrubs what it was given
      }
      cursor = batch.cursor;
    } while (cursor !== undefined && ++calls < 10);
    assert.deepEqual(seen, [0, 1, 2, 3, 4, 5]);
  });

  it("rejects a count that is not a positive integer", () => {
    for (const n of [0, -2, 1.5, NaN]) {
      assert.throws(() => lookupBatch(filled(1), undefined, n), { code: "EINVAL" });
    }
  });

  it("entriesByNextKey lets the consumer delete the yielded key", () => {
    const store = filled(4);
    let n = 0;
    for (const [k] of entriesByNextKey(store)) n += store.delete(k) ? 1 : 0;
    assert.equal(n, 4);
  });
});
