/**
 * The memory-latency probe: pointer chasing around one random cycle through a large
 * `Int32Array`, so each step is a dependent load from an unpredictable address - about one
 * cache (and TLB) miss. Large-map lookups are reported as multiples of it.
 *
 * @module
 */

import { Rng } from "./_rng.ts";
import { median } from "./_sampler.ts";

/** What the probe measured. */
export interface ProbeResult {
  /** The array size in bytes. */
  readonly bytes: number;
  /** Nanoseconds per random access, median of the samples. */
  readonly nsPerAccess: number;
  /** Every sample, in ns per access. */
  readonly samples: number[];
}

/** Follows `steps` links from `start`; returns where it stopped (so nothing is dead code). */
function chase(next: Int32Array, start: number, steps: number): number {
  let p = start;
  for (let i = 0; i < steps; i++) p = next[p]!;
  return p;
}

/**
 * Measures one random memory access on this machine, now.
 *
 * @param megabytes The array size in MiB (64-256 is well past any last-level cache).
 * @param samples How many samples.
 * @param sampleMs The target duration of one sample.
 * @param seed The seed of the permutation.
 * @returns The median ns per access and the samples.
 */
export function memoryProbe(
  megabytes: number,
  samples: number,
  sampleMs: number,
  seed: number,
): ProbeResult {
  const n = Math.max(2, Math.floor((megabytes * 1024 * 1024) / 4));
  const next = new Int32Array(n);
  for (let i = 0; i < n; i++) next[i] = i;
  // Sattolo's shuffle: the result is a single cycle through every slot.
  const rng = new Rng(seed);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.below(i);
    const t = next[i]!;
    next[i] = next[j]!;
    next[j] = t;
  }
  let p = chase(next, 0, 100_000);
  let steps = 100_000;
  let t0 = performance.now();
  p = chase(next, p, steps);
  const warm = Math.max(performance.now() - t0, 0.01);
  steps = Math.max(1000, Math.round((steps * sampleMs) / warm));
  const out: number[] = [];
  for (let s = 0; s < samples; s++) {
    t0 = performance.now();
    p = chase(next, p, steps);
    out.push(((performance.now() - t0) * 1e6) / steps);
  }
  if (p < 0) throw new Error("unreachable: the cycle holds only indices");
  return { bytes: n * 4, nsPerAccess: median(out), samples: out };
}
