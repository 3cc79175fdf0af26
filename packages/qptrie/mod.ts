/**
 * `@kvkit/qptrie`: a qp-trie, an ordered map of variable-length binary keys kept in two typed
 * arrays, with successor, prefix, lower-bound and longest-prefix queries - and
 * {@linkcode LpmTable}, a CIDR longest-prefix-match routing table (IPv4 and IPv6) built on it.
 *
 * @example
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

export * from "./qp_trie.ts";
export * from "./qptrie_backend.ts";
export * from "./lpm_table.ts";
export { qptrieBackend as backend } from "./qptrie_backend.ts";
// The contract types this package's signatures use, so its documentation is complete.
export type { Backend, Batch, BatchOptions, Capabilities, SizeRange, Store } from "@kvkit/store";
