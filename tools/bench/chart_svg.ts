/**
 * Hand-written SVG charts (no dependencies): for one workload, grouped horizontal bars - one
 * cluster per data shape, one bar per backend - of the median ratio to the group's baseline,
 * a whisker over each bar from the 10th to the 90th percentile of the per-round ratios (its
 * spread), value labels, an axis, a line at 1× and a legend.
 *
 * @module
 */

import { si } from "./report_table.ts";
import type { BenchGroup, BenchReport, BenchResult } from "./run.ts";

const PALETTE = [
  "#4269d0",
  "#efb118",
  "#ff725c",
  "#6cc5b0",
  "#3ca951",
  "#ff8ab7",
  "#a463f2",
  "#97bbf5",
  "#9c6b4e",
  "#9498a0",
];

// Layout in px: left labels, plot, right-hand value labels.
const WIDTH = 960;
const LEFT = 150;
const PLOT = 560;
const BAR = 14;
const GAP = 3;
const GROUP_HEAD = 22;
const GROUP_GAP = 10;
// Legend rows start here; the plot starts below the last row and the axis labels.
const LEGEND_TOP = 58;
const LEGEND_PER_ROW = 8;

/**
 * Escapes text for SVG/XML content and attributes.
 *
 * @param s Any text.
 * @returns The escaped text.
 */
export function xmlEscape(s: string): string {
  return s.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;").replaceAll("'", "&apos;");
}

