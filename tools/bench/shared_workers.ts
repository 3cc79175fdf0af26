/**
 * The Worker benchmarks of issue #15: throughput (operations per second, per Worker and in
 * total) of maps shared between real Workers - shared htab and shared rhash - next to what a
 * user has without them, with 1 and 2 Workers (`--workers`, so a larger machine shows the
 * curve):
 *
 * - lookups (`getInto` of random present keys; 8-byte keys, 8- and 64-byte values) and full
 *   updates of disjoint keys (Worker i of n overwrites its own slice of the present keys);
 * - peers: the single-agent `Htab`/`Rhash`, private to each Worker (what sharing costs against
 *   the same map in one agent's memory); a `Map` per Worker fed by `postMessage` (what users do
 *   today: Workers own partitions, the requester - the main thread - sends one message per
 *   operation, or batches of 64, to the owner and waits for the answer, one request in flight
 *   per Worker); the `sharedmap` npm package (string keys and values);
 * - `F_LOCK`: a locked read against a plain read, a locked update against a plain update.
 *
 * The Workers of a run warm up, then start together on a `SharedArrayBuffer` barrier and run
 * until the main thread raises the stop word `--ms` later; each times itself. Runs are
 * interleaved in rounds (`--samples`), each store's 1- and 2-Worker runs back to back, and every
 * ratio is the median of its per-round ratios. The ratios the issue asks for are checked against
 * their targets: lookups 2 vs 1 Worker >= 1.7x, disjoint updates >= 1.4x, a locked read <= 3x
 * a plain one.
 *
 * ```sh
 * deno task bench:shared                                      # deno, node and bun, one table
 * deno run --allow-read --allow-env --allow-write=bench-results tools/bench/shared_workers.ts
 * node --import tsx tools/bench/shared_workers.ts --workers 1,2,4 --ms 500 --entries 100000
 * ```
 *
 * Each runtime's result is also written as JSON to `bench-results/shared_workers.json`
 * (`--out FILE`, `--out -` for none). Runtime-neutral but for `node:child_process` (only for
 * `--runtimes`) and `node:fs` (the JSON).
 *
 * @module
 */

