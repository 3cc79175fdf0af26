/**
 * `deno task bench [--quick] [--backends a,b,c] [--workloads w1,w2] [--out DIR] ...`: runs the
 * standard workloads on any set of backends (catalog names, peers, plugin paths), prints a
 * table, and writes JSON, Markdown and one SVG chart per workload to the output folder.
 *
 * @module
 */

import { mkdir, readFile, unlink, writeFile } from "node:fs/promises";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { listBackends } from "@kvkit/backends";
import { SingleBar } from "cli-progress";
import { loadPeer, PEER_NAMES } from "../peers/mod.ts";
import { chartSvg } from "./chart_svg.ts";
import type { GroupSpec } from "./groups.ts";
import { formatMarkdown, formatTable } from "./report_table.ts";
import { defaultBackendNames } from "./resolve.ts";
import { type BenchOptions, runBench } from "./run.ts";

const USAGE = `usage: deno task bench [options]

  --quick               the quick matrix (about a minute); default: the full matrix
  --backends a,b,c      catalog names, peers or plugin paths (default: every built-in but bpf,
                        and every peer)
  --workloads w1,w2     lookup-hit, lookup-miss, insert, update, delete, iterate, batch, memory
                        (filters the --config groups too; an unknown name is an error)
  --baseline NAME       ratio baseline, one of the backends run (default: htab if run, else map)
  --out DIR             output folder (default: bench-results), checked writable before the run
  --config FILE         JSON: { groups: [{ workload, shape: { key, entries, fill, value } }],
                        backends, baseline, samples, sampleMs, probeMB, backendOptions }
  --options JSON        extra create() options per backend, e.g. '{"sk-storage":{"inlineBytes":16}}'
  --samples N           samples per backend per group (quick 5, full 7)
  --sample-ms N         target ms per sample (quick 20, full 120)
  --probe-mb N          memory-latency probe size in MiB, 0 to skip (quick 64, full 256)
  --seed N              data seed (default 1)
  --list                list the backends available by name and exit
`;

function list(s: string | undefined): string[] | undefined {
  return s === undefined ? undefined : s.split(",").map((x) => x.trim()).filter((x) => x !== "");
}

function num(name: string, s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  const n = Number(s);
  if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} ${s} is not a non-negative number`);
  return n;
}

interface Config {
  groups?: GroupSpec[];
  backends?: string[];
  baseline?: string;
  samples?: number;
  sampleMs?: number;
  probeMB?: number;
  backendOptions?: Record<string, Record<string, unknown>>;
}

async function main(argv: string[]): Promise<number> {
  const { values: a } = parseArgs({
    args: argv,
    options: {
      quick: { type: "boolean" },
      backends: { type: "string" },
      workloads: { type: "string" },
      baseline: { type: "string" },
      out: { type: "string" },
      config: { type: "string" },
      options: { type: "string" },
      samples: { type: "string" },
      "sample-ms": { type: "string" },
      "probe-mb": { type: "string" },
      seed: { type: "string" },
      help: { type: "boolean", short: "h" },
      list: { type: "boolean" },
    },
  });
  if (a.help === true) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (a.list === true) {
    const peers = new Set(PEER_NAMES);
    for (const b of listBackends()) {
      process.stdout.write(`${b.name.padEnd(16)} built-in  ${b.summary}\n`);
    }
    for (const name of peers) {
      const b = await loadPeer(name);
      process.stdout.write(`${name.padEnd(16)} peer      ${b?.summary ?? ""}\n`);
    }
    return 0;
  }
  const config: Config = a.config === undefined
    ? {}
    : JSON.parse(await readFile(a.config, "utf8")) as Config;
  const backendOptions = a.options === undefined
    ? config.backendOptions
    : JSON.parse(a.options) as Record<string, Record<string, unknown>>;
  const out = a.out ?? "bench-results";
  const showProgress = process.stderr.isTTY === true;
  const bar = showProgress
    ? new SingleBar({
      format: "bench [{bar}] {value}/{total} {eta_formatted} left · {label}",
      stream: process.stderr,
      hideCursor: true,
      clearOnComplete: true,
    })
    : undefined;
  let started = false;
  const options: BenchOptions = {
    backends: list(a.backends) ?? config.backends ?? defaultBackendNames(),
    scale: a.quick === true ? "quick" : "full",
    ...(config.groups === undefined ? {} : { groups: config.groups }),
    ...(a.workloads === undefined ? {} : { workloads: list(a.workloads)! }),
    ...(a.baseline ?? config.baseline) === undefined
      ? {}
      : { baseline: a.baseline ?? config.baseline! },
    ...optional("samples", num("samples", a.samples) ?? config.samples),
    ...optional("sampleMs", num("sample-ms", a["sample-ms"]) ?? config.sampleMs),
    ...optional("probeMB", num("probe-mb", a["probe-mb"]) ?? config.probeMB),
    ...optional("seed", num("seed", a.seed)),
    ...(backendOptions === undefined ? {} : { backendOptions }),
    onProgress: (p) => {
      if (bar === undefined) return;
      if (!started) bar.start(p.total, p.done, { label: p.label });
      else bar.update(p.done, { label: p.label });
      started = true;
    },
  };
  // Found out now, not after the whole run: the folder must exist (or be made) and take a file.
  await checkWritable(out);
  let report;
  try {
    report = await runBench(options);
  } finally {
    bar?.stop();
  }
  process.stdout.write(`${formatTable(report)}\n`);
  await mkdir(out, { recursive: true });
  await writeFile(`${out}/bench.json`, `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(`${out}/bench.md`, `${formatMarkdown(report)}\n`);
  const workloads = [...new Set(report.groups.map((g) => g.workload))];
  for (const w of workloads) {
    const groups = report.groups.filter((g) => g.workload === w);
    await writeFile(`${out}/${w}.svg`, chartSvg(groups, report));
  }
  process.stdout.write(
    `wrote ${out}/bench.json, ${out}/bench.md, ${
      workloads.map((w) => `${out}/${w}.svg`).join(", ")
    }\n`,
  );
  return 0;
}

/** Makes `dir` and writes and removes a probe file in it, or says why it cannot. */
async function checkWritable(dir: string): Promise<void> {
  const probe = `${dir}/.bench-write-test-${process.pid}`;
  try {
    await mkdir(dir, { recursive: true });
    await writeFile(probe, "");
    await unlink(probe);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    const deno = (globalThis as { Deno?: unknown }).Deno !== undefined;
    throw new Error(
      `--out ${dir} is not writable (${why}); nothing was run` +
        (deno ? `. deno task bench writes only to bench-results; add --allow-write=${dir}` : ""),
    );
  }
}

function optional<K extends string>(key: K, v: number | undefined): { [P in K]?: number } {
  return (v === undefined ? {} : { [key]: v }) as { [P in K]?: number };
}

// Deno and Bun set import.meta.main; Node 20 does not, so compare the entry path there.
const isMain = (import.meta as { main?: boolean }).main ??
  process.argv[1] === fileURLToPath(import.meta.url);
if (isMain) {
  try {
    process.exitCode = await main(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  }
}
