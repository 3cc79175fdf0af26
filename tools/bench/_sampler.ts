/**
 * In-process timing: runs sized so one sample takes a target time, `performance.now()` around
 * each run, untimed resets between runs.
 *
 * @module
 */

import type { Runner } from "./workloads.ts";

/** One timed sample. */
export interface Sample {
  /** Operations done. */
  readonly ops: number;
  /** Milliseconds spent in `run`, resets excluded. */
  readonly ms: number;
}

function timedRun(runner: Runner, n: number): Sample {
  const t0 = performance.now();
  const ops = runner.run(n);
  const ms = performance.now() - t0;
  runner.reset?.();
  return { ops, ms };
}

/**
 * Finds the operations per run that take about a quarter of `sampleMs` (capped by the
 * runner's `maxRun`), warming the code up on the way.
 *
 * @param runner The runner.
 * @param sampleMs The target duration of one sample.
 * @returns Operations per run.
 */
export function calibrate(runner: Runner, sampleMs: number): number {
  const target = Math.max(0.5, sampleMs / 4);
  let n = Math.min(16, runner.maxRun);
  for (;;) {
    const { ops, ms } = timedRun(runner, n);
    if (ms >= 1 || n >= runner.maxRun) {
      const perOp = ms / Math.max(1, ops);
      return Math.max(1, Math.min(runner.maxRun, Math.round(target / Math.max(perOp, 1e-7))));
    }
    n = Math.min(runner.maxRun, n * 4);
  }
}

// A sample stops after this many times its target in wall time, resets included: a delete
// sample whose reset (re-inserting) is 100x slower than the deletes must not take minutes.
const WALL_FACTOR = 6;

/**
 * Takes one sample: runs of `n` operations until `sampleMs` of timed work (or, when untimed
 * resets dominate, `WALL_FACTOR × sampleMs` of wall time, at least one run).
 *
 * @param runner The runner.
 * @param n Operations per run, from {@linkcode calibrate}.
 * @param sampleMs The target duration.
 * @returns The operations and timed milliseconds.
 */
export function sample(runner: Runner, n: number, sampleMs: number): Sample {
  let ops = 0;
  let ms = 0;
  const start = performance.now();
  do {
    const s = timedRun(runner, n);
    ops += s.ops;
    ms += s.ms;
  } while (ms < sampleMs && performance.now() - start < WALL_FACTOR * sampleMs);
  return { ops, ms };
}

/**
 * The median of some numbers.
 *
 * @param xs The numbers (not empty).
 * @returns The median (mean of the middle two for an even count).
 */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}
