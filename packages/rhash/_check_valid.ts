/**
 * `Rhash.checkValid`: the invariant walk, kept apart from the hot paths.
 *
 * @module
 */

import { hex } from "@kvkit/internal";
import { HASH_MIN_SIZE } from "./constants.ts";
import type { Rhash } from "./rhash.ts";
import { internals } from "./_internals.ts";
import { END } from "./_table.ts";

// Word 0 of an element: the link to the next element (as in rhash.ts).
const NEXT_WORD = 0;
// The key starts at word 1.
const KEY_WORD = 1;

/**
 * Walks the whole store and throws if an invariant is broken: every live element is on
 * exactly one chain, in the bucket its hash selects in that table; old buckets below the
 * resize progress are empty; no duplicate keys; table sizes are powers of two ≥ 4; the arena
 * holds `size` ≤ capacity ≤ `maxEntries` elements.
 *
 * @param store The store.
 * @throws {Error} Naming the first broken invariant.
 */
export function checkValid(store: Rhash): void {
  const s = internals.state(store);
  const fail = (what: string): never => {
    throw new Error(`rhash invariant broken: ${what}`);
  };
  const n = s.nelems;
  const { elems, stride } = s;
  if (n > s.cap || s.cap > Math.max(s.maxEntries, 0)) {
    fail(`nelems ${n}, arena ${s.cap}, maxEntries ${s.maxEntries}`);
  }
  const seen = new Uint8Array(n);
  const keyset = new Set<string>();
  for (const [t, name] of [[s.tbl, "table"], [s.future, "future"]] as const) {
    if (t === null) continue;
    const { buckets, mask } = t;
    // Old buckets below the progress were moved to the future table.
    const from = t === s.tbl && s.future !== null ? s.progress : 0;
    if (
      buckets.length !== mask + 1 || buckets.length < HASH_MIN_SIZE || (mask & (mask + 1)) !== 0
    ) {
      fail(`${name} has ${buckets.length} buckets, not a power of two ≥ ${HASH_MIN_SIZE}`);
    }
    for (let b = 0; b < buckets.length; b++) {
      if (b < from && buckets[b] !== END) fail(`${name} bucket ${b} below progress not empty`);
      let len = 0;
      for (let l = buckets[b]!; l !== END; l = elems[(l - 1) * stride + NEXT_WORD]!) {
        const e = l - 1; // links are index + 1
        if (e < 0 || e >= n) fail(`${name} bucket ${b} links element ${e} outside 0..${n - 1}`);
        if (seen[e]) fail(`element ${e} is on two chains (or a cycle)`);
        seen[e] = 1;
        const o = e * stride + KEY_WORD;
        if ((t.hashStored(elems, o, s.kind, s.words, s.keySize) & mask) !== b) {
          fail(`element ${e} in wrong ${name} bucket ${b}`);
        }
        const k = hex(s.keyOf(e));
        if (keyset.has(k)) fail(`duplicate key ${k}`);
        keyset.add(k);
        if (++len > n) fail(`cycle in ${name} bucket ${b}`);
      }
    }
  }
  for (let e = 0; e < n; e++) if (!seen[e]) fail(`element ${e} is on no chain`);
}
