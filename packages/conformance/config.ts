/**
 * The configuration of a conformance run.
 *
 * @module
 */

import type { Admit } from "./_model.ts";

export type { Admit, AdmitContext } from "./_model.ts";

/** How to run the suite on one backend configuration. */
export interface ConformanceConfig {
  /** A label for the test block; defaults to the backend name and options. */
  readonly name?: string;
  /** Options passed to `backend.create`; choose small limits so a full store is reachable. */
  readonly options?: Record<string, unknown>;
  /**
   * The store's own admission rule for a `set` that passed the generic checks (flags, key,
   * value, `EEXIST`/`ENOENT`). Default: a new key when `size >= maxEntries` is `fullError`.
   */
  readonly admit?: Admit;
  /** fast-check runs of the random-sequence check (default 60). */
  readonly runs?: number;
  /** The longest generated operation sequence (default 60). */
  readonly maxOps?: number;
  /** fast-check seed, for reproducing a failure. */
  readonly seed?: number;
}

/** One named check; `run` throws an assertion error when the store breaks the contract. */
export interface ConformanceCheck {
  /** What the check asserts. */
  readonly name: string;
  /** Runs the check on a fresh store. */
  readonly run: () => void;
}
