// The kernel as the oracle of LpmTable: random sequences of route updates, deletes and
// longest-prefix lookups (valid and invalid prefix lengths, small tables so they fill) applied
// to a kernel BPF_MAP_TYPE_LPM_TRIE (IPv4: key_size 8; IPv6: key_size 20) and to an LpmTable
// side by side; every result, errno and the routes held must agree. A mismatch fails with
// fast-check's shrunk counterexample and a readable repro.
//
// Where LpmTable is known to differ (issue #14 item 6), KNOWN_DIVERGENCES says so in one place,
// and each entry is checked against both sides in every run (an entry that stops diverging
// fails, so the list only shrinks).

import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { LpmTable } from "@kvkit/qptrie";
import { isStoreError } from "@kvkit/store";
import { BpfMap } from "./mod.ts";
import { runs, SKIP } from "./testdata/support.ts";

// fast-check runs of the random sequences per family (KVKIT_DIFF_RUNS=5000 for a deep run).
const RUNS = runs(150);

/** An address family: its address bytes, the prefix lengths drawn, and an address pool. */
interface Family {
  name: string;
  bytes: number;
  lengths: readonly number[];
  addresses: readonly Uint8Array[];
}

const V4_ADDRESSES = [
  [10, 0, 0, 0],
  [10, 1, 0, 0],
  [10, 1, 2, 0],
  [10, 1, 2, 3],
  [10, 1, 2, 200],
  [10, 128, 0, 0],
  [11, 0, 0, 1],
  [192, 168, 1, 0],
  [192, 168, 1, 77],
  [0, 0, 0, 0],
  [255, 255, 255, 255],
].map((a) => Uint8Array.from(a));

const FAMILIES: readonly Family[] = [
  {
    name: "IPv4",
    bytes: 4,
    lengths: [0, 1, 7, 8, 9, 16, 23, 24, 25, 31, 32, 33],
    addresses: V4_ADDRESSES,
  },
  {
    name: "IPv6",
    bytes: 16,
    lengths: [0, 16, 32, 33, 40, 48, 63, 64, 127, 128, 129],
    // 2001:db8:<the IPv4 address>::, and ::ffff... for the all-ones one.
    addresses: V4_ADDRESSES.map((a) =>
      Uint8Array.from([0x20, 0x01, 0x0d, 0xb8, ...a, ...a.map((x) => x ^ 0x55), 0, 0, 0, 1])
    ),
  },
];

/** One generated operation: indices into the family's pools. */
type Op =
  | { op: "update"; a: number; len: number; host: boolean; v: number }
  | { op: "delete"; a: number; len: number; host: boolean }
  | { op: "lookup"; a: number; len: number };

const bit = (a: Uint8Array, i: number): number => (a[i >>> 3]! >>> (7 - (i & 7))) & 1;

// The address with the bits past `len` cleared (a valid prefix).
function masked(a: Uint8Array, len: number): Uint8Array {
  const out = a.slice();
  for (let i = len; i < out.length * 8; i++) out[i >>> 3]! &= ~(0x80 >>> (i & 7));
  return out;
}

// The kernel's key: u32 prefix length (host order), then the address.
function lpmKey(a: Uint8Array, len: number): Uint8Array {
  const key = new Uint8Array(4 + a.length);
  new DataView(key.buffer).setUint32(0, len, true);
  key.set(a, 4);
  return key;
}

const u32 = (v: number): Uint8Array => new Uint8Array(new Uint32Array([v]).buffer);

// "a.b.c.d/n" or IPv6 text as LpmTable formats it (from its own entries), for the kernel's keys.
function prefixText(address: Uint8Array, len: number): string {
  const t = new LpmTable<number>();
  t.set({ address: masked(address, len), length: len }, 0);
  return [...t.entries()][0]![0];
}

// Both walk orders over a set of (valid) prefixes: post-order (the kernel's get_next_key: more
// specific first, the 0 branch before the 1 branch) and pre-order (less specific first).
function order(prefixes: { a: Uint8Array; len: number }[], post: boolean): typeof prefixes {
  return prefixes.slice().sort((x, y) => {
    const m = Math.min(x.len, y.len);
    for (let i = 0; i < m; i++) {
      const d = bit(x.a, i) - bit(y.a, i);
      if (d !== 0) return d;
    }
    return post ? y.len - x.len : x.len - y.len;
  });
}

const outcome = (f: () => string): string => {
  try {
    return f();
  } catch (err) {
    if (isStoreError(err)) return `error ${err.code}`;
    throw err;
  }
};

/**
 * Where LpmTable and the kernel are known to differ: each entry runs its own case on a fresh
 * kernel map and a fresh LpmTable and returns both outcomes, which must still be as listed.
 */
