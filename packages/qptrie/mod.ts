/**
 * `@kvkit/qptrie`: a qp-trie, an ordered map of variable-length binary keys kept in two typed
 * arrays, with successor, prefix, lower-bound and longest-prefix queries - and
 * {@linkcode LpmTable}, a CIDR longest-prefix-match routing table (IPv4 and IPv6) built on it.
 *
 * @example Paths by longest prefix, and a routing table
 * ```ts
 * import { LpmTable, QpTrie } from "@kvkit/qptrie";
 * import assert from "node:assert/strict";
 *
 * const te = new TextEncoder();
 * const trie = new QpTrie({ valueSize: 4 });
 * trie.set(te.encode("/usr"), new Uint8Array([1, 0, 0, 0]));
 * trie.set(te.encode("/usr/lib"), new Uint8Array([2, 0, 0, 0]));
 * assert.deepEqual(trie.longestPrefixOf(te.encode("/usr/lib/x")), te.encode("/usr/lib"));
 *
 * const routes = new LpmTable<string>();
 * routes.set("10.0.0.0/8", "core");
 * routes.set("10.1.0.0/16", "lab");
 * routes.set("2001:db8::/32", "v6");
 * assert.equal(routes.lookup("10.1.2.3"), "lab");
 * assert.equal(routes.lookup("10.2.0.1"), "core");
 * assert.equal(routes.match("2001:db8::1")?.prefix, "2001:db8::/32");
 * ```
 *
 * @module
 */

import type { Backend } from "@kvkit/store";
import type { QpTrieOptions } from "./qptrie.ts";
import { qptrieBackend } from "./qptrie_backend.ts";

export * from "./qptrie.ts";
export * from "./qptrie_backend.ts";
export * from "./lpm_table.ts";

/**
 * The package as a plugin: `loadBackend("@kvkit/qptrie")` finds this (it is
 * {@linkcode qptrieBackend}).
 *
 * @example Opening a trie through the plugin entry
 * ```ts
 * import { backend } from "@kvkit/qptrie";
 * import assert from "node:assert/strict";
 *
 * const store = backend.create({ maxKeyLength: 8, valueSize: 1 });
 * store.set(new Uint8Array([1, 2]), new Uint8Array([3]));
 * assert.equal(backend.name, "qptrie");
 * assert.deepEqual(store.get(new Uint8Array([1, 2])), new Uint8Array([3]));
 * ```
 */
export const backend: Backend<QpTrieOptions> = qptrieBackend;
// The contract types this package's signatures use, so its documentation is complete.
export type {
  Backend,
  Batch,
  BatchOptions,
  Capabilities,
  IterateOptions,
  SizeRange,
  Store,
  StoreBase,
} from "@kvkit/store";
