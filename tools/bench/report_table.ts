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
  "× base",
  "ns/op",
  "× mem",
  "B/entry",
  "heap B/e",
  "notes",
];

function row(g: BenchGroup, r: BenchResult): string[] {
  const fmt = (v: number | undefined, f: (x: number) => string): string =>
    v === undefined ? "" : f(v);
  const isBase = g.baseline === r.backend && r.ratio === 1;
  const notes = [
    ...(isBase ? ["baseline"] : []),
    ...(r.fitted !== undefined && r.notes.length > 0 ? [r.fitted] : []),
    // Key and value adaptations are already in the fitted label.
    ...r.notes.filter((n) => !/^(keys (?!padded)|values )/.test(n)),
    ...(r.skipped !== undefined ? [`skipped: ${r.skipped}`] : []),
  ];
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
    fmt(r.ratio, (x) => `${x.toFixed(2)}x`),
    fmt(r.nsPerOp, (x) => x.toFixed(x < 10 ? 2 : 1)),
    fmt(r.memAccesses, (x) => x.toFixed(2)),
    fmt(r.bytesPerEntry, (x) => x.toFixed(1)),
    fmt(r.heapBytesPerEntry, (x) => x.toFixed(1)),
    notes.join("; "),
  ];
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
 * The report as a terminal table: one section per group, its baseline marked; `path` says which
 * read path a row measured (`getInto` or `get (copy)`, `entries() (copy)` or
 * `entries({reuse})`); `× base` is ops/s over the baseline's on the same path (bytes over the
 * baseline's for memory rows), `× mem` is ns/op over one random memory access.
 *
 * @param report A report from `runBench`/`runQuick`.
 * @returns The table text (no colours).
 */
export function formatTable(report: BenchReport): string {
  const table = new Table({ head: HEAD, style: { head: [], border: [] }, wordWrap: true });
  for (const g of report.groups) {
    table.push([{ colSpan: HEAD.length, content: `${g.title} · ${g.shapeLabel}` }]);
    for (const r of g.results) table.push(row(g, r));
  }
  return `${header(report)}\n${table.toString()}`;
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
    `| group | ${HEAD.join(" | ")} |`,
    `|${" --- |".repeat(HEAD.length + 1)}`,
  ];
  for (const g of report.groups) {
    g.results.forEach((r, i) => {
      const cells = row(g, r).map((c) => c.replaceAll("|", "\\|"));
      lines.push(`| ${i === 0 ? `${g.title} · ${g.shapeLabel}` : ""} | ${cells.join(" | ")} |`);
    });
  }
  return lines.join("\n");
}
