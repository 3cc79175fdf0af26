import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import {
  CONTRACT_STORES,
  type ContractResult,
  contractTable,
  formatContractTable,
  runEach,
} from "./contract_table.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));
const tiny = ["--entries", "200", "--samples", "1", "--sample-ms", "1"];

describe("contract table", () => {
  it("measures the four read paths of every store, opened by name", () => {
    const result = contractTable({ entries: 300, samples: 2, sampleMs: 1 });
    assert.deepEqual(result.rows.map((r) => r.store), ["rhash", "htab", "qptrie", "map"]);
    assert.deepEqual(Object.keys(CONTRACT_STORES), ["rhash", "htab", "qptrie", "map"]);
    assert.equal(result.entries, 300);
    assert.match(result.runtime, /^(deno|node|bun) \d/);
    for (const row of result.rows) {
      for (const path of ["getInto", "get", "entries", "entriesReuse"] as const) {
        assert.ok(row[path] > 0 && Number.isFinite(row[path]), `${row.store} ${path}`);
      }
    }
  });

  it("prints a column group per runtime with the ratios get/getInto and entries/getInto", () => {
    const row = (store: string, k: number) => ({
      store,
      getInto: 10 * k,
      get: 25 * k,
      entries: 40 * k,
      entriesReuse: 5 * k,
    });
    const results: ContractResult[] = [
      { runtime: "deno 2.9.6", entries: 10000, rows: [row("htab", 1), row("map", 2)] },
      { runtime: "bun 1.4.5", entries: 10000, rows: [row("htab", 3), row("map", 4)] },
    ];
    const lines = formatContractTable(results).split("\n");
    assert.match(lines[0]!, /10000 entries.*deno 2\.9\.6 · bun 1\.4\.5/);
    assert.equal(
      lines[2],
      "| store | deno getInto | deno get | deno entries() | deno reuse | deno get/getInto | " +
        "deno entries/getInto | bun getInto | bun get | bun entries() | bun reuse | " +
        "bun get/getInto | bun entries/getInto |",
    );
    assert.equal(
      lines[4],
      "| htab | 10 | 25 | 40 | 5.0 | 2.5x | 4.0x | 30 | 75 | 120 | 15 | 2.5x | 4.0x |",
    );
    assert.equal(lines.length, 6);
  });

  it("refuses a runtime it does not know", () => {
    assert.throws(() => runEach(["deno", "java"], []), /unknown runtime 'java'; known: deno/);
  });

  it("runs itself under deno, node and bun and prints one table (end to end)", () => {
    const r = spawnSync(
      `${root}node_modules/.bin/deno`,
      [
        "run",
        "--allow-read",
        "--allow-env",
        "--allow-run",
        "tools/bench/contract_table.ts",
        "--runtimes",
        "deno,node,bun",
        ...tiny,
      ],
      { cwd: root, encoding: "utf8" },
    );
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trim().split("\n");
    assert.match(lines[0]!, /200 entries.*deno \d.* · node \d.* · bun \d/);
    assert.match(lines[2]!, /^\| store \| deno getInto .* \| node getInto .* \| bun getInto /);
    assert.deepEqual(lines.slice(4).map((l) => l.split(" | ")[0]), [
      "| rhash",
      "| htab",
      "| qptrie",
      "| map",
    ]);
    for (const l of lines.slice(4)) assert.equal(l.split("|").length, 2 + 1 + 18, l);
  });

  it("--json from one runtime is what --runtimes collects", () => {
    const r = spawnSync("node", [
      "--import",
      "tsx",
      "tools/bench/contract_table.ts",
      ...tiny,
      "--json",
      "--stores",
      "map",
    ], {
      cwd: root,
      encoding: "utf8",
    });
    assert.equal(r.status, 0, r.stderr);
    const result = JSON.parse(r.stdout) as ContractResult;
    assert.match(result.runtime, /^node /);
    assert.deepEqual(result.rows.map((x) => x.store), ["map"]);
  });
});
