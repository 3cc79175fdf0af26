/**
 * The contract table of issue #11: what each store costs through the `Store` contract, opened
 * by name with `openStore` (10K entries, 8-byte keys and values, one reused key buffer), on
 * the four read paths: `getInto` into one reused buffer, the copying `get`, `entries()` and
 * `entries({ reuse: true })` per entry; with the ratios get/getInto and entries/getInto.
 *
 * ```sh
 * deno run tools/bench/contract_table.ts                  # this runtime
 * node --import tsx tools/bench/contract_table.ts         # (or bun) the same, there
 * deno run --allow-read --allow-env --allow-run tools/bench/contract_table.ts --runtimes deno,node,bun
 * ```
 *
 * With `--runtimes` it runs itself under each runtime in turn (one after the other: the
 * machine is shared) and prints one Markdown table with a column group per runtime. Samples
 * of the stores and paths are interleaved (A B C D A B C D …) so noise hits all alike.
 * Runtime-neutral: no `Deno.*`; `node:child_process` only for `--runtimes`.
 *
 * @module
 */

import process from "node:process";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { openStore } from "@kvkit/backends";
import type { Store } from "@kvkit/store";
import { calibrate, median, sample } from "./_sampler.ts";
import { count, runEachRuntime, runtimeName } from "./_runtimes.ts";
import { IterateRunner, type Runner } from "./workloads.ts";

/** This file, as the other runtimes run it. */
const SELF = fileURLToPath(import.meta.url);

/** The stores of the table and the options each is opened with (8-byte keys and values). */
export const CONTRACT_STORES: Readonly<Record<string, Record<string, unknown>>> = {
  rhash: { keySize: 8, valueSize: 8, maxEntries: 1 << 14 },
  htab: { keySize: 8, valueSize: 8, maxEntries: 1 << 14 },
  qptrie: { maxKeyLength: 8, valueSize: 8, maxEntries: 1 << 14 },
  map: { keySize: 8, valueSize: 8, maxEntries: 1 << 14 },
};

/** The read paths, in column order. */
export const CONTRACT_PATHS = ["getInto", "get", "entries", "entriesReuse"] as const;

/** A read path of the table. */
export type ContractPath = typeof CONTRACT_PATHS[number];

/** One store's row: median ns per operation (per entry for the iterators) of each path. */
export interface ContractRow {
  /** The catalog name. */
  readonly store: string;
  /** ns per `getInto` (one reused output buffer). */
  readonly getInto: number;
  /** ns per `get` (a copy). */
  readonly get: number;
  /** ns per entry of `entries()`. */
  readonly entries: number;
  /** ns per entry of `entries({ reuse: true })`. */
  readonly entriesReuse: number;
}

/** One runtime's table. */
export interface ContractResult {
  /** e.g. `deno 2.9.6`, `node 20.19.0`, `bun 1.4.5`. */
  readonly runtime: string;
  /** Entries in each store. */
  readonly entries: number;
  /** One row per store. */
  readonly rows: ContractRow[];
}

/** How to run. */
export interface ContractOptions {
  /** Entries in each store (default 10 000). */
  readonly entries?: number;
  /** Samples per store and path (default 7). */
  readonly samples?: number;
  /** Target ms per sample (default 40). */
  readonly sampleMs?: number;
  /** The stores (default: every one of {@linkcode CONTRACT_STORES}). */
  readonly stores?: readonly string[];
}

// Key i: a scattered u32 (an odd multiplier is a bijection) then i itself, both little-endian.
function keyWords(n: number): Uint32Array {
  const words = new Uint32Array(2 * n);
  for (let i = 0; i < n; i++) {
    words[2 * i] = Math.imul(i, 0x9e3779b1) >>> 0;
    words[2 * i + 1] = i;
  }
  return words;
}

// The lookup order: a seeded shuffle of the keys, so lookups go all over the store.
function shuffledWords(words: Uint32Array): Uint32Array {
  const n = words.length >> 1;
  const out = words.slice();
  let x = 0x2545f491;
  for (let i = n - 1; i > 0; i--) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    const j = (x >>> 0) % (i + 1);
    const a0 = out[2 * i]!, a1 = out[2 * i + 1]!;
    out[2 * i] = out[2 * j]!;
    out[2 * i + 1] = out[2 * j + 1]!;
    out[2 * j] = a0;
    out[2 * j + 1] = a1;
  }
  return out;
}

/** Lookups of present keys through one reused key buffer, by `getInto` or `get`. */
class KeyBufferRunner implements Runner {
  readonly maxRun = Infinity;
  readonly #store: Store;
  readonly #words: Uint32Array;
  readonly #key = new Uint8Array(8);
  readonly #key32 = new Uint32Array(this.#key.buffer);
  readonly #out = new Uint8Array(8);
  readonly #copy: boolean;
  #p = 0;

