/**
 * A test fixture whose admission depends on insertion order, as uptr-kv's page packing can: a
 * new key is admitted only when it sorts before every key present (else `ENOSPC`), while
 * iteration is ascending. So `set 3`, `set 2`, `set 1` build `{1, 2, 3}`, and putting those
 * entries back in the order they iterate fails at the second one - what a rollback that
 * re-inserts the old entries would do. The explorer's `load` must not depend on re-inserting.
 *
 * @module
 */

import { type Backend, compareBytes, type Store, StoreError } from "@kvkit/store";
import {
  type SortedArrayOptions,
  SortedArrayStore,
} from "../../../examples/plugins/sorted_array_store.ts";

class DescendingFixture extends SortedArrayStore {
  override readonly backend = "descending-fixture";

  override set(key: Uint8Array, value: Uint8Array, flags = 0): void {
    const first = this.nextKey();
    // Only a new key is subject to the order rule; updates and the store's own checks (sizes,
    // flags) go through the parent, in its order.
    if (first !== undefined && compareBytes(key, first) > 0 && !this.#present(key)) {
      throw new StoreError(
        "ENOSPC",
        "descending-fixture admits only keys before every key present",
      );
    }
    super.set(key, value, flags);
  }

  #present(key: Uint8Array): boolean {
    try {
      return this.has(key);
    } catch {
      return false;
    }
  }
}

/** The fixture backend, exported as a plugin must: 1-byte values by default. */
export const backend: Backend<SortedArrayOptions> = {
  name: "descending-fixture",
  summary: "test fixture: admits a new key only before every key present (order-dependent)",
  create: (options?: Partial<SortedArrayOptions>): Store =>
    new DescendingFixture({ valueSize: 1, ...options }),
};
