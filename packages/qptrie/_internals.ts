/**
 * The private state of {@linkcode QpTrie} that its split modules (`_describe.ts`,
 * `_check_valid.ts`) read, reached the way denoland/std does it: this object is filled from a
 * `static {}` block inside the class, so nothing private becomes public API.
 *
 * @module
 */

import type { TrieArena } from "./_arena.ts";
import type { QpTrie } from "./qptrie.ts";

/** Accessors of a trie's private state, set by {@linkcode QpTrie}'s static block. */
export const internals: {
  /** The trie's node arena and record heap. */
  arena(trie: QpTrie): TrieArena;
  /** Whether the lookup path's copies of the arena's arrays are the arena's arrays. */
  synced(trie: QpTrie): boolean;
} = {} as never;
