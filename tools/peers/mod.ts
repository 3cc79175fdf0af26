/**
 * Peers: npm libraries a JS user would pick instead of kvkit, wrapped as Store backends so
 * every harness workload runs on them side by side with the kvkit stores. Each peer file
 * exports `backend`, so a peer is also loadable as a plugin by its path. The catalog's `map`
 * (a `Map` with latin1 string keys) is the plain-JS peer and lives in `@kvkit/backends`.
 *
 * @example Loading a peer by name
 * ```ts
 * import { loadPeer, PEER_NAMES } from "./mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.ok(PEER_NAMES.includes("sorted-btree"));
 * const store = (await loadPeer("sorted-btree"))!.create({ keySize: 2, valueSize: 1 });
 * store.set(new Uint8Array([0, 2]), new Uint8Array([7]));
 * assert.equal(store.size, 1);
 * ```
 *
 * @module
 */

import type { AnyBackend } from "@kvkit/store";

// Loaded on demand: a run that does not use a peer does not pay for its npm package.
const PEERS: Readonly<Record<string, () => Promise<{ backend: AnyBackend }>>> = {
  "sorted-btree": () => import("./sorted_btree.ts"),
  "ordered-map": () => import("./ordered_map.ts"),
  "thing-hashmap": () => import("./thing_hashmap.ts"),
};

/** The peer names, in the order runs list them. */
export const PEER_NAMES: readonly string[] = Object.keys(PEERS);

/**
 * Loads a peer by name.
 *
 * @param name A peer name such as `"sorted-btree"`.
 * @returns The peer's backend, or `undefined` when `name` is not a peer.
 */
export async function loadPeer(name: string): Promise<AnyBackend | undefined> {
  const load = Object.hasOwn(PEERS, name) ? PEERS[name] : undefined;
  return load === undefined ? undefined : (await load()).backend;
}
