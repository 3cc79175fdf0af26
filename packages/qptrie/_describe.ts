/**
 * The drawing of {@linkcode QpTrie.describe}: arena usage, then the tree depth first with each
 * branch's nibble index, bitmap and slots, and each leaf's key and value.
 *
 * @module
 */

import {
  BITMAP_MASK,
  BRANCH,
  END_BIT,
  INDEX_MASK,
  INDEX_SHIFT,
  NODE_WORDS,
  popcount,
  ROOT,
} from "./_layout.ts";
import { showBytes } from "./_format.ts";
import { internals } from "./_internals.ts";
import type { QpTrie } from "./qptrie.ts";

// A bitmap bit as a slot label: "end" for the key that ends at the branch, else the nibble.
const slotName = (bit: number): string => bit === END_BIT ? "end" : (bit - 1).toString(16);

/**
 * Draws `trie`, truncated after `maxLines` lines of tree.
 *
 * @param trie The trie.
 * @param maxLines The most lines of tree to draw.
 * @returns The drawing.
 */
export function describeTrie(trie: QpTrie, maxLines: number): string {
  const arena = internals.arena(trie);
  const { nodes, heap } = arena;
  const { keySize, valueSize, maxEntries } = trie.capabilities;
  const use = trie.arenaUsage();
  const lines = [
    `qptrie: ${trie.size} keys (maxEntries ${maxEntries}), keys 1..${keySize.max} B,` +
    ` values ${valueSize.max} B, ${trie.memoryUsage()} B`,
    `nodes: ${use.nodesUsed} used + ${use.nodesFree} free of ${use.nodesTotal}` +
    ` (${nodes.byteLength} B, 8 B each: branch = flag|nibble index|17-bit bitmap, twigs;` +
    ` leaf = key length, key offset)`,
    `heap: ${use.heapLive} B live + ${use.heapGarbage} B garbage of ${use.heapLength} B,` +
    ` at most ${use.heapMax} B (records: value, then key, each padded to 4 B)`,
  ];
  if (trie.size === 0) {
    lines.push("(empty)");
    return lines.join("\n");
  }
  let shown = 0;
  let hidden = 0;
  // Depth-first, children in order: [node, depth, slot label].
  const stack: [number, number, string][] = [[ROOT, 0, ""]];
  while (stack.length > 0) {
    const [n, depth, label] = stack.pop()!;
    const w = nodes[n * NODE_WORDS]!;
    const isBranch = (w & BRANCH) !== 0;
    if (shown >= maxLines) {
      hidden++;
    } else {
      shown++;
      const pad = "  ".repeat(depth) + label;
      if (isBranch) {
        const i = (w >>> INDEX_SHIFT) & INDEX_MASK;
        const bitmap = w & BITMAP_MASK;
        const slots: string[] = [];
        for (let b = 0; b <= 16; b++) if ((bitmap & (1 << b)) !== 0) slots.push(slotName(b));
        lines.push(
          `${pad}branch #${n} nibble ${i} (byte ${i >>> 1} ${(i & 1) === 0 ? "hi" : "lo"})` +
            ` bitmap ${bitmap.toString(2).padStart(17, "0")} slots [${slots.join(" ")}]` +
            ` twigs #${nodes[n * NODE_WORDS + 1]}`,
        );
      } else {
        const rec = nodes[n * NODE_WORDS + 1]!;
        const value = valueSize.max === 0
          ? ""
          : ` = ${showBytes(heap, rec - arena.valueSpan, valueSize.max, 8)}`;
        lines.push(`${pad}leaf #${n} ${showBytes(heap, rec, w)} (${w} B @${rec})${value}`);
      }
    }
    if (isBranch) {
      const twigs = nodes[n * NODE_WORDS + 1]!;
      const bitmap = w & BITMAP_MASK;
      let slot = popcount(bitmap) - 1;
      for (let b = 16; b >= 0; b--) {
        if ((bitmap & (1 << b)) === 0) continue;
        stack.push([twigs + slot, depth + 1, `[${slotName(b)}] `]);
        slot--;
      }
    }
  }
  if (hidden > 0) lines.push(`... ${hidden} more nodes`);
  return lines.join("\n");
}