const KNOWN_DIVERGENCES: readonly {
  id: string;
  run: (map: BpfMap, table: LpmTable<number>) => [string, string];
  kernel: string;
  model: string;
}[] = [
  {
    id:
      "lookup with a prefix length past the family's: the kernel finds nothing (ENOENT), LpmTable refuses it",
    run: (map, table) => {
      map.set(lpmKey(Uint8Array.from([10, 0, 0, 0]), 8), u32(1));
      table.set("10.0.0.0/8", 1);
      const key = { address: Uint8Array.from([10, 0, 0, 0]), length: 33 };
      return [
        outcome(() => String(map.get(lpmKey(key.address, key.length)) ?? "absent")),
        outcome(() => String(table.lookup(key) ?? "absent")),
      ];
    },
    kernel: "absent",
    model: "error EINVAL",
  },
  {
    id:
      "LOOKUP_AND_DELETE (elem and batch): the kernel's LPM trie answers ENOTSUPP; LpmTable has no such call",
    run: (map) => {
      map.set(lpmKey(Uint8Array.from([10, 0, 0, 0]), 8), u32(1));
      return [
        `${
          outcome(() => String(map.lookupAndDelete(lpmKey(Uint8Array.from([10, 0, 0, 0]), 8))))
        }, ${outcome(() => String(map.lookupBatch(undefined, 4, { delete: true }).keys.length))}`,
        "n/a",
      ];
    },
    kernel: "error ENOTSUPP, error ENOTSUPP",
    model: "n/a",
  },
];

/** Results compared, over every run of this file (for the report). */
const compared = { results: 0 };

/** The table under test, as the differential drives it. */
interface Model {
  set(p: { address: Uint8Array; length: number }, v: number): void;
  delete(p: { address: Uint8Array; length: number }): boolean;
  lookup(address: Uint8Array | { address: Uint8Array; length: number }): number | undefined;
  entries(options?: { order?: "sorted" | "kernel" }): IterableIterator<[string, number]>;
  nextKey(
    p?: { address: Uint8Array; length: number },
  ): { address: Uint8Array; length: number } | undefined;
  readonly size: number;
}

function runSequence(
  family: Family,
  maxEntries: number,
  ops: readonly Op[],
  makeModel: (maxEntries: number) => Model = (n) => new LpmTable<number>({ maxEntries: n }),
): void {
  const map = new BpfMap({
    mapType: "lpm_trie",
    keySize: 4 + family.bytes,
    valueSize: 4,
    maxEntries,
  });
  try {
    const table = makeModel(maxEntries);
    const done: string[] = [];
    const fail = (what: string, k: string, m: string): never => {
      throw new Error(
        `LpmTable differs from the kernel at ${what}\n  kernel:   ${k}\n  LpmTable: ${m}\n` +
          `repro: ${family.name}, maxEntries ${maxEntries}\n  ${[...done, what].join("\n  ")}`,
      );
    };
    for (const op of ops) {
      const what = JSON.stringify(op);
      const base = family.addresses[op.a]!;
      let k: string;
      let m: string;
      if (op.op === "lookup") {
        // Bounded by the key's own length (a length past the family's is a known divergence).
        const len = Math.min(family.lengths[op.len]!, family.bytes * 8);
        const key = lpmKey(base, len);
        k = outcome(() => {
          const v = map.get(key);
          return v === undefined
            ? "absent"
            : String(new DataView(v.buffer, v.byteOffset).getUint32(0, true));
        });
        const full = len === family.bytes * 8;
        m = outcome(() =>
          String(
            (full ? table.lookup(base) : table.lookup({ address: base, length: len })) ?? "absent",
          )
        );
      } else {
        const len = family.lengths[op.len]!;
        // With host bits past the prefix (kept as given) or without.
        const address = len <= family.bytes * 8 && !op.host ? masked(base, len) : base;
        const key = lpmKey(address, len);
        if (op.op === "update") {
          k = outcome(() => (map.set(key, u32(op.v)), "ok"));
          m = outcome(() => (table.set({ address, length: len }, op.v), "ok"));
        } else {
          k = outcome(() => String(map.delete(key)));
          m = outcome(() => String(table.delete({ address, length: len })));
        }
      }
      compared.results++;
      if (k !== m) fail(what, k, m);
      done.push(what);
      // The routes held, as sets (order is a known divergence, checked below and on its own).
      const held: { a: Uint8Array; len: number; v: number }[] = [];
      for (const [key, value] of map.entries()) {
        const dv = new DataView(key.buffer, key.byteOffset);
        held.push({
          a: key.slice(4),
          len: dv.getUint32(0, true),
          v: new DataView(value.buffer, value.byteOffset).getUint32(0, true),
        });
      }
      const kc = held.map((r) => `${prefixText(r.a, r.len)}=${r.v}`);
      const mc = [...table.entries()].map(([p, v]) => `${p}=${v}`);
      if (kc.slice().sort().join(" ") !== mc.slice().sort().join(" ")) {
        fail(`${what}, then the routes held`, kc.join(" "), mc.join(" "));
      }
      // The kernel's order is post-order of what it holds, and LpmTable's pre-order.
      const post = order(held, true).map((r) => prefixText(r.a, r.len)).join(" ");
      if (kc.map((s) => s.split("=")[0]).join(" ") !== post) {
        fail(`${what}, kernel walk order`, kc.join(" "), post);
      }
      const pre = order(held, false).map((r) => prefixText(r.a, r.len)).join(" ");
      if (mc.map((s) => s.split("=")[0]).join(" ") !== pre) {
        fail(`${what}, LpmTable walk order`, pre, mc.join(" "));
      }
      // LpmTable in the kernel's order: entries({ order: "kernel" }), and nextKey with the
      // addresses as stored (host bits included).
      const mk = [...table.entries({ order: "kernel" })].map(([p, v]) => `${p}=${v}`);
      if (kc.join(" ") !== mk.join(" ")) {
        fail(`${what}, kernel-order entries`, kc.join(" "), mk.join(" "));
      }
      const kw = held.map((r) => `${r.a.join(".")}/${r.len}`).join(" ");
      const mw: string[] = [];
      for (let p = table.nextKey(); p !== undefined; p = table.nextKey(p)) {
        mw.push(`${p.address.join(".")}/${p.length}`);
      }
      if (kw !== mw.join(" ")) fail(`${what}, nextKey walk`, kw, mw.join(" "));
    }
  } finally {
    map.close();
  }
}

