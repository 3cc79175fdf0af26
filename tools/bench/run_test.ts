import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mapBackend } from "@kvkit/backends";
import { formatTable, TABLE_COLUMNS } from "./report_table.ts";
import { defaultBackendNames } from "./resolve.ts";
import { runBench, runQuick } from "./run.ts";
import { standardGroups } from "./groups.ts";
import { backend as array64 } from "./testdata/array64_store.ts";

const tiny = { samples: 2, sampleMs: 1, probeMB: 0 } as const;
const shape = { key: 8, entries: 200, fill: 1, value: 8 } as const;

describe("runBench / runQuick", () => {
  it("takes backend objects and names, and an explicit baseline", async () => {
    const report = await runQuick([array64, "map"], {
      ...tiny,
      baseline: "array64",
      groups: [{ workload: "update", shape }],
    });
    const [g] = report.groups;
    assert.equal(g!.baseline, "array64");
    const [a, m] = g!.results;
    assert.equal(a!.ratio, 1);
    assert.equal(m!.ratio, m!.opsPerSec! / a!.opsPerSec!);
    assert.equal(report.probe, undefined);
  });

  it("gives each path its own row, compared with the baseline's same path", async () => {
    const report = await runQuick(["map", array64], {
      ...tiny,
      groups: [{ workload: "lookup-hit", shape }, { workload: "iterate", shape }],
    });
    const [lookup, iter] = report.groups;
    assert.deepEqual(lookup!.paths, ["getInto", "get (copy)"]);
    assert.deepEqual(iter!.paths, ["entries() (copy)", "entries({reuse})"]);
    for (const g of report.groups) {
      assert.equal(g.results.length, 4);
      for (const r of g.results) {
        const base = g.results.find((b) => b.backend === "map" && b.path === r.path)!;
        assert.equal(r.ratio, r.opsPerSec! / base.opsPerSec!, `${r.backend} ${r.path}`);
        assert.equal(r.fitted, g.results.find((x) => x.backend === r.backend)!.fitted);
      }
    }
  });

  it("gives each ratio its spread from the samples paired by round", async () => {
    const report = await runQuick([array64, "map"], {
      samples: 3,
      sampleMs: 1,
      probeMB: 0,
      groups: [{ workload: "update", shape }],
    });
    // map is the baseline: array64's ratios are over map's sample of the same round.
    const [a, m] = report.groups[0]!.results;
    assert.equal(report.groups[0]!.baseline, "map");
    const paired = a!.samples.map((x, i) => x / m!.samples[i]!).sort((x, y) => x - y);
    assert.deepEqual(a!.ratioRange, [
      paired[0]! + (paired[1]! - paired[0]!) * 0.2,
      paired[1]! + (paired[2]! - paired[1]!) * 0.8,
    ]);
    assert.deepEqual(m!.ratioRange, [1, 1]);
  });

  it("prints a table of every catalog backend that fits 120 columns", async () => {
    const report = await runQuick(defaultBackendNames(), {
      ...tiny,
      groups: [{ workload: "lookup-hit", shape }, { workload: "iterate", shape }],
    });
    const lines = formatTable(report).split("\n");
    for (const l of lines) assert.ok(l.length <= TABLE_COLUMNS, `${l.length}: ${l}`);
  });

  it("reports a group whose baseline was skipped with no ratios", async () => {
    const report = await runBench({
      ...tiny,
      backends: [mapBackend, array64],
      baseline: "array64",
      groups: [{ workload: "memory", shape: { ...shape, value: 4096 } }],
    });
    assert.equal(report.groups[0]!.baseline, undefined);
    assert.equal(report.groups[0]!.results[0]!.ratio, undefined);
  });

  it("refuses a baseline that is not among the backends run, naming them", async () => {
    await assert.rejects(
      runBench({
        ...tiny,
        backends: [mapBackend, array64],
        baseline: "htab",
        groups: [{ workload: "lookup-hit", shape }],
      }),
      /baseline 'htab' is not among the backends run: map, array64/,
    );
  });

  it("refuses unknown workload names and an empty selection, listing the known ones", async () => {
    await assert.rejects(
      runQuick(["map"], { ...tiny, workloads: ["lookup-hit", "lookup-hti"] }),
      /unknown workload 'lookup-hti'; known: lookup-hit, lookup-miss, /,
    );
    await assert.rejects(runQuick(["map"], { ...tiny, workloads: [] }), /no workload selected/);
  });

  it("filters given groups by workloads too, and refuses a filter that leaves none", async () => {
    const groups = [
      { workload: "lookup-hit", shape },
      { workload: "update", shape },
    ];
    const report = await runBench({ ...tiny, backends: ["map"], groups, workloads: ["update"] });
    assert.deepEqual(report.groups.map((g) => g.workload), ["update"]);
    await assert.rejects(
      runBench({ ...tiny, backends: ["map"], groups, workloads: ["memory"] }),
      /no group to run/,
    );
  });

  it("tops up the stores of the previous group when only the fill grows", async () => {
    const report = await runBench({
      ...tiny,
      backends: ["map"],
      groups: [
        { workload: "lookup-hit", shape: { ...shape, fill: 0.5 } },
        { workload: "lookup-hit", shape },
      ],
    });
    assert.deepEqual(report.groups.map((g) => g.results[0]!.fitted), [
      "key 8 B · 100/200 · value 8 B",
      "key 8 B · 200/200 · value 8 B",
    ]);
  });

  it("skips a store in a memory group when it cannot take the group's value size", async () => {
    const report = await runBench({
      ...tiny,
      backends: ["map", array64],
      groups: [{ workload: "memory", shape: { ...shape, value: 4096 } }],
    });
    const [m, a] = report.groups[0]!.results;
    assert.ok(m!.bytesPerEntry! > 4096);
    assert.equal(a!.skipped, "takes no 4096 B values");
    assert.ok(a!.notes.includes("values 8 B"));
  });

  it("records a store that throws as skipped with the error, and goes on", async () => {
    const report = await runBench({
      ...tiny,
      backends: ["map", {
        name: "broken",
        summary: "throws",
        create: () => {
          throw new Error("boom");
        },
      }],
      groups: [{ workload: "lookup-hit", shape }],
    });
    const [getInto, get, ...broken] = report.groups[0]!.results;
    assert.deepEqual(broken.map((r) => [r.backend, r.path]), [
      ["broken", "getInto"],
      ["broken", "get (copy)"],
    ]);
    for (const r of broken) assert.match(r.skipped!, /error: boom/);
    assert.ok(getInto!.opsPerSec! > 0 && get!.opsPerSec! > 0);
  });

  it("rejects bad settings, shapes, workloads and names with the value", async () => {
    await assert.rejects(runQuick(["map"], { ...tiny, samples: 0 }), /samples 0/);
    await assert.rejects(
      runQuick(["map"], {
        ...tiny,
        groups: [{ workload: "lookup-hit", shape: { ...shape, fill: 2 } }],
      }),
      /fill must be in 0..1/,
    );
    await assert.rejects(
      runQuick(["map"], { ...tiny, groups: [{ workload: "nope", shape }] }),
      /unknown workload 'nope'/,
    );
    await assert.rejects(
      runQuick(["no-such-store"], tiny),
      /known backends: .*map.*peers: sorted-btree/,
    );
  });

  it("the standard quick groups hold the BENCHMARKS.md lookup matrix", () => {
    const lookups = standardGroups("quick", ["lookup-hit"]).map((g) => g.shape);
    for (const key of [8, 32, 256]) {
      for (const entries of [1000, 100_000]) {
        for (const fill of [0.75, 1]) {
          assert.ok(lookups.some((s) => s.key === key && s.entries === entries && s.fill === fill));
        }
      }
    }
    assert.ok(standardGroups("full").some((g) => g.shape.entries === 1_000_000));
    assert.deepEqual(
      standardGroups("quick", ["memory"]).map((g) => g.shape.value),
      [32, 4096],
    );
  });
});
