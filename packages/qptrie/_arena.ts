/**
 * The two arenas of a qp-trie: the node arena (one `Int32Array`, two words per node,
 * twig blocks of 2..17 nodes with a free list per block size; see `_layout.ts`) and the record
 * heap (one `Uint8Array` of key + value records, appended and compacted as it grows). The trie
 * walks them directly on its read paths; this module allocates, frees, grows, rebuilds and
 * compacts them, and never changes what the trie holds.
 *
 * @module
 */

import { StoreError } from "@kvkit/store";
import { BITMAP_MASK, BRANCH, FREE, MAX_TWIGS, NODE_WORDS, popcount, ROOT } from "./_layout.ts";

/** Nodes in a new or cleared trie: a few branches' worth. */
export const MIN_NODES = 64;
/** Bytes of heap in a new or cleared trie, and the least it grows by. */
export const MIN_HEAP = 1024;
/** A moved heap gets live bytes / HEAP_SLACK of room: small slack, still amortised O(1). */
const HEAP_SLACK = 8;
/** Heap space is rounded to this many bytes. */
export const HEAP_ALIGN = 64;
/** Records start on 4-byte boundaries so keys compare and copy as int32 words. */
export const RECORD_ALIGN = 4;
/** The node arena grows by this factor (a rebuilt one gets the same headroom). */
const NODE_GROWTH = 1.25;
/**
 * An insert that may grow the node arena rebuilds it instead when over 1/INSERT_GARBAGE of the
 * used nodes are free, so an insert-only trie holds at most 1.25 * 4/3 = 1.67x its live nodes.
 */
const INSERT_GARBAGE = 4;
/**
 * The largest record heap: leaves keep record offsets in int32 words (and the word view
 * indexes `offset >>> 2`), so every offset stays below 2^31. One alignment unit short of it.
 */
export const MAX_HEAP_BYTES = 2 ** 31 - HEAP_ALIGN;

// A typed array of `length` elements, or ENOMEM when the machine cannot give it: the runtimes
// throw a RangeError, which must not escape a store call.
function allocArray<T>(Type: new (length: number) => T, length: number, what: string): T {
  try {
    return new Type(length);
  } catch (err) {
    throw new StoreError("ENOMEM", `cannot allocate the ${what} (${length} elements): ${err}`);
  }
}

/**
 * The node arena and record heap of one trie. Fields are public to the package: the trie's
 * walks read `nodes`, `heap` and `heap32` directly (and reload them after any call here that
 * may allocate).
 */
export class TrieArena {
  /** The node arena: NODE_WORDS int32 words per node, node ROOT first. */
  nodes: Int32Array = new Int32Array(MIN_NODES * NODE_WORDS);
  /** The first never-used node. */
  nodeTop = 1;
  /** Nodes sitting in free twig blocks. */
  freeNodes = 0;
  /** The first free twig block of each size 2..17, -1 when none. */
  readonly freeHeads: Int32Array = new Int32Array(MAX_TWIGS + 1).fill(-1);
  /** The record heap: per leaf, the value then the key (each padded to a word). */
  heap: Uint8Array = new Uint8Array(MIN_HEAP);
  /** The same buffer as words, for comparing and copying keys four bytes at a time. */
  heap32: Int32Array = new Int32Array(this.heap.buffer);
  /** Where the next record goes. */
  heapTop = 0;
  /** Bytes of live records; heapTop - heapLive is garbage left by deletes. */
  heapLive = 0;
  /** The value's bytes in a record, rounded up so the key after it starts on a word. */
  valueSpan = 0;
  /** The most bytes the record heap may take (a multiple of HEAP_ALIGN). */
  maxHeap: number = MAX_HEAP_BYTES;

  /**
   * Sets the record layout and the heap limit, once, before the first record (the trie's
   * constructor does, after reading its options).
   *
   * @param valueSize The trie's value size.
   * @param maxHeap The heap limit, a multiple of HEAP_ALIGN.
   */
  setLimits(valueSize: number, maxHeap: number): void {
    this.valueSpan = (valueSize + RECORD_ALIGN - 1) & ~(RECORD_ALIGN - 1);
    this.maxHeap = maxHeap;
  }

  /**
   * The bytes of a record: the value span, then the key padded to a word.
   *
   * @param keyLength The key length.
   * @returns The record's bytes.
   */
  recordSize(keyLength: number): number {
    return this.valueSpan + ((keyLength + RECORD_ALIGN - 1) & ~(RECORD_ALIGN - 1));
  }

