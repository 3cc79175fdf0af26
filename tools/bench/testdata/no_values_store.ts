/**
 * Test fixture plugin: 64 u32 keys (0..63) whose values are NOT kept - only their lengths; `get`
 * answers zero bytes of that length. It holds a few hundred bytes whatever the values, so the
 * harness's heap growth per entry for it shows what the harness itself adds to the reading.
 *
 * @module
 */

import type { Backend, Capabilities, Store } from "@kvkit/store";
import { slotCapabilities, SLOTS, SlotStore } from "./_slots_store.ts";

class NoValuesStore extends SlotStore {
  readonly backend = "no-values";
  readonly capabilities: Capabilities = slotCapabilities({ min: 0, max: 1 << 24 }, "E2BIG");
  readonly #lengths = new Uint32Array(SLOTS);

  protected readValue(k: number): Uint8Array {
    return new Uint8Array(this.#lengths[k]!);
  }

  protected writeValue(k: number, value: Uint8Array): void {
    this.#lengths[k] = value.length;
  }

  protected valueBytes(): number {
    return this.#lengths.byteLength;
  }
}

/** The fixture backend; options are ignored. */
export const backend: Backend<Record<string, unknown>> = {
  name: "no-values",
  summary: "test fixture: 64 u32 keys, values not kept",
  create(): Store {
    return new NoValuesStore();
  },
};
