/**
 * {@linkcode Htab.describe}: the drawing of a table for the explorer's `dump`.
 *
 * @module
 */

import { hex, hexWord } from "@kvkit/internal";
import type { Htab } from "./htab.ts";
import { internals } from "./_internals.ts";

// Chain and free-list terminator (as in htab.ts).
const NIL = -1;
// Buckets drawn.
const DESCRIBE_BUCKETS = 16;
// Key bytes drawn per element.
const KEY_PREVIEW = 8;
// Width of the longest histogram bar.
const BAR_WIDTH = 40;

/**
 * Draws the table: sizes, the typed arrays and their bytes, the chain-length histogram and
 * the first non-empty buckets with their chains.
 *
 * @param map The table.
 * @returns Annotated text.
 */
export function describe(map: Htab): string {
  const s = internals.state(map);
  const keyText = (e: number): string =>
    hex(s.keyOf(e).subarray(0, KEY_PREVIEW)) + (s.keySize > KEY_PREVIEW ? "…" : "");
  const hist: number[] = [];
  for (const len of map.chainLengths()) hist[len] = (hist[len] ?? 0) + 1;
  const shown: string[] = [];
  for (let b = 0; b < s.nBuckets && shown.length < DESCRIBE_BUCKETS; b++) {
    const chain: string[] = [];
    for (let e = s.buckets[b]!; e !== NIL && chain.length <= s.maxEntries; e = s.next[e]!) {
      chain.push(`e${e}(${keyText(e)})`);
    }
    if (chain.length > 0) shown.push(`  [${String(b).padStart(6)}] ${chain.join(" -> ")}`);
  }
  const arrays: [string, Int32Array | Uint8Array, string][] = [
    ["buckets", s.buckets, "head element of each chain, -1 = empty"],
    ["next", s.next, "per element: next in chain or free list"],
    ["hashes", s.hashes, "per element: full key hash"],
    ["keys", s.keys, `per element: key as ${s.kw} LE word(s), zero-padded`],
    ["values", s.values, `per element: ${s.valueSize} bytes`],
    ["scratch", s.scratch, "words of the key being looked up"],
  ];
  const lines = [
    `htab (BPF_MAP_TYPE_HASH) hash ${
      s.keyed
        ? "halfsiphash-1-3 (keyed)"
        : s.hashOption === "jhash"
        ? "jhash (the kernel's)"
        : "murmur3"
    } (option ${s.hashOption}), seed ${hexWord(map.seed)}`,
    `  key_size ${s.keySize}, value_size ${s.valueSize}, max_entries ${s.maxEntries}, n_buckets ${s.nBuckets}`,
    `  nelems ${s.nelems}, load ${(s.nelems / s.nBuckets).toFixed(2)} per bucket, ` +
    `free ${s.maxEntries - s.nelems}, spare e${s.spare}, free head ` +
    `${s.freeHead === NIL ? "none" : `e${s.freeHead}`}`,
    "arrays:",
    ...arrays.map(([name, a, what]) =>
      `  ${name.padEnd(8)} ${a.constructor.name}[${a.length}]`.padEnd(34) +
      `${String(a.byteLength).padStart(10)} B  ${what}`
    ),
    `  total${String(map.memoryUsage()).padStart(39)} B`,
    "chain length histogram (buckets):",
  ];
  let widest = 0;
  for (const n of hist) widest = Math.max(widest, n ?? 0);
  for (let len = 0; len < hist.length; len++) {
    const n = hist[len] ?? 0;
    if (n === 0) continue;
    const bar = "#".repeat(Math.max(1, Math.round((n / widest) * BAR_WIDTH)));
    lines.push(`  ${String(len).padStart(3)} | ${bar} ${n}`);
  }
  lines.push(`buckets (first ${DESCRIBE_BUCKETS} non-empty, element index(key hex)):`);
  lines.push(...(shown.length > 0 ? shown : ["  (all empty)"]));
  return lines.join("\n");
}
