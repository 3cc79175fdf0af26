import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { chartSvg, xmlEscape } from "./chart_svg.ts";
import { formatMarkdown, formatTable, TABLE_COLUMNS } from "./report_table.ts";
import { type BenchReport, ratioRange } from "./run.ts";
import { checkXml } from "./testdata/xml_check.ts";

const report: BenchReport = {
  environment: { runtime: "deno 2", platform: "linux", arch: "x64", cpus: 2, date: "now" },
  probe: { bytes: 64 << 20, nsPerAccess: 90, samples: [90] },
  backends: [
    { label: "map", kind: "builtin", spec: "map", summary: "" },
    { label: "<odd & name>", kind: "plugin", spec: "./x.ts", summary: "" },
    { label: "tiny", kind: "plugin", spec: "./t.ts", summary: "" },
  ],
  groups: [{
    id: "lookup-hit · k8",
    workload: "lookup-hit",
    title: "lookup (hit)",
    metric: "ops",
    shape: { key: 8, entries: 1000, fill: 1, value: 8 },
    shapeLabel: "key 8 B · 1K · fill 100% · value 8 B",
    baseline: "map",
    results: [
      {
        backend: "map",
        kind: "builtin",
        notes: [],
        samples: [1e6],
        opsPerSec: 1e6,
        nsPerOp: 1000,
        ratio: 1,
      },
      {
        backend: "<odd & name>",
        kind: "plugin",
        notes: [],
        samples: [3e6],
        opsPerSec: 3e6,
        nsPerOp: 333,
        ratio: 3,
        ratioRange: [2.5, 4.5],
      },
      { backend: "tiny", kind: "plugin", notes: [], samples: [], skipped: "no entries" },
    ],
  }],
};

describe("chartSvg", () => {
  it("is well-formed XML with one bar per measured backend", () => {
    const svg = chartSvg(report.groups, report);
    const { errors, elements } = checkXml(svg);
    assert.deepEqual(errors, []);
    // background + 3 legend swatches + 2 bars
    assert.equal(elements.filter((e) => e === "rect").length, 6);
    assert.ok(svg.includes("&lt;odd &amp; name&gt;"));
    assert.ok(svg.includes("3.00× (p10-p90 2.50-4.50) · 3.00M ops/s"));
    assert.ok(svg.includes("skipped: no entries"));
  });

  it("draws a whisker from the 10th to the 90th percentile ratio, inside the axis", () => {
    const svg = chartSvg(report.groups, report);
    const whiskers = [...svg.matchAll(/<path d="M([\d.]+) [\d.]+H([\d.]+)M/g)];
    assert.equal(whiskers.length, 1); // only the row with a ratioRange
    const [lo, hi] = [Number(whiskers[0]![1]), Number(whiskers[0]![2])];
    // The axis reaches 5× (nice max over 4.5): x = 150 + 560 * v / 5.
    assert.equal(lo, 150 + 560 * 2.5 / 5);
    assert.equal(hi, 150 + 560 * 4.5 / 5);
    // The label starts past the whisker, not inside it.
    assert.match(svg, new RegExp(`<text x="${(hi + 5).toFixed(1)}"[^>]*class="val">3\\.00×`));
    assert.match(svg, /whisker: p10-p90/);
  });

  it("the checker catches broken documents", () => {
    assert.notDeepEqual(checkXml("<svg><g></svg>").errors, []);
    assert.notDeepEqual(checkXml("<svg><text>a & b</text></svg>").errors, []);
    assert.deepEqual(checkXml(`<svg><text x="1">${xmlEscape("a & <b>")}</text></svg>`).errors, []);
  });
});

describe("tables", () => {
  it("show ratios, ns/op and the baseline", () => {
    const t = formatTable(report);
    assert.match(t, /3\.00x/);
    assert.match(t, /baseline/);
    assert.match(t, /3\.00x 2\.50-4\.50/);
    assert.match(t, /tiny \[1\]/);
    assert.match(t, /^\[1\] tiny: skipped: no entries$/m);
    assert.match(
      formatMarkdown(report),
      /\| lookup \(hit\) · key 8 B · 1K · fill 100% · value 8 B \| map \|/,
    );
  });
});

describe("the terminal table", () => {
  it("fits 120 columns: notes wrapped below it, marked [n] in their rows", () => {
    const long = "sized to 64 entries of keys padded to 16 bytes, values truncated to what fits";
    const wide: BenchReport = {
      ...report,
      groups: [{
        ...report.groups[0]!,
        paths: ["getInto", "get (copy)"],
        results: report.groups[0]!.results.map((r, i) => ({
          ...r,
          path: "entries({reuse})",
          fitted: "keys 16 B · value 8 B · 64/64 entries",
          notes: [`${long} (${i})`, long],
        })),
      }],
    };
    const t = formatTable(wide);
    const lines = t.split("\n");
    for (const l of lines) assert.ok(l.length <= TABLE_COLUMNS, `${l.length}: ${l}`);
    assert.equal(lines.filter((l) => /^\[\d\] /.test(l)).length, 3);
    assert.match(t, /^\[2\] <odd & name>: keys 16 B/m);
    // Rows with the same note (a backend's paths) share its number.
    const twice = formatTable({ ...wide, groups: [wide.groups[0]!, wide.groups[0]!] });
    assert.equal(twice.split("\n").filter((l) => /^\[\d\] /.test(l)).length, 3);
    assert.equal(twice.split("\n").filter((l) => l.includes("tiny [3]")).length, 2);
    // The notes are below the table, not padded into a column of it.
    assert.ok(lines.filter((l) => /^[│┌├└]/.test(l)).every((l) => !l.includes("sized to")));
  });

  it("keeps the notes as a column in Markdown", () => {
    assert.match(formatMarkdown(report), /\| notes \|\n/);
    assert.match(formatMarkdown(report), /\| skipped: no entries \|$/m);
  });
});

describe("ratioRange", () => {
  it("takes the 10th and 90th percentile of ratios paired by round", () => {
    assert.deepEqual(ratioRange([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], Array(11).fill(1)), [2, 10]);
    // Paired, not sorted separately: a slow round for both is a ratio of 1.
    assert.deepEqual(ratioRange([10, 5], [10, 5]), [1, 1]);
    assert.equal(ratioRange([1, 2], [1]), undefined);
  });
});
