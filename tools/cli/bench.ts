/**
 * The explorer's `bench`: the benchmark harness of tools/bench (one engine, the same workloads
 * and report as `deno task bench`) run on the data shape of the session's store - its key and
 * value sizes, up to N entries - with the session's backend and options, on fresh stores (the
 * session's store is only read for its shape), side by side with peers for ratios. What a bench
 * may take is bounded (see ./limits.ts): a command must not run the session out of memory or
 * never return.
 *
 * @module
 */

import { type Store, StoreError } from "@kvkit/store";
import type { BenchReport } from "../bench/run.ts";
import { MAX_BENCH_ENTRIES, MAX_BENCH_SAMPLE_MS } from "./limits.ts";
import type { Session } from "./session.ts";

/** The workloads run, each with the fill it starts from. */
const GROUPS: readonly (readonly [string, number])[] = [
  ["lookup-hit", 1],
  ["lookup-miss", 0.75],
  ["insert", 0.5],
  ["update", 1],
  ["delete", 1],
  ["iterate", 1],
  ["batch", 1],
  ["memory", 1],
];

/** Timed samples per workload row. */
const SAMPLES = 3;

/** What to run. */
export interface SessionBenchOptions {
  /** The most entries per group, 1..{@linkcode MAX_BENCH_ENTRIES}. */
  readonly entries: number;
  /** Milliseconds per timed sample, 1..{@linkcode MAX_BENCH_SAMPLE_MS}. */
  readonly sampleMs: number;
  /** Backends to run alongside for ratios (names the harness resolves). */
  readonly peers: readonly string[];
}

/** The harness's answer: its table and report. */
export interface SessionBench {
  /** The harness's table. */
  readonly text: string;
  /** The harness's report (JSON-able). */
  readonly report: BenchReport;
}

function shapeOf(store: Store, entries: number): {
  key: number | [number, number];
  entries: number;
  fill: number;
  value: number;
} {
  const caps = store.capabilities;
  const { min, max } = caps.keySize;
  return {
    key: caps.keyRange !== undefined ? 4 : min === max ? min : [min, Math.min(max, 255)],
    entries: Math.max(1, Math.min(entries, caps.maxEntries)),
    fill: 1,
    value: caps.valueSizes?.[0] ?? Math.max(caps.valueSize.min, Math.min(8, caps.valueSize.max)),
  };
}

/**
 * Checks a bench's size and sample time against the explorer's limits.
 *
 * @param options The entries and sample time asked for.
 * @throws {StoreError} `E2BIG` for more entries than {@linkcode MAX_BENCH_ENTRIES}, `EINVAL`
 * for a count that is not a positive integer or a sample time outside
 * 1..{@linkcode MAX_BENCH_SAMPLE_MS}.
 *
 * @example The limits
 * ```ts
 * import { checkBenchLimits } from "./bench.ts";
 * import assert from "node:assert/strict";
 *
 * checkBenchLimits({ entries: 1000, sampleMs: 20 });
 * assert.throws(() => checkBenchLimits({ entries: 2 ** 24, sampleMs: 20 }), { code: "E2BIG" });
 * assert.throws(() => checkBenchLimits({ entries: 100, sampleMs: 99999999999 }), { code: "EINVAL" });
 * ```
 */
export function checkBenchLimits(options: { entries: number; sampleMs: number }): void {
  const { entries, sampleMs } = options;
  if (!Number.isSafeInteger(entries) || entries < 1) {
    throw new StoreError("EINVAL", `bench: ${entries} entries is not a positive integer`);
  }
  if (entries > MAX_BENCH_ENTRIES) {
    throw new StoreError(
      "E2BIG",
      `bench: ${entries} entries is more than the explorer's limit of ${MAX_BENCH_ENTRIES} ` +
        `(a bench builds several stores of that size in this process); for bigger runs use ` +
        `\`deno task bench\``,
    );
  }
  if (!Number.isSafeInteger(sampleMs) || sampleMs < 1 || sampleMs > MAX_BENCH_SAMPLE_MS) {
    throw new StoreError(
      "EINVAL",
      `bench: ms ${sampleMs} is not a sample time in 1..${MAX_BENCH_SAMPLE_MS} ms ` +
        `(${SAMPLES} samples a row)`,
    );
  }
}

/**
 * Runs the harness on the session's backend and options.
 *
 * @param session The session (its store is only read for its shape, never changed).
 * @param options Entries, sample time and peers, checked with {@linkcode checkBenchLimits}.
 * @returns The table and report.
 * @throws {StoreError} Over a limit, or a peer the harness does not know (`EINVAL`).
 *
 * @example Benchmarking a session's store shape
 * ```ts
 * import { benchSession } from "./bench.ts";
 * import { openSession } from "./session.ts";
 * import assert from "node:assert/strict";
 *
 * const session = await openSession("map", { keySize: 4 });
 * const { report } = await benchSession(session, { entries: 64, sampleMs: 1, peers: [] });
 * assert.equal(report.groups[0]!.workload, "lookup-hit");
 * assert.equal(session.store.size, 0);
 * ```
 */
export async function benchSession(
  session: Session,
  options: SessionBenchOptions,
): Promise<SessionBench> {
  checkBenchLimits(options);
  // Loaded on first use: the harness and its peers are not needed to open a store.
  const { runQuick } = await import("../bench/run.ts");
  const { formatTable } = await import("../bench/report_table.ts");
  const base = shapeOf(session.store, options.entries);
  const groups = GROUPS.map(([workload, fill]) => ({ workload, shape: { ...base, fill } }));
  const report = await runQuick([session.backend, ...options.peers], {
    groups,
    probeMB: 0,
    samples: SAMPLES,
    sampleMs: options.sampleMs,
    backendOptions: { [session.backend.name]: session.options },
  });
  return { text: formatTable(report), report };
}
