/**
 * Peer `sorted-btree`: qwertie's B+ tree (npm `sorted-btree`) with a byte comparator - the
 * ordered map a JS user would pick.
 *
 * @module
 */

import { type Backend, compareBytes, type Store } from "@kvkit/store";
import btree from "sorted-btree";
import { type PeerOptions, PeerStore } from "./_peer_store.ts";

// The package is CommonJS with `exports.default`; runtimes differ on which one they hand us.
type BTreeClass = typeof btree.default;
const BTree: BTreeClass = (btree as unknown as { default?: BTreeClass }).default ??
  (btree as unknown as BTreeClass);

/** The `sorted-btree` peer. */
export const backend: Backend<PeerOptions> = {
  name: "sorted-btree",
  summary: "peer: sorted-btree B+ tree with a byte comparator (ordered)",
  create(options: Partial<PeerOptions> = {}): Store {
    const tree = new BTree<Uint8Array, Uint8Array>(undefined, compareBytes);
    // A BTree has the Map interface: the Store calls it directly.
    return new PeerStore(
      "sorted-btree",
      tree,
      options,
      40,
      (k) => (k === undefined ? tree.minKey() : tree.nextHigherKey(k)),
    );
  },
};
