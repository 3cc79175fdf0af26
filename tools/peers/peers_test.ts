// The peers through the Store contract: strict options, getInto, pooled copies, reused tuples.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { EXIST, F_LOCK, NOEXIST } from "@kvkit/store";
import { loadPeer, PEER_NAMES } from "./mod.ts";

const key = (n: number): Uint8Array => new Uint8Array([n, 0, 0, n]);

// Loaded before describing: test runners collect the tests of a describe synchronously.
const peers = await Promise.all(PEER_NAMES.map(async (n) => [n, (await loadPeer(n))!] as const));

for (const [name, backend] of peers) {
  describe(`peer ${name}`, () => {
    const open = () => {
      const store = backend.create({ keySize: 4, valueSize: 2, maxEntries: 8 });
      for (let i = 1; i <= 3; i++) store.set(key(i), new Uint8Array([i, 10 * i]));
      return store;
    };

    it("refuses an option name it does not know with EINVAL naming it", () => {
      assert.throws(() => backend.create({ maxEntrie: 4 } as never), {
        code: "EINVAL",
        message: new RegExp(
          `${name}: unknown option 'maxEntrie' \\(did you mean 'maxEntries'\\?\\)`,
        ),
      });
      assert.throws(() => backend.create(null as never), { code: "EINVAL" });
    });

    it("getInto copies into the caller's buffer at the offset, or leaves it untouched", () => {
      const store = open();
      const out = new Uint8Array([9, 9, 9, 9]);
      assert.equal(store.getInto(key(2), out, 1), true);
      assert.deepEqual([...out], [9, 2, 20, 9]);
      assert.equal(store.getInto(key(7), out), false);
      assert.deepEqual([...out], [9, 2, 20, 9]);
      // Checked in the kernel's order, present key or not: flags, key, room.
      assert.throws(() => store.getInto(key(1), out, 0, F_LOCK), { code: "EINVAL" });
      assert.throws(() => store.getInto(new Uint8Array(3), out), { code: "EINVAL" });
      assert.throws(() => store.getInto(key(7), out, 3), { code: "EINVAL" });
      assert.throws(() => store.getInto(key(1), out, -1), { code: "EINVAL" });
      assert.throws(() => store.getInto(key(1), out, 0.5), { code: "EINVAL" });
      assert.throws(() => store.getInto([1, 0, 0, 1] as never, out), { code: "EINVAL" });
      assert.deepEqual([...out], [9, 2, 20, 9]);
    });

    it("hands out copies: get, nextKey and entries() never alias the store", () => {
      const store = open();
      const v = store.get(key(1))!;
      v[0] = 99;
      assert.deepEqual([...store.get(key(1))!], [1, 10]);
      const first = store.nextKey()!;
      first[0] = 99;
      assert.notEqual(store.nextKey()![0], 99);
      const all = [...store.entries()];
      assert.equal(new Set(all.flat()).size, 6);
      for (const [k] of all) k.fill(0);
      assert.equal(store.has(key(1)), true);
    });

    it("entries({ reuse: true }) yields one tuple overwritten in place, with every entry", () => {
      const store = open();
      const seen: number[][] = [];
      let tuple: [Uint8Array, Uint8Array] | undefined;
      for (const entry of store.entries({ reuse: true })) {
        if (tuple !== undefined) assert.equal(entry, tuple);
        tuple = entry;
        seen.push([entry[0][0]!, ...entry[1]]);
      }
      assert.deepEqual(seen.sort((a, b) => a[0]! - b[0]!), [[1, 1, 10], [2, 2, 20], [3, 3, 30]]);
      const keys = [...store.keys({ reuse: true })];
      assert.equal(new Set(keys).size, 1);
      assert.deepEqual([...store.values()].map((x) => x[1]).sort(), [10, 20, 30]);
    });

    it("set checks presence with the contract's EEXIST / ENOENT, leaving the store as it was", () => {
      const store = open();
      assert.throws(() => store.set(key(1), new Uint8Array(2), NOEXIST), { code: "EEXIST" });
      assert.throws(() => store.set(key(5), new Uint8Array(2), EXIST), { code: "ENOENT" });
      assert.equal(store.size, 3);
      assert.deepEqual([...store.get(key(1))!], [1, 10]);
    });
  });
}
