/**
 * The standard groups (a workload on one data shape) of BENCHMARKS.md, quick and full.
 *
 * @module
 */

import type { Shape } from "./_fit.ts";

/** One group to run: a workload on a shape. */
export interface GroupSpec {
  /** A workload name from `WORKLOADS`. */
  readonly workload: string;
  /** The data shape. */
  readonly shape: Shape;
}

/** `quick` (about a minute on 2 cores) or `full` (the whole matrix, 1M-entry rows). */
export type Scale = "quick" | "full";

/**
 * The standard groups.
 *
 * | workload | shapes (quick / full) |
 * | --- | --- |
 * | lookup-hit | key 8/32/256 B × 1K/100K (full: 1M) entries × fill 75/100%; var 1..255 B keys, 16K |
 * | lookup-miss | key 32 B, 20K (1M), fill 75% |
 * | insert | key 32 B, 20K (1M), from fill 50% |
 * | update | key 8 B, 20K (1M), fill 100% (the seed's "full update") |
 * | delete, iterate, batch | key 32 B, 20K (1M), fill 100% |
 * | memory | key 8 B, values 32 B × 10K (1M) and 4 KB × 1K (50K) |
 *
 * @param scale `quick` or `full`.
 * @param workloads Keep only these workload names (all when omitted or empty).
 * @returns The groups, in run order.
 */
export function standardGroups(scale: Scale, workloads?: readonly string[]): GroupSpec[] {
  const big = scale === "quick" ? 100_000 : 1_000_000;
  // The other workloads care less about size; quick keeps them small to stay near a minute.
  const mid = scale === "quick" ? 20_000 : 1_000_000;
  const groups: GroupSpec[] = [];
  for (const key of [8, 32, 256]) {
    for (const entries of [1000, big]) {
      for (const fill of [0.75, 1]) {
        groups.push({ workload: "lookup-hit", shape: { key, entries, fill, value: 8 } });
      }
    }
  }
  // The qp-trie thread's row: 16K random binary keys of 1..255 bytes.
  groups.push({
    workload: "lookup-hit",
    shape: { key: [1, 255], entries: 16384, fill: 1, value: 8 },
  });
  groups.push({ workload: "lookup-miss", shape: { key: 32, entries: mid, fill: 0.75, value: 8 } });
  groups.push({ workload: "insert", shape: { key: 32, entries: mid, fill: 0.5, value: 8 } });
  groups.push({ workload: "update", shape: { key: 8, entries: mid, fill: 1, value: 8 } });
  for (const workload of ["delete", "iterate", "batch"]) {
    groups.push({ workload, shape: { key: 32, entries: mid, fill: 1, value: 8 } });
  }
  const small = scale === "quick" ? 10_000 : 1_000_000;
  const pages = scale === "quick" ? 1_000 : 50_000;
  groups.push({ workload: "memory", shape: { key: 8, entries: small, fill: 1, value: 32 } });
  groups.push({ workload: "memory", shape: { key: 8, entries: pages, fill: 1, value: 4096 } });
  return workloads === undefined || workloads.length === 0
    ? groups
    : groups.filter((g) => workloads.includes(g.workload));
}

/**
 * A short label of a shape: `key 8 B · 1K entries · fill 75% · value 8 B`.
 *
 * @param shape The shape.
 * @returns The label.
 */
export function shapeLabel(shape: Shape): string {
  const key = typeof shape.key === "number"
    ? `${shape.key} B`
    : `${shape.key[0]}..${shape.key[1]} B`;
  const n = shape.entries;
  const entries = n >= 1e6 && n % 1e6 === 0
    ? `${n / 1e6}M`
    : n >= 1000 && n % 1000 === 0
    ? `${n / 1000}K`
    : n >= 1024 && n % 1024 === 0
    ? `${n / 1024}Ki`
    : `${n}`;
  return `key ${key} · ${entries} · fill ${Math.round(shape.fill * 100)}% · value ${shape.value} B`;
}
