/**
 * qp-trie vs its peers, side by side per group (ratios are what count; see BENCHMARKS.md):
 * the contract's read paths through `qptrieBackend.create` (10K entries, 8-byte keys and
 * values: `getInto` vs the copying `get`, `entries()`, `entries({ reuse: true })`, `keys()`),
 * the seed's row (16K random keys of 1..255 B: lookups vs htab with keys padded to 255 B, a
 * `Map` keyed by latin1 strings, sorted-btree with a byte comparator, @js-sdsl/ordered-map),
 * the same on a realistic set of paths with shared prefixes, ordered iteration, memory per key
 * (printed), and longest-prefix match on a routing table vs cidr-matcher and
 * longest-prefix-match.
 *
 * Run: `deno bench --allow-env --v8-flags=--expose-gc packages/qptrie/qptrie_bench.ts`
 * (cidr-matcher reads the environment; `--expose-gc` makes the heap measurement of the JS peers steadier; it works without).
 */
import btree from "sorted-btree";
import { OrderedMap } from "@js-sdsl/ordered-map";
import CidrMatcher from "cidr-matcher";
import LongestPrefixMatch from "longest-prefix-match";
import { Htab } from "@kvkit/htab";
import { compareBytes, type Store } from "@kvkit/store";
import { LpmTable, QpTrie, qptrieBackend } from "./mod.ts";

// The package is CommonJS with `exports.default`; runtimes differ on which one they hand us.
type BTreeClass = typeof btree.default;
const BTree: BTreeClass = (btree as unknown as { default?: BTreeClass }).default ??
  (btree as unknown as BTreeClass);

const OPS = 1024;
const VALUE_SIZE = 8;
const latin1 = (b: Uint8Array): string => String.fromCharCode.apply(null, b as unknown as number[]);

// A seeded LCG, so every run and runtime sees the same data.
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

function unique(keys: Uint8Array[]): Uint8Array[] {
  const seen = new Set<string>();
  return keys.filter((k) => !seen.has(latin1(k)) && seen.add(latin1(k)) !== undefined);
}

// The seed's data: 16K random binary keys, lengths uniform in 1..255.
function randomKeys(n: number, seed: number): Uint8Array[] {
  const r = rng(seed);
  const out: Uint8Array[] = [];
  while (out.length < n) {
    out.push(Uint8Array.from({ length: 1 + Math.floor(r() * 255) }, () => Math.floor(r() * 256)));
  }
  return unique(out);
}

// File paths with shared prefixes: /srv/<tenant>/<project>/<dir>/<file>.<ext>.
function pathKeys(n: number, seed: number): Uint8Array[] {
  const r = rng(seed);
  const pick = <T>(a: readonly T[]): T => a[Math.floor(r() * a.length)]!;
  const dirs = ["src", "lib", "test", "docs", "assets/img", "assets/css", "build/out", "vendor"];
  const exts = ["ts", "js", "json", "md", "png", "css"];
  const te = new TextEncoder();
  const set = new Set<string>();
  while (set.size < n) {
    const tenant = `tenant-${Math.floor(r() * 40)}`;
    const project = `project-${Math.floor(r() * 25)}`;
    set.add(
      `/srv/${tenant}/${project}/${pick(dirs)}/file_${Math.floor(r() * 200)}.${pick(exts)}`,
    );
  }
  return [...set].map((s) => te.encode(s));
}

function pad(key: Uint8Array, size: number): Uint8Array {
  const out = new Uint8Array(size);
  out.set(key);
  return out;
}

function shuffled<T>(a: readonly T[], count: number, seed: number): T[] {
  const r = rng(seed);
  return Array.from({ length: count }, () => a[Math.floor(r() * a.length)]!);
}

