/**
 * Peer `ordered-map`: the red-black tree of `@js-sdsl/ordered-map` with a byte comparator.
 *
 * @module
 */

import { OrderedMap } from "@js-sdsl/ordered-map";
import { type Backend, compareBytes, type Store } from "@kvkit/store";
import { type PeerOptions, PeerStore } from "./_peer_store.ts";

/** The `ordered-map` peer. */
export const backend: Backend<PeerOptions> = {
  name: "ordered-map",
  summary: "peer: @js-sdsl/ordered-map red-black tree with a byte comparator (ordered)",
  create(options: Partial<PeerOptions> = {}): Store {
    const tree = new OrderedMap<Uint8Array, Uint8Array>([], compareBytes);
    function* entries(): IterableIterator<[Uint8Array, Uint8Array]> {
      for (const [k, v] of tree) yield [k, v];
    }
    return new PeerStore(
      "ordered-map",
      {
        get size() {
          return tree.size();
        },
        get: (k) => tree.getElementByKey(k),
        has: (k) => !tree.find(k).equals(tree.end()),
        set: (k, v) => void tree.setElement(k, v),
        delete: (k) => tree.eraseElementByKey(k),
        clear: () => tree.clear(),
        entries,
      },
      options,
      64,
      (k) => {
        const it = k === undefined ? tree.begin() : tree.upperBound(k);
        return it.equals(tree.end()) ? undefined : it.pointer[0];
      },
    );
  },
};
