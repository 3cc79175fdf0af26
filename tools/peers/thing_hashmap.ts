/**
 * Peer `thing-hashmap`: `@thi.ng/associative`'s open-addressing `HashMap` with an FNV-1a hash
 * of the key bytes and byte equality - the hash map with value keys a JS user would pick.
 *
 * @module
 */

import { HashMap } from "@thi.ng/associative";
import { type Backend, compareBytes, type Store } from "@kvkit/store";
import { type PeerOptions, PeerStore } from "./_peer_store.ts";

function fnv1a(key: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key[i]!, 0x01000193);
  return h >>> 0;
}

// Byte equality: the contract's comparison, at zero.
const equal = (a: Uint8Array, b: Uint8Array): boolean => compareBytes(a, b) === 0;

/** The `thing-hashmap` peer. */
export const backend: Backend<PeerOptions> = {
  name: "thing-hashmap",
  summary: "peer: @thi.ng/associative HashMap, FNV-1a over the key bytes (unordered)",
  create(options: Partial<PeerOptions> = {}): Store {
    const map = new HashMap<Uint8Array, Uint8Array>(null, { hash: fnv1a, equiv: equal });
    // A HashMap has the Map interface: the Store calls it directly.
    return new PeerStore("thing-hashmap", map, options, 24);
  },
};
