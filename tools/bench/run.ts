/**
 * The harness core: runs groups (a workload on a data shape) over any set of backends side by
 * side in one process, interleaving the backends of a group sample by sample (A B C A B C …)
 * so machine noise hits all of them alike, and reports medians and ratios to a baseline.
 *
 * The explorer's `bench` command calls {@linkcode runQuick} and prints {@linkcode formatTable}.
 *
 * @module
 */

import process from "node:process";
import type { AnyBackend } from "@kvkit/store";
import { fit, type Fitted, populate, type Shape } from "./_fit.ts";
import { keyLabel, valuePool, writeKey } from "./_keys.ts";
import { memoryProbe, type ProbeResult } from "./_probe.ts";
import { calibrate, median, sample } from "./_sampler.ts";
import { type GroupSpec, type Scale, shapeLabel, standardGroups } from "./groups.ts";
import { resolveBackends, type ResolvedBackend } from "./resolve.ts";
import { type PrepareContext, type Runner, type Workload, WORKLOADS } from "./workloads.ts";

/** How to run. Everything but `backends` has a default. */
export interface BenchOptions {
  /** Catalog names, peer names, plugin paths/specifiers, or backend objects. */
  readonly backends: readonly (string | AnyBackend)[];
  /** The groups to run (default: the standard groups of `scale`). */
  readonly groups?: readonly GroupSpec[];
  /** `quick` (default) or `full`: the standard groups and the sampling budget. */
  readonly scale?: Scale;
  /**
   * Keep only these workloads, of `groups` or of the standard groups. Unknown names and an
   * empty list are refused.
   */
  readonly workloads?: readonly string[];
  /**
   * The ratio baseline's label (default `htab` when run, else `map`, else the first); one not
   * among the backends run is refused.
   */
  readonly baseline?: string;
  /** Samples per backend per group (quick 5, full 7). */
  readonly samples?: number;
  /** Target duration of one sample in ms (quick 20, full 120). */
  readonly sampleMs?: number;
  /** Size of the memory-latency probe in MiB; 0 skips it (quick 64, full 256). */
  readonly probeMB?: number;
  /** The data seed. */
  readonly seed?: number;
  /** Extra `create` options per backend label, e.g. `{ "sk-storage": { inlineBytes: 16 } }`. */
  readonly backendOptions?: Readonly<Record<string, Record<string, unknown>>>;
  /** Base URL for relative plugin paths (default: the working directory). */
  readonly base?: URL | string;
  /** Progress: called after each backend × group unit. */
  readonly onProgress?: (p: Progress) => void;
}

/** Progress of a run. */
export interface Progress {
  /** Units done (a unit is one backend in one group, or the probe). */
  readonly done: number;
  /** Units in the run. */
  readonly total: number;
  /** What is running now. */
  readonly label: string;
}

/** One backend's result in one group. */
export interface BenchResult {
  /** The backend's label. */
  readonly backend: string;
  /** Where it came from. */
  readonly kind: ResolvedBackend["kind"];
  /**
   * The read path this row measured, for workloads with several (`getInto` / `get (copy)`,
   * `entries() (copy)` / `entries({reuse})`); its ratio is to the baseline's same path.
   */
  readonly path?: string;
  /** What the store was fitted to (keys, value, entries present / limit). */
  readonly fitted?: string;
  /** Adaptations and remarks (e.g. `sized to 64 entries`). */
  readonly notes: string[];
  /** Why it did not run, if it did not. */
  readonly skipped?: string;
  /** ops/s of every sample (`ops` workloads). */
  readonly samples: number[];
  /** Median ops/s. */
  readonly opsPerSec?: number;
  /** Half the range of the samples over the median: the ± of `opsPerSec`. */
  readonly spread?: number;
  /** 1e9 / median ops/s. */
  readonly nsPerOp?: number;
  /** ns/op ÷ the probe's ns per random memory access. */
  readonly memAccesses?: number;
  /** Median `memoryUsage()` / entries (`memory` workload, and after building for others). */
  readonly bytesPerEntry?: number;
  /** Median heap growth / entries, when GC could be forced (`memory` workload). */
  readonly heapBytesPerEntry?: number;
  /** Per-sample heap bytes per entry (`memory` workload). */
  readonly heapSamples?: number[];
  /** Milliseconds spent building the data set and preparing the runner (not timed work). */
  readonly buildMs?: number;
  /** Against the baseline: ops/s ratio (higher is better) or bytes ratio (lower is better). */
  readonly ratio?: number;
  /**
   * The spread of {@linkcode ratio}: the 10th and 90th percentiles of the per-sample ratios,
   * each sample over the baseline's sample of the same round (taken side by side, so a slow
   * moment of the machine hits both). Absent with fewer than two paired samples.
   */
  readonly ratioRange?: readonly [number, number];
}

