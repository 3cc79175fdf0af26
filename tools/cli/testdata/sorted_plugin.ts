/**
 * A test fixture: the example plugin (examples/plugins/sorted_array_store.ts), loaded by the
 * explorer's tests by file path under its own name, `sorted-fixture`, with 4-byte values by
 * default (the scripts in testdata write `u32:` values without naming a size).
 *
 * @module
 */

import type { Backend, Store } from "@kvkit/store";
import {
  type SortedArrayOptions,
  SortedArrayStore,
} from "../../../examples/plugins/sorted_array_store.ts";

class SortedFixture extends SortedArrayStore {
  override readonly backend = "sorted-fixture";
}

/** The fixture backend, exported as a plugin must. */
export const backend: Backend<SortedArrayOptions> = {
  name: "sorted-fixture",
  summary: "test fixture: the example sorted-array plugin, 4-byte values by default",
  create: (options?: Partial<SortedArrayOptions>): Store =>
    // Only a plain object gets the default; anything else goes as given, for the example's
    // own checks to refuse.
    new SortedFixture(
      typeof options === "object" && options !== null && !Array.isArray(options)
        ? { valueSize: 4, ...options }
        : options,
    ),
};
