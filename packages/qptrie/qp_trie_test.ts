import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { compareBytes, EXIST, NOEXIST, StoreError } from "@kvkit/store";
import { QpTrie } from "./mod.ts";

const te = new TextEncoder();
const td = new TextDecoder();
const bytes = (...b: number[]): Uint8Array => new Uint8Array(b);
const hex = (k: Uint8Array): string => [...k].map((b) => b.toString(16).padStart(2, "0")).join("");

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
      const arena = /nodes: (\d+) used \+ (\d+) free of (\d+)/.exec(trie.describe({ maxLines: 0 }));
      assert.ok(arena);
      const [used, free, total] = arena.slice(1).map(Number) as [number, number, number];
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
    assert.match(trie.describe(), /\(empty\)/);
    for (let i = 0; i < 200; i++) trie.set(te.encode(`k${i}`), bytes(i));
    const text = trie.describe({ maxLines: 10 });
    assert.match(text, /branch #0 nibble \d+ \(byte \d (hi|lo)\) bitmap [01]{17} slots \[/);
    assert.match(text, /\.\.\. \d+ more nodes$/);
    assert.ok(text.split("\n").length <= 3 + 10 + 1);
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