  constructor(store: Store, words: Uint32Array, copy: boolean) {
    this.#store = store;
    this.#words = words;
    this.#copy = copy;
  }

  run(n: number): number {
    const store = this.#store;
    const words = this.#words;
    const key = this.#key;
    const key32 = this.#key32;
    const out = this.#out;
    const end = words.length;
    let p = this.#p;
    let s = 0;
    let miss = 0;
    if (this.#copy) {
      for (let j = 0; j < n; j++) {
        key32[0] = words[p]!;
        key32[1] = words[p + 1]!;
        const v = store.get(key);
        if (v === undefined) miss++;
        else s += v[0]!;
        if ((p += 2) === end) p = 0;
      }
    } else {
      for (let j = 0; j < n; j++) {
        key32[0] = words[p]!;
        key32[1] = words[p + 1]!;
        if (store.getInto(key, out)) s += out[0]!;
        else miss++;
        if ((p += 2) === end) p = 0;
      }
    }
    this.#p = p;
    // A lookup that misses a present key is a broken store, not a fast one.
    if (miss !== 0) throw new Error(`${store.backend}: ${miss} present keys not found`);
    contractSink ^= s;
    return n;
  }
}

/** Values read back are consumed here so the JIT cannot drop the reads. */
export let contractSink = 0;

/**
 * Opens the stores with `openStore`, fills them, and measures the four read paths of each,
 * interleaving the samples of every store and path.
 *
 * @param options Entries, samples, sample length, stores.
 * @returns The runtime's table.
 * @throws {StoreError} What `openStore` throws for a store it cannot open.
 *
 * @example Measuring the read paths of one store
 * ```ts
 * import { contractTable } from "./contract_table.ts";
 * import assert from "node:assert/strict";
 *
 * const result = contractTable({ entries: 100, samples: 1, sampleMs: 1, stores: ["map"] });
 * assert.equal(result.rows[0]!.store, "map");
 * assert.ok(result.rows[0]!.getInto > 0 && result.rows[0]!.entriesReuse > 0);
 * ```
 */
export function contractTable(options: ContractOptions = {}): ContractResult {
  const n = options.entries ?? 10_000;
  const samples = options.samples ?? 7;
  const sampleMs = options.sampleMs ?? 40;
  const names = options.stores ?? Object.keys(CONTRACT_STORES);
  const words = keyWords(n);
  const order = shuffledWords(words);
  const value = new Uint8Array(8);
  const key = new Uint8Array(8);
  const key32 = new Uint32Array(key.buffer);
  const units: { store: string; path: ContractPath; runner: Runner; n: number; ns: number[] }[] =
    [];
  for (const name of names) {
    const store = openStore(name, { ...CONTRACT_STORES[name], maxEntries: Math.max(n, 1 << 14) });
    for (let i = 0; i < n; i++) {
      key32[0] = words[2 * i]!;
      key32[1] = words[2 * i + 1]!;
      value[0] = i;
      store.set(key, value);
    }
    const runners: Record<ContractPath, Runner> = {
      getInto: new KeyBufferRunner(store, order, false),
      get: new KeyBufferRunner(store, order, true),
      entries: new IterateRunner(store),
      entriesReuse: new IterateRunner(store, true),
    };
    for (const path of CONTRACT_PATHS) {
      const runner = runners[path];
      const calls = calibrate(runner, sampleMs);
      sample(runner, calls, sampleMs); // warm up at full size
      units.push({ store: name, path, runner, n: calls, ns: [] });
    }
  }
  for (let s = 0; s < samples; s++) {
    for (const [i, u] of units.entries()) {
      // The first sample after another store's finds the caches cold: one untimed run first,
      // so the four paths of a store, which share it, compare fairly.
      if (i % CONTRACT_PATHS.length === 0) u.runner.run(u.n);
      const { ops, ms } = sample(u.runner, u.n, sampleMs);
      u.ns.push((ms * 1e6) / ops);
    }
  }
  const rows = names.map((store) => {
    const ns = (path: ContractPath): number =>
      median(units.find((u) => u.store === store && u.path === path)!.ns);
    return {
      store,
      getInto: ns("getInto"),
      get: ns("get"),
      entries: ns("entries"),
      entriesReuse: ns("entriesReuse"),
    };
  });
  return { runtime: runtimeName(), entries: n, rows };
}

function ns(x: number): string {
  return x < 10 ? x.toFixed(1) : x.toFixed(0);
}

function ratio(x: number): string {
  return `${x.toFixed(x < 10 ? 1 : 0)}x`;
}

