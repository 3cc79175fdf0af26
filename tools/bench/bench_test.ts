// End to end: the real entry point on `map`, a peer and a fixture plugin with a tiny config.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { checkXml } from "./testdata/xml_check.ts";
import type { BenchReport } from "./run.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));
const deno = `${root}node_modules/.bin/deno`;
const out = `bench-results/test-${process.pid}`;

// Deno's node:child_process copies the whole environment (an env permission); Deno.Command
// with a cleared environment needs only --allow-run.
function runSync(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const D = (globalThis as { Deno?: typeof Deno }).Deno;
  if (D !== undefined) {
    const r = new D.Command(deno, { args, cwd: root, clearEnv: true, env: { NO_COLOR: "1" } })
      .outputSync();
    const text = new TextDecoder();
    return { status: r.code, stdout: text.decode(r.stdout), stderr: text.decode(r.stderr) };
  }
  const r = spawnSync(deno, args, { cwd: root, encoding: "utf8", env: { NO_COLOR: "1" } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("deno task bench (end to end)", () => {
  after(() => rmSync(`${root}${out}`, { recursive: true, force: true }));

  const run = runSync([
    "run",
    "--allow-read",
    "--allow-write=bench-results",
    "--allow-env=NODE_ENV",
    "--v8-flags=--expose-gc",
    "tools/bench/main.ts",
    "--config",
    "tools/bench/testdata/tiny.json",
    "--backends",
    "map,sorted-btree,./tools/bench/testdata/array64_store.ts",
    "--out",
    out,
  ]);

  it("exits 0 and prints a table with every backend", () => {
    assert.equal(run.status, 0, run.stderr);
    for (const name of ["map", "sorted-btree", "array64", "× base", "memory (bytes/entry)"]) {
      assert.ok(run.stdout.includes(name), `table lacks ${name}`);
    }
  });

  it("writes JSON with samples, environment and ratios against the baseline", () => {
    const report = JSON.parse(readFileSync(`${root}${out}/bench.json`, "utf8")) as BenchReport;
    assert.equal(report.environment.gc, true);
    assert.ok(report.probe !== undefined && report.probe.nsPerAccess > 0);
    assert.deepEqual(report.backends.map((b) => [b.label, b.kind]), [
      ["map", "builtin"],
      ["sorted-btree", "peer"],
      ["array64", "plugin"],
    ]);
    assert.equal(report.groups.length, 9);
    for (const g of report.groups) {
      assert.equal(g.baseline, "map", g.id);
      for (const r of g.results) {
        if (r.skipped !== undefined) continue;
        // Each path compares with the baseline's same path.
        const base = g.results.find((x) => x.backend === "map" && x.path === r.path)!;
        assert.equal(base.ratio, 1, g.id);
        if (g.metric === "ops") {
          assert.equal(r.samples.length, 2, `${g.id} ${r.backend}`);
          assert.ok(r.opsPerSec! > 0);
          assert.ok(Math.abs(r.ratio! - r.opsPerSec! / base.opsPerSec!) < 1e-9);
          assert.ok(Math.abs(r.nsPerOp! - 1e9 / r.opsPerSec!) < 1e-6);
          assert.ok(r.memAccesses! > 0);
        } else {
          assert.ok(r.bytesPerEntry! > 0 && r.heapBytesPerEntry !== undefined);
          // Settled readings: most samples positive. One can still dip below zero when a slab of
          // pooled copies another store handed out earlier is released during the sample.
          const positive = r.heapSamples!.filter((b) => b > 0).length;
          assert.ok(positive * 2 >= r.heapSamples!.length, `${r.backend}: ${r.heapSamples}`);
          assert.ok(Math.abs(r.ratio! - r.heapBytesPerEntry! / base.heapBytesPerEntry!) < 1e-9);
        }
      }
    }
  });

  it("measures getInto and get (copy) for lookups, entries() and entries({reuse}) rows", () => {
    const report = JSON.parse(readFileSync(`${root}${out}/bench.json`, "utf8")) as BenchReport;
    const rows = (w: string) =>
      report.groups.find((g) => g.workload === w)!.results.map((r) => `${r.backend} ${r.path}`);
    for (const w of ["lookup-hit", "lookup-miss"]) {
      assert.deepEqual(rows(w), [
        "map getInto",
        "map get (copy)",
        "sorted-btree getInto",
        "sorted-btree get (copy)",
        "array64 getInto",
        "array64 get (copy)",
      ]);
    }
    assert.deepEqual(rows("iterate").slice(0, 2), ["map entries() (copy)", "map entries({reuse})"]);
    assert.deepEqual(rows("update"), [
      "map undefined",
      "sorted-btree undefined",
      "array64 undefined",
    ]);
    assert.match(run.stdout, /│ map +│ getInto +│/);
    assert.match(run.stdout, /│ map +│ get \(copy\) +│/);
    // The headline chart is the getInto path, and says so.
    const svg = readFileSync(`${root}${out}/lookup-hit.svg`, "utf8");
    assert.match(svg, /lookup \(hit\) · getInto: ops\/s/);
    assert.doesNotMatch(svg, /get \(copy\)/);
  });

  it("sizes the 64-key plugin down and says so, skipping what it cannot run", () => {
    const report = JSON.parse(readFileSync(`${root}${out}/bench.json`, "utf8")) as BenchReport;
    const plugin = (id: number) => report.groups[id]!.results.find((r) => r.backend === "array64")!;
    assert.equal(plugin(0).fitted, "key u32 0..63 · 64/64 · value 8 B");
    assert.ok(plugin(0).notes.includes("sized to 64 entries"));
    assert.equal(plugin(1).fitted, "key u32 0..63 · 48/64 · value 8 B");
    assert.equal(plugin(2).skipped, "no absent key left in the key range");
    assert.ok(plugin(3).opsPerSec! > 0, "insert from half full");
  });

  it("writes one well-formed SVG chart per workload and a Markdown table", () => {
    for (
      const w of [
        "lookup-hit",
        "lookup-miss",
        "insert",
        "delete",
        "iterate",
        "batch",
        "update",
        "memory",
      ]
    ) {
      const path = `${root}${out}/${w}.svg`;
      assert.ok(existsSync(path), path);
      const { errors, elements } = checkXml(readFileSync(path, "utf8"));
      assert.deepEqual(errors, [], w);
      assert.ok(elements.filter((e) => e === "rect").length >= 3, w);
    }
    assert.match(readFileSync(`${root}${out}/bench.md`, "utf8"), /\| lookup \(hit\) · key 8 B/);
  });
});

describe("deno task bench refuses bad requests before running anything", () => {
  const task = ["run", "--allow-read", "--allow-write=bench-results", "--allow-env=NODE_ENV"];
  const tiny = ["tools/bench/main.ts", "--config", "tools/bench/testdata/tiny.json"];

  it("an --out folder it may not write: exits 1 at once, naming the folder", () => {
    const outside = `/tmp/kvkit-bench-out-${process.pid}`;
    const r = runSync([...task, ...tiny, "--backends", "map", "--out", outside]);
    assert.equal(r.status, 1);
    assert.equal(r.stdout, "", "the benchmark ran");
    assert.match(r.stderr, new RegExp(`--out ${outside} is not writable .*nothing was run`));
    assert.equal(existsSync(outside), false);
  });

  it("a misspelt --workloads name, also with --config groups: exits 1 listing the known", () => {
    const r = runSync([...task, ...tiny, "--backends", "map", "--workloads", "lookup-hti"]);
    assert.equal(r.status, 1);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, /unknown workload 'lookup-hti'; known: lookup-hit, /);
    const empty = runSync([...task, ...tiny, "--backends", "map", "--workloads", ","]);
    assert.equal(empty.status, 1);
    assert.match(empty.stderr, /no workload selected/);
  });
});

describe("heap bytes per entry (memory workload)", () => {
  const heapOut = `bench-results/test-heap-${process.pid}`;
  after(() => rmSync(`${root}${heapOut}`, { recursive: true, force: true }));

  it("count the store, not the harness's own value pool", () => {
    // The fixture keeps no value bytes; the harness's pool of 1 MiB values would show as
    // 4 MiB / 64 entries = 64 KiB per entry if it were counted.
    const r = runSync([
      "run",
      "--allow-read",
      "--allow-write=bench-results",
      "--v8-flags=--expose-gc",
      "tools/bench/main.ts",
      "--config",
      "tools/bench/testdata/heap.json",
      "--backends",
      "./tools/bench/testdata/no_values_store.ts",
      "--out",
      heapOut,
    ]);
    assert.equal(r.status, 0, r.stderr);
    const report = JSON.parse(readFileSync(`${root}${heapOut}/bench.json`, "utf8")) as BenchReport;
    const [result] = report.groups[0]!.results;
    assert.equal(result!.heapSamples!.length, 3);
    assert.ok(result!.heapBytesPerEntry! < 4096, `${result!.heapSamples}`);
  });
});
