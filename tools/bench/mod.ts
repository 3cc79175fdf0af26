/**
 * The benchmark harness as a library, for the explorer's `bench` command and scripts: run
 * the standard workloads on any backends side by side and render the report.
 *
 * @example A quick run, printed as a table
 * ```ts
 * import { formatTable, runQuick } from "./mod.ts";
 * import assert from "node:assert/strict";
 *
 * const report = await runQuick(["map"], {
 *   samples: 1, sampleMs: 2, probeMB: 0,
 *   groups: [{ workload: "lookup-hit", shape: { key: 8, entries: 100, fill: 1, value: 8 } }],
 * });
 * assert.match(formatTable(report), /lookup \(hit\)/);
 * ```
 *
 * @module
 */

export {
  type BenchGroup,
  type BenchOptions,
  type BenchReport,
  type BenchResult,
  type Progress,
  runBench,
  runQuick,
} from "./run.ts";
export { formatMarkdown, formatTable } from "./report_table.ts";
export { chartSvg } from "./chart_svg.ts";
export { type GroupSpec, type Scale, standardGroups } from "./groups.ts";
export type { Shape } from "./_fit.ts";
export { type Workload, WORKLOADS } from "./workloads.ts";
export { defaultBackendNames, resolveBackend } from "./resolve.ts";
