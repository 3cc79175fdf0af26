/**
 * The report as a terminal table (cli-table3) or a Markdown table.
 *
 * @module
 */

import Table from "cli-table3";
import type { BenchGroup, BenchReport, BenchResult } from "./run.ts";

/**
 * A count with a metric suffix: `12.3M`, `456K`, `789`.
 *
 * @param n The number.
 * @returns The short form.
 */
export function si(n: number): string {
  const abs = Math.abs(n);
  if (abs >= 1e9) return `${(n / 1e9).toPrecision(3)}G`;
  if (abs >= 1e6) return `${(n / 1e6).toPrecision(3)}M`;
  if (abs >= 1e3) return `${(n / 1e3).toPrecision(3)}K`;
  return n >= 100 ? n.toFixed(0) : n.toPrecision(3);
}

// `path` names the read path of workloads that measure several (getInto / get (copy), …).
const HEAD = [
  "backend",
  "path",
  "ops/s",
  "× base (p10-p90)",
  "ns/op",
  "× mem",
  "B/entry",
  "heap B/e",
];

/** The width the terminal table fits in: notes go below it, wrapped to this. */
export const TABLE_COLUMNS = 120;

function notesOf(r: BenchResult): string[] {
  return [
    ...(r.fitted !== undefined && r.notes.length > 0 ? [r.fitted] : []),
    // Key and value adaptations are already in the fitted label.
    ...r.notes.filter((n) => !/^(keys (?!padded)|values )/.test(n)),
    ...(r.skipped !== undefined ? [`skipped: ${r.skipped}`] : []),
  ];
}

function ratioCell(g: BenchGroup, r: BenchResult): string {
  if (r.ratio === undefined) return "";
  if (g.baseline === r.backend && r.ratio === 1) return "baseline";
  const range = r.ratioRange === undefined
    ? ""
    : ` ${r.ratioRange[0].toFixed(2)}-${r.ratioRange[1].toFixed(2)}`;
  return `${r.ratio.toFixed(2)}x${range}`;
}

function row(g: BenchGroup, r: BenchResult): string[] {
  const fmt = (v: number | undefined, f: (x: number) => string): string =>
    v === undefined ? "" : f(v);
  return [
    r.backend,
    r.path ?? "",
    fmt(
      r.opsPerSec,
      (x) =>
        r.spread === undefined || r.samples.length < 2
          ? si(x)
          : `${si(x)} ±${(r.spread * 100).toFixed(0)}%`,
    ),
    ratioCell(g, r),
    fmt(r.nsPerOp, (x) => x.toFixed(x < 10 ? 2 : 1)),
    fmt(r.memAccesses, (x) => x.toFixed(2)),
    fmt(r.bytesPerEntry, (x) => x.toFixed(1)),
    fmt(r.heapBytesPerEntry, (x) => x.toFixed(1)),
  ];
}

/**
 * Text wrapped at spaces to lines of at most `width` columns (a longer word stays whole),
 * every line after the first indented by `indent`.
 *
 * @param text The text.
 * @param width The columns.
 * @param indent The continuation indent.
 * @returns The lines.
 *
 * @example Wrapping a note
 * ```ts
 * import { wrap } from "./report_table.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(wrap("[1] one two three", 10, "    "), ["[1] one", "    two", "    three"]);
 * ```
 */
export function wrap(text: string, width: number, indent: string): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    if (line !== "" && line.length + 1 + word.length > width) {
      lines.push(line);
      line = indent + word;
    } else {
      line = line === "" ? word : `${line} ${word}`;
    }
  }
  if (line !== "") lines.push(line);
  return lines;
}

function header(report: BenchReport): string {
  const p = report.probe;
  const probe = p === undefined
    ? "no memory-latency probe"
    : `one random memory access (${p.bytes / 2 ** 20} MiB pointer chase): ${
      p.nsPerAccess.toFixed(1)
    } ns`;
  const env = report.environment;
  return `${env.runtime} · ${env.platform}/${env.arch} · ${env.cpus} cpus · ${probe}`;
}

/**
 * The report as a terminal table that fits {@linkcode TABLE_COLUMNS} columns: one section per
 * group, its baseline marked; `path` says which read path a row measured (`getInto` or
 * `get (copy)`, `entries() (copy)` or `entries({reuse})`); `× base` is ops/s over the
 * baseline's on the same path (bytes over the baseline's for memory rows) with the 10th-90th
 * percentile of the per-round ratios, `× mem` is ns/op over one random memory access. A row
 * with notes (fitted data, skips) carries `[n]`; the notes follow the table, wrapped.
 *
 * @param report A report from `runBench`/`runQuick`.
 * @returns The table text (no colours).
 *
 * @example Every line fits 120 columns
 * ```ts
 * import { formatTable, TABLE_COLUMNS } from "./report_table.ts";
 * import assert from "node:assert/strict";
 *
 * const text = formatTable({
 *   environment: { runtime: "deno", platform: "linux", arch: "x64", cpus: 2, date: "now" },
 *   backends: [],
 *   groups: [{
 *     id: "g", workload: "insert", title: "insert", metric: "ops",
 *     shape: { key: 8, entries: 10, fill: 1, value: 8 }, shapeLabel: "key 8 B", baseline: "map",
 *     results: [{ backend: "map", kind: "builtin", notes: ["a long note ".repeat(30)], samples: [] }],
 *   }],
 * });
 * assert.ok(text.split("\n").every((l) => l.length <= TABLE_COLUMNS));
 * assert.match(text, /^\[1\] .*a long note/m);
 * ```
 */
export function formatTable(report: BenchReport): string {
  const table = new Table({ head: HEAD, style: { head: [], border: [] } });
  const notes: string[] = [];
  for (const g of report.groups) {
    table.push([{ colSpan: HEAD.length, content: `${g.title} · ${g.shapeLabel}` }]);
    for (const r of g.results) {
      const cells = row(g, r);
      const n = notesOf(r);
      if (n.length > 0) {
        // A backend's rows of several paths share their note: one number for the same text.
        const text = `${r.backend}: ${n.join("; ")}`;
        let at = notes.indexOf(text);
        if (at < 0) at = notes.push(text) - 1;
        cells[0] = `${cells[0]} [${at + 1}]`;
      }
      table.push(cells);
    }
  }
  const below = notes.flatMap((n, i) => wrap(`[${i + 1}] ${n}`, TABLE_COLUMNS, "    "));
  return [header(report), table.toString(), ...below].join("\n");
}

/**
 * The report as Markdown (for READMEs): one table, a group per block of rows.
 *
 * @param report A report.
 * @returns Markdown text.
 */
export function formatMarkdown(report: BenchReport): string {
  const lines = [
    header(report),
    "",
    `| group | ${HEAD.join(" | ")} | notes |`,
    `|${" --- |".repeat(HEAD.length + 2)}`,
  ];
  for (const g of report.groups) {
    g.results.forEach((r, i) => {
      const cells = [...row(g, r), notesOf(r).join("; ")].map((c) => c.replaceAll("|", "\\|"));
      lines.push(`| ${i === 0 ? `${g.title} · ${g.shapeLabel}` : ""} | ${cells.join(" | ")} |`);
    });
  }
  return lines.join("\n");
}