/** The column group of one runtime: four times (ns) and the two ratios of the issue. */
const GROUP = ["getInto", "get", "entries()", "reuse", "get/getInto", "entries/getInto"];

/**
 * The tables of one or more runtimes as one Markdown table: a row per store, a column group
 * per runtime (ns per lookup or per entry, then the ratios get/getInto and entries/getInto).
 *
 * @param results One result per runtime, same stores.
 * @returns The Markdown text.
 *
 * @example A row with its ratios
 * ```ts
 * import { formatContractTable } from "./contract_table.ts";
 * import assert from "node:assert/strict";
 *
 * const row = { store: "htab", getInto: 50, get: 100, entries: 150, entriesReuse: 40 };
 * const text = formatContractTable([{ runtime: "deno 2", entries: 10000, rows: [row] }]);
 * assert.match(text, /\| htab \| 50 \| 100 \| 150 \| 40 \| 2\.0x \| 3\.0x \|/);
 * ```
 */
export function formatContractTable(results: readonly ContractResult[]): string {
  const stores = results[0]?.rows.map((r) => r.store) ?? [];
  const head = [
    "store",
    ...results.flatMap((r) => GROUP.map((c) => `${r.runtime.split(" ")[0]} ${c}`)),
  ];
  const lines = [
    `Through \`openStore\`: ${results[0]?.entries ?? 0} entries, 8-byte keys and values, one ` +
    "reused key buffer; ns per lookup (per entry for `entries()` and `entries({ reuse: true })`)" +
    `, median of interleaved samples. ${results.map((r) => r.runtime).join(" · ")}`,
    "",
    `| ${head.join(" | ")} |`,
    `|${" --- |".repeat(head.length)}`,
  ];
  for (const store of stores) {
    const cells = [store];
    for (const r of results) {
      const row = r.rows.find((x) => x.store === store);
      if (row === undefined) {
        cells.push(...GROUP.map(() => "-"));
        continue;
      }
      cells.push(
        ns(row.getInto),
        ns(row.get),
        ns(row.entries),
        ns(row.entriesReuse),
        ratio(row.get / row.getInto),
        ratio(row.entries / row.getInto),
      );
    }
    lines.push(`| ${cells.join(" | ")} |`);
  }
  return lines.join("\n");
}

/**
 * Runs this file under each runtime in turn (`--json`) and collects their tables.
 *
 * @param runtimes `deno`, `node`, `bun`, in column order.
 * @param args Arguments passed on (`--entries`, `--samples`, …).
 * @returns One result per runtime.
 * @throws {Error} An unknown runtime (before any run), or a run that failed (with its stderr).
 */
export function runEach(runtimes: readonly string[], args: readonly string[]): ContractResult[] {
  return runEachRuntime<ContractResult>(SELF, runtimes, [
    ...args,
    "--json",
  ]);
}

const USAGE = `usage: contract_table.ts [--runtimes deno,node,bun] [--json] [--entries N]
                         [--samples N] [--sample-ms N] [--stores rhash,htab,qptrie,map]
`;

function main(argv: string[]): number {
  const { values: a } = parseArgs({
    args: argv,
    options: {
      runtimes: { type: "string" },
      json: { type: "boolean" },
      entries: { type: "string" },
      samples: { type: "string" },
      "sample-ms": { type: "string" },
      stores: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (a.help === true) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (a.runtimes !== undefined) {
    const passOn = argv.filter((x, i) =>
      x !== "--runtimes" && !x.startsWith("--runtimes=") && argv[i - 1] !== "--runtimes" &&
      x !== "--json"
    );
    const results = runEach(a.runtimes.split(",").map((s) => s.trim()).filter(Boolean), passOn);
    process.stdout.write(
      a.json === true ? `${JSON.stringify(results)}\n` : `${formatContractTable(results)}\n`,
    );
    return 0;
  }
  const stores = a.stores?.split(",").map((s) => s.trim()).filter(Boolean);
  const result = contractTable({
    ...optional("entries", count("entries", a.entries, 1)),
    ...optional("samples", count("samples", a.samples, 1)),
    ...optional("sampleMs", count("sample-ms", a["sample-ms"], 1)),
    ...(stores === undefined ? {} : { stores }),
  });
  process.stdout.write(
    a.json === true ? `${JSON.stringify(result)}\n` : `${formatContractTable([result])}\n`,
  );
  return 0;
}

function optional<K extends string>(key: K, v: number | undefined): { [P in K]?: number } {
  return (v === undefined ? {} : { [key]: v }) as { [P in K]?: number };
}

// Deno and Bun set import.meta.main; Node 20 does not, so compare the entry path there.
const isMain = (import.meta as { main?: boolean }).main ?? process.argv[1] === SELF;
if (isMain) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`contract_table: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  }
}