  /**
   * Takes a block of `k` nodes: a free one of that size, else fresh ones at the top.
   *
   * @param k The block size, 2..17.
   * @returns The block's first node.
   */
  allocTwigs(k: number): number {
    const head = this.freeHeads[k]!;
    if (head >= 0) {
      this.freeHeads[k] = this.nodes[head * NODE_WORDS + 1]!;
      this.freeNodes -= k;
      return head;
    }
    // Never taken from insert or delete, which reserve the room before they change anything.
    if ((this.nodeTop + k) * NODE_WORDS > this.nodes.length) this.#growNodes(this.nodeTop + k);
    const base = this.nodeTop;
    this.nodeTop += k;
    return base;
  }

  /**
   * Puts a block of `k` nodes on the free list of its size.
   *
   * @param base The block's first node.
   * @param k The block size.
   */
  freeTwigs(base: number, k: number): void {
    this.nodes[base * NODE_WORDS] = FREE | k;
    this.nodes[base * NODE_WORDS + 1] = this.freeHeads[k]!;
    this.freeHeads[k] = base;
    this.freeNodes += k;
  }

  /**
   * Makes room for a block of k nodes, so that allocating it later cannot fail.
   *
   * @param k The block size.
   * @throws {StoreError} `ENOMEM`, the arena as it was, when the machine cannot give it.
   */
  reserveTwigs(k: number): void {
    if (this.freeHeads[k]! < 0 && (this.nodeTop + k) * NODE_WORDS > this.nodes.length) {
      this.#growNodes(this.nodeTop + k);
    }
  }

  /**
   * Before an insert walks the tree: when the insert may have to grow the node arena and much
   * of it is garbage, rebuilds it instead. Growing a branch frees its old twig block, and blocks
   * of sizes no branch grows into again pile up (in an insert-only trie, most of the arena). The
   * rebuilt arena has a quarter of headroom, which takes at least live / 68 inserts to use up
   * (each takes at most MAX_TWIGS nodes): amortised O(1).
   */
  beforeInsert(): void {
    if (
      (this.nodeTop + MAX_TWIGS) * NODE_WORDS > this.nodes.length &&
      this.freeNodes > MIN_NODES && this.freeNodes * INSERT_GARBAGE > this.nodeTop
    ) this.#rebuildNodes();
  }

  /**
   * Appends the record of a new entry; the caller made room (see `moveHeap`). Leaves point at
   * the key; the value sits in the aligned span before it.
   *
   * @param key The key.
   * @param value The value.
   * @param size Its record size.
   * @returns The leaf's key offset.
   */
  putRecord(key: Uint8Array, value: Uint8Array, size: number): number {
    const rec = this.heapTop + this.valueSpan;
    this.heapTop += size;
    this.heap.set(value, rec - this.valueSpan);
    this.heap.set(key, rec);
    this.heapLive += size;
    return rec;
  }

  /**
   * Counts the record of a deleted key as garbage; its bytes stay until the heap is compacted
   * (live iterators may still read them).
   *
   * @param keyLength The deleted key's length.
   */
  dropRecord(keyLength: number): void {
    this.heapLive -= this.recordSize(keyLength);
  }

  /**
   * After a delete: gives memory back once most of an arena is garbage, amortised by the
   * deletes it took. Only an economy: when the machine cannot give the smaller copy
   * (ENOMEM), the arenas stay.
   */
  giveBack(): void {
    try {
      if (this.freeNodes > MIN_NODES && this.freeNodes * 2 > this.nodeTop) this.#rebuildNodes();
      if (this.heap.length > MIN_HEAP && this.heapLive * 4 < this.heapTop) this.moveHeap(0);
    } catch (err) {
      if (!(err instanceof StoreError)) throw err;
    }
  }

