/**
 * Peer `thing-hashmap`: `@thi.ng/associative`'s open-addressing `HashMap` with an FNV-1a hash
 * of the key bytes and byte equality - the hash map with value keys a JS user would pick.
 *
 * @module
 */

import { HashMap } from "@thi.ng/associative";
import type { Backend, Store } from "@kvkit/store";
import { type PeerOptions, PeerStore } from "./_peer_store.ts";

function fnv1a(key: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key[i]!, 0x01000193);
  return h >>> 0;
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The `thing-hashmap` peer. */
export const backend: Backend<PeerOptions> = {
  name: "thing-hashmap",
  summary: "peer: @thi.ng/associative HashMap, FNV-1a over the key bytes (unordered)",
  create(options: Partial<PeerOptions> = {}): Store {
    const map = new HashMap<Uint8Array, Uint8Array>(null, { hash: fnv1a, equiv: equal });
    return new PeerStore(
      "thing-hashmap",
      {
        get size() {
          return map.size;
        },
        get: (k) => map.get(k),
        has: (k) => map.has(k),
        set: (k, v) => void map.set(k, v),
        delete: (k) => map.delete(k),
        clear: () => map.clear(),
        entries: () => map.entries(),
      },
      options,
      24,
    );
  },
};
