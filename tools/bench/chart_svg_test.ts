import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { chartSvg, xmlEscape } from "./chart_svg.ts";
import { formatMarkdown, formatTable } from "./report_table.ts";
import type { BenchReport } from "./run.ts";
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
    assert.ok(svg.includes("3.00× · 3.00M ops/s"));
    assert.ok(svg.includes("skipped: no entries"));
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
    assert.match(t, /skipped: no entries/);
    assert.match(
      formatMarkdown(report),
      /\| lookup \(hit\) · key 8 B · 1K · fill 100% · value 8 B \| map \|/,
    );
  });
});
