/**
 * The explorer's session: the open store, the backend and options it was opened with, and the
 * cursor of the last `batch`.
 *
 * @module
 */

import { listBackends, loadBackend } from "@kvkit/backends";
import type { Backend, Store } from "@kvkit/store";

// deno-lint-ignore no-explicit-any
type AnyBackend = Backend<any>;

/** The state every command works on. */
export interface Session {
  /** What was asked for: a catalog name or a plugin path or specifier. */
  spec: string;
  /** The backend. */
  backend: AnyBackend;
  /** The options the store was opened with (camelCase). */
  options: Record<string, unknown>;
  /** The open store. */
  store: Store;
  /** The cursor the last `batch` returned, for `batch N continue`. */
  cursor: Uint8Array | undefined;
}

/**
 * The backend used when none is named: `rhash` when the catalog has it, else `map`.
 *
 * @returns A catalog name.
 *
 * @example
 * ```ts
 * import { defaultBackend } from "./session.ts";
 * import assert from "node:assert/strict";
 *
 * assert.ok(["rhash", "map"].includes(defaultBackend()));
 * ```
 */
export function defaultBackend(): string {
  return listBackends().some((b) => b.name === "rhash") ? "rhash" : "map";
}

/**
 * Opens a session on a new store.
 *
 * @param spec A catalog name, or a plugin file path or module specifier exporting `backend`.
 * @param options Backend options.
 * @returns The session.
 * @throws {StoreError} `EINVAL` for an unknown backend, a plugin that does not load, or options
 * the backend rejects.
 *
 * @example
 * ```ts
 * import { openSession } from "./session.ts";
 * import assert from "node:assert/strict";
 *
 * const session = await openSession("map", { keySize: 8 });
 * assert.equal(session.store.capabilities.keySize.max, 8);
 * ```
 */
export async function openSession(
  spec: string,
  options: Record<string, unknown>,
): Promise<Session> {
  const backend = await loadBackend(spec);
  const store = backend.create(options);
  return { spec, backend, options, store, cursor: undefined };
}
