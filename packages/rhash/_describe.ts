/**
 * `Rhash.describe`: the drawing of a store for the explorer's `dump`.
 *
 * @module
 */

import { hexWord } from "@kvkit/internal";
import { ELASTICITY, REHASH_STEP_BUCKETS, REHASH_STEP_ELEMS } from "./constants.ts";
import type { Rhash } from "./rhash.ts";
import { internals } from "./_internals.ts";
import { END, type Table } from "./_table.ts";

// Word 0 of an element: the link to the next element (as in rhash.ts).
const NEXT_WORD = 0;
// Bytes per word.
const WORD_BYTES = 4;
// Buckets drawn, and elements drawn per chain.
const SHOWN_BUCKETS = 16;
const SHOWN_CHAIN = 8;

/**
 * Draws the store: table and future table (buckets, seed, resize progress), the chain-length
 * histogram, load, the element arena, and the first buckets' chains.
 *
 * @param store The store.
 * @returns Annotated text.
 */
export function describe(store: Rhash): string {
  const s = internals.state(store);
  const { elems, stride, tbl, future } = s;
  const size = tbl.mask + 1;
  const hashOf = (t: Table): string =>
    t.keyed ? "halfsiphash-1-3 (keyed)" : `murmur3 seed ${hexWord(t.seed)}`;
  const lines = [
    `rhash  keySize ${s.keySize} B  valueSize ${s.valueSize} B  maxEntries ${s.maxEntries}`,
    `nelems ${s.nelems}  load ${(s.nelems / size).toFixed(2)} ` +
    `(grow above 0.75, shrink below 0.30)  elasticity ${ELASTICITY}`,
    `table  ${size} buckets  ${hashOf(tbl)}  (hash option ${s.hashOption})`,
    future === null ? "future none (no resize running)" : `future ${future.mask + 1} buckets  ` +
      `${hashOf(future)}  resize: old buckets 0..${s.progress - 1} moved, ` +
      `${size - s.progress} to go ` +
      `(≤ ${REHASH_STEP_ELEMS} elements, ≤ ${REHASH_STEP_BUCKETS} buckets per operation)`,
  ];
  for (const [which, name] of [["table", "table "], ["future", "future"]] as const) {
    if (which === "future" && future === null) continue;
    const counts: number[] = [];
    for (const len of store.chainLengths(which)) counts[len] = (counts[len] ?? 0) + 1;
    const parts = counts.map((c, len) => c === undefined ? "" : `${len}:${c}`).filter(Boolean);
    lines.push(`chains ${name} (length:buckets) ${parts.join("  ")}`);
  }
  const keyBytes = s.words * WORD_BYTES;
  const valueBytes = stride * WORD_BYTES - s.valueByte;
  lines.push(
    `arena  ${s.cap} elements allocated, ${s.nelems} live; element = ` +
      `[next ${WORD_BYTES} B | key ${keyBytes} B | value ${valueBytes} B] = ` +
      `${stride * WORD_BYTES} B`,
    `memory ${store.memoryUsage()} B`,
  );
  const show = Math.min(size, SHOWN_BUCKETS);
  for (let b = 0; b < show; b++) {
    const chain: number[] = [];
    for (
      let l = tbl.buckets[b]!;
      l !== END && chain.length < SHOWN_CHAIN;
      l = elems[(l - 1) * stride + NEXT_WORD]!
    ) chain.push(l - 1);
    lines.push(`  bucket ${String(b).padStart(3)} -> ${chain.length ? chain.join(" -> ") : "-"}`);
  }
  if (size > show) lines.push(`  ... ${size - show} more buckets`);
  return lines.join("\n");
}
