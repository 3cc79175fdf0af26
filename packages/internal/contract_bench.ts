/**
 * The contract's read paths as benchmark rows, one copy for every store package's bench.
 *
 * @module
 */

/** What {@linkcode benchContract} calls: the `Store` methods it measures. */
export interface ContractBenchStore {
  /** Writes a key. */
  set(key: Uint8Array, value: Uint8Array): void;
  /** Reads into the caller's buffer. */
  getInto(key: Uint8Array, out: Uint8Array): boolean;
  /** Reads a copy. */
  get(key: Uint8Array): Uint8Array | undefined;
  /** Walks every entry, copies or (`reuse`) the same arrays at every step. */
  entries(options?: { reuse?: boolean }): Iterable<[Uint8Array, Uint8Array]>;
}

/** The group {@linkcode benchContract} registers its rows in. */
export const CONTRACT_GROUP = "contract, 10K entries, 8 B keys and values (per entry)";

/**
 * Fills `store` (8-byte keys and values) with `n` entries and, under `deno bench`, registers
 * the contract's read paths per entry: `getInto` (the baseline), the copying `get`,
 * `entries()` and `entries({ reuse: true })`. Every key is written into one reused key buffer
 * and looked up in a shuffled order, so lookups do not walk the store's memory sequentially;
 * each iteration reads all `n` entries once, so the rows compare per-entry costs.
 *
 * @param store An empty store of 8-byte keys and values with room for `n` entries.
 * @param n Entries (default 10,000, as {@linkcode CONTRACT_GROUP} says).
 * @returns The group name of the rows.
 *
 * @example Filling a store (rows are registered only under `deno bench`)
 * ```ts
 * import { benchContract } from "./contract_bench.ts";
 * import assert from "node:assert/strict";
 *
 * const map = new Map<string, Uint8Array>();
 * const store = {
 *   set: (k: Uint8Array, v: Uint8Array) => void map.set(k.join(), v.slice()),
 *   get: (k: Uint8Array) => map.get(k.join())?.slice(),
 *   getInto: (k: Uint8Array, out: Uint8Array) => map.has(k.join()),
 *   entries: () => [...map].map(([k, v]): [Uint8Array, Uint8Array] => [new Uint8Array(k.split(",").map(Number)), v]),
 * };
 * benchContract(store, 100);
 * assert.equal(map.size, 100);
 * ```
 */
export function benchContract(store: ContractBenchStore, n = 10_000): string {
  const key = new Uint8Array(8);
  const words = new Uint32Array(key.buffer);
  const lo = new Uint32Array(n);
  const hi = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    lo[i] = Math.imul(i, 2654435761) >>> 0;
    hi[i] = i;
    words[0] = lo[i]!;
    words[1] = hi[i]!;
    store.set(key, key);
  }
  const order = Uint32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1, s = 7; i > 0; i--) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const j = s % (i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const bench = (globalThis as { Deno?: { bench?: DenoBench } }).Deno?.bench;
  if (bench === undefined) return CONTRACT_GROUP;
  const out = new Uint8Array(8);
  const group = CONTRACT_GROUP;
  let sink = 0;
  bench({ group, name: "getInto", baseline: true }, () => {
    for (let i = 0; i < n; i++) {
      const p = order[i]!;
      words[0] = lo[p]!;
      words[1] = hi[p]!;
      if (store.getInto(key, out)) sink = (sink + out[0]!) | 0;
    }
  });
  bench({ group, name: "get (copy)" }, () => {
    for (let i = 0; i < n; i++) {
      const p = order[i]!;
      words[0] = lo[p]!;
      words[1] = hi[p]!;
      sink = (sink + store.get(key)![0]!) | 0;
    }
  });
  bench({ group, name: "entries() (copies)" }, () => {
    for (const [, v] of store.entries()) sink = (sink + v[0]!) | 0;
  });
  bench({ group, name: "entries({ reuse: true })" }, () => {
    for (const [, v] of store.entries({ reuse: true })) sink = (sink + v[0]!) | 0;
  });
  // Keeps the sums alive, so the engine cannot drop the reads.
  globalThis.addEventListener?.("unload", () => sink);
  return group;
}

type DenoBench = (
  options: { group: string; name: string; baseline?: boolean },
  fn: () => void,
) => void;