function niceMax(x: number): number {
  if (!(x > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(x));
  for (const m of [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (m * p >= x) return m * p;
  return 10 * p;
}

/** The bar length of a result: its ratio, or its value over the group's best without a baseline. */
function barValue(g: BenchGroup, r: BenchResult): number | undefined {
  if (r.ratio !== undefined) return r.ratio;
  const v = (x: BenchResult): number | undefined =>
    g.metric === "ops" ? x.opsPerSec : x.heapBytesPerEntry ?? x.bytesPerEntry;
  const own = v(r);
  const best = Math.max(...charted(g).map((x) => v(x) ?? 0));
  return own === undefined || best <= 0 ? undefined : own / best;
}

function valueText(g: BenchGroup, r: BenchResult): string {
  if (r.skipped !== undefined) return `skipped: ${r.skipped}`;
  const range = r.ratioRange === undefined
    ? ""
    : ` (p10-p90 ${r.ratioRange[0].toFixed(2)}-${r.ratioRange[1].toFixed(2)})`;
  const ratio = r.ratio === undefined ? "" : `${r.ratio.toFixed(2)}×${range} · `;
  if (g.metric === "bytes") {
    const own = r.bytesPerEntry === undefined ? "" : ` (memoryUsage ${r.bytesPerEntry.toFixed(0)})`;
    return r.heapBytesPerEntry === undefined
      ? `${ratio}${r.bytesPerEntry?.toFixed(0) ?? "?"} B/entry`
      : `${ratio}${r.heapBytesPerEntry.toFixed(0)} B/entry heap${own}`;
  }
  const mem = r.memAccesses === undefined ? "" : ` · ${r.memAccesses.toFixed(1)}× mem`;
  return `${ratio}${r.opsPerSec === undefined ? "?" : si(r.opsPerSec)} ops/s${mem}`;
}

/** The rows a chart shows: the headline path of a workload that measures several. */
function charted(g: BenchGroup): BenchResult[] {
  const headline = g.paths?.[0];
  return g.results.filter((r) =>
    !r.skipped?.startsWith("same data") && (headline === undefined || r.path === headline)
  );
}

/**
 * An SVG chart of the groups of one workload. A workload measuring several read paths is
 * charted on its first (headline) path, named in the title: `getInto` for lookups.
 *
 * @param groups The groups (same workload).
 * @param report The report they come from (for the legend and the subtitle).
 * @returns The SVG document.
 */
export function chartSvg(groups: readonly BenchGroup[], report: BenchReport): string {
  const first = groups[0];
  const backends = report.backends.map((b) => b.label);
  const color = (name: string): string =>
    PALETTE[Math.max(0, backends.indexOf(name)) % PALETTE.length]!;
  const max = niceMax(
    Math.max(
      1,
      ...groups.flatMap((g) =>
        charted(g).map((r) => Math.max(barValue(g, r) ?? 0, r.ratioRange?.[1] ?? 0))
      ),
    ),
  );
  const x = (v: number): number => LEFT + (PLOT * v) / max;
  const body: string[] = [];
  const rows = Math.max(1, Math.ceil(backends.length / LEGEND_PER_ROW));
  const top = LEGEND_TOP + rows * 16 + 22;
  let y = top;
  let footnote = false;
  for (const g of groups) {
    body.push(
      `<text x="8" y="${y + 15}" class="group">${xmlEscape(g.shapeLabel)}${
        g.baseline === undefined
          ? " (no baseline: share of the best)"
          : ` (baseline ${xmlEscape(g.baseline)})`
      }</text>`,
    );
    y += GROUP_HEAD;
    // A store skipped for repeating data it already showed is left out (the table lists it).
    for (const r of charted(g)) {
      const v = barValue(g, r);
      // † marks a store run on data sized to what it accepts (the table has the details).
      const adapted = r.skipped === undefined && r.notes.length > 0;
      if (adapted) footnote = true;
      const name = `${xmlEscape(r.backend)}${adapted ? " †" : ""}`;
      body.push(`<text x="${LEFT - 6}" y="${y + BAR - 3}" class="name">${name}</text>`);
      const end = v === undefined ? LEFT : x(v);
      if (v !== undefined) {
        body.push(
          `<rect x="${LEFT}" y="${y}" width="${
            Math.max(1, end - LEFT).toFixed(1)
          }" height="${BAR}" fill="${color(r.backend)}"><title>${
            xmlEscape(`${r.backend}: ${valueText(g, r)}`)
          }</title></rect>`,
        );
      }
      // The whisker: where the middle 80% of the per-round ratios fell.
      let right = end;
      if (v !== undefined && r.ratioRange !== undefined) {
        const [lo, hi] = r.ratioRange.map(x);
        const mid = (y + BAR / 2).toFixed(1);
        body.push(
          `<path d="M${lo!.toFixed(1)} ${mid}H${hi!.toFixed(1)}M${lo!.toFixed(1)} ${y + 3}V${
            y + BAR - 3
          }M${hi!.toFixed(1)} ${y + 3}V${y + BAR - 3}" class="whisker"/>`,
        );
        right = Math.max(end, hi!);
      }
      body.push(
        `<text x="${(right + 5).toFixed(1)}" y="${y + BAR - 3}" class="${
          r.skipped === undefined ? "val" : "skip"
        }">${xmlEscape(valueText(g, r))}</text>`,
      );
      y += BAR + GAP;
    }
    y += GROUP_GAP;
  }
  const height = y + (footnote ? 46 : 30);
  const axis: string[] = [];
  const ticks = 5;
  for (let i = 0; i <= ticks; i++) {
    const v = (max * i) / ticks;
    const tx = x(v).toFixed(1);
    axis.push(`<line x1="${tx}" y1="${top - 6}" x2="${tx}" y2="${y}" class="grid"/>`);
    axis.push(`<text x="${tx}" y="${top - 10}" class="tick">${+v.toFixed(2)}×</text>`);
    axis.push(`<text x="${tx}" y="${y + 14}" class="tick">${+v.toFixed(2)}×</text>`);
  }
  const one = x(1).toFixed(1);
  axis.push(`<line x1="${one}" y1="${top - 6}" x2="${one}" y2="${y}" class="one"/>`);
  const legend = backends.map((b, i) => {
    const lx = 8 + (i % LEGEND_PER_ROW) * 118;
    const ly = LEGEND_TOP + Math.floor(i / LEGEND_PER_ROW) * 16;
    return `<rect x="${lx}" y="${ly - 10}" width="12" height="12" fill="${color(b)}"/>` +
      `<text x="${lx + 16}" y="${ly}" class="legend">${xmlEscape(b)}</text>`;
  });
  const better = first?.metric === "bytes"
    ? "bytes per entry ÷ baseline's - lower is better"
    : "ops/s ÷ baseline's - higher is better";
  const env = report.environment;
  const probe = report.probe === undefined
    ? ""
    : ` · 1 random memory access = ${report.probe.nsPerAccess.toFixed(1)} ns`;
  const path = first?.paths?.[0];
  const title = `${first?.title ?? "benchmark"}${
    path === undefined ? "" : ` · ${path}`
  }: ${better}`;
  const sub = `${env.runtime} · ${env.platform}/${env.arch} · ${env.date}${probe}` +
    (groups.some((g) => g.results.some((r) => r.ratioRange !== undefined))
      ? " · whisker: p10-p90 of the per-round ratios"
      : "");
  return `<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="Helvetica, Arial, sans-serif">
<style>
text { font-size: 12px; fill: #222; }
.title { font-size: 15px; font-weight: bold; }
.sub { font-size: 11px; fill: #555; }
.group { font-weight: bold; }
.name { text-anchor: end; }
.tick { text-anchor: middle; font-size: 10px; fill: #555; }
.val, .skip, .name, .group { paint-order: stroke; stroke: #fff; stroke-width: 3px; stroke-linejoin: round; }
.val { font-size: 11px; }
.skip { font-size: 11px; fill: #888; font-style: italic; }
.legend { font-size: 11px; }
.grid { stroke: #ddd; stroke-width: 1; }
.one { stroke: #222; stroke-width: 1.2; stroke-dasharray: 4 3; }
.whisker { stroke: #222; stroke-width: 1.2; fill: none; }
</style>
<rect width="100%" height="100%" fill="#fff"/>
<text x="8" y="18" class="title">${xmlEscape(title)}</text>
<text x="8" y="36" class="sub">${xmlEscape(sub)}</text>
${legend.join("\n")}
${axis.join("\n")}
${body.join("\n")}
${
    footnote
      ? `<text x="8" y="${
        height - 8
      }" class="sub">† run on data sized to what the store accepts (keys, entries, values): see the notes in bench.md</text>`
      : ""
  }
</svg>
`;
}
