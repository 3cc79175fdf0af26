/**
 * The private state of an `Rhash` that its introspection modules read (`_describe.ts`,
 * `_check_valid.ts`), the way denoland/std shares state across modules: the class fills
 * {@linkcode internals} from a `static {}` block, so nothing private becomes public API.
 *
 * @module
 */

import type { Rhash, RhashHash } from "./rhash.ts";
import type { Table } from "./_table.ts";

/** What introspection sees of a store: its arrays and tables (live, not copies) and scalars. */
export interface RhashState {
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly hashOption: RhashHash;
  /** Live elements, densely packed at the bottom of the arena. */
  readonly nelems: number;
  /** Elements the arena has room for. */
  readonly cap: number;
  /** The element arena: per element `[next | key words | value words]`. */
  readonly elems: Int32Array;
  /** Words per element. */
  readonly stride: number;
  /** Key words per element. */
  readonly words: number;
  /** Byte offset of the value in an element. */
  readonly valueByte: number;
  /** How keys are read and hashed (`KEY_U32`, `KEY_U64`, `KEY_WORDS`). */
  readonly kind: number;
  readonly tbl: Table;
  readonly future: Table | null;
  /** Old buckets below this are empty (moved) while a resize runs. */
  readonly progress: number;
  /** A copy of element `e`'s key. */
  keyOf(e: number): Uint8Array;
}

/** Filled by `Rhash`'s static block. */
export const internals: { state(store: Rhash): RhashState } = {
  state: () => {
    throw new Error("rhash internals used before the class was initialized");
  },
};
