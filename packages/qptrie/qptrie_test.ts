import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { hex } from "@kvkit/internal";
import {
  compareBytes,
  EXIST,
  F_LOCK,
  isStoreError,
  NOEXIST,
  type Store,
  StoreError,
} from "@kvkit/store";
import { QpTrie, qptrieBackend } from "./mod.ts";

const te = new TextEncoder();
const td = new TextDecoder();
const bytes = (...b: number[]): Uint8Array => new Uint8Array(b);

// Bytes that share nibbles (0x00/0x01/0x10 share one nibble each way) so keys collide at
// every nibble position, are nested (a key and its extensions) and hit both nibble halves.
const byteArb = fc.constantFrom(0x00, 0x01, 0x10, 0x11, 0x1f, 0xf0, 0xff);
const keyArb = fc.uint8Array({ minLength: 1, maxLength: 5 }).chain((k) =>
  fc.array(byteArb, { minLength: k.length, maxLength: k.length }).map((a) => new Uint8Array(a))
);
const probeArb = fc.array(byteArb, { minLength: 0, maxLength: 6 }).map((a) => new Uint8Array(a));

type Op =
  | { op: "set"; key: Uint8Array; v: number; flags: number }
  | { op: "delete"; key: Uint8Array };
const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant("set" as const),
      key: keyArb,
      v: fc.nat(255),
      flags: fc.constantFrom(0, NOEXIST, EXIST),
    }),
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("delete" as const), key: keyArb }) },
);

/** The reference: a Map plus sorting by compareBytes. */
class Model {
  readonly map = new Map<string, [Uint8Array, number]>();
  sorted(): Uint8Array[] {
    return [...this.map.values()].map(([k]) => k).sort(compareBytes);
  }
}

const startsWith = (k: Uint8Array, p: Uint8Array): boolean =>
  k.length >= p.length && p.every((b, i) => k[i] === b);

