/**
 * The private state of an {@linkcode Htab} that its introspection modules read (`_describe.ts`,
 * `_check_valid.ts`), the way denoland/std shares state across modules: the class fills
 * {@linkcode internals} from a `static {}` block, so nothing private becomes public API.
 *
 * @module
 */

import type { Htab, HtabHash } from "./htab.ts";

/** What introspection sees of a table: its arrays (live, not copies) and scalars. */
export interface HtabState {
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  /** Key length in 32-bit words. */
  readonly kw: number;
  readonly nBuckets: number;
  readonly mask: number;
  readonly hashOption: HtabHash;
  readonly keyed: boolean;
  readonly nelems: number;
  readonly freeHead: number;
  readonly spare: number;
  readonly buckets: Int32Array;
  readonly next: Int32Array;
  readonly hashes: Int32Array;
  readonly keys: Int32Array;
  readonly values: Uint8Array;
  readonly scratch: Int32Array;
  /** The hash of element `e`'s stored key, as a lookup of that key computes it. */
  hashOf(e: number): number;
  /** A copy of element `e`'s key. */
  keyOf(e: number): Uint8Array;
}

/** Filled by {@linkcode Htab}'s static block. */
export const internals: { state(map: Htab): HtabState } = {
  state: () => {
    throw new Error("htab internals used before the class was initialized");
  },
};
