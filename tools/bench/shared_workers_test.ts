import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import * as htabModule from "@kvkit/htab";
import {
  formatRatios,
  formatThroughput,
  runEachShared,
  SHARED_STORES,
  sharedRatios,
  type SharedRow,
  sharedWorkersBench,
  type WorkerSample,
} from "./shared_workers.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));
const hasShared = typeof (htabModule as Record<string, unknown>).SharedHtab === "function";

const s = (...perWorker: number[]): WorkerSample => ({
  total: perWorker.reduce((x, y) => x + y, 0),
  perWorker,
});

function row(store: string, op: "lookup" | "update", lock: boolean, one: number[], two: number[]) {
  return {
    store,
    op,
    valueSize: 8,
    lock,
    byWorkers: [
      { workers: 1, samples: one.map((x) => s(x)) },
      { workers: 2, samples: two.map((x) => s(x / 2, x / 2)) },
    ],
  } satisfies SharedRow;
}

describe("shared Workers bench", () => {
  it("pairs the samples of one round and takes the median of the per-round ratios", () => {
    const rows = [
      // Round ratios 2/1 = 1.6, 1.58, 2.25: median 1.6, though the medians' ratio is 1.8.
      row("shared htab", "lookup", false, [10, 12, 8], [16, 19, 18]),
      row("shared htab", "lookup", true, [5, 4, 2], [8, 8, 8]),
      row("shared htab", "update", false, [10, 10, 10], [12, 13, 14]),
      row("private htab", "lookup", false, [20, 30, 16], [40, 38, 36]),
      row("shared htab (one per Worker)", "lookup", false, [10, 12, 8], [20, 38, 16]),
    ];
    const ratios = new Map(sharedRatios(rows, [1, 2]).map((r) => [r.name, r]));
    const lookup = ratios.get("shared htab lookup 8 B: 2 vs 1 Workers")!;
    assert.equal(lookup.value, 1.6);
    assert.deepEqual(lookup.target, { cmp: ">=", x: 1.7 });
    assert.deepEqual(ratios.get("shared htab update 8 B: 2 vs 1 Workers")!.target, {
      cmp: ">=",
      x: 1.4,
    });
    // Locked / plain is time per operation: plain ops/s over locked ops/s (2, 3, 4).
    const locked = ratios.get("shared htab lookup 8 B, 1 Worker: locked / plain (time per op)")!;
    assert.equal(locked.value, 3);
    assert.deepEqual(locked.target, { cmp: "<=", x: 3 });
    assert.equal(ratios.get("shared htab lookup 8 B, 1 Worker: private / shared")!.value, 2);
    // The same code without the sharing: what cache lines moving between cores cost (1.25, 2, 0.89).
    assert.equal(
      ratios.get("shared htab lookup 8 B, 2 Workers: one per Worker / shared")!.value,
      1.25,
    );
    // A locked row's scaling and the private map's have no target.
    assert.equal(ratios.get("shared htab lookup F_LOCK 8 B: 2 vs 1 Workers")!.target, undefined);
    assert.equal(ratios.get("private htab lookup 8 B: 2 vs 1 Workers")!.target, undefined);
  });

  it("prints a row per store, op, value and locking with each Worker's share and the scaling", () => {
    const rows = [row("shared rhash", "update", false, [1e6], [1.5e6])];
    const result = {
      runtime: "bun 1.4.5",
      entries: 100,
      ms: 10,
      workers: [1, 2],
      rows,
      ratios: sharedRatios(rows, [1, 2]),
      skipped: ["shared htab: not yet"],
    };
    const lines = formatThroughput(result).split("\n");
    assert.match(lines[0]!, /^bun 1\.4\.5: 100 keys/);
    assert.equal(
      lines[2],
      "| store | op | value | 1 Worker ops/s | 2 Workers ops/s | per Worker | 2 vs 1 |",
    );
    assert.equal(
      lines[4],
      "| shared rhash | update | 8 B | 1.00M | 1.50M | 750k + 750k | 1.50x (>= 1.4: ok) |",
    );
    assert.equal(lines.at(-1), "Skipped: shared htab: not yet.");
    const ratios = formatRatios([result, { ...result, runtime: "deno 2.9.6" }]).split("\n");
    assert.equal(ratios[0], "| ratio | target | bun 1.4.5 | deno 2.9.6 |");
    assert.equal(
      ratios[2],
      "| shared rhash update 8 B: 2 vs 1 Workers | >= 1.4 | 1.50x ok | 1.50x ok |",
    );
  });

  it("refuses an unknown store or runtime before any work", async () => {
    await assert.rejects(sharedWorkersBench({ stores: ["redis"] }), /unknown store 'redis'/);
    assert.throws(() => runEachShared(["deno", "java"], []), /unknown runtime 'java'/);
  });

  // Real Workers take seconds to start (tsx under Node), more on a loaded machine.
  it("runs real Workers on this runtime: every row, every Worker count, every Worker", {
    timeout: 120_000,
  }, async () => {
    const result = await sharedWorkersBench({
      entries: 300,
      ms: 5,
      warmMs: 2,
      samples: 1,
      valueSizes: [8],
      workers: [1, 2],
    });
    assert.match(result.runtime, /^(deno|node|bun) \d/);
    // The default stores: all but the diagnostic "one per Worker" rows.
    const stores = Object.keys(SHARED_STORES).filter((x) =>
      (hasShared || !x.startsWith("shared ")) && !x.endsWith("(one per Worker)")
    );
    assert.deepEqual([...new Set(result.rows.map((r) => r.store))], stores);
    assert.equal(result.skipped.length, hasShared ? 0 : 2);
    for (const r of result.rows) {
      assert.deepEqual(r.byWorkers.map((b) => b.workers), [1, 2]);
      for (const b of r.byWorkers) {
        assert.equal(b.samples.length, 1);
        for (const x of b.samples) {
          assert.equal(x.perWorker.length, b.workers, `${r.store} ${r.op}`);
          assert.ok(x.perWorker.every((y) => y > 0 && Number.isFinite(y)), `${r.store} ${r.op}`);
        }
      }
    }
    // Lookups and updates of each store, locked variants only for the shared maps.
    assert.equal(
      result.rows.filter((r) => r.lock).length,
      result.rows.filter((r) => r.store.startsWith("shared ")).length / 2,
    );
    assert.ok(result.ratios.some((r) => r.name === "sharedmap lookup 8 B: 2 vs 1 Workers"));
    if (hasShared) assert.ok(result.ratios.some((r) => r.target !== undefined));
  });

  it("runs itself under deno, node and bun and prints one ratio table (end to end)", {
    timeout: 240_000,
  }, () => {
    const r = spawnSync(
      `${root}node_modules/.bin/deno`,
      [
        "run",
        "--allow-read",
        "--allow-env",
        "--allow-run",
        "tools/bench/shared_workers.ts",
        "--runtimes",
        "deno,node,bun",
        "--out",
        "-",
        "--entries",
        "200",
        "--ms",
        "5",
        "--warm-ms",
        "2",
        "--samples",
        "1",
        "--values",
        "8",
        "--stores",
        "shared htab,sharedmap",
      ],
      { cwd: root, encoding: "utf8" },
    );
    assert.equal(r.status, 0, r.stderr);
    const sections = r.stdout.trim().split("\n\n");
    assert.match(sections[0]!, /^deno \d/);
    assert.ok(sections.some((x) => /^node \d/.test(x)) && sections.some((x) => /^bun \d/.test(x)));
    const table = sections.at(-1)!.split("\n");
    assert.match(table[0]!, /^\| ratio \| target \| deno \S+ \| node \S+ \| bun \S+ \|$/);
    const sharedmap = sections.filter((x) => x.startsWith("| store |"));
    assert.equal(sharedmap.length, 3);
    for (const t of sharedmap) {
      assert.match(t, /\n\| sharedmap \| lookup \| 8 B \| \S+ \| \S+ \| \S+ \+ \S+ \| \S+x \|/);
    }
  });
});
