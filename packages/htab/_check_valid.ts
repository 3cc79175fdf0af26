/**
 * {@linkcode Htab.checkValid}: the invariant walk, kept apart from the hot paths.
 *
 * @module
 */

import type { Htab } from "./htab.ts";
import { internals } from "./_internals.ts";

// Chain and free-list terminator (as in htab.ts).
const NIL = -1;
// Bytes per key word.
const WORD_BYTES = 4;
// Where checkValid found an element.
const NOWHERE = 0;
const CHAIN = 1;
const FREE_LIST = 2;
const SPARE = 3;

/**
 * Walks the whole table and throws if an invariant is broken: every element is in exactly one
 * place (a chain, the free list, or the spare), every chained element is in the bucket its
 * stored hash selects and that hash is its key's, padding bytes are zero, no key is chained
 * twice, and the chained count equals `size`.
 *
 * @param map The table.
 * @throws {Error} Naming the broken invariant.
 */
export function checkValid(map: Htab): void {
  const s = internals.state(map);
  const nElems = s.maxEntries + 1;
  const { kw, keys, next } = s;
  const place = new Uint8Array(nElems);
  const fail = (what: string): never => {
    throw new Error(`htab invariant broken: ${what}`);
  };
  const claim = (e: number, where: number, via: string): void => {
    if (!Number.isInteger(e) || e < 0 || e >= nElems) fail(`${via} links to element ${e}`);
    if (place[e] !== NOWHERE) {
      fail(`element ${e} reached again via ${via} (was in place ${place[e]})`);
    }
    place[e] = where;
  };
  const padBits = (kw * WORD_BYTES - s.keySize) * 8;
  let chained = 0;
  for (let b = 0; b < s.nBuckets; b++) {
    for (let e = s.buckets[b]!; e !== NIL; e = next[e]!) {
      claim(e, CHAIN, `bucket ${b}`);
      chained++;
      const h = s.hashes[e]!;
      if ((h & s.mask) !== b) fail(`element ${e} with hash ${h} is in bucket ${b}`);
      if (s.hashOf(e) !== h) fail(`element ${e} stores hash ${h}, not its key's`);
      if (padBits > 0 && keys[e * kw + kw - 1]! >>> (32 - padBits) !== 0) {
        fail(`element ${e} has non-zero key padding`);
      }
      for (let f = next[e]!; f !== NIL && place[f] === NOWHERE; f = next[f]!) {
        let i = 0;
        while (i < kw && keys[e * kw + i] === keys[f * kw + i]) i++;
        if (i === kw) fail(`elements ${e} and ${f} in bucket ${b} hold the same key`);
      }
    }
  }
  if (chained !== s.nelems) fail(`${chained} chained elements but size ${s.nelems}`);
  let free = 0;
  for (let e = s.freeHead; e !== NIL; e = next[e]!) {
    claim(e, FREE_LIST, "the free list");
    free++;
  }
  claim(s.spare, SPARE, "the spare");
  if (chained + free + 1 !== nElems) {
    fail(`${chained} chained + ${free} free + 1 spare != ${nElems} elements`);
  }
}
