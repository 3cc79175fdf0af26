/**
 * `@kvkit/traits`: the traits RFC's tiny key-value store for packet metadata - 64 integer keys
 * with 2/4/8-byte values (or another size profile) packed behind a 16-byte bitmap header in a
 * caller's bytes, such as the headroom in front of a packet. One field is read in O(1) by a
 * popcount, without parsing anything. Byte-exact with the RFC's reference code.
 *
 * - {@linkcode Traits}: the store over a caller's `Uint8Array` (init, open, get/set/delete,
 *   typed u16/u32/u64/IPv4/IPv6/UUID accessors, batches of consecutive keys, capacity).
 * - Size profiles: {@linkcode PROFILE_2_4_8} (default), {@linkcode PROFILE_4_8_16},
 *   {@linkcode PROFILE_0_4_16}, {@linkcode PROFILE_0_4_8}.
 * - {@linkcode TraitsStore} / {@linkcode traitsBackend}: the `Store` view, catalog name `traits`.
 *
 * @example Stamping metadata into a packet's headroom and reading it downstream
 * ```ts
 * import { Traits } from "@kvkit/traits";
 * import assert from "node:assert/strict";
 *
 * const HEADROOM = 64;
 * const packet = new Uint8Array(HEADROOM + 1500);
 * const ingress = Traits.init(packet.subarray(0, HEADROOM));
 * ingress.setIPv4(1, "198.51.100.7");   // original client address
 * ingress.setU16(2, 443, false);        // original port
 *
 * const downstream = Traits.open(packet.subarray(0, HEADROOM));
 * assert.equal(downstream.getIPv4(1), "198.51.100.7");
 * assert.equal(downstream.getU16(2, false), 443);
 * ```
 *
 * @module
 */

import type { Backend } from "@kvkit/store";
import { traitsBackend, type TraitsStoreOptions } from "./traits_backend.ts";

export * from "./traits.ts";
export * from "./profile.ts";
export * from "./ipv4.ts";
export * from "./ipv6.ts";
export * from "./uuid.ts";
export * from "./traits_backend.ts";

/**
 * The package as a plugin: `loadBackend("@kvkit/traits")` finds this (it is
 * {@linkcode traitsBackend}).
 *
 * @example Opening a traits store through the plugin entry
 * ```ts
 * import { backend } from "@kvkit/traits";
 * import { u32Key } from "@kvkit/store";
 * import assert from "node:assert/strict";
 *
 * const store = backend.create({ capacity: 32 });
 * store.set(u32Key(5), new Uint8Array([1, 2]));
 * assert.equal(backend.name, "traits");
 * assert.deepEqual(store.get(u32Key(5)), new Uint8Array([1, 2]));
 * ```
 */
export const backend: Backend<TraitsStoreOptions> = traitsBackend;
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