/** One group's results. */
export interface BenchGroup {
  /** A stable id: `workload · shape`. */
  readonly id: string;
  /** The workload name. */
  readonly workload: string;
  /** The workload's title. */
  readonly title: string;
  /** `ops` (higher is better) or `bytes` (per entry, lower is better). */
  readonly metric: "ops" | "bytes";
  /** The requested shape. */
  readonly shape: Shape;
  /** Its label. */
  readonly shapeLabel: string;
  /** The baseline's label (absent when the baseline did not run in this group). */
  readonly baseline?: string;
  /** The read paths measured, headline first (absent: one row per backend, no path). */
  readonly paths?: readonly string[];
  /** One result per backend (per path: a backend's paths are adjacent), in run order. */
  readonly results: BenchResult[];
  /** Wall-clock milliseconds the group took (builds, calibration, samples, resets). */
  readonly wallMs?: number;
}

/** A whole run: environment, probe, groups. */
export interface BenchReport {
  /** Runtime, platform and settings. */
  readonly environment: Record<string, unknown>;
  /** The memory-latency probe, when run. */
  readonly probe?: ProbeResult;
  /** The backends, in order. */
  readonly backends: { label: string; kind: string; spec: string; summary: string }[];
  /** The groups. */
  readonly groups: BenchGroup[];
}

// V8's gc() needs --expose-gc (Deno: --v8-flags=--expose-gc, Node: --expose-gc); Bun has its own.
const bun = (globalThis as { Bun?: { gc(force: boolean): void } }).Bun;
const gc: (() => void) | undefined = (globalThis as { gc?: () => void }).gc ??
  (bun === undefined ? undefined : () => bun.gc(true));

function collect(): void {
  gc?.();
}

function heapBytes(): number {
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
}

/**
 * Heap bytes once the heap has settled: ArrayBuffer backing stores are released by a sweeper
 * after the collection that found them dead, so one `gc()` can leave the previous store's
 * buffers counted (and a later reading then goes negative). Collect until two readings agree.
 */
function settledHeapBytes(): number {
  let last = heapBytes();
  for (let i = 0; i < 8 && gc !== undefined; i++) {
    gc();
    const now = heapBytes();
    if (Math.abs(now - last) < 16 * 1024 && i > 0) return now;
    last = now;
  }
  return last;
}

