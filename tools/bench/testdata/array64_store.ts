/**
 * Test fixture plugin: a 64-slot integer-keyed array store (u32 keys 0..63, fixed value size,
 * ordered), loaded by path the way a third-party store would be. Small on purpose: the
 * harness must size every workload down to it.
 *
 * @module
 */

import { type Backend, type Capabilities, type Store, StoreError } from "@kvkit/store";
import { slotCapabilities, SLOTS, SlotStore } from "./_slots_store.ts";

class Array64Store extends SlotStore {
  readonly backend = "array64";
  readonly capabilities: Capabilities;
  readonly #values: Uint8Array;

  constructor(valueSize: number) {
    super();
    this.capabilities = slotCapabilities({ min: valueSize, max: valueSize }, "EINVAL");
    this.#values = new Uint8Array(SLOTS * valueSize);
  }

  protected readValue(k: number): Uint8Array {
    const n = this.capabilities.valueSize.max;
    return this.#values.slice(k * n, k * n + n);
  }

  protected writeValue(k: number, value: Uint8Array): void {
    this.#values.set(value, k * value.length);
  }

  protected valueBytes(): number {
    return this.#values.byteLength;
  }
}

/** The fixture backend: options `valueSize` (1..64, default 8); other options are ignored. */
export const backend: Backend<{ valueSize: number }> = {
  name: "array64",
  summary: "test fixture: 64 u32 keys in one typed array",
  create(options = {}): Store {
    const valueSize = options.valueSize ?? 8;
    if (!Number.isInteger(valueSize) || valueSize < 1 || valueSize > 64) {
      throw new StoreError("EINVAL", `valueSize ${valueSize} not in 1..64`);
    }
    return new Array64Store(valueSize);
  },
};
