/**
 * The explorer's `bench` through the benchmark harness (tools/bench): the standard workloads on
 * the data shape of the session's store (its key and value sizes, up to N entries), with the
 * session's options, side by side with a peer (default `map`) for ratios. When the harness is
 * not there, the caller falls back to the in-process {@linkcode quickBench} of ./bench.ts.
 *
 * @module
 */

import type { Store } from "@kvkit/store";
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

/** The harness's answer: its table and report. */
export interface HarnessBench {
  /** The harness's table. */
  readonly text: string;
  /** The harness's report (JSON-able). */
  readonly report: unknown;
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
 * Runs the harness on the session's backend and options, or says it is not available.
 *
 * @param session The session (its store is only read for its shape, never changed).
 * @param entries The most entries per group.
 * @param peers Backends to run alongside for ratios (names the harness resolves).
 * @returns The table and report, or `undefined` when tools/bench cannot be loaded.
 *
 * @example
 * ```ts ignore
 * import { harnessBench } from "./harness_bench.ts";
 * import { openSession } from "./session.ts";
 *
 * const result = await harnessBench(await openSession("map", {}), 1000, []);
 * console.log(result?.text);
 * ```
 */
export async function harnessBench(
  session: Session,
  entries: number,
  peers: readonly string[],
): Promise<HarnessBench | undefined> {
  let run: typeof import("../bench/run.ts");
  let table: typeof import("../bench/report_table.ts");
  try {
    run = await import("../bench/run.ts");
    table = await import("../bench/report_table.ts");
  } catch {
    return undefined;
  }
  const base = shapeOf(session.store, entries);
  const groups = GROUPS.map(([workload, fill]) => ({ workload, shape: { ...base, fill } }));
  const report = await run.runQuick([session.backend, ...peers], {
    groups,
    probeMB: 0,
    samples: 3,
    sampleMs: 20,
    backendOptions: { [session.backend.name]: session.options },
  });
  return { text: table.formatTable(report), report };
}