const gc = (globalThis as { gc?: () => void }).gc;
// One sample in its own frame, so the previous sample's structure is garbage by the next gc.
function heapSample(build: () => unknown): number {
  const used = (): number => Deno.memoryUsage().heapUsed;
  gc?.();
  const before = used();
  let keep: unknown = build();
  gc?.();
  const grown = used() - before;
  if (keep === undefined) throw new Error("unreachable");
  keep = undefined;
  return grown;
}
function heapGrowth(build: () => unknown): number {
  const samples = [heapSample(build), heapSample(build), heapSample(build)];
  return samples.sort((a, b) => a - b)[1]!;
}

// Each body sums into a local and folds it into `sink` once, so `sink` stays a small integer:
// a module-level double would cost every peer a heap-number allocation per `+=`, and a
// callback (scan) more than an inline loop.
let sink = 0;
const memoryRows: string[] = [];

function lookupGroup(label: string, keys: Uint8Array[], htabKeySize: number): QpTrie {
  const n = keys.length;
  const value = new Uint8Array(VALUE_SIZE);
  const buildTrie = () => {
    const t = new QpTrie({ maxKeyLength: 255, valueSize: VALUE_SIZE, maxEntries: n });
    for (const k of keys) t.set(k, value);
    return t;
  };
  const buildHtab = () => {
    const h = new Htab({ keySize: htabKeySize, valueSize: VALUE_SIZE, maxEntries: n });
    for (const k of keys) h.set(pad(k, htabKeySize), value);
    return h;
  };
  const buildMap = () => {
    const m = new Map<string, Uint8Array>();
    for (const k of keys) m.set(latin1(k), value.slice());
    return m;
  };
  const buildBtree = () => {
    const b = new BTree<Uint8Array, Uint8Array>(undefined, compareBytes);
    for (const k of keys) b.set(k.slice(), value.slice());
    return b;
  };
  const buildSdsl = () => {
    const o = new OrderedMap<Uint8Array, Uint8Array>([], compareBytes);
    for (const k of keys) o.setElement(k.slice(), value.slice());
    return o;
  };
  // Heap growth first, while no other copy of the data is alive (V8 may share equal strings).
  // Copied typed arrays keep their bytes off the V8 heap (and `external` is updated lazily),
  // so their exact byte counts are added to the heap growth; allocator overhead is not.
  const keyBytes = keys.reduce((sum, k) => sum + k.length, 0);
  const heapRows: [string, number][] = [
    ["Map + latin1 (heap + value bytes)", heapGrowth(buildMap) + n * VALUE_SIZE],
    ["sorted-btree (heap + key/value bytes)", heapGrowth(buildBtree) + keyBytes + n * VALUE_SIZE],
    [
      "@js-sdsl/ordered-map (heap + key/value b.)",
      heapGrowth(buildSdsl) + keyBytes + n * VALUE_SIZE,
    ],
  ];
  const trie = buildTrie();
  const htab = buildHtab();
  const map = buildMap();
  const btree = buildBtree();
  const sdsl = buildSdsl();
  const probe = shuffled(keys, OPS, n);
  const padded = probe.map((k) => pad(k, htabKeySize));
  const out = new Uint8Array(VALUE_SIZE);
  const group = `lookup: ${label}`;
  Deno.bench(
    { group, name: `htab.getInto (keys padded to ${htabKeySize} B)`, baseline: true },
    () => {
      let acc = 0;
      for (const k of padded) if (htab.getInto(k, out)) acc += out[0]!;
      sink ^= acc;
    },
  );
  Deno.bench({ group, name: "qptrie.getInto" }, () => {
    let acc = 0;
    for (const k of probe) if (trie.getInto(k, out)) acc += out[0]!;
    sink ^= acc;
  });
  Deno.bench({ group, name: "qptrie.get (copy)" }, () => {
    let acc = 0;
    for (const k of probe) acc += trie.get(k)!.length;
    sink ^= acc;
  });
  Deno.bench({ group, name: "Map + latin1 key" }, () => {
    let acc = 0;
    for (const k of probe) acc += map.get(latin1(k))!.length;
    sink ^= acc;
  });
  Deno.bench({ group, name: "sorted-btree (byte comparator)" }, () => {
    let acc = 0;
    for (const k of probe) acc += btree.get(k)!.length;
    sink ^= acc;
  });
  Deno.bench({ group, name: "@js-sdsl/ordered-map (byte comparator)" }, () => {
    let acc = 0;
    for (const k of probe) acc += sdsl.getElementByKey(k)!.length;
    sink ^= acc;
  });

  const igroup = `ordered iteration: ${label}`;
  Deno.bench({ group: igroup, name: "sorted-btree keys()", baseline: true }, () => {
    let acc = 0;
    for (const k of btree.keys()) acc += k.length;
    sink ^= acc;
  });
  Deno.bench({ group: igroup, name: "qptrie.scan, lengths only (no copy)" }, () => {
    let acc = 0;
    trie.scan((_key, length) => {
      acc += length;
    }, { keys: false, values: false });
    sink ^= acc;
  });
  Deno.bench({ group: igroup, name: "qptrie.scan, key+value into reused buffers" }, () => {
    let acc = 0;
    trie.scan((key, length, value) => {
      acc += length + key[0]! + value[0]!;
    });
    sink ^= acc;
  });
  Deno.bench({ group: igroup, name: "qptrie.keys() (copies)" }, () => {
    let acc = 0;
    for (const k of trie.keys()) acc += k.length;
    sink ^= acc;
  });
  Deno.bench({ group: igroup, name: "qptrie.keys({ reuse: true })" }, () => {
    let acc = 0;
    for (const k of trie.keys({ reuse: true })) acc += k.length;
    sink ^= acc;
  });
  Deno.bench({ group: igroup, name: "qptrie.entries() (copies)" }, () => {
    let acc = 0;
    for (const [k, v] of trie.entries()) acc += k.length + k[0]! + v[0]!;
    sink ^= acc;
  });
  Deno.bench({ group: igroup, name: "qptrie.entries({ reuse: true })" }, () => {
    let acc = 0;
    for (const [k, v] of trie.entries({ reuse: true })) acc += k.length + k[0]! + v[0]!;
    sink ^= acc;
  });
  Deno.bench({ group: igroup, name: "sorted-btree entries()" }, () => {
    let acc = 0;
    for (const [k, v] of btree.entries()) acc += k.length + k[0]! + v[0]!;
    sink ^= acc;
  });
  Deno.bench({ group: igroup, name: "@js-sdsl/ordered-map iterator" }, () => {
    let acc = 0;
    for (const [k] of sdsl) acc += k.length;
    sink ^= acc;
  });

  const per = (bytes: number): string => `${(bytes / n).toFixed(1)} B/key`;
  const htabBytes = htab.memoryUsage();
  const rows: [string, number][] = [
    ["qptrie memoryUsage()", trie.memoryUsage()],
    [`htab memoryUsage() (key ${htabKeySize} B)`, htabBytes],
    ...heapRows,
  ];
  memoryRows.push(`memory, ${label} (${n} keys, value ${VALUE_SIZE} B):`);
  for (const [name, bytes] of rows) {
    memoryRows.push(
      `  ${name.padEnd(42)} ${String(bytes).padStart(9)} B  ${per(bytes).padStart(12)}` +
        `  ${(bytes / htabBytes).toFixed(2)}x htab`,
    );
  }
  return trie;
}