import { mkdirSync, unlinkSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import SharedMapModule from "sharedmap";
import * as htabModule from "@kvkit/htab";
import * as rhashModule from "@kvkit/rhash";
import type { Store } from "@kvkit/store";
import { median } from "./_sampler.ts";
import { count, ROOT, runEachRuntime, runtimeName } from "./_runtimes.ts";
import { type Agent, spawnAgent } from "./_workers_spawn.ts";
import {
  type AgentKind,
  type BenchOp,
  type Command,
  CTL_GO,
  CTL_STOP,
  CTL_WORDS,
  keyNumber,
  keyString,
  keyWords,
  type Reply,
  shuffledRange,
  slice,
  valueBytes,
  valueString,
} from "./_workers_protocol.ts";

/** This file, as the other runtimes run it. */
const SELF = fileURLToPath(import.meta.url);

export type { AgentKind, BenchOp } from "./_workers_protocol.ts";

/** What a row of the table runs. */
export interface SharedStoreSpec {
  /** The Worker pool that runs it. */
  readonly kind: AgentKind;
  /** Operations per message (`post` only). */
  readonly batch: number;
  /** Whether it has `F_LOCK` rows. */
  readonly lock: boolean;
  /**
   * A shared map that each Worker makes for itself: the shared code path without the sharing,
   * to tell the cost of the code from the cost of cache lines moving between cores. Diagnostic
   * rows: run only when named in `stores`.
   */
  readonly own?: boolean;
}

/** The stores of the table, in row order, and what each row is. */
export const SHARED_STORES: Readonly<Record<string, SharedStoreSpec>> = {
  "shared htab": { kind: "shared-htab", batch: 1, lock: true },
  "shared rhash": { kind: "shared-rhash", batch: 1, lock: true },
  "shared htab (one per Worker)": { kind: "shared-htab", batch: 1, lock: true, own: true },
  "shared rhash (one per Worker)": { kind: "shared-rhash", batch: 1, lock: true, own: true },
  "private htab": { kind: "htab", batch: 1, lock: false },
  "private rhash": { kind: "rhash", batch: 1, lock: false },
  "Map + postMessage": { kind: "post", batch: 1, lock: false },
  "Map + postMessage x64": { kind: "post", batch: 64, lock: false },
  "sharedmap": { kind: "sharedmap", batch: 1, lock: false },
};

/** One timed run: operations per second of each Worker, and their sum. */
export interface WorkerSample {
  /** Sum over the Workers, ops/s. */
  readonly total: number;
  /** Each Worker's own ops/s (its operations over its own time). */
  readonly perWorker: readonly number[];
}

/** One row: a store, an operation, a value size, plain or `F_LOCK`; its samples per Worker count. */
export interface SharedRow {
  /** A name of {@linkcode SHARED_STORES}. */
  readonly store: string;
  /** `lookup` or `update`. */
  readonly op: BenchOp;
  /** Value bytes. */
  readonly valueSize: number;
  /** `F_LOCK` on every operation. */
  readonly lock: boolean;
  /** One entry per Worker count, in `workers` order: the samples of each round. */
  readonly byWorkers: readonly { readonly workers: number; readonly samples: WorkerSample[] }[];
}

/** A ratio the bench reports, the median of its per-round ratios, with its target if any. */
export interface SharedRatio {
  /** What is divided by what, e.g. `shared htab lookup 8 B: 2 vs 1 Workers`. */
  readonly name: string;
  /** The median per-round ratio. */
  readonly value: number;
  /** The issue's target: `>=` or `<=` a number. */
  readonly target?: { readonly cmp: ">=" | "<="; readonly x: number };
}

/** One runtime's result. */
export interface SharedResult {
  /** e.g. `deno 2.9.6`. */
  readonly runtime: string;
  /** Present keys in every store. */
  readonly entries: number;
  /** Measured ms per run. */
  readonly ms: number;
  /** The Worker counts. */
  readonly workers: readonly number[];
  /** The rows, in table order. */
  readonly rows: SharedRow[];
  /** The ratios, targets first. */
  readonly ratios: SharedRatio[];
  /** Stores left out, and why (e.g. the shared maps before they are exported). */
  readonly skipped: string[];
}

/** How to run. */
export interface SharedOptions {
  /** Worker counts (default `[1, 2]`); the first is the base of the scaling ratios. */
  readonly workers?: readonly number[];
  /** Measured ms per run (default 300). */
  readonly ms?: number;
  /** Warm-up ms per run, every Worker at once (default `min(100, ms)`). */
  readonly warmMs?: number;
  /** Present keys (default 10 000). */
  readonly entries?: number;
  /** Rounds (default 3). */
  readonly samples?: number;
  /** Value sizes in bytes (default `[8, 64]`). */
  readonly valueSizes?: readonly number[];
  /** Stores (default every one of {@linkcode SHARED_STORES}). */
  readonly stores?: readonly string[];
  /** Operations (default both, `lookup` and `update`). */
  readonly ops?: readonly BenchOp[];
  /** Leave out the `F_LOCK` rows (default false). */
  readonly noLock?: boolean;
  /** Called after each run, e.g. for a progress line. */
  readonly onProgress?: (done: number, total: number, label: string) => void;
}

/** What the main thread needs of a shared map class (until its types are in the packages). */
interface SharedClass {
  new (options: { keySize: number; valueSize: number; maxEntries: number }): Store & {
    share(): unknown;
  };
}

/**
 * The shared map classes exported by `@kvkit/htab` and `@kvkit/rhash`, where they exist yet.
 *
 * @returns The classes found, by store name.
 */
function sharedClasses(): Partial<Record<AgentKind, SharedClass>> {
  const htab = (htabModule as Record<string, unknown>).SharedHtab;
  const rhash = (rhashModule as Record<string, unknown>).SharedRhash;
  return {
    ...(typeof htab === "function" ? { "shared-htab": htab as SharedClass } : {}),
    ...(typeof rhash === "function" ? { "shared-rhash": rhash as SharedClass } : {}),
  };
}

interface Unit {
  readonly store: string;
  readonly kind: AgentKind;
  readonly own: boolean;
  readonly batch: number;
  readonly op: BenchOp;
  readonly lock: boolean;
  readonly valueSize: number;
  readonly row: SharedRow;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function expect(r: Reply, type: Reply["type"]): Reply {
  if (r.type !== type) {
    throw new Error(`expected '${type}' from a Worker, got ${JSON.stringify(r)}`);
  }
  return r;
}

/**
 * Measures every store, operation and value size with each Worker count, in interleaved rounds.
 *
 * @param options Worker counts, run length, entries, rounds, value sizes, stores.
 * @returns The runtime's result.
 * @throws {Error} An unknown store name, a Worker that failed, or a lookup that missed a present key.
 *
 * @example A peer at a tiny size (real Workers: `deno test` needs --allow-read for them)
 * ```ts
 * import { sharedWorkersBench } from "./shared_workers.ts";
 * import assert from "node:assert/strict";
 *
 * const r = await sharedWorkersBench({
 *   entries: 500,
 *   ms: 5,
 *   samples: 1,
 *   valueSizes: [8],
 *   stores: ["sharedmap"],
 * });
 * assert.equal(r.rows[0]!.store, "sharedmap");
 * assert.ok(r.rows[0]!.byWorkers[1]!.samples[0]!.total > 0);
 * ```
 */
export async function sharedWorkersBench(options: SharedOptions = {}): Promise<SharedResult> {
  const workers = options.workers ?? [1, 2];
  const ms = options.ms ?? 300;
  const warmMs = options.warmMs ?? Math.min(100, ms);
  const n = options.entries ?? 10_000;
  const rounds = options.samples ?? 3;
  const valueSizes = options.valueSizes ?? [8, 64];
  const names = options.stores ??
    Object.keys(SHARED_STORES).filter((s) => SHARED_STORES[s]!.own !== true);
  const ops = options.ops ?? ["lookup", "update"];
  const badOp = ops.find((op) => op !== "lookup" && op !== "update");
  if (badOp !== undefined) throw new Error(`unknown op '${badOp}'; known: lookup, update`);
  const unknown = names.find((s) => !Object.hasOwn(SHARED_STORES, s));
  if (unknown !== undefined) {
    throw new Error(`unknown store '${unknown}'; known: ${Object.keys(SHARED_STORES).join(", ")}`);
  }
  if (n >= 1 << 21) throw new Error(`--entries ${n}: at most ${(1 << 21) - 1} (keys as numbers)`);
  const classes = sharedClasses();
  const skipped: string[] = [];
  const stores = names.filter((s) => {
    const { kind } = SHARED_STORES[s]!;
    if ((kind === "shared-htab" || kind === "shared-rhash") && classes[kind] === undefined) {
      skipped.push(
        `${s}: ${kind === "shared-htab" ? "SharedHtab" : "SharedRhash"} is not ` +
          `exported by @kvkit/${kind.slice(7)} yet`,
      );
      return false;
    }
    return true;
  });

  const words = keyWords(n);
  const keys = words.buffer as SharedArrayBuffer;
  const maxEntries = Math.max(n, 1 << 14);
  const ctl = new Int32Array(new SharedArrayBuffer(4 * CTL_WORDS));
  let epoch = 0;

  // The rows, in table order: per store, lookups then updates, per value size plain then locked.
  const units: Unit[] = [];
  const rows: SharedRow[] = [];
  for (const store of stores) {
    const { kind, batch, lock, own = false } = SHARED_STORES[store]!;
    for (const op of ops) {
      for (const valueSize of valueSizes) {
        for (const locked of lock && options.noLock !== true ? [false, true] : [false]) {
          const row: SharedRow = {
            store,
            op,
            valueSize,
            lock: locked,
            byWorkers: workers.map((w) => ({ workers: w, samples: [] })),
          };
          rows.push(row);
          units.push({ store, kind, own, batch, op, lock: locked, valueSize, row });
        }
      }
    }
  }

  // The maps every Worker shares, made and filled here (this thread stays attached).
  const handles = new Map<string, unknown>();
  const opened: Store[] = [];
  const key = new Uint8Array(8);
  const key32 = new Uint32Array(key.buffer);
  for (const store of stores) {
    const { kind, own } = SHARED_STORES[store]!;
    if (own === true) continue;
    for (const valueSize of valueSizes) {
      const id = `${kind}/${valueSize}`;
      if (handles.has(id)) continue;
      if (kind === "shared-htab" || kind === "shared-rhash") {
        const s = new classes[kind]!({ keySize: 8, valueSize, maxEntries });
        opened.push(s);
        const value = valueBytes(valueSize, 0);
        for (let i = 0; i < n; i++) {
          key32[0] = words[2 * i]!;
          key32[1] = words[2 * i + 1]!;
          s.set(key, value);
        }
        handles.set(id, s.share());
      } else if (kind === "sharedmap") {
        const cls = ((SharedMapModule as unknown as { default?: unknown }).default ??
          SharedMapModule) as new (size: number, keySize: number, objSize: number) => {
            set(k: string, v: string): void;
          };
        // Sizes are in UTF-16 units, and one more for the 0 that ends a shorter string.
        const map = new cls(maxEntries, 9, valueSize + 1);
        const value = valueString(valueSize, 0);
        for (let i = 0; i < n; i++) map.set(keyString(words, i), value);
        handles.set(id, map);
      }
    }
  }

  const pools = new Map<AgentKind, Agent[]>();
  const maxWorkers = Math.max(...workers);
  const pool = async (kind: AgentKind): Promise<Agent[]> => {
    let p = pools.get(kind);
    if (p === undefined) {
      p = await Promise.all(Array.from({ length: maxWorkers }, () => spawnAgent()));
      pools.set(kind, p);
    }
    return p;
  };

  const runTimed = async (u: Unit, w: number): Promise<WorkerSample> => {
    const agents = (await pool(u.kind)).slice(0, w);
    if (u.kind === "post") return await runPost(agents, u, words, ms, warmMs);
    epoch++;
    agents.forEach((a, index) =>
      a.send({
        type: "run",
        kind: u.kind as Exclude<AgentKind, "post">,
        storeId: `${u.kind}${u.own ? "/own" : ""}/${u.valueSize}`,
        ...(u.own ? {} : { handle: handles.get(`${u.kind}/${u.valueSize}`) }),
        op: u.op,
        lock: u.lock,
        valueSize: u.valueSize,
        keys,
        index,
        workers: w,
        ctl: ctl.buffer as SharedArrayBuffer,
        epoch,
        warmMs,
      })
    );
    for (const a of agents) expect(await a.next(), "ready");
    Atomics.store(ctl, CTL_GO, epoch);
    Atomics.notify(ctl, CTL_GO);
    await sleep(ms);
    Atomics.store(ctl, CTL_STOP, epoch);
    const perWorker: number[] = [];
    for (const a of agents) {
      const r = expect(await a.next(), "done") as Extract<Reply, { type: "done" }>;
      perWorker.push((r.ops * 1000) / r.ms);
    }
    return { total: perWorker.reduce((x, y) => x + y, 0), perWorker };
  };

  try {
    const total = rounds * units.length * workers.length;
    let done = 0;
    for (let r = 0; r < rounds; r++) {
      for (const u of units) {
        for (const [i, w] of workers.entries()) {
          u.row.byWorkers[i]!.samples.push(await runTimed(u, w));
          options.onProgress?.(++done, total, `${u.store} ${u.op} ${u.valueSize} B x${w}`);
        }
      }
    }
  } finally {
    for (const agents of pools.values()) {
      for (const a of agents) {
        await a.request({ type: "close" }).catch(() => undefined);
        await a.terminate();
      }
    }
    for (const s of opened) s.close();
  }
  return {
    runtime: runtimeName(),
    entries: n,
    ms,
    workers: [...workers],
    rows,
    ratios: sharedRatios(rows, workers),
    skipped,
  };
}

/**
 * The `post` rows: the main thread requests from the Workers that own the keys, one request in
 * flight per Worker, for `warmMs` untimed, then `ms` timed.
 */
async function runPost(
  agents: readonly Agent[],
  u: Unit,
  words: Uint32Array,
  ms: number,
  warmMs: number,
): Promise<WorkerSample> {
  const n = words.length >> 1;
  const vs = u.valueSize;
  // Each Worker owns a slice; lookups and updates alike go to the owner of the key.
  const plans = await Promise.all(agents.map(async (a, index) => {
    const [start, end] = slice(n, index, agents.length);
    expect(
      await a.request({
        type: "own",
        keys: words.buffer as SharedArrayBuffer,
        start,
        end,
        valueSize: vs,
      }),
      "ok",
    );
    const order = shuffledRange(start, end, index);
    const nums = Float64Array.from(order, (i) => keyNumber(words, i));
    // Batches are standalone arrays: a view into a bigger buffer would clone the whole buffer.
    const batches: Float64Array[] = [];
    for (let p = 0; p < nums.length; p += u.batch) {
      const b = new Float64Array(u.batch);
      for (let j = 0; j < u.batch; j++) b[j] = nums[(p + j) % nums.length]!;
      batches.push(b);
    }
    return { nums, batches };
  }));
  const values = [valueBytes(vs, 0), valueBytes(vs, 1)];
  const batchValues = [0, 1].map((which) => {
    const b = new Uint8Array(u.batch * vs);
    for (let j = 0; j < u.batch; j++) b.set(values[which]!, j * vs);
    return b;
  });
  let sink = 0;
  const pump = async (i: number, until: number): Promise<{ ops: number; ms: number }> => {
    const a = agents[i]!;
    const { nums, batches } = plans[i]!;
    let p = 0, ops = 0;
    const t0 = performance.now();
    // At least one request per run, so a late start still measures something.
    do {
      let cmd: Command;
      if (u.batch === 1) {
        const k = nums[p]!;
        cmd = u.op === "lookup"
          ? { type: "get", valueSize: vs, key: k }
          : { type: "set", valueSize: vs, key: k, value: values[ops & 1]! };
        if (++p === nums.length) p = 0;
      } else {
        const ks = batches[p]!;
        cmd = u.op === "lookup"
          ? { type: "getBatch", valueSize: vs, keys: ks }
          : { type: "setBatch", valueSize: vs, keys: ks, values: batchValues[(ops >> 6) & 1]! };
        if (++p === batches.length) p = 0;
      }
      const r = await a.request(cmd);
      if (u.op === "lookup") {
        const v = (r as Extract<Reply, { type: "value" }>).value;
        if (v === null || v === undefined) throw new Error("Map owner: a present key not found");
        sink += v[0]!;
      }
      ops += u.batch;
    } while (performance.now() < until);
    return { ops, ms: performance.now() - t0 };
  };
  const warmUntil = performance.now() + warmMs;
  await Promise.all(agents.map((_, i) => pump(i, warmUntil)));
  const until = performance.now() + ms;
  const runs = await Promise.all(agents.map((_, i) => pump(i, until)));
  const perWorker = runs.map((r) => (r.ops * 1000) / r.ms + (sink & 0));
  return { total: perWorker.reduce((x, y) => x + y, 0), perWorker };
}

/** The issue's targets, by ratio kind. */
const TARGETS = {
  lookupScaling: { cmp: ">=", x: 1.7 },
  updateScaling: { cmp: ">=", x: 1.4 },
  lockedRead: { cmp: "<=", x: 3 },
} as const;

function perRound(
  a: readonly WorkerSample[],
  b: readonly WorkerSample[],
  f: (x: number, y: number) => number,
): number {
  const k = Math.min(a.length, b.length);
  if (k === 0) return NaN;
  return median(Array.from({ length: k }, (_, i) => f(a[i]!.total, b[i]!.total)));
}

/**
 * The ratios of a result: scaling (each Worker count against the first), the cost of `F_LOCK`
 * (plain ops/s over locked ops/s, so "3x" means a locked operation takes 3 times as long), the
 * cost of sharing (private over shared) and the shared maps against the peers; each the median
 * of per-round ratios.
 *
 * @param rows The rows, samples in round order.
 * @param workers The Worker counts.
 * @returns The ratios, the issue's targeted ones first.
 *
 * @example Two Workers doing 1.8 times the lookups of one
 * ```ts
 * import { sharedRatios } from "./shared_workers.ts";
 * import assert from "node:assert/strict";
 *
 * const s = (total: number) => ({ total, perWorker: [total] });
 * const rows = [{
 *   store: "shared htab", op: "lookup" as const, valueSize: 8, lock: false,
 *   byWorkers: [{ workers: 1, samples: [s(10)] }, { workers: 2, samples: [s(18)] }],
 * }];
 * const [r] = sharedRatios(rows, [1, 2]);
 * assert.equal(r!.name, "shared htab lookup 8 B: 2 vs 1 Workers");
 * assert.equal(r!.value, 1.8);
 * assert.deepEqual(r!.target, { cmp: ">=", x: 1.7 });
 * ```
 */
export function sharedRatios(
  rows: readonly SharedRow[],
  workers: readonly number[],
): SharedRatio[] {
  const targeted: SharedRatio[] = [];
  const other: SharedRatio[] = [];
  const find = (store: string, op: BenchOp, valueSize: number, lock: boolean) =>
    rows.find((r) =>
      r.store === store && r.op === op && r.valueSize === valueSize && r.lock === lock
    );
  const isShared = (store: string) => store.startsWith("shared ");
  const w0 = workers[0]!;
  for (const row of rows) {
    const base = row.byWorkers[0]!;
    const what = `${row.store} ${row.op}${row.lock ? " F_LOCK" : ""} ${row.valueSize} B`;
    // Scaling: every Worker count against the first.
    for (const bw of row.byWorkers.slice(1)) {
      const value = perRound(bw.samples, base.samples, (x, y) => x / y);
      const target = isShared(row.store) && !row.lock && w0 === 1 && bw.workers === 2
        ? (row.op === "lookup" ? TARGETS.lookupScaling : TARGETS.updateScaling)
        : undefined;
      const ratio = { name: `${what}: ${bw.workers} vs ${w0} Workers`, value };
      (target === undefined ? other : targeted).push(
        target === undefined ? ratio : { ...ratio, target },
      );
    }
    // F_LOCK: plain ops/s over locked ops/s, at each Worker count.
    if (row.lock) {
      const plain = find(row.store, row.op, row.valueSize, false);
      if (plain === undefined) continue;
      for (const [i, bw] of row.byWorkers.entries()) {
        const value = perRound(plain.byWorkers[i]!.samples, bw.samples, (x, y) => x / y);
        const name = `${row.store} ${row.op} ${row.valueSize} B, ${bw.workers} ` +
          `Worker${bw.workers === 1 ? "" : "s"}: locked / plain (time per op)`;
        if (row.op === "lookup") targeted.push({ name, value, target: TARGETS.lockedRead });
        else other.push({ name, value });
      }
    }
  }
  // What sharing costs, and what the shared maps give over the peers (ops/s over ops/s).
  for (const shared of ["shared htab", "shared rhash"]) {
    for (const row of rows.filter((r) => r.store === shared && !r.lock)) {
      const against = [
        [`private ${shared.slice(7)}`, "private / shared"],
        [`${shared} (one per Worker)`, "one per Worker / shared"],
        ["Map + postMessage", "shared / Map + postMessage"],
        ["Map + postMessage x64", "shared / Map + postMessage x64"],
        ["sharedmap", "shared / sharedmap"],
      ] as const;
      for (const [peer, label] of against) {
        const p = find(peer, row.op, row.valueSize, false);
        if (p === undefined) continue;
        for (const [i, bw] of row.byWorkers.entries()) {
          const privateFirst = !label.startsWith("shared /");
          const value = perRound(
            privateFirst ? p.byWorkers[i]!.samples : bw.samples,
            privateFirst ? bw.samples : p.byWorkers[i]!.samples,
            (x, y) => x / y,
          );
          other.push({
            name: `${shared} ${row.op} ${row.valueSize} B, ${bw.workers} Worker${
              bw.workers === 1 ? "" : "s"
            }: ${label}`,
            value,
          });
        }
      }
    }
  }
  return [...targeted, ...other];
}

/**
 * Whether a ratio meets its target.
 *
 * @param r The ratio.
 * @returns `undefined` without a target.
 */
export function meets(r: SharedRatio): boolean | undefined {
  if (r.target === undefined) return undefined;
  return r.target.cmp === ">=" ? r.value >= r.target.x : r.value <= r.target.x;
}

/**
 * Operations per second, short: `12.3M`, `456k`, `789`.
 *
 * @param x ops/s.
 * @returns The text.
 */
export function opsText(x: number): string {
  if (x >= 1e6) return `${(x / 1e6).toFixed(x >= 1e7 ? 1 : 2)}M`;
  if (x >= 1e3) return `${(x / 1e3).toFixed(x >= 1e4 ? 0 : 1)}k`;
  return x.toFixed(0);
}

function ratioText(x: number): string {
  return Number.isFinite(x) ? `${x.toFixed(2)}x` : "-";
}

function medianSample(samples: readonly WorkerSample[]): WorkerSample | undefined {
  if (samples.length === 0) return undefined;
  const sorted = [...samples].sort((a, b) => a.total - b.total);
  return sorted[(sorted.length - 1) >> 1];
}

/**
 * One runtime's throughput table in Markdown: a row per store, operation, value size and
 * locking; per Worker count the total ops/s (median round) and each Worker's share; then the
 * scaling against the first Worker count.
 *
 * @param result One runtime's result.
 * @returns The Markdown text.
 *
 * @example A row
 * ```ts
 * import { formatThroughput } from "./shared_workers.ts";
 * import assert from "node:assert/strict";
 *
 * const s = (perWorker: number[]) => ({ total: perWorker[0]! + (perWorker[1] ?? 0), perWorker });
 * const text = formatThroughput({
 *   runtime: "deno 2", entries: 100, ms: 10, workers: [1, 2], skipped: [],
 *   ratios: [{ name: "sharedmap lookup 8 B: 2 vs 1 Workers", value: 1.6 }],
 *   rows: [{ store: "sharedmap", op: "lookup", valueSize: 8, lock: false, byWorkers: [
 *     { workers: 1, samples: [s([2e6])] }, { workers: 2, samples: [s([1.5e6, 1.7e6])] },
 *   ] }],
 * });
 * assert.match(text, /\| sharedmap \| lookup \| 8 B \| 2\.00M \| 3\.20M \| 1\.50M \+ 1\.70M \| 1\.60x \|/);
 * ```
 */
export function formatThroughput(result: SharedResult): string {
  const w0 = result.workers[0]!;
  const head = ["store", "op", "value"];
  for (const w of result.workers) {
    head.push(`${w} Worker${w === 1 ? "" : "s"} ops/s`);
    if (w > 1) head.push("per Worker");
  }
  for (const w of result.workers.slice(1)) head.push(`${w} vs ${w0}`);
  const lines = [
    `${result.runtime}: ${result.entries} keys of 8 B, ${result.ms} ms per run; total ops/s of ` +
    "the median round, then each Worker's own; scaling = median of per-round ratios.",
    "",
    `| ${head.join(" | ")} |`,
    `|${" --- |".repeat(head.length)}`,
  ];
  const ratios = new Map(result.ratios.map((r) => [r.name, r]));
  for (const row of result.rows) {
    const op = row.lock ? `${row.op} F_LOCK` : row.op;
    const cells = [row.store, op, `${row.valueSize} B`];
    for (const bw of row.byWorkers) {
      const m = medianSample(bw.samples);
      cells.push(m === undefined ? "-" : opsText(m.total));
      if (bw.workers > 1) cells.push(m === undefined ? "-" : m.perWorker.map(opsText).join(" + "));
    }
    const what = `${row.store} ${row.op}${row.lock ? " F_LOCK" : ""} ${row.valueSize} B`;
    for (const bw of row.byWorkers.slice(1)) {
      const r = ratios.get(`${what}: ${bw.workers} vs ${w0} Workers`);
      const mark = r === undefined ? undefined : meets(r);
      cells.push(
        r === undefined
          ? "-"
          : `${ratioText(r.value)}${
            mark === undefined ? "" : ` (${r.target!.cmp} ${r.target!.x}: ${mark ? "ok" : "MISS"})`
          }`,
      );
    }
    lines.push(`| ${cells.join(" | ")} |`);
  }
  for (const s of result.skipped) lines.push("", `Skipped: ${s}.`);
  return lines.join("\n");
}

// Untargeted ratios shown by default: F_LOCK and sharing costs, and the peers at the largest
// Worker count (the rest are in the JSON and with --all-ratios).
function shown(name: string, lastWorkers: number): boolean {
  if (/locked \/ plain|private \/ shared|one per Worker \/ shared/.test(name)) return true;
  return / shared \/ /.test(name) && name.includes(`, ${lastWorkers} Worker`);
}

/**
 * The ratios of one or more runtimes as one Markdown table: a row per ratio, its target, and a
 * column per runtime (`ok`/`MISS` against the target).
 *
 * @param results One result per runtime.
 * @param all Every ratio, or (default) the targeted ones, the costs of `F_LOCK` and of sharing,
 *   and the shared maps against the peers at the largest Worker count.
 * @returns The Markdown text.
 *
 * @example One targeted ratio
 * ```ts
 * import { formatRatios } from "./shared_workers.ts";
 * import assert from "node:assert/strict";
 *
 * const ratio = { name: "x: 2 vs 1 Workers", value: 1.5, target: { cmp: ">=" as const, x: 1.7 } };
 * const text = formatRatios([{
 *   runtime: "node 20", entries: 1, ms: 1, workers: [1, 2], rows: [], skipped: [], ratios: [ratio],
 * }]);
 * assert.match(text, /\| x: 2 vs 1 Workers \| >= 1\.7 \| 1\.50x MISS \|/);
 * ```
 */
export function formatRatios(results: readonly SharedResult[], all = false): string {
  const names: string[] = [];
  const targets = new Map<string, SharedRatio["target"]>();
  for (const r of results) {
    for (const x of r.ratios) {
      if (!targets.has(x.name)) {
        targets.set(x.name, x.target);
        names.push(x.name);
      }
    }
  }
  const lastWorkers = results[0]?.workers.at(-1) ?? 1;
  const head = ["ratio", "target", ...results.map((r) => r.runtime)];
  const lines = [`| ${head.join(" | ")} |`, `|${" --- |".repeat(head.length)}`];
  for (const name of names) {
    const target = targets.get(name);
    if (!all && target === undefined && !shown(name, lastWorkers)) continue;
    const cells = [name, target === undefined ? "" : `${target.cmp} ${target.x}`];
    for (const r of results) {
      const x = r.ratios.find((y) => y.name === name);
      const m = x === undefined ? undefined : meets(x);
      cells.push(
        x === undefined
          ? "-"
          : `${ratioText(x.value)}${m === undefined ? "" : m ? " ok" : " MISS"}`,
      );
    }
    lines.push(`| ${cells.join(" | ")} |`);
  }
  return lines.join("\n");
}

/**
 * Runs this file under each runtime in turn (`--json --out -`) and collects their results.
 *
 * @param runtimes `deno`, `node`, `bun`, in column order.
 * @param args Arguments passed on (`--workers`, `--ms`, …).
 * @returns One result per runtime.
 * @throws {Error} An unknown runtime (before any run), or a run that failed (with its stderr).
 */
export function runEachShared(
  runtimes: readonly string[],
  args: readonly string[],
): SharedResult[] {
  // Progress goes to stderr: shown live.
  return runEachRuntime<SharedResult>(
    SELF,
    runtimes,
    [...args, "--json", "--out", "-"],
    "inherit",
  );
}

const USAGE =
  `usage: shared_workers.ts [--runtimes deno,node,bun] [--workers 1,2] [--ms N] [--entries N]
                         [--samples N] [--values 8,64] [--stores 'shared htab,sharedmap']
                         [--ops lookup,update] [--no-lock] [--warm-ms N]
                         [--json] [--all-ratios] [--out FILE|-]
`;

function counts(name: string, s: string | undefined, min: number): number[] | undefined {
  return s?.split(",").map((x) => count(name, x.trim(), min)!);
}

function outPath(out: string): string {
  return out.startsWith("/") ? out : `${ROOT}${out}`;
}

function writeOut(out: string, results: readonly SharedResult[]): void {
  if (out === "-") return;
  writeFileSync(outPath(out), `${JSON.stringify(results, null, 1)}\n`);
}

async function main(argv: string[]): Promise<number> {
  const { values: a } = parseArgs({
    args: argv,
    options: {
      runtimes: { type: "string" },
      workers: { type: "string" },
      ms: { type: "string" },
      "warm-ms": { type: "string" },
      entries: { type: "string" },
      samples: { type: "string" },
      values: { type: "string" },
      stores: { type: "string" },
      ops: { type: "string" },
      "no-lock": { type: "boolean" },
      json: { type: "boolean" },
      "all-ratios": { type: "boolean" },
      out: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (a.help === true) {
    process.stdout.write(USAGE);
    return 0;
  }
  const out = a.out ?? "bench-results/shared_workers.json";
  if (out !== "-") {
    // A folder that cannot be written fails now, not after minutes of measuring.
    const probe = `${outPath(out)}.tmp`;
    mkdirSync(dirname(probe), { recursive: true });
    writeFileSync(probe, "");
    unlinkSync(probe);
  }
  let results: SharedResult[];
  if (a.runtimes !== undefined) {
    const passOn: string[] = [];
    for (let i = 0; i < argv.length; i++) {
      const x = argv[i]!;
      if (x === "--runtimes" || x === "--out") i++;
      else if (x.startsWith("--runtimes=") || x.startsWith("--out=") || x === "--json") continue;
      else passOn.push(x);
    }
    results = runEachShared(a.runtimes.split(",").map((s) => s.trim()).filter(Boolean), passOn);
  } else {
    const tty = (process.stderr as { isTTY?: boolean }).isTTY === true;
    results = [
      await sharedWorkersBench({
        ...optional("workers", counts("workers", a.workers, 1)),
        ...optional("ms", count("ms", a.ms, 1)),
        ...optional("warmMs", count("warm-ms", a["warm-ms"], 0)),
        ...optional("entries", count("entries", a.entries, 1)),
        ...optional("samples", count("samples", a.samples, 1)),
        ...optional("valueSizes", counts("values", a.values, 1)),
        ...optional("stores", a.stores?.split(",").map((s) => s.trim()).filter(Boolean)),
        ...optional("ops", a.ops?.split(",").map((s) => s.trim() as BenchOp).filter(Boolean)),
        ...(a["no-lock"] === true ? { noLock: true } : {}),
        ...(tty
          ? {
            onProgress: (done: number, total: number, label: string) =>
              process.stderr.write(
                `\r\x1b[K${done}/${total} ${label}${done === total ? "\n" : ""}`,
              ),
          }
          : {}),
      }),
    ];
  }
  writeOut(out, results);
  if (a.json === true) {
    process.stdout.write(`${JSON.stringify(results.length === 1 ? results[0] : results)}\n`);
    return 0;
  }
  const text = [
    ...results.map(formatThroughput),
    "Ratios (median of per-round ratios; `locked / plain` is time per operation):",
    formatRatios(results, a["all-ratios"] === true),
  ];
  process.stdout.write(`${text.join("\n\n")}\n`);
  return 0;
}

function optional<K extends string, V>(key: K, v: V | undefined): { [P in K]?: V } {
  return (v === undefined ? {} : { [key]: v }) as { [P in K]?: V };
}

// Deno and Bun set import.meta.main; Node 20 does not, so compare the entry path there.
const isMain = (import.meta as { main?: boolean }).main ?? process.argv[1] === SELF;
if (isMain) {
  try {
    process.exitCode = await main(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`shared_workers: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  }
}
