import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { F_LOCK, type Store, u32Key } from "@kvkit/store";
import { Buffer } from "node:buffer";
import { assertPooledCopies, POOLED, walkBatches } from "@kvkit/conformance/testing";
import { MapStore } from "./map_store.ts";
import { mapBackend } from "./map_store_backend.ts";

const open = (options: Record<string, unknown>): Store => mapBackend.create(options);
// The pool hands out regions of shared slabs except under Bun, where fresh arrays are faster.

describe("map store", () => {
  it("walks keys by nextKey in insertion order", () => {
    const store = open({ keySize: 4, valueSize: 1 });
    for (const k of [5, 1, 9]) store.set(u32Key(k), new Uint8Array([k]));
    const seen: Uint8Array[] = [];
    for (let k = store.nextKey(); k !== undefined; k = store.nextKey(k)) seen.push(k);
    assert.deepEqual(seen, [u32Key(5), u32Key(1), u32Key(9)]);
  });

  it("does not continue a nextKey walk from a key deleted and set again", () => {
    const store = open({ keySize: 4, valueSize: 1 });
    for (const k of [1, 2, 3]) store.set(u32Key(k), new Uint8Array([k]));
    assert.deepEqual(store.nextKey(), u32Key(1));
    store.delete(u32Key(1));
    store.set(u32Key(1), new Uint8Array([1]));
    assert.equal(store.nextKey(u32Key(1)), undefined, "key 1 is now last");
  });

  it("copies a Node Buffer, whose slice() is a view", () => {
    const store = open({ keySize: 4, valueSize: 2 });
    const value = Buffer.from([1, 2]);
    store.set(u32Key(1), value);
    value[0] = 9;
    assert.deepEqual(store.get(u32Key(1)), new Uint8Array([1, 2]));
  });

  it("reports memory that grows with entries and includes the table's slack", () => {
    const store = open({ keySize: 4, valueSize: 8 });
    const empty = store.memoryUsage();
    for (let i = 0; i < 100; i++) store.set(u32Key(i), new Uint8Array(8));
    assert.ok(store.memoryUsage() > empty + 100 * 8);
  });

  it("getInto copies at an offset, answers false for an absent key and validates first", () => {
    const store = open({ keySize: 4, valueSize: 3 });
    store.set(u32Key(1), new Uint8Array([1, 2, 3]));
    const out = new Uint8Array(5).fill(9);
    assert.equal(store.getInto(u32Key(1), out, 2), true);
    assert.deepEqual(out, new Uint8Array([9, 9, 1, 2, 3]));
    assert.equal(store.getInto(u32Key(2), out), false);
    assert.deepEqual(out, new Uint8Array([9, 9, 1, 2, 3]), "absent: out untouched");
    // Every bad call is EINVAL with out untouched: present key or not, the room is checked.
    const bad: [string, () => boolean][] = [
      ["F_LOCK (no locked reads)", () => store.getInto(u32Key(1), out, 0, F_LOCK)],
      ["unknown flag", () => store.getInto(u32Key(1), out, 0, 8)],
      ["short key", () => store.getInto(new Uint8Array(3), out)],
      ["no room", () => store.getInto(u32Key(1), out, 3)],
      ["no room, absent key", () => store.getInto(u32Key(2), out, 3)],
      ["negative offset", () => store.getInto(u32Key(1), out, -1)],
      ["fractional offset", () => store.getInto(u32Key(1), out, 0.5)],
      ["out not a Uint8Array", () => store.getInto(u32Key(1), [0, 0, 0] as never)],
    ];
    const before = out.slice();
    for (const [what, call] of bad) {
      assert.throws(call, { code: "EINVAL" }, what);
      assert.deepEqual(out, before, what);
    }
  });

  it("hands out pooled copies from get, nextKey and entries", { skip: !POOLED }, () => {
    const store = open({ keySize: 4, valueSize: 8 });
    store.set(u32Key(1), new Uint8Array(8).fill(1));
    store.set(u32Key(2), new Uint8Array(8).fill(2));
    assertPooledCopies(store, u32Key(1), [store.get(u32Key(2))!]);
  });

  it("entries/keys/values({ reuse: true }) yield the same arrays, overwritten in place", () => {
    const store = open({ keySize: 4, valueSize: 2 });
    for (let k = 0; k < 4; k++) store.set(u32Key(k), new Uint8Array([k, k]));
    const tuples = new Set<unknown>();
    const keyArrays = new Set<Uint8Array>();
    const seen: number[] = [];
    for (const entry of store.entries({ reuse: true })) {
      tuples.add(entry);
      keyArrays.add(entry[0]);
      seen.push(entry[0][0]! * 10 + entry[1][1]!);
    }
    assert.deepEqual(seen, [0, 11, 22, 33]);
    assert.equal(tuples.size, 1);
    assert.equal(keyArrays.size, 1);
    assert.equal(new Set(store.keys({ reuse: true })).size, 1);
    assert.equal(new Set(store.values({ reuse: true })).size, 1);
    assert.equal(new Set(store.values()).size, 4, "without reuse: copies");
  });

  it("iteration survives the consumer deleting any key mid-walk", () => {
    for (const reuse of [false, true]) {
      const store = open({ keySize: 4, valueSize: 1 });
      for (let k = 0; k < 8; k++) store.set(u32Key(k), new Uint8Array([k]));
      const seen: number[] = [];
      for (const [key] of store.entries({ reuse })) {
        const k = key[0]!;
        seen.push(k);
        // Delete the yielded key, one not yet yielded, and one already yielded.
        store.delete(u32Key(k));
        if (k === 2) store.delete(u32Key(5));
        if (k === 3) store.delete(u32Key(0));
      }
      assert.deepEqual(seen, [0, 1, 2, 3, 4, 6, 7], `reuse ${reuse}`);
      assert.equal(store.size, 0);
    }
  });

  it("refuses options that are not an object or name an unknown option (EINVAL)", () => {
    assert.throws(() => mapBackend.create(null as never), { code: "EINVAL" });
    assert.throws(() => new MapStore(3 as never), { code: "EINVAL" });
    assert.throws(
      () => open({ keySize: 4, maxEntrie: 4 }),
      (err: Error & { code?: string }) =>
        err.code === "EINVAL" && /unknown option 'maxEntrie'.*maxEntries/.test(err.message),
    );
    assert.equal(open({ maxEntries: 4 }).capabilities.maxEntries, 4);
  });

  describe("lookupBatch", () => {
    // The keys the walk returned (first bytes), or "EAGAIN" when the store said restart.
    const walk = (
      store: Store,
      count: number,
      remove: boolean,
      between: (keys: Uint8Array[]) => void,
    ): number[] | "EAGAIN" => {
      const r = walkBatches(store, { count, remove, between, maxCalls: 100 });
      return r.end === "EAGAIN" ? "EAGAIN" : r.keys.map((k) => k[0]!);
    };
    const fill = (n: number): Store => {
      const store = open({ keySize: 4, valueSize: 1 });
      for (let k = 0; k < n; k++) store.set(u32Key(k), new Uint8Array([k]));
      return store;
    };

    it("visits every key present throughout when a returned key is set again", () => {
      for (const remove of [true, false]) {
        const store = fill(10);
        const seen = walk(store, 3, remove, (keys) => {
          store.set(keys[keys.length - 1]!, new Uint8Array([1]));
        });
        assert.notEqual(seen, "EAGAIN");
        // Keys 0..9 were present throughout except those set again (present too, moved).
        for (let k = 0; k < 10; k++) assert.ok((seen as number[]).includes(k), `key ${k}`);
      }
    });

    it("answers EAGAIN when the cursor's entry is deleted, or deleted and set again", () => {
      const store = fill(6);
      const first = store.lookupBatch(undefined, 2);
      const next = first.cursor!;
      assert.equal(next.length, 8, "key + identity");
      assert.deepEqual(next.subarray(0, 4), u32Key(2), "the next entry to return");
      store.delete(u32Key(2));
      store.set(u32Key(2), new Uint8Array([2]));
      assert.throws(() => store.lookupBatch(next, 2), { code: "EAGAIN" });
      store.delete(u32Key(2));
      assert.throws(() => store.lookupBatch(next, 2), { code: "EAGAIN" });
    });

    it("continues past updates, deletes and inserts elsewhere, exactly once each", () => {
      const store = fill(20);
      let round = 0;
      const seen = walk(store, 4, false, () => {
        round++;
        store.set(u32Key(19), new Uint8Array([99])); // update: keeps its place
        store.delete(u32Key(round)); // already returned
        store.set(u32Key(100 + round), new Uint8Array([0])); // inserted during the walk
      });
      assert.ok(Array.isArray(seen));
      const present = (seen as number[]).filter((k) => k < 20);
      assert.deepEqual(present, [...Array(20).keys()], "each key present throughout once");
    });

    it("takes up a cursor of an older walk, and refuses bad cursors and counts", () => {
      const store = fill(6);
      const a = store.lookupBatch(undefined, 2);
      const b = store.lookupBatch(undefined, 4); // another walk replaces the cached one
      assert.deepEqual(store.lookupBatch(a.cursor, 10).keys.map((k) => k[0]), [2, 3, 4, 5]);
      assert.deepEqual(store.lookupBatch(b.cursor, 10).keys.map((k) => k[0]), [4, 5]);
      assert.throws(() => store.lookupBatch(u32Key(1), 2), { code: "EINVAL" });
      assert.throws(() => store.lookupBatch(undefined, 0), { code: "EINVAL" });
      // The cursor is its own array: scrubbing the keys returned does not move it.
      const c = store.lookupBatch(undefined, 3);
      c.keys.forEach((k) => k.fill(0));
      assert.deepEqual(store.lookupBatch(c.cursor, 10).keys.map((k) => k[0]), [3, 4, 5]);
    });
  });
});

describe("map limits", () => {
  it("caps maxEntries at 2^24, the most a V8 Map holds", () => {
    assert.equal(new MapStore({ maxEntries: 2 ** 24 }).capabilities.maxEntries, 2 ** 24);
    assert.throws(() => new MapStore({ maxEntries: 2 ** 24 + 1 }), { code: "EINVAL" });
  });
});