function sequences(family: Family): fc.Arbitrary<{ maxEntries: number; ops: Op[] }> {
  const a = fc.integer({ min: 0, max: family.addresses.length - 1 });
  const len = fc.integer({ min: 0, max: family.lengths.length - 1 });
  const op: fc.Arbitrary<Op> = fc.oneof(
    {
      weight: 5,
      arbitrary: fc.record({
        op: fc.constant("update" as const),
        a,
        len,
        host: fc.boolean(),
        v: fc.integer({ min: 0, max: 9 }),
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({ op: fc.constant("delete" as const), a, len, host: fc.boolean() }),
    },
    { weight: 4, arbitrary: fc.record({ op: fc.constant("lookup" as const), a, len }) },
  );
  return fc.record({
    maxEntries: fc.integer({ min: 1, max: 8 }),
    ops: fc.array(op, { minLength: 1, maxLength: 60, size: "max" }),
  });
}

describe("LpmTable vs the kernel's BPF_MAP_TYPE_LPM_TRIE", { skip: SKIP }, () => {
  after(() => console.log(`LpmTable differential: ${compared.results} results compared`));

  for (const family of FAMILIES) {
    it(`${family.name}: random updates, deletes and lookups agree, routes and errnos`, () => {
      fc.assert(
        fc.property(
          sequences(family),
          ({ maxEntries, ops }) => runSequence(family, maxEntries, ops),
        ),
        { numRuns: RUNS, includeErrorInReport: true },
      );
    });
  }

  for (const known of KNOWN_DIVERGENCES) {
    it(`known divergence, still as listed: ${known.id}`, () => {
      const map = new BpfMap({ mapType: "lpm_trie", keySize: 8, valueSize: 4, maxEntries: 8 });
      try {
        assert.deepEqual(known.run(map, new LpmTable<number>()), [known.kernel, known.model]);
      } finally {
        map.close();
      }
    });
  }

  it("fails, with a minimal repro, on a model that answers one result wrong", () => {
    // LpmTable, except that deleting an absent prefix answers true.
    const wrong = (n: number): Model => {
      const table = new LpmTable<number>({ maxEntries: n });
      return Object.assign(Object.create(table), {
        delete: (p: { address: Uint8Array; length: number }) => table.delete(p) || p.length <= 32,
        set: table.set.bind(table),
        lookup: table.lookup.bind(table),
        entries: table.entries.bind(table),
        nextKey: table.nextKey.bind(table),
      });
    };
    let message = "";
    try {
      fc.assert(
        fc.property(
          sequences(FAMILIES[0]!),
          ({ maxEntries, ops }) => runSequence(FAMILIES[0]!, maxEntries, ops, wrong),
        ),
        { numRuns: 150, seed: 14, includeErrorInReport: true },
      );
    } catch (err) {
      message = (err as Error).message;
    }
    assert.match(
      message,
      /LpmTable differs from the kernel at \{"op":"delete","a":\d+,"len":\d+,"host":(true|false)\}/,
    );
    assert.match(message, /kernel:\s+false\n\s+LpmTable: true/);
    const repro = message.slice(message.lastIndexOf("repro:")).split("\n").filter((l) =>
      l.startsWith("  {")
    );
    assert.equal(repro.length, 1, message);
  });
});