function environment(
  options: BenchOptions,
  samples: number,
  sampleMs: number,
): Record<string, unknown> {
  const deno = (globalThis as { Deno?: { version?: Record<string, string> } }).Deno;
  return {
    runtime: deno?.version !== undefined
      ? `deno ${deno.version.deno}`
      : `node ${process.versions.node}`,
    v8: deno?.version?.v8 ?? process.versions.v8,
    platform: process.platform,
    arch: process.arch,
    cpus: (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator
      ?.hardwareConcurrency,
    gc: gc !== undefined,
    date: new Date().toISOString(),
    scale: options.scale ?? "quick",
    samples,
    sampleMs,
    seed: options.seed ?? 1,
  };
}

interface Unit {
  readonly r: ResolvedBackend;
  /** The read path, for workloads with several; the first unit of a backend builds its store. */
  readonly path: string | undefined;
  readonly notes: string[];
  fitted?: Fitted | undefined;
  /** What the runner was prepared from; later paths of the backend prepare from it too. */
  ctx?: PrepareContext | undefined;
  fittedLabel?: string;
  runner?: Runner | undefined;
  n?: number;
  buildMs?: number;
  skipped?: string;
  bytesPerEntry?: number;
  samples: number[];
  heapSamples: number[];
  usageSamples: number[];
}

function fittedLabel(f: Fitted, present: number): string {
  return `key ${keyLabel(f.keys)} · ${present}/${f.capacity} · value ${f.value} B`;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** A populated store kept from the previous group, to top up rather than rebuild. */
interface Carry {
  readonly spec: GroupSpec;
  readonly fitted: Fitted;
  readonly present: number;
  readonly notes: string[];
}

/**
 * Whether `next` can reuse the stores of `prev`: the same workload and shape but a higher
 * fill. Inserting keys 0..a-1 and then a..b-1 is the same sequence as inserting 0..b-1, so the
 * topped-up store is the store a fresh build would give; every runner restores the key set.
 */
function canTopUp(prev: GroupSpec | undefined, next: GroupSpec): boolean {
  if (prev === undefined || prev.workload !== next.workload) return false;
  const a = prev.shape;
  const b = next.shape;
  return JSON.stringify(a.key) === JSON.stringify(b.key) && a.entries === b.entries &&
    a.value === b.value && b.fill > a.fill;
}

function buildUnit(
  unit: Unit,
  spec: GroupSpec,
  seed: number,
  extra: Record<string, unknown>,
  seen: Map<string, string>,
  carry: Carry | undefined,
  cache: Map<string, Uint8Array[]>,
): Carry {
  const workload = WORKLOADS.get(spec.workload)!;
  const fitted = carry?.fitted ?? fit(unit.r.backend, spec.shape, extra);
  const notes = carry === undefined
    ? [...fitted.notes]
    : carry.notes.filter((n) => !n.startsWith("full at"));
  const values = valuePool(fitted.value, seed);
  const before = fitted.notes.length;
  const target = Math.round(fitted.capacity * spec.shape.fill);
  const present = populate(fitted, target, values, seed, carry?.present ?? 0);
  notes.push(...fitted.notes.splice(before));
  unit.notes.push(...notes);
  unit.fittedLabel = fittedLabel(fitted, present);
  const kept: Carry = { spec, fitted, present, notes };
  // A store sized down to the same data as in an earlier group of this workload adds nothing.
  const dedupe = `${spec.workload}|${unit.r.label}|${unit.fittedLabel}`;
  const earlier = seen.get(dedupe);
  if (earlier !== undefined && notes.length > 0) {
    unit.skipped = `same data as in ${earlier}`;
    return kept;
  }
  seen.set(dedupe, shapeLabel(spec.shape));
  if (present > 0) unit.bytesPerEntry = fitted.store.memoryUsage() / present;
  prepareUnit(unit, workload, { fitted, present, values, seed, cache });
  return kept;
}

function prepareUnit(unit: Unit, workload: Workload, ctx: PrepareContext): void {
  const prepared = workload.prepare(ctx, unit.path);
  if (typeof prepared === "string") {
    unit.skipped = prepared;
    return;
  }
  unit.fitted = ctx.fitted;
  unit.ctx = ctx;
  unit.runner = prepared;
}

/**
 * The second and later paths of a backend measure the store its first path built: the same
 * data, notes and skip reason, a runner of their own.
 */
function shareUnit(unit: Unit, first: Unit, workload: Workload): void {
  unit.notes.push(...first.notes);
  if (first.fittedLabel !== undefined) unit.fittedLabel = first.fittedLabel;
  if (first.bytesPerEntry !== undefined) unit.bytesPerEntry = first.bytesPerEntry;
  if (first.ctx === undefined) {
    unit.skipped = first.skipped ?? "not built";
    return;
  }
  prepareUnit(unit, workload, first.ctx);
}

/** Builds, overwrites and measures one store for the memory workload. */
function measureMemory(
  unit: Unit,
  spec: GroupSpec,
  seed: number,
  extra: Record<string, unknown>,
): void {
  // The harness's own buffers (the value pool, the key scratch) are made before the first heap
  // reading, so the growth counts the store alone. Values of another length are skipped below,
  // and keys longer than the shape's (a store padding them) get a new scratch of a few bytes.
  const values = valuePool(spec.shape.value, seed);
  const shapeKey = typeof spec.shape.key === "number" ? spec.shape.key : spec.shape.key[1];
  let scratch = new Uint8Array(Math.max(4, shapeKey));
  const before = settledHeapBytes();
  const fitted = fit(unit.r.backend, spec.shape, extra);
  if (fitted.value !== spec.shape.value) {
    // Bytes per entry of other values compare nothing: the value is most of an entry.
    unit.notes.push(...fitted.notes);
    unit.skipped = `takes no ${spec.shape.value} B values`;
    return;
  }
  const present = populate(fitted, Math.round(fitted.capacity * spec.shape.fill), values, seed);
  // Overwrite every value once: stores that reallocate on update show it here.
  const keyMax = fitted.keys.kind === "u32" ? 4 : fitted.keys.max;
  if (keyMax > scratch.length) scratch = new Uint8Array(keyMax);
  for (let i = 0; i < present; i++) {
    const len = writeKey(fitted.keys, i, seed, scratch);
    fitted.store.set(scratch.subarray(0, len), values[(i + 1) % values.length]!);
  }
  const after = settledHeapBytes();
  if (present === 0) throw new Error("no entry fitted");
  if (unit.fittedLabel === undefined) {
    unit.notes.push(...fitted.notes);
    unit.fittedLabel = fittedLabel(fitted, present);
  }
  unit.usageSamples.push(fitted.store.memoryUsage() / present);
  if (gc !== undefined) unit.heapSamples.push((after - before) / present);
}

/** One untimed run (and its reset), to bring a store back into the caches. */
function warm(runner: Runner, n: number): void {
  runner.run(n);
  runner.reset?.();
}

function checkSettings(samples: number, sampleMs: number, probeMB: number): void {
  if (!Number.isInteger(samples) || samples < 1) {
    throw new Error(`samples ${samples} is not a positive integer`);
  }
  if (!(sampleMs > 0)) throw new Error(`sampleMs ${sampleMs} is not a positive number`);
  if (!(probeMB >= 0 && probeMB <= 4096)) throw new Error(`probeMB ${probeMB} not in 0..4096`);
}

/** Validates a group from a config file, so a typo fails with its value, not mid-run. */
function checkShape(g: GroupSpec): void {
  const s = g.shape as Partial<Shape> | undefined;
  const where = `group '${g.workload}' shape ${JSON.stringify(s)}`;
  const len = (n: unknown): boolean =>
    Number.isInteger(n) && (n as number) >= 1 && (n as number) <= 65536;
  if (typeof s !== "object" || s === null) throw new Error(`${where}: not an object`);
  const keyOk = len(s.key) ||
    (Array.isArray(s.key) && s.key.length === 2 && len(s.key[0]) && len(s.key[1]) &&
      s.key[0] <= s.key[1]);
  if (!keyOk) throw new Error(`${where}: key must be a length 1..65536 or [min, max]`);
  if (!Number.isInteger(s.entries) || s.entries! < 1 || s.entries! > 2 ** 32) {
    throw new Error(`${where}: entries must be an integer in 1..2^32`);
  }
  if (typeof s.fill !== "number" || !(s.fill >= 0 && s.fill <= 1)) {
    throw new Error(`${where}: fill must be in 0..1`);
  }
  if (!Number.isInteger(s.value) || s.value! < 0 || s.value! > 1 << 24) {
    throw new Error(`${where}: value must be an integer in 0..2^24`);
  }
}

function pickBaseline(labels: readonly string[], wanted: string | undefined): string | undefined {
  if (wanted !== undefined) return wanted;
  return labels.includes("htab") ? "htab" : labels.includes("map") ? "map" : labels[0];
}

/**
 * Runs groups over backends and returns the report.
 *
 * @param options Backends, groups and sampling.
 * @returns The report (JSON-serialisable).
 *
 * @example One group on one backend
 * ```ts
 * import { runBench } from "./run.ts";
 * import assert from "node:assert/strict";
 *
 * const report = await runBench({
 *   backends: ["map"], samples: 1, sampleMs: 2, probeMB: 0,
 *   groups: [{ workload: "lookup-hit", shape: { key: 8, entries: 100, fill: 1, value: 8 } }],
 * });
 * assert.equal(report.groups[0]!.results[0]!.ratio, 1);
 * ```
 */
export async function runBench(options: BenchOptions): Promise<BenchReport> {
  const scale = options.scale ?? "quick";
  const samples = options.samples ?? (scale === "quick" ? 5 : 7);
  const sampleMs = options.sampleMs ?? (scale === "quick" ? 20 : 120);
  const probeMB = options.probeMB ?? (scale === "quick" ? 64 : 256);
  const seed = options.seed ?? 1;
  checkSettings(samples, sampleMs, probeMB);
  const known = [...WORKLOADS.keys()].join(", ");
  const wanted = options.workloads;
  if (wanted !== undefined) {
    // A misspelt name would select nothing and run nothing: refuse it with the known names.
    if (wanted.length === 0) throw new Error(`no workload selected; known: ${known}`);
    const bad = wanted.filter((w) => !WORKLOADS.has(w));
    if (bad.length > 0) {
      throw new Error(`unknown workload ${bad.map((w) => `'${w}'`).join(", ")}; known: ${known}`);
    }
  }
  for (const g of options.groups ?? []) {
    if (!WORKLOADS.has(g.workload)) {
      throw new Error(`unknown workload '${g.workload}'; known: ${known}`);
    }
    checkShape(g);
  }
  // `workloads` filters the given groups as well as the standard ones.
  const groups = (options.groups ?? standardGroups(scale)).filter((g) =>
    wanted === undefined || wanted.includes(g.workload)
  );
  if (groups.length === 0) {
    throw new Error(
      `no group to run: the groups hold none of the workloads ${wanted?.join(", ") ?? ""}`,
    );
  }
  const resolved = await resolveBackends(options.backends, options.base);
  if (resolved.length === 0) throw new Error("no backend to run");
  const labels = resolved.map((r) => r.label);
  // A misspelt baseline would silently leave every ratio empty.
  if (options.baseline !== undefined && !labels.includes(options.baseline)) {
    throw new Error(
      `baseline '${options.baseline}' is not among the backends run: ${labels.join(", ")}`,
    );
  }
  const baseline = pickBaseline(labels, options.baseline);
  const total = groups.length * resolved.length + (probeMB > 0 ? 1 : 0);
  let done = 0;
  const tick = (label: string): void => options.onProgress?.({ done: ++done, total, label });
  options.onProgress?.({ done, total, label: "starting" });

  let probe: ProbeResult | undefined;
  if (probeMB > 0) {
    probe = memoryProbe(probeMB, Math.max(3, samples), sampleMs, seed);
    tick("memory-latency probe");
  }
  const seen = new Map<string, string>();
  const out: BenchGroup[] = [];
  let carried = new Map<string, Carry>();
  for (const spec of groups) {
    const workload = WORKLOADS.get(spec.workload)!;
    const id = `${spec.workload} · ${shapeLabel(spec.shape)}`;
    options.onProgress?.({ done, total, label: id });
    const groupStart = performance.now();
    // One unit per backend and path; a backend's paths are adjacent and share its store.
    const paths = workload.metric === "ops" ? workload.paths ?? [undefined] : [undefined];
    const units: Unit[] = resolved.flatMap((r) =>
      paths.map((path) => ({
        r,
        path,
        notes: [],
        samples: [],
        heapSamples: [],
        usageSamples: [],
      }))
    );
    const extra = (u: Unit): Record<string, unknown> => options.backendOptions?.[u.r.label] ?? {};
    const carry = new Map<string, Carry>();
    const cache = new Map<string, Uint8Array[]>();
    if (workload.metric === "bytes") {
      // Each memory sample is a full build; a few suffice for a median.
      for (let s = 0; s < Math.min(samples, 3); s++) {
        for (const u of units) {
          if (u.skipped !== undefined) continue;
          try {
            measureMemory(u, spec, seed, extra(u));
          } catch (err) {
            u.skipped = `error: ${message(err)}`;
          }
        }
      }
      for (let i = 0; i < resolved.length; i++) tick(id);
    } else {
      for (const [i, u] of units.entries()) {
        try {
          const t0 = performance.now();
          const first = units[i - (i % paths.length)]!;
          if (first !== u) {
            shareUnit(u, first, workload);
          } else {
            const prev = carried.get(u.r.label);
            const from = canTopUp(prev?.spec, spec) ? prev : undefined;
            carry.set(u.r.label, buildUnit(u, spec, seed, extra(u), seen, from, cache));
          }
          u.buildMs = performance.now() - t0;
          if (u.runner !== undefined) {
            u.n = calibrate(u.runner, sampleMs);
            sample(u.runner, u.n, sampleMs); // warmup at full size
          }
        } catch (err) {
          u.skipped = `error: ${message(err)}`;
          u.runner = u.fitted = u.ctx = undefined;
        }
      }
      for (let s = 0; s < samples; s++) {
        for (const [i, u] of units.entries()) {
          if (u.runner === undefined) continue;
          try {
            // The first sample after another backend's finds the caches cold (2x slower on
            // a 100K-entry store): one untimed run first, so a backend's paths, which share
            // its store, all start warm and compare fairly with each other.
            if (paths.length > 1 && i % paths.length === 0) warm(u.runner, u.n!);
            const { ops, ms } = sample(u.runner, u.n!, sampleMs);
            u.samples.push((ops * 1000) / ms);
          } catch (err) {
            u.skipped = `error: ${message(err)}`;
            u.runner = u.fitted = u.ctx = undefined;
          }
        }
      }
      for (const [i, u] of units.entries()) {
        u.runner = u.fitted = u.ctx = undefined;
        if (i % paths.length === 0) tick(id);
      }
      carried = carry;
    }
    out.push({
      ...summarise(spec, id, workload, units, baseline, probe),
      wallMs: Math.round(performance.now() - groupStart),
    });
    // Keep only stores the next group can top up; drop the rest before it builds its own.
    // Emptying the containers (not just dropping them) matters: a dead loop variable can
    // linger in an interpreter register and pin a whole group's stores and keys.
    const next = groups[groups.indexOf(spec) + 1];
    if (workload.metric === "bytes" || next === undefined || !canTopUp(spec, next)) {
      carried.clear();
      carried = new Map();
    }
    cache.clear();
    units.length = 0;
    collect();
  }
  return {
    environment: environment(options, samples, sampleMs),
    ...(probe === undefined ? {} : { probe }),
    backends: resolved.map((r) => ({
      label: r.label,
      kind: r.kind,
      spec: r.spec,
      summary: r.backend.summary ?? "",
    })),
    groups: out,
  };
}

/**
 * The 10th and 90th percentiles (linear between ranks) of the ratios of paired samples.
 *
 * @param own A backend's samples, in round order.
 * @param base The baseline's samples, same rounds.
 * @returns `[low, high]`, or `undefined` with fewer than two pairs.
 *
 * @example Three rounds
 * ```ts
 * import { ratioRange } from "./run.ts";
 * import assert from "node:assert/strict";
 *
 * const [low, high] = ratioRange([2, 3, 4], [1, 1, 2])!;
 * assert.ok(low >= 2 && low < 2.3 && high > 2.7 && high <= 3);
 * assert.equal(ratioRange([1], [1]), undefined);
 * ```
 */
export function ratioRange(
  own: readonly number[],
  base: readonly number[],
): [number, number] | undefined {
  const n = Math.min(own.length, base.length);
  const ratios: number[] = [];
  for (let i = 0; i < n; i++) if (base[i]! > 0) ratios.push(own[i]! / base[i]!);
  if (ratios.length < 2) return undefined;
  ratios.sort((a, b) => a - b);
  const q = (p: number): number => {
    const at = p * (ratios.length - 1);
    const lo = Math.floor(at);
    const hi = Math.min(lo + 1, ratios.length - 1);
    return ratios[lo]! + (ratios[hi]! - ratios[lo]!) * (at - lo);
  };
  return [q(0.1), q(0.9)];
}

function summarise(
  spec: GroupSpec,
  id: string,
  workload: Workload,
  units: Unit[],
  baseline: string | undefined,
  probe: ProbeResult | undefined,
): BenchGroup {
  const { title, metric } = workload;
  const results: BenchResult[] = units.map((u) => {
    const base = {
      backend: u.r.label,
      kind: u.r.kind,
      ...(u.path === undefined ? {} : { path: u.path }),
      notes: u.notes,
      samples: u.samples,
      ...(u.fittedLabel === undefined ? {} : { fitted: u.fittedLabel }),
      ...(u.buildMs === undefined ? {} : { buildMs: Math.round(u.buildMs) }),
    };
    if (u.skipped !== undefined) return { ...base, skipped: u.skipped };
    if (metric === "bytes") {
      if (u.usageSamples.length === 0) return { ...base, skipped: "not measured" };
      return {
        ...base,
        bytesPerEntry: median(u.usageSamples),
        ...(u.heapSamples.length === 0 ? {} : {
          heapBytesPerEntry: median(u.heapSamples),
          heapSamples: u.heapSamples,
        }),
      };
    }
    if (u.samples.length === 0) return { ...base, skipped: "no samples" };
    const opsPerSec = median(u.samples);
    const nsPerOp = 1e9 / opsPerSec;
    return {
      ...base,
      opsPerSec,
      spread: (Math.max(...u.samples) - Math.min(...u.samples)) / (2 * opsPerSec),
      nsPerOp,
      ...(probe === undefined ? {} : { memAccesses: nsPerOp / probe.nsPerAccess }),
      ...(u.bytesPerEntry === undefined ? {} : { bytesPerEntry: u.bytesPerEntry }),
    };
  });
  // Bytes compare by measured heap when every run had it (uniform for JS and buffer stores).
  const useHeap = metric === "bytes" &&
    results.every((r) => r.skipped !== undefined || r.heapBytesPerEntry !== undefined);
  const value = (r: BenchResult): number | undefined =>
    metric === "ops" ? r.opsPerSec : useHeap ? r.heapBytesPerEntry : r.bytesPerEntry;
  // Each path compares with the baseline's same path: getInto with getInto, get with get.
  const baseOf = (path: string | undefined): BenchResult | undefined =>
    results.find((r) => r.backend === baseline && r.path === path && r.skipped === undefined);
  const base = baseOf(workload.metric === "ops" ? workload.paths?.[0] : undefined);
  const perSample = (r: BenchResult): number[] =>
    metric === "ops" ? r.samples : useHeap ? r.heapSamples ?? [] : [];
  const withRatio = results.map((r) => {
    const b = baseOf(r.path);
    const v = value(r);
    const bv = b === undefined ? undefined : value(b);
    if (v === undefined || bv === undefined || bv <= 0) return r;
    const range = ratioRange(perSample(r), perSample(b!));
    return { ...r, ratio: v / bv, ...(range === undefined ? {} : { ratioRange: range }) };
  });
  return {
    id,
    workload: spec.workload,
    title,
    metric,
    shape: spec.shape,
    shapeLabel: shapeLabel(spec.shape),
    ...(base === undefined ? {} : { baseline: base.backend }),
    ...(metric === "ops" && workload.paths !== undefined ? { paths: workload.paths } : {}),
    results: withRatio,
  };
}

/**
 * A quick run (the standard quick groups, or some of their workloads) of the given backends,
 * for the explorer's `bench` command and scripts.
 *
 * @param backends Catalog names, peer names, plugin paths/specifiers or backend objects.
 * @param options Any {@linkcode BenchOptions} to override (e.g. `workloads: ["lookup-hit"]`).
 * @returns The report; print it with `formatTable(report)` from `./report_table.ts`.
 *
 * @example A quick run of one workload
 * ```ts
 * import { runQuick } from "./run.ts";
 * import assert from "node:assert/strict";
 *
 * const report = await runQuick(["map"], {
 *   samples: 1, sampleMs: 2, probeMB: 0,
 *   groups: [{ workload: "update", shape: { key: 8, entries: 64, fill: 1, value: 8 } }],
 * });
 * assert.ok(report.groups[0]!.results[0]!.opsPerSec! > 0);
 * ```
 */
export function runQuick(
  backends: readonly (string | AnyBackend)[],
  options: Partial<Omit<BenchOptions, "backends">> = {},
): Promise<BenchReport> {
  return runBench({ scale: "quick", ...options, backends });
}