  /**
   * Moves the heap to a new buffer sized for the live bytes plus `extra`, at most the heap
   * limit. A quarter garbage, or no room under the limit otherwise: the live records are
   * compacted in key order (which also helps iteration); else copied whole. Always a new
   * buffer, so live iterators keep reading their last key. (Near the limit, deletes and
   * inserts can make every insert compact the whole heap: the price of never answering ENOMEM
   * while the records fit.)
   *
   * @param extra Bytes the caller is about to append.
   * @throws {StoreError} `ENOMEM` before changing anything when even the compacted records and
   * `extra` pass the limit, or the machine cannot give the buffer.
   */
  moveHeap(extra: number): void {
    const live = this.heapLive;
    const max = this.maxHeap;
    const compact = (this.heapTop - live) * 4 > this.heapTop || this.heapTop + extra > max;
    const need = (compact ? live : this.heapTop) + extra;
    if (need > max) {
      throw new StoreError(
        "ENOMEM",
        `record heap full: ${live} B of records + ${extra} B would pass maxHeapBytes ${max}`,
      );
    }
    const want = Math.min(
      max,
      Math.ceil((need + Math.max(MIN_HEAP, need / HEAP_SLACK)) / HEAP_ALIGN) * HEAP_ALIGN,
    );
    let next: Uint8Array;
    try {
      next = new Uint8Array(want);
    } catch {
      // The slack is optional: the bare need before ENOMEM.
      next = allocArray(Uint8Array, Math.ceil(need / HEAP_ALIGN) * HEAP_ALIGN, "record heap");
    }
    const old = this.heap;
    if (!compact) {
      next.set(old.subarray(0, this.heapTop));
    } else {
      const nodes = this.nodes;
      const span = this.valueSpan;
      let top = 0;
      // Every record is at least a word, so no live bytes means no tree to walk.
      const stack = live === 0 ? [] : [ROOT];
      while (stack.length > 0) {
        const n = stack.pop()!;
        const w = nodes[n * NODE_WORDS]!;
        if ((w & BRANCH) !== 0) {
          const twigs = nodes[n * NODE_WORDS + 1]!;
          for (let s = popcount(w & BITMAP_MASK) - 1; s >= 0; s--) stack.push(twigs + s);
        } else {
          const rec = nodes[n * NODE_WORDS + 1]!;
          const size = this.recordSize(w);
          next.set(old.subarray(rec - span, rec - span + size), top);
          nodes[n * NODE_WORDS + 1] = top + span;
          top += size;
        }
      }
      this.heapTop = top;
    }
    this.heap = next;
    this.heap32 = new Int32Array(next.buffer);
  }

  /** Returns both arenas to their initial size, holding nothing. */
  reset(): void {
    this.nodes = new Int32Array(MIN_NODES * NODE_WORDS);
    this.nodeTop = 1;
    this.freeNodes = 0;
    this.freeHeads.fill(-1);
    this.heap = new Uint8Array(MIN_HEAP);
    this.heap32 = new Int32Array(this.heap.buffer);
    this.heapTop = 0;
    this.heapLive = 0;
  }

  /**
   * The bytes of both arenas and the free-list heads, slack included.
   *
   * @returns Bytes held.
   */
  byteLength(): number {
    return this.nodes.byteLength + this.heap.byteLength + this.freeHeads.byteLength;
  }

  // Grows the node arena by NODE_GROWTH, to at least `min` nodes; ENOMEM, the arena as it was,
  // when the machine cannot give it.
  #growNodes(min: number): void {
    const nodes = Math.max(Math.ceil(this.nodes.length / NODE_WORDS * NODE_GROWTH), min);
    const next = allocArray(Int32Array, nodes * NODE_WORDS, "node arena");
    next.set(this.nodes.subarray(0, this.nodeTop * NODE_WORDS));
    this.nodes = next;
  }

  // Copies the tree into a fresh arena, each twig block allocated as it is reached, which
  // drops every free block. The new arena keeps NODE_GROWTH headroom (at least one largest
  // block), so the rebuild check of the next insert does not fire again at once.
  #rebuildNodes(): void {
    const old = this.nodes;
    const live = this.nodeTop - this.freeNodes;
    const next = allocArray(
      Int32Array,
      Math.max(MIN_NODES, Math.ceil(live * NODE_GROWTH), live + MAX_TWIGS) * NODE_WORDS,
      "node arena",
    );
    next[0] = old[0]!;
    next[1] = old[1]!;
    let top = 1;
    const stack = [ROOT];
    while (stack.length > 0) {
      const n = stack.pop()!;
      const w = next[n * NODE_WORDS]!;
      if ((w & BRANCH) === 0) continue;
      const k = popcount(w & BITMAP_MASK);
      const twigs = next[n * NODE_WORDS + 1]!;
      next.set(old.subarray(twigs * NODE_WORDS, (twigs + k) * NODE_WORDS), top * NODE_WORDS);
      next[n * NODE_WORDS + 1] = top;
      for (let s = k - 1; s >= 0; s--) stack.push(top + s);
      top += k;
    }
    this.nodes = next;
    this.nodeTop = top;
    this.freeNodes = 0;
    this.freeHeads.fill(-1);
  }
}
