/**
 * The `qptrie` backend, the unit the catalog and plugin loader deal in.
 *
 * @module
 */

import type { Backend, Store } from "@kvkit/store";
import { QpTrie, type QpTrieOptions } from "./qptrie.ts";

/**
 * The `qptrie` backend of the catalog: `create(options)` opens a {@linkcode QpTrie}.
 *
 * @example Creating a trie through the catalog's backend
 * ```ts
 * import { qptrieBackend } from "@kvkit/qptrie";
 * import assert from "node:assert/strict";
 *
 * const store = qptrieBackend.create({ maxKeyLength: 16, valueSize: 4, maxEntries: 100 });
 * assert.equal(store.capabilities.fullError, "ENOSPC");
 * assert.deepEqual(store.capabilities.keySize, { min: 1, max: 16 });
 * ```
 */
export const qptrieBackend: Backend<QpTrieOptions> = {
  name: "qptrie",
  summary: "qp-trie: ordered map of 1..maxKeyLength-byte keys, prefix and longest-prefix queries",
  create: (options?: Partial<QpTrieOptions>): Store => new QpTrie(options),
};
