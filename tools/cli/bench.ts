/**
 * The explorer's quick benchmark: the standard workloads (insert, lookup hit, lookup miss,
 * update, iterate, delete) timed in process on a fresh store of the session's backend and
 * options, so the user's data is never touched. Cycles repeat until a time budget is spent;
 * the result is ops/s per workload, a rough local figure (the harness in tools/bench does the
 * side-by-side ratios).
 *
 * @module
 */

import { type Backend, EXIST, isStoreError, NOEXIST, type Store } from "@kvkit/store";

/** One workload's result. */
export interface BenchRow {
  /** The workload name. */
  readonly workload: string;
  /** Operations run. */
  readonly ops: number;
  /** Total milliseconds spent in them. */
  readonly ms: number;
  /** Operations per second. */
  readonly opsPerSec: number;
}

/** The whole quick benchmark. */
export interface BenchResult {
  /** Entries the store was filled with each cycle. */
  readonly entries: number;
  /** Key length in bytes. */
  readonly keyBytes: number;
  /** Value length in bytes. */
  readonly valueBytes: number;
  /** `memoryUsage()` of the filled store. */
  readonly memory: number;
  /** One row per workload. */
  readonly rows: BenchRow[];
}

/** Options of {@linkcode quickBench}. */
export interface BenchOptions {
  /** The most entries to insert (capped at the store's `maxEntries`); default 10 000. */
  readonly entries?: number;
  /** Milliseconds to spend in total, roughly; default 400. */
  readonly budgetMs?: number;
}

// A bijection on u32 (odd multiplier), so distinct counters give distinct, scattered keys.
const SCATTER = 2654435761;

function makeKeys(store: Store, n: number, offset: number): Uint8Array[] {
  const caps = store.capabilities;
  const keys: Uint8Array[] = [];
  if (caps.keyRange !== undefined) {
    for (let i = 0; i < n && caps.keyRange.min + offset + i <= caps.keyRange.max; i++) {
      const k = caps.keyRange.min + offset + i;
      keys.push(new Uint8Array([k & 0xff, (k >>> 8) & 0xff, (k >>> 16) & 0xff, k >>> 24]));
    }
    return keys;
  }
  const { min, max } = caps.keySize;
  const len = Math.min(Math.max(min, 8), max);
  const room = len >= 4 ? 2 ** 32 : 256 ** len;
  for (let i = 0; i < n && offset + i < room; i++) {
    const key = new Uint8Array(len);
    let x = len >= 4 ? Math.imul(offset + i, SCATTER) >>> 0 : offset + i;
    for (let b = 0; b < Math.min(len, 4); b++, x >>>= 8) key[b] = x & 0xff;
    for (let b = 4; b < len; b++) key[b] = (key[b - 4]! * 31 + b) & 0xff;
    keys.push(key);
  }
  return keys;
}

/**
 * Runs the quick benchmark on a fresh store.
 *
 * @param backend The backend to create the store from.
 * @param options The backend options.
 * @param bench Entry count and time budget.
 * @returns The rows and the filled store's memory.
 *
 * @example
 * ```ts
 * import { mapBackend } from "@kvkit/backends";
 * import { quickBench } from "./bench.ts";
 * import assert from "node:assert/strict";
 *
 * const result = quickBench(mapBackend, { keySize: 4 }, { entries: 100, budgetMs: 5 });
 * assert.equal(result.entries, 100);
 * assert.ok(result.rows.every((r) => r.ops > 0));
 * ```
 */
export function quickBench(
  // deno-lint-ignore no-explicit-any
  backend: Backend<any>,
  options: Record<string, unknown>,
  bench: BenchOptions = {},
): BenchResult {
  const store = backend.create(options);
  const caps = store.capabilities;
  const wanted = Math.min(bench.entries ?? 10_000, caps.maxEntries);
  const keys = makeKeys(store, wanted, 0);
  const misses = makeKeys(store, keys.length, keys.length);
  const valueBytes = caps.valueSizes?.[0] ?? Math.max(caps.valueSize.min, 1);
  const value = new Uint8Array(valueBytes).fill(0xab);
  const other = new Uint8Array(valueBytes).fill(0xcd);
  // A byte-bounded store may fill up before maxEntries: keep what fits.
  let n = keys.length;
  for (let i = 0; i < keys.length; i++) {
    try {
      store.set(keys[i]!, value, NOEXIST);
    } catch (err) {
      if (!isStoreError(err)) throw err;
      n = i;
      break;
    }
  }
  const memory = store.memoryUsage();
  store.clear();
  const used = keys.slice(0, n);
  const workloads: [string, () => number][] = [
    ["insert", () => {
      for (const k of used) store.set(k, value, NOEXIST);
      return used.length;
    }],
    ["lookup hit", () => {
      for (const k of used) store.get(k);
      return used.length;
    }],
    ["lookup miss", () => {
      for (const k of misses) store.get(k);
      return misses.length;
    }],
    ["update", () => {
      for (const k of used) store.set(k, other, EXIST);
      return used.length;
    }],
    ["iterate", () => {
      let c = 0;
      for (const _ of store.entries()) c++;
      return c;
    }],
    ["delete", () => {
      for (const k of used) store.delete(k);
      return used.length;
    }],
  ];
  const totals = workloads.map(([workload]) => ({ workload, ops: 0, ms: 0 }));
  const budget = bench.budgetMs ?? 400;
  const began = performance.now();
  do {
    workloads.forEach(([, run], i) => {
      const t0 = performance.now();
      const ops = run();
      totals[i]!.ms += performance.now() - t0;
      totals[i]!.ops += ops;
    });
  } while (performance.now() - began < budget && n > 0);
  return {
    entries: n,
    keyBytes: used[0]?.length ?? caps.keySize.min,
    valueBytes,
    memory,
    rows: totals.map((t) => ({
      ...t,
      opsPerSec: t.ms > 0 ? Math.round(t.ops / (t.ms / 1000)) : 0,
    })),
  };
}