// The contract through the catalog's backend (issue #11's done-when table): 10K entries,
// 8-byte keys and values, one reused key buffer. Every row touches all 10K entries once per
// iteration, so the ratios are per entry.
{
  const N = 10_000;
  const store: Store = qptrieBackend.create({ maxKeyLength: 8, valueSize: 8, maxEntries: N });
  const r = rng(7);
  const flat = new Uint8Array(N * 8);
  for (let i = 0; i < flat.length; i++) flat[i] = Math.floor(r() * 256);
  for (let i = 0; i < N; i++) {
    store.set(flat.subarray(i * 8, i * 8 + 8), flat.subarray(i * 8, i * 8 + 8));
  }
  if (store.size !== N) throw new Error(`expected ${N} distinct keys, got ${store.size}`);
  // A random probe order, each key once.
  const order = Int32Array.from({ length: N }, (_, i) => i);
  for (let i = N - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const key = new Uint8Array(8);
  const out = new Uint8Array(8);
  const group = "contract: qptrieBackend.create, 10K entries, 8 B keys and values (per entry)";
  Deno.bench({ group, name: "getInto (one reused key buffer)", baseline: true }, () => {
    let acc = 0;
    for (let i = 0; i < N; i++) {
      const o = order[i]! * 8;
      for (let j = 0; j < 8; j++) key[j] = flat[o + j]!;
      if (store.getInto(key, out)) acc += out[0]!;
    }
    sink ^= acc;
  });
  Deno.bench({ group, name: "get (copy)" }, () => {
    let acc = 0;
    for (let i = 0; i < N; i++) {
      const o = order[i]! * 8;
      for (let j = 0; j < 8; j++) key[j] = flat[o + j]!;
      acc += store.get(key)![0]!;
    }
    sink ^= acc;
  });
  Deno.bench({ group, name: "entries() (copies)" }, () => {
    let acc = 0;
    for (const [k, v] of store.entries()) acc += k[0]! + v[0]!;
    sink ^= acc;
  });
  Deno.bench({ group, name: "entries({ reuse: true })" }, () => {
    let acc = 0;
    for (const [k, v] of store.entries({ reuse: true })) acc += k[0]! + v[0]!;
    sink ^= acc;
  });
  Deno.bench({ group, name: "keys() (copies)" }, () => {
    let acc = 0;
    for (const k of store.keys()) acc += k[0]!;
    sink ^= acc;
  });
  Deno.bench({ group, name: "keys({ reuse: true })" }, () => {
    let acc = 0;
    for (const k of store.keys({ reuse: true })) acc += k[0]!;
    sink ^= acc;
  });
}

// The seed's row.
const random = randomKeys(16384, 1);
lookupGroup("16K random keys 1..255 B", random, 255);
// A realistic string set: paths sharing long prefixes (htab keys padded to the longest).
const paths = pathKeys(16384, 2);
lookupGroup("16K file paths", paths, Math.max(...paths.map((p) => p.length)));

// Longest-prefix match: a routing table of a few thousand IPv4 and IPv6 prefixes.
function routes(seed: number): string[] {
  const r = rng(seed);
  const out = new Set<string>();
  const v4Lengths = [8, 12, 16, 16, 20, 22, 24, 24, 24, 28, 32];
  while (out.size < 4000) {
    const len = v4Lengths[Math.floor(r() * v4Lengths.length)]!;
    const a = Math.floor(r() * 2 ** 32) >>> (32 - len) << (32 - len) >>> 0;
    out.add(`${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}/${len}`);
  }
  const v6Lengths = [32, 40, 48, 48, 56, 64];
  while (out.size < 5000) {
    const len = v6Lengths[Math.floor(r() * v6Lengths.length)]!;
    const g = Array.from({ length: 4 }, () => Math.floor(r() * 65536));
    g[0] = 0x2000 | (g[0]! & 0x0fff);
    const bits = g.map((x) => x.toString(2).padStart(16, "0")).join("").slice(0, len).padEnd(
      64,
      "0",
    );
    const groups = Array.from(
      { length: 4 },
      (_, i) => parseInt(bits.slice(i * 16, i * 16 + 16), 2).toString(16),
    );
    out.add(`${groups.join(":")}::/${len}`);
  }
  return [...out];
}
const table = routes(3);
const lpm = new LpmTable<string>();
const lpmPeer = new LongestPrefixMatch();
const cidr = new CidrMatcher();
for (const p of table) {
  lpm.set(p, p);
  lpmPeer.addPrefix(p, p);
  if (p.includes(".")) cidr.addNetworkClass(p);
}
// IPv4 lookups: half inside a route, half anywhere.
const rv = rng(4);
const v4Routes = table.filter((p) => p.includes("."));
const addresses = Array.from({ length: OPS }, (_, i) => {
  if (i % 2 === 0) {
    const [net] = v4Routes[Math.floor(rv() * v4Routes.length)]!.split("/");
    const parts = net!.split(".").map(Number);
    parts[3] = Math.floor(rv() * 256);
    return parts.join(".");
  }
  return Array.from({ length: 4 }, () => Math.floor(rv() * 256)).join(".");
});
// Both answer the same routes before anyone is timed.
for (const a of addresses) {
  const peer = lpmPeer.getMatch(`${a}/32`)[0];
  if (lpm.lookup(a) !== peer) throw new Error(`LPM disagrees on ${a}: ${lpm.lookup(a)} vs ${peer}`);
}
const addressBytes = addresses.map((a) => Uint8Array.from(a.split(".").map(Number)));
{
  const group = `LPM: ${table.length} routes, IPv4 lookups`;
  Deno.bench({ group, name: "longest-prefix-match getMatch", baseline: true }, () => {
    let acc = 0;
    for (const a of addresses) acc += lpmPeer.getMatch(`${a}/32`).length;
    sink ^= acc;
  });
  Deno.bench({ group, name: "LpmTable.lookup (string)" }, () => {
    let acc = 0;
    for (const a of addresses) acc += lpm.lookup(a) === undefined ? 0 : 1;
    sink ^= acc;
  });
  Deno.bench({ group, name: "LpmTable.lookup (bytes)" }, () => {
    let acc = 0;
    for (const a of addressBytes) acc += lpm.lookup(a) === undefined ? 0 : 1;
    sink ^= acc;
  });
  Deno.bench({ group, name: "cidr-matcher contains (yes/no only, linear scan)" }, () => {
    let acc = 0;
    for (const a of addresses) acc += cidr.contains(a) ? 1 : 0;
    sink ^= acc;
  });
}
{
  const r6 = rng(5);
  const v6Routes = table.filter((p) => p.includes(":"));
  const v6 = Array.from({ length: OPS }, () => {
    const [net] = v6Routes[Math.floor(r6() * v6Routes.length)]!.split("/");
    const groups = net!.replace("::", "").split(":");
    while (groups.length < 8) groups.push(Math.floor(r6() * 65536).toString(16));
    return groups.join(":");
  });
  for (const a of v6) {
    const peer = lpmPeer.getMatch(`${a}/128`)[0];
    if (lpm.lookup(a) !== peer) {
      throw new Error(`LPM disagrees on ${a}: ${lpm.lookup(a)} vs ${peer}`);
    }
  }
  const group = `LPM: ${table.length} routes, IPv6 lookups`;
  Deno.bench({ group, name: "longest-prefix-match getMatch", baseline: true }, () => {
    let acc = 0;
    for (const a of v6) acc += lpmPeer.getMatch(`${a}/128`).length;
    sink ^= acc;
  });
  Deno.bench({ group, name: "LpmTable.lookup (string)" }, () => {
    let acc = 0;
    for (const a of v6) acc += lpm.lookup(a) === undefined ? 0 : 1;
    sink ^= acc;
  });
}
memoryRows.push(
  `memory, LPM ${table.length} routes: LpmTable ${lpm.memoryUsage()} B` +
    ` (${(lpm.memoryUsage() / table.length).toFixed(1)} B/route, values not counted)`,
);

console.log(memoryRows.join("\n"));
globalThis.addEventListener("unload", () => {
  if (sink === 0.5) console.log(sink);
});