describe("QpTrie against a sorted-array model", () => {
  it("set/delete outcomes, order, successor, prefix, lower bound and longest prefix", () => {
    fc.assert(
      fc.property(
        fc.array(opArb, { maxLength: 60 }),
        fc.array(probeArb, { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 1, max: 40 }),
        (ops, probes, maxEntries) => {
          const trie = new QpTrie({ maxKeyLength: 6, valueSize: 1, maxEntries });
          const model = new Model();
          for (const o of ops) {
            const id = hex(o.key);
            const present = model.map.has(id);
            if (o.op === "delete") {
              assert.equal(trie.delete(o.key), present);
              model.map.delete(id);
            } else {
              const expected = o.flags === NOEXIST && present
                ? "EEXIST"
                : o.flags === EXIST && !present
                ? "ENOENT"
                : !present && model.map.size >= maxEntries
                ? "ENOSPC"
                : undefined;
              if (expected === undefined) {
                trie.set(o.key, bytes(o.v), o.flags);
                model.map.set(id, [o.key, o.v]);
              } else {
                assert.throws(() => trie.set(o.key, bytes(o.v), o.flags), { code: expected });
              }
            }
            trie.checkValid();
            assert.equal(trie.size, model.map.size);
          }
          const sorted = model.sorted();
          assert.deepEqual([...trie.keys()], sorted);
          assert.deepEqual(
            [...trie.values()],
            sorted.map((k) => bytes(model.map.get(hex(k))![1])),
          );
          for (const k of sorted) assert.deepEqual(trie.get(k), bytes(model.map.get(hex(k))![1]));
          for (const p of probes) {
            const after = sorted.find((k) => compareBytes(k, p) > 0);
            if (p.length >= 1) assert.deepEqual(trie.nextKey(p), after, `nextKey(${hex(p)})`);
            assert.deepEqual(
              [...trie.keysFrom(p)],
              sorted.filter((k) => compareBytes(k, p) >= 0),
              `keysFrom(${hex(p)})`,
            );
            assert.deepEqual(
              [...trie.keysWithPrefix(p)],
              sorted.filter((k) => startsWith(k, p)),
              `keysWithPrefix(${hex(p)})`,
            );
            const scanned: Uint8Array[] = [];
            const visited = trie.scan((k, len, v) => {
              scanned.push(k.slice(0, len));
              assert.equal(v[0], model.map.get(hex(k.slice(0, len)))![1]);
            }, { prefix: p, from: probes[0]! });
            const inRange = sorted.filter((k) =>
              startsWith(k, p) && compareBytes(k, probes[0]!) >= 0
            );
            assert.deepEqual(scanned, inRange, `scan(prefix ${hex(p)}, from ${hex(probes[0]!)})`);
            assert.equal(visited, inRange.length);
            const prefixes = sorted.filter((k) => startsWith(p, k));
            const longest = prefixes[prefixes.length - 1];
            assert.deepEqual(trie.longestPrefixOf(p), longest, `longestPrefixOf(${hex(p)})`);
            const out = bytes(0);
            const n = trie.longestPrefixInto(p, out);
            assert.equal(n, longest === undefined ? -1 : longest.length);
            if (longest !== undefined) assert.equal(out[0], model.map.get(hex(longest))![1]);
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it("keeps order and invariants for long random keys (1..255 B) through churn", () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ minLength: 1, maxLength: 255 }), { minLength: 1, maxLength: 80 }),
        fc.array(fc.nat(), { maxLength: 40 }),
        (keys, deletes) => {
          const trie = new QpTrie({ valueSize: 2 });
          const model = new Map<string, Uint8Array>();
          for (const k of keys) {
            trie.set(k, bytes(k.length & 255, k[0]!));
            model.set(hex(k), k);
          }
          trie.checkValid();
          for (const d of deletes) {
            const k = keys[d % keys.length]!;
            assert.equal(trie.delete(k), model.delete(hex(k)));
            trie.checkValid();
          }
          assert.deepEqual([...trie.keys()], [...model.values()].sort(compareBytes));
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe("QpTrie", () => {
  it("orders a key before its extensions and by big-endian bytes", () => {
    const trie = new QpTrie({ valueSize: 0 });
    for (const k of [[2], [1, 255], [1], [1, 0], [0x10], [0x0f, 0xff], [1, 0, 0]]) {
      trie.set(new Uint8Array(k), bytes());
    }
    assert.deepEqual(
      [...trie.keys()].map((k) => [...k]),
      [[1], [1, 0], [1, 0, 0], [1, 255], [2], [0x0f, 0xff], [0x10]],
    );
    trie.checkValid();
  });

  it("rejects keys of length 0 or above maxKeyLength with EINVAL on every key method", () => {
    const trie = new QpTrie({ maxKeyLength: 3, valueSize: 1 });
    trie.set(bytes(1), bytes(1));
    for (const bad of [bytes(), bytes(1, 2, 3, 4)]) {
      assert.throws(() => trie.get(bad), { code: "EINVAL" });
      assert.throws(() => trie.has(bad), { code: "EINVAL" });
      assert.throws(() => trie.set(bad, bytes(1)), { code: "EINVAL" });
      assert.throws(() => trie.delete(bad), { code: "EINVAL" });
      assert.throws(() => trie.nextKey(bad), { code: "EINVAL" });
    }
    assert.throws(() => trie.keysWithPrefix(bytes(1, 2, 3, 4)), { code: "EINVAL" });
    assert.throws(() => trie.entriesFrom(bytes(1, 2, 3, 4)), { code: "EINVAL" });
    assert.throws(() => trie.getInto(bytes(1), bytes()), { code: "EINVAL" });
    assert.equal(trie.size, 1);
  });

  it("validates options", () => {
    for (
      const options of [{ maxKeyLength: 0 }, { maxKeyLength: 4097 }, { valueSize: -1 }, {
        maxEntries: 0,
      }, { maxEntries: 1.5 }]
    ) {
      assert.throws(
        () => new QpTrie(options),
        (e) => e instanceof StoreError && e.code === "EINVAL",
      );
    }
    const trie = new QpTrie({ maxKeyLength: 4096 });
    const long = new Uint8Array(4096).fill(7);
    trie.set(long, new Uint8Array(8));
    trie.set(long.subarray(0, 4095), new Uint8Array(8));
    trie.checkValid();
    assert.ok(trie.has(long));
  });

  it("a rejected set leaves the trie exactly as it was", () => {
    const trie = new QpTrie({ valueSize: 1, maxEntries: 2 });
    trie.set(bytes(1), bytes(1));
    trie.set(bytes(2), bytes(2));
    const before = trie.describe();
    assert.throws(() => trie.set(bytes(3), bytes(3)), { code: "ENOSPC" });
    assert.throws(() => trie.set(bytes(1), bytes(9), NOEXIST), { code: "EEXIST" });
    assert.throws(() => trie.set(bytes(1), bytes(9, 9)), { code: "EINVAL" });
    assert.equal(trie.describe(), before);
    trie.checkValid();
  });

  it("continues an iteration from the successor when the trie changes under it", () => {
    const trie = new QpTrie({ valueSize: 1 });
    for (let i = 0; i < 300; i++) trie.set(bytes(i >> 4, i & 15), bytes(i & 255));
    const seen: number[] = [];
    for (const [k] of trie.entries()) {
      seen.push(k[0]! << 4 | k[1]!);
      trie.delete(k);
      if (k[1] === 3) trie.delete(bytes(k[0]!, 4)); // also a key not yet reached
    }
    assert.equal(trie.size, 0);
    assert.deepEqual(seen, [...Array(300).keys()].filter((i) => (i & 15) !== 4));
  });

  it("scan stops when the visitor returns false and survives deletes of the visited key", () => {
    const trie = new QpTrie({ valueSize: 1 });
    for (let i = 0; i < 100; i++) trie.set(bytes(i), bytes(i));
    const seen: number[] = [];
    assert.equal(
      trie.scan((k) => {
        seen.push(k[0]!);
        return k[0]! < 9;
      }),
      10,
    );
    assert.deepEqual(seen, [...Array(10).keys()]);
    let count = 0;
    trie.scan((k, len) => {
      count++;
      trie.delete(k.slice(0, len));
    });
    assert.equal(count, 100);
    assert.equal(trie.size, 0);
    assert.throws(() => trie.scan(() => {}, { prefix: new Uint8Array(256) }), { code: "EINVAL" });
  });

  it("scan copies only what is asked for, and whole-word values intact", () => {
    const trie = new QpTrie({ valueSize: 8 });
    for (let i = 0; i < 50; i++) trie.set(te.encode(`key-${i}`), new Uint8Array(8).fill(i));
    let sum = 0;
    const lengths: number[] = [];
    trie.scan((key, length, value) => {
      assert.equal(key[0], 0); // keys: false leaves the key buffer untouched
      lengths.push(length);
      sum += value[7]!;
    }, { keys: false });
    assert.deepEqual(lengths, [...trie.keys()].map((k) => k.length));
    assert.equal(sum, (49 * 50) / 2);
    const firsts: string[] = [];
    trie.scan((key, length, value) => {
      assert.equal(value[0], 0); // values: false leaves the value buffer untouched
      firsts.push(td.decode(key.subarray(0, length)));
    }, { values: false, from: te.encode("key-47") });
    assert.deepEqual(firsts, [
      "key-47",
      "key-48",
      "key-49",
      "key-5",
      "key-6",
      "key-7",
      "key-8",
      "key-9",
    ]);
  });

  it("lookups compare every byte of short and long keys, whatever the length mod 4", () => {
    // Keys of 1..40 bytes (both sides of the scratch-compare threshold), values of a word and
    // a half: probes differing from a stored key in exactly one byte, at any position (the
    // walk tests only a few nibbles; the rest is the leaf compare), miss.
    const trie = new QpTrie({ maxKeyLength: 40, valueSize: 6 });
    const stored: Uint8Array[] = [];
    for (let len = 1; len <= 40; len++) {
      const k = Uint8Array.from({ length: len }, (_, i) => (len * 31 + i * 7) & 255);
      stored.push(k);
      trie.set(k, new Uint8Array([len, 1, 2, 3, 4, len]));
    }
    const out = new Uint8Array(6);
    for (const k of stored) {
      assert.ok(trie.getInto(k.slice(), out));
      assert.deepEqual(out, new Uint8Array([k.length, 1, 2, 3, 4, k.length]));
      assert.ok(trie.has(k));
      for (let i = 0; i < k.length; i++) {
        for (const flip of [1, 0x80]) {
          const probe = k.slice();
          probe[i]! ^= flip;
          assert.equal(trie.get(probe), undefined, `${hex(probe)} (byte ${i} of ${k.length})`);
        }
      }
      // An unaligned view of the same bytes finds the key too.
      const shifted = new Uint8Array(k.length + 1);
      shifted.set(k, 1);
      assert.ok(trie.has(shifted.subarray(1)));
    }
    trie.checkValid();
  });

  it("gives memory back after mass deletes and keeps working", () => {
    const trie = new QpTrie({ valueSize: 8 });
    const keys = Array.from(
      { length: 3000 },
      (_, i) => te.encode(`/srv/data/${i * 7919 % 3001}/file`),
    );
    for (const k of keys) trie.set(k, new Uint8Array(8));
    const full = trie.memoryUsage();
    for (const k of keys.slice(100)) assert.ok(trie.delete(k));
    trie.checkValid();
    assert.ok(trie.memoryUsage() < full / 4, `${trie.memoryUsage()} vs ${full}`);
    assert.deepEqual([...trie.keys()], keys.slice(0, 100).sort(compareBytes));
    for (const k of keys.slice(100, 200)) trie.set(k, new Uint8Array(8));
    trie.checkValid();
    assert.equal(trie.size, 200);
  });

  it("keeps the node arena mostly live in a trie that only ever grows", () => {
    // Growing a branch frees its old twig block; random keys grow branches of every size, and
    // without reclaiming, those blocks would outnumber the live nodes.
    const trie = new QpTrie({ maxKeyLength: 4, valueSize: 4 });
    const key = new Uint8Array(4);
    const view = new DataView(key.buffer);
    const value = new Uint8Array(4);
    for (let i = 1; i <= 20_000; i++) {
      view.setUint32(0, Math.imul(i, 0x9e3779b1) >>> 0);
      trie.set(key, value);
      if (i % 2000 !== 0) continue;
      const { nodesUsed: used, nodesFree: free, nodesTotal: total } = trie.arenaUsage();
      assert.ok(free <= used, `${i} keys: ${free} free nodes for ${used} used`);
      assert.ok(total <= 1.7 * used, `${i} keys: arena of ${total} nodes for ${used} used`);
      // The heap holds 8 B per record here; the rest is the node arena.
      assert.ok(trie.memoryUsage() < 8 * 1.7 * used + 8 * i * 1.2 + 2048, `${i} keys`);
    }
    assert.equal(trie.size, 20_000);
    trie.checkValid();
  });

  it("iterates in order while inserts rebuild the node arena under the walk", () => {
    const trie = new QpTrie({ maxKeyLength: 4, valueSize: 0 });
    const keyOf = (i: number): Uint8Array => {
      const k = new Uint8Array(4);
      new DataView(k.buffer).setUint32(0, Math.imul(i, 0x9e3779b1) >>> 0);
      return k;
    };
    const none = new Uint8Array(0);
    for (let i = 0; i < 4000; i++) trie.set(keyOf(2 * i), none);
    const before = [...trie.keys()].map(hex);
    const seen: string[] = [];
    let next = 1;
    for (const k of trie.keys()) {
      seen.push(hex(k));
      for (let j = 0; j < 4; j++, next += 2) trie.set(keyOf(next), none);
    }
    assert.deepEqual(seen, [...seen].sort(), "ascending");
    assert.equal(new Set(seen).size, seen.length, "each key once");
    const seenSet = new Set(seen);
    assert.ok(before.every((k) => seenSet.has(k)), "every key present before the walk");
    trie.checkValid();
  });

  it("memoryUsage is the arenas: about key + value + 16 B per entry for long keys", () => {
    const trie = new QpTrie({ valueSize: 8 });
    let keyBytes = 0;
    for (let i = 0; i < 2000; i++) {
      const k = te.encode(`user:${i.toString(36).padStart(4, "0")}:profile:settings`);
      keyBytes += k.length;
      trie.set(k, new Uint8Array(8));
    }
    const data = keyBytes + 2000 * 8;
    assert.ok(trie.memoryUsage() > data);
    assert.ok(trie.memoryUsage() < 2 * data + 2000 * 16, `${trie.memoryUsage()} for ${data} B`);
  });

  it("describe draws branches with nibble index and bitmap, and truncates", () => {
    const trie = new QpTrie({ valueSize: 1 });
    assert.equal(trie.describe().split("\n").at(-1), "(empty)");
    for (let i = 0; i < 200; i++) trie.set(te.encode(`k${i}`), bytes(i));
    const lines = trie.describe({ maxLines: 10 }).split("\n");
    // Three lines of arena usage, ten of tree, then the count of the nodes left out.
    assert.equal(lines.length, 3 + 10 + 1);
    // Every key is "k" + digits: the root tests the low nibble of byte 1, slots 0..9.
    assert.ok(
      lines[3]!.startsWith(
        "branch #0 nibble 3 (byte 1 lo) bitmap 00000011111111110 slots [0 1 2 3 4 5 6 7 8 9]",
      ),
      lines[3],
    );
    assert.ok(lines[4]!.startsWith("  [0] leaf #"), lines[4]);
    assert.ok(lines[4]!.endsWith(' "k0" (2 B @4) = 00'), lines[4]);
    assert.equal(lines.at(-1), `... ${trie.arenaUsage().nodesUsed - 10} more nodes`);
  });

  it("arenaUsage counts the tree's nodes and the records' bytes", () => {
    const trie = new QpTrie({ maxKeyLength: 2, valueSize: 1 });
    const empty = trie.arenaUsage();
    assert.deepEqual(empty, {
      nodesUsed: 1,
      nodesFree: 0,
      nodesTotal: 64,
      heapLive: 0,
      heapGarbage: 0,
      heapLength: 1024,
      heapMax: 2 ** 31 - 64,
    });
    const n = 300;
    for (let i = 0; i < n; i++) trie.set(bytes(i >> 8, i & 255), bytes(i));
    let use = trie.arenaUsage();
    // n leaves under at most n - 1 branches; each record is 4 B of value span + 4 B of key.
    assert.ok(use.nodesUsed >= n && use.nodesUsed <= 2 * n - 1, `${use.nodesUsed} nodes`);
    assert.ok(use.nodesUsed + use.nodesFree <= use.nodesTotal);
    assert.equal(use.heapLive, n * 8);
    assert.equal(use.heapLive + use.heapGarbage, n * 8); // insert-only: no garbage yet
    for (let i = 0; i < 10; i++) trie.delete(bytes(0, i));
    use = trie.arenaUsage();
    assert.equal(use.heapLive, (n - 10) * 8);
    assert.equal(use.heapGarbage, 10 * 8);
    for (let i = 10; i < n; i++) trie.delete(bytes(i >> 8, i & 255));
    assert.deepEqual(trie.arenaUsage(), empty);
    trie.checkValid();
  });

  it("string keys: prefix listing and longest prefix over paths", () => {
    const trie = new QpTrie({ valueSize: 0 });
    for (
      const p of ["/", "/etc", "/etc/hosts", "/etc/ssh/sshd_config", "/usr/bin", "/usr/bin/env"]
    ) {
      trie.set(te.encode(p), bytes());
    }
    assert.deepEqual(
      [...trie.keysWithPrefix(te.encode("/etc/"))].map((k) => td.decode(k)),
      ["/etc/hosts", "/etc/ssh/sshd_config"],
    );
    assert.equal(td.decode(trie.longestPrefixOf(te.encode("/usr/bin/env2"))!), "/usr/bin/env");
    assert.equal(td.decode(trie.longestPrefixOf(te.encode("/usr/lib"))!), "/");
  });
});

describe("QpTrie through the Store contract", () => {
  const open = (): Store => qptrieBackend.create({ maxKeyLength: 8, valueSize: 4 });

  it("getInto: present, absent, offset, no room, flags, bad key; out untouched on error", () => {
    const store = open();
    store.set(bytes(1, 2), bytes(1, 2, 3, 4));
    const out = new Uint8Array(7).fill(0xee);
    assert.equal(store.getInto(bytes(1, 2), out, 3), true);
    assert.deepEqual(out, bytes(0xee, 0xee, 0xee, 1, 2, 3, 4));
    assert.equal(store.getInto(bytes(1, 2), out), true);
    assert.deepEqual(out, bytes(1, 2, 3, 4, 2, 3, 4));
    const before = out.slice();
    // Absent: false and out untouched; a prefix of a present key is absent.
    assert.equal(store.getInto(bytes(1), out), false);
    assert.equal(store.getInto(bytes(1, 2, 3), out, 3), false);
    assert.deepEqual(out, before);
    // One value length: room is checked whether or not the key is present.
    for (
      const [key, offset] of [[bytes(1, 2), 4], [bytes(9), 4], [bytes(9), -1], [bytes(9), 1.5]]
    ) {
      assert.throws(() => store.getInto(key as Uint8Array, out, offset as number), {
        code: "EINVAL",
      });
    }
    assert.throws(() => store.getInto(bytes(1, 2), new Uint8Array(3)), { code: "EINVAL" });
    assert.throws(() => store.getInto(bytes(1, 2), [0, 0, 0, 0] as never), { code: "EINVAL" });
    // No locked reads: F_LOCK is EINVAL, checked before the key (the kernel's order).
    assert.throws(() => store.getInto(bytes(1, 2), out, 0, F_LOCK), { code: "EINVAL" });
    assert.throws(() => store.getInto(bytes(), out, 0, F_LOCK), /flags/);
    assert.throws(() => store.getInto(bytes(), out), /key length 0/);
    assert.throws(() => store.getInto(new Uint8Array(9), out), { code: "EINVAL" });
    assert.throws(() => store.getInto("k" as never, out), { code: "EINVAL" });
    assert.deepEqual(out, before);
    // Native, not the StoreBase default built on get.
    assert.ok(Object.hasOwn(QpTrie.prototype, "getInto"));
  });

  it("hands out independent copies from every read path", () => {
    const store = open();
    for (let i = 0; i < 20; i++) store.set(bytes(i, i), bytes(i, 0, 0, i));
    const got = [store.get(bytes(3, 3))!, store.get(bytes(4, 4))!];
    got[0]!.fill(0xff);
    assert.deepEqual(got[1], bytes(4, 0, 0, 4));
    assert.deepEqual(store.get(bytes(3, 3)), bytes(3, 0, 0, 3));
    const keys = [...store.keys()];
    const entries = [...store.entries()];
    for (const k of keys) k.fill(0xff);
    for (const [k, v] of entries) k.fill(0xfe), v.fill(0xfe);
    assert.deepEqual([...store.keys()].map((k) => k[0]), [...Array(20).keys()]);
    const next = store.nextKey(bytes(5, 5))!;
    const lpm = store.longestPrefixOf!(bytes(6, 6, 6))!;
    next.fill(0);
    lpm.fill(0);
    assert.deepEqual(store.nextKey(bytes(5, 5)), bytes(6, 6));
    assert.deepEqual(store.longestPrefixOf!(bytes(6, 6, 6)), bytes(6, 6));
    const batch = store.lookupBatch(undefined, 3);
    assert.notEqual(batch.cursor, batch.keys[2]);
  });

  it("longestPrefixOf is the contract's optional method: a copy, or undefined", () => {
    const store = open();
    assert.equal(typeof store.longestPrefixOf, "function");
    store.set(bytes(10), bytes(0, 0, 0, 1));
    store.set(bytes(10, 1, 2), bytes(0, 0, 0, 2));
    assert.deepEqual(store.longestPrefixOf!(bytes(10, 1, 2, 3, 4, 5, 6, 7, 8, 9)), bytes(10, 1, 2));
    assert.deepEqual(store.longestPrefixOf!(bytes(10, 1)), bytes(10));
    assert.equal(store.longestPrefixOf!(bytes(11)), undefined);
    assert.equal(store.longestPrefixOf!(bytes()), undefined);
    assert.throws(() => store.longestPrefixOf!("10" as never), { code: "EINVAL" });
  });

  it("iterates with reused arrays: one tuple, one value, one key array per key length", () => {
    const store = open();
    const keys = [bytes(1), bytes(1, 0), bytes(1, 0, 0), bytes(2), bytes(2, 0), bytes(3)];
    for (const [i, k] of keys.entries()) store.set(k, bytes(i, i, i, i));
    const tuples = new Set<unknown>();
    const values = new Set<Uint8Array>();
    const byLength = new Map<number, Set<Uint8Array>>();
    const seen: [Uint8Array, Uint8Array][] = [];
    for (const pair of store.entries({ reuse: true })) {
      tuples.add(pair);
      values.add(pair[1]);
      if (!byLength.has(pair[0].length)) byLength.set(pair[0].length, new Set());
      byLength.get(pair[0].length)!.add(pair[0]);
      seen.push([pair[0].slice(), pair[1].slice()]);
      pair[0].fill(0xff); // scribbling on the reused arrays does not move the walk
      pair[1].fill(0xff);
    }
    assert.deepEqual(seen, [...store.entries()]);
    assert.equal(tuples.size, 1);
    assert.equal(values.size, 1);
    assert.deepEqual([...byLength.values()].map((s) => s.size), [1, 1, 1]);
    assert.deepEqual(
      [...store.keys({ reuse: true })].map((k) => k.length),
      keys.map((k) => k.length),
    );
    const reusedValues = [...store.values({ reuse: true })];
    assert.equal(new Set(reusedValues).size, 1);
    assert.deepEqual(reusedValues[0], bytes(5, 5, 5, 5)); // the last value
    assert.deepEqual(store.get(bytes(1)), bytes(0, 0, 0, 0)); // the store is untouched
  });

  it("iteration survives the consumer deleting any key, with or without reuse", () => {
    for (const reuse of [false, true]) {
      const trie = new QpTrie({ maxKeyLength: 3, valueSize: 1 });
      const all: number[] = [];
      for (let i = 0; i < 600; i++) {
        trie.set(bytes(i >> 8, i & 255), bytes(i & 255));
        all.push(i);
      }
      const seen: number[] = [];
      const removed = new Set<number>();
      const drop = (i: number): void => {
        if (trie.delete(bytes(i >> 8, i & 255))) removed.add(i);
      };
      let step = 0;
      for (const [k] of trie.entries({ reuse })) {
        const i = k[0]! << 8 | k[1]!;
        assert.ok(!removed.has(i), `${i} yielded after its delete`);
        seen.push(i);
        step++;
        drop(i + 1); // the next key
        if (step % 7 === 0) drop(i); // the key itself
        if (step % 11 === 0) drop(i - 40); // one already yielded
        if (step % 13 === 0) drop(599 - step); // one far ahead
        if (step === 100) trie.set(bytes(0, 0, 1), bytes(1)); // a key behind the walk
      }
      // Ascending without repeats, and every key present throughout was yielded.
      for (let j = 1; j < seen.length; j++) assert.ok(seen[j - 1]! < seen[j]!, `reuse ${reuse}`);
      for (const i of all) if (!removed.has(i)) assert.ok(seen.includes(i), `${i} missed`);
      trie.checkValid();
    }
  });

  it("checks options as a whole: unknown names, non-objects and wrong types are EINVAL", () => {
    assert.throws(
      () => qptrieBackend.create({ maxKeyLenght: 8 } as never),
      (e) =>
        isStoreError(e, "EINVAL") && /unknown option 'maxKeyLenght'/.test(e.message) &&
        /did you mean 'maxKeyLength'/.test(e.message) &&
        /known: maxKeyLength, valueSize, maxEntries/.test(e.message),
    );
    for (const bad of [null, 8, "x", [8], () => {}]) {
      assert.throws(() => qptrieBackend.create(bad as never), { code: "EINVAL" }, String(bad));
      assert.throws(() => new QpTrie(bad as never), { code: "EINVAL" }, String(bad));
    }
    for (
      const options of [
        { valueSize: Symbol("8") },
        { valueSize: 8n },
        { maxKeyLength: "8" },
        { maxEntries: null },
        { [Symbol("maxEntries")]: 4 },
      ]
    ) {
      assert.throws(() => qptrieBackend.create(options as never), { code: "EINVAL" });
    }
    assert.equal(qptrieBackend.create().capabilities.keySize.max, 255);
    assert.equal(qptrieBackend.create({}).capabilities.valueSize.max, 8);
  });
});

// An output buffer of over 4 GiB, where the runtime makes one (Deno does, lazily, so it costs
// no memory until written; Node's and Bun's typed arrays stop at 4 GiB).
const HUGE: Uint8Array | undefined = (() => {
  try {
    return new Uint8Array(2 ** 32 + 16);
  } catch {
    return undefined;
  }
})();

describe("QpTrie limits (issue #12)", () => {
  // The heap's live bytes, length and limit.
  const heapOf = (trie: QpTrie): { live: number; length: number; max: number } => {
    const { heapLive, heapLength, heapMax } = trie.arenaUsage();
    return { live: heapLive, length: heapLength, max: heapMax };
  };
  const keyOf = (i: number): Uint8Array => new Uint8Array([i >>> 24, i >>> 16, i >>> 8, i]);
  const valueOf = (i: number, size: number): Uint8Array => {
    const v = new Uint8Array(size);
    v[0] = i;
    v[size - 1] = i >>> 8;
    return v;
  };

  it("answers ENOMEM at the heap limit with every entry intact (was: all lost past 2 GiB)", () => {
    // The reproduction, scaled down: 4-byte keys and values of 1020 B make 1 KiB
    // records, and a 64 KiB heap holds 64 of them. Before, the heap grew without bound and
    // record offsets wrapped past 2^31 in their int32 words, so every entry was lost.
    const trie = new QpTrie({
      maxKeyLength: 4,
      valueSize: 1020,
      maxEntries: 1000,
      maxHeapBytes: 64 * 1024,
    });
    for (let i = 0; i < 64; i++) trie.set(keyOf(i), valueOf(i, 1020));
    const before = trie.describe();
    assert.throws(
      () => trie.set(keyOf(64), valueOf(64, 1020)),
      (e) => isStoreError(e, "ENOMEM") && /maxHeapBytes 65536/.test(e.message),
    );
    assert.throws(() => trie.set(keyOf(65), valueOf(65, 1020), NOEXIST), { code: "ENOMEM" });
    assert.equal(trie.describe(), before);
    assert.equal(trie.size, 64);
    trie.checkValid();
    assert.deepEqual(heapOf(trie), { live: 64 * 1024, length: 64 * 1024, max: 64 * 1024 });
    const out = new Uint8Array(1020);
    for (let i = 0; i < 64; i++) {
      assert.ok(trie.getInto(keyOf(i), out), `key ${i}`);
      assert.deepEqual(out, valueOf(i, 1020));
    }
    // A present key still updates in place at the limit.
    trie.set(keyOf(3), valueOf(300, 1020));
    assert.deepEqual(trie.get(keyOf(3)), valueOf(300, 1020));
    // Deleting makes room again: the next insert compacts the garbage away.
    assert.ok(trie.delete(keyOf(10)));
    trie.set(keyOf(64), valueOf(64, 1020));
    trie.checkValid();
    assert.equal(trie.size, 64);
    for (let i = 0; i <= 64; i++) {
      if (i === 10) continue;
      assert.ok(trie.getInto(keyOf(i), out), `key ${i}`);
      assert.deepEqual(out, valueOf(i === 3 ? 300 : i, 1020));
    }
  });

  it("an insert fails exactly when the live records and the new one pass the limit", () => {
    // Keys of 1..12 B and 20-byte values: records of 24 + 4..12 B. Against a model of the live
    // bytes: never ENOMEM while the records fit (deletes never make a later insert fail that
    // fits), always ENOMEM when they do not, and then nothing changes.
    const recordSize = (len: number): number => 20 + ((len + 3) & ~3);
    const opArb = fc.record({
      del: fc.nat(3).map((n) => n === 0),
      // 64 keys (first byte i, 1..12 B), so deletes often hit and the heap fills and drains.
      key: fc.nat(63).map((i) => Uint8Array.from({ length: 1 + i % 12 }, (_, j) => i + j)),
    });
    fc.assert(
      fc.property(
        fc.integer({ min: 1024, max: 2048 }),
        fc.array(opArb, { maxLength: 400 }),
        (maxHeapBytes, ops) => {
          const trie = new QpTrie({ maxKeyLength: 12, valueSize: 20, maxHeapBytes });
          const max = maxHeapBytes - maxHeapBytes % 64;
          const model = new Map<string, number>();
          let live = 0;
          for (const [step, { del, key }] of ops.entries()) {
            const k = hex(key);
            if (del) {
              const present = model.delete(k);
              assert.equal(trie.delete(key), present);
              if (present) live -= recordSize(key.length);
              continue;
            }
            const value = new Uint8Array(20).fill(step & 255);
            const fits = model.has(k) || live + recordSize(key.length) <= max;
            if (fits) {
              trie.set(key, value);
              if (!model.has(k)) live += recordSize(key.length);
              model.set(k, step & 255);
            } else {
              assert.throws(() => trie.set(key, value), { code: "ENOMEM" });
            }
            assert.ok(heapOf(trie).length <= max);
          }
          assert.equal(heapOf(trie).live, live);
          trie.checkValid();
          assert.equal(trie.size, model.size);
          for (const [k, v] of trie.entries()) assert.equal(model.get(hex(k)), v[0]);
        },
      ),
      { numRuns: 60 },
    );
  });

  it("getInto copies to offsets past 2^32 - 1 in an output over 4 GiB", { skip: !HUGE }, () => {
    const out = HUGE!;
    const trie = new QpTrie({ valueSize: 4 });
    trie.set(bytes(1), bytes(9, 8, 7, 6));
    assert.ok(trie.getInto(bytes(1), out, 2 ** 32 + 5));
    assert.deepEqual(out.subarray(2 ** 32 + 5, 2 ** 32 + 9), bytes(9, 8, 7, 6));
    assert.throws(() => trie.getInto(bytes(1), out, 2 ** 32 + 13), { code: "EINVAL" });
  });

  it("maxHeapBytes: 1024..2^31 - 64, rounded down to 64, default the most", () => {
    assert.equal(heapOf(new QpTrie()).max, 2 ** 31 - 64);
    assert.equal(heapOf(new QpTrie({ maxHeapBytes: 1100 })).max, 1088);
    assert.equal(
      heapOf(qptrieBackend.create({ maxHeapBytes: 2 ** 31 - 64 }) as QpTrie).max,
      2 ** 31 - 64,
    );
    for (const bad of [1023, 2 ** 31 - 63, 2 ** 32, 1.5e3 + 0.5, -1, "4096", null]) {
      assert.throws(
        () => new QpTrie({ maxHeapBytes: bad as never }),
        { code: "EINVAL" },
        String(bad),
      );
    }
  });
});
