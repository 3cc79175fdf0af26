/**
 * The private state of an {@linkcode OwnerTable} that the other modules reach (its
 * {@linkcode LocalStorage}, for `SkStorageMap` and the Store view), the way denoland/std
 * shares state across modules: the class fills {@linkcode internals} from a `static {}` block,
 * so nothing private becomes public API.
 *
 * @module
 */

import { StoreError } from "@kvkit/store";
import type { LocalStorage } from "./_local_storage.ts";
// deno-lint-ignore no-unused-vars -- named by the documentation links
import type { OwnerTable } from "./owner_table.ts";

/** Filled by {@linkcode OwnerTable}'s static block. */
export const internals = {} as {
  /** The local storage of `table`, or `undefined` when it is not an `OwnerTable`. */
  coreOf(table: unknown): LocalStorage | undefined;
};

/**
 * The local storage of a table handle.
 *
 * @param table What a caller passed as an `OwnerTable`.
 * @returns Its local storage.
 * @throws {StoreError} `EINVAL` when `table` is not an `OwnerTable`.
 */
export function coreOf(table: unknown): LocalStorage {
  const core = internals.coreOf(table);
  if (core === undefined) throw new StoreError("EINVAL", `${String(table)} is not an OwnerTable`);
  return core;
}
