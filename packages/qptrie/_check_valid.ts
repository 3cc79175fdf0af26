/**
 * The invariant walk of {@linkcode QpTrie.checkValid}: the tree, the free lists and the record
 * heap against each other.
 *
 * @module
 */

import {
  BITMAP_MASK,
  BRANCH,
  END_BIT,
  FREE,
  INDEX_MASK,
  INDEX_SHIFT,
  MAX_TWIGS,
  nibbleBit,
  NODE_WORDS,
  popcount,
  ROOT,
} from "./_layout.ts";
import { RECORD_ALIGN } from "./_arena.ts";
import { showBytes } from "./_format.ts";
import { internals } from "./_internals.ts";
import type { QpTrie } from "./qptrie.ts";

function fail(what: string): never {
  throw new Error(`qptrie invariant broken: ${what}`);
}

/**
 * Walks the whole of `trie` and throws at the first invariant that does not hold (see
 * {@linkcode QpTrie.checkValid} for the list). O(n log n).
 *
 * @param trie The trie.
 * @throws {Error} Naming the first broken invariant.
 */
export function checkValid(trie: QpTrie): void {
  const arena = internals.arena(trie);
  const { nodes, heap, nodeTop: top, valueSpan: span, heapTop, heapLive } = arena;
  const maxKeyLength = trie.capabilities.keySize.max;
  if (!internals.synced(trie)) fail("the lookup path reads arrays the arena has replaced");
  if (top < 1 || top * NODE_WORDS > nodes.length) fail(`node top ${top} outside the arena`);
  if (heapTop > heap.length || heapLive > heapTop || heapLive < 0) {
    fail(`heap top ${heapTop} / live ${heapLive} / length ${heap.length}`);
  }
  const owner = new Uint8Array(top);
  owner[ROOT] = 1;
  const claim = (base: number, k: number, what: string): void => {
    if (base < 1 || base + k > top) fail(`${what} block #${base}+${k} outside 1..${top}`);
    for (let i = base; i < base + k; i++) {
      if (owner[i] !== 0) fail(`node #${i} claimed twice (${what})`);
      owner[i] = 1;
    }
  };
  // Free lists.
  let free = 0;
  for (let k = 0; k <= MAX_TWIGS; k++) {
    let steps = 0;
    for (let b = arena.freeHeads[k]!; b !== -1; b = nodes[b * NODE_WORDS + 1]!) {
      if (k < 2) fail(`free list of size ${k} is not empty`);
      claim(b, k, "free");
      if (nodes[b * NODE_WORDS] !== (FREE | k)) fail(`free block #${b} not marked FREE|${k}`);
      free += k;
      if (++steps > top) fail(`free list ${k} loops`);
    }
  }
  if (free !== arena.freeNodes) fail(`free nodes ${free} but counted ${arena.freeNodes}`);
  if (trie.size === 0) {
    if (top - 1 !== free) fail(`empty trie holds ${top - 1 - free} nodes`);
    if (heapLive !== 0) fail(`empty trie has ${heapLive} live heap bytes`);
    return;
  }
  // The tree, depth first in key order. Each frame: node, parent's nibble index.
  const records: [number, number][] = [];
  let leaves = 0;
  let prevRec = -1;
  let prevLen = 0;
  const leafKey = (n: number): [number, number] => {
    const len = nodes[n * NODE_WORDS]!;
    const rec = nodes[n * NODE_WORDS + 1]!;
    if (len < 1 || len > maxKeyLength) fail(`leaf #${n} key length ${len}`);
    if (rec < span || rec % RECORD_ALIGN !== 0 || rec + len > heapTop) {
      fail(`leaf #${n} record @${rec} misaligned or past heap top`);
    }
    return [rec, len];
  };
  // The first leaf under n (any leaf represents a subtree's shared nibbles).
  const firstLeaf = (n: number): number => {
    let w = nodes[n * NODE_WORDS]!;
    while ((w & BRANCH) !== 0) {
      n = nodes[n * NODE_WORDS + 1]!;
      w = nodes[n * NODE_WORDS]!;
    }
    return n;
  };
  const stack: [number, number][] = [[ROOT, -1]];
  while (stack.length > 0) {
    const [n, parentIndex] = stack.pop()!;
    const w = nodes[n * NODE_WORDS]!;
    if ((w & BRANCH) === 0) {
      if ((w & FREE) !== 0) fail(`free block #${n} is in the tree`);
      const [rec, len] = leafKey(n);
      if (prevRec >= 0) {
        let i = 0;
        const m = Math.min(prevLen, len);
        while (i < m && heap[prevRec + i] === heap[rec + i]) i++;
        const ordered = i < m ? heap[prevRec + i]! < heap[rec + i]! : prevLen < len;
        if (!ordered) fail(`leaf #${n} ${showBytes(heap, rec, len)} out of order`);
      }
      prevRec = rec;
      prevLen = len;
      records.push([rec - span, arena.recordSize(len)]);
      leaves++;
      continue;
    }
    const index = (w >>> INDEX_SHIFT) & INDEX_MASK;
    const bitmap = w & BITMAP_MASK;
    const k = popcount(bitmap);
    if (k < 2) fail(`branch #${n} has ${k} children`);
    if (index <= parentIndex) {
      fail(`branch #${n} nibble ${index} not below parent's ${parentIndex}`);
    }
    if ((w & ~(BRANCH | (INDEX_MASK << INDEX_SHIFT) | BITMAP_MASK)) !== 0) {
      fail(`branch #${n} word 0 has stray bits`);
    }
    const twigs = nodes[n * NODE_WORDS + 1]!;
    claim(twigs, k, `twigs of #${n}`);
    const [repRec, repLen] = leafKey(firstLeaf(n));
    let slot = 0;
    for (let b = 0; b <= 16; b++) {
      if ((bitmap & (1 << b)) === 0) continue;
      const child = twigs + slot++;
      const [rec, len] = leafKey(firstLeaf(child));
      if (nibbleBit(heap, rec, len, index) !== b) {
        fail(`child #${child} of branch #${n} in slot ${b} holds a key selecting another slot`);
      }
      for (let i = 0; i < index; i++) {
        if (nibbleBit(heap, rec, len, i) !== nibbleBit(heap, repRec, repLen, i)) {
          fail(`child #${child} of branch #${n} differs from its siblings before nibble ${index}`);
        }
      }
      if (b === END_BIT && (nodes[child * NODE_WORDS]! !== index / 2)) {
        fail(`end-of-key child #${child} of branch #${n} is not a leaf of ${index / 2} B`);
      }
    }
    for (let s = k - 1; s >= 0; s--) stack.push([twigs + s, index]);
  }
  if (leaves !== trie.size) fail(`${leaves} leaves but size ${trie.size}`);
  for (let i = 1; i < top; i++) if (owner[i] === 0) fail(`node #${i} leaked`);
  records.sort((a, b) => a[0] - b[0]);
  let live = 0;
  let end = 0;
  for (const [rec, bytes] of records) {
    if (rec < end) fail(`record @${rec} overlaps the one before`);
    end = rec + bytes;
    live += bytes;
  }
  if (live !== heapLive) fail(`records hold ${live} B but live heap is ${heapLive}`);
}
