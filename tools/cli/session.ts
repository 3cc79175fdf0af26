/**
 * The explorer's session: the open store, the backend and options it was opened with, and the
 * cursor of the last `batch`.
 *
 * @module
 */

import { listBackends, loadBackend } from "@kvkit/backends";
import { type AnyBackend, isStoreError, type Store, StoreError } from "@kvkit/store";

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
 * The backend used when none is named: `qptrie` (any key of 1..64 bytes, 16-byte values, so
 * `set "hello" "world"` works as typed) when the catalog has it, else `map`.
 *
 * @returns A catalog name.
 *
 * @example qptrie when the catalog has it
 * ```ts
 * import { defaultBackend } from "./session.ts";
 * import assert from "node:assert/strict";
 *
 * assert.ok(["qptrie", "map"].includes(defaultBackend()));
 * ```
 */
export function defaultBackend(): string {
  return listBackends().some((b) => b.name === "qptrie") ? "qptrie" : "map";
}

/**
 * The options the default backend is opened with, under any the user gave.
 *
 * @param backend What {@linkcode defaultBackend} returned.
 * @returns Options for it: text keys up to 64 bytes and 16-byte values for `qptrie`.
 *
 * @example The default store takes short text keys and values
 * ```ts
 * import { defaultBackend, defaultOptions, openSession } from "./session.ts";
 * import assert from "node:assert/strict";
 *
 * const backend = defaultBackend();
 * const { store } = await openSession(backend, defaultOptions(backend));
 * if (backend === "qptrie") assert.deepEqual(store.capabilities.keySize, { min: 1, max: 64 });
 * ```
 */
export function defaultOptions(backend: string): Record<string, unknown> {
  return backend === "qptrie" ? { maxKeyLength: 64, valueSize: 16 } : {};
}

// How `checkOptions` of @kvkit/store names an option a backend does not know.
const UNKNOWN = /unknown option '([^']+)'(?: \(did you mean '([^']+)'\?\))?/;

function kebab(name: string): string {
  return `--${name.replace(/[A-Z]/g, (c) => "-" + c.toLowerCase())}`;
}

/**
 * The backend's own EINVAL for an option it does not know, with the flag the user typed
 * added (`--max-entrie on the command line; did you mean --max-entries?`); any other error
 * as it is.
 *
 * @param err What `create` threw.
 * @param flags Option name to the flag it came from.
 * @returns The error to report.
 */
function withFlag(err: unknown, flags: Readonly<Record<string, string>>): unknown {
  if (!isStoreError(err) || err.code !== "EINVAL") return err;
  const m = UNKNOWN.exec(err.message);
  const flag = m === null ? undefined : flags[m[1]!];
  if (m === null || flag === undefined) return err;
  const prefix = `${err.code}: `;
  const detail = err.message.startsWith(prefix) ? err.message.slice(prefix.length) : err.message;
  const hint = m[2] === undefined ? "" : `; did you mean ${kebab(m[2])}?`;
  return new StoreError("EINVAL", `${detail} (${flag} on the command line${hint})`);
}

/**
 * Opens a session on a new store.
 *
 * @param spec A catalog name, or a plugin file path or module specifier exporting `backend`.
 * @param options Backend options.
 * @param flags The command-line flag each option came from, if any: the backend's EINVAL for
 * an option it does not know then names the flag too.
 * @returns The session.
 * @throws {StoreError} `EINVAL` for an unknown backend, a plugin that does not load, or options
 * the backend rejects (its own error, unknown names with the flag as typed).
 *
 * @example Opening a store, and an unknown option named by its flag
 * ```ts
 * import { openSession } from "./session.ts";
 * import assert from "node:assert/strict";
 *
 * const session = await openSession("map", { keySize: 8 });
 * assert.equal(session.store.capabilities.keySize.max, 8);
 * await assert.rejects(
 *   openSession("map", { keySise: 8 }, { keySise: "--key-sise" }),
 *   { code: "EINVAL", message: /unknown option 'keySise'.*\(--key-sise on the command line; did you mean --key-size\?\)/ },
 * );
 * ```
 */
export async function openSession(
  spec: string,
  options: Record<string, unknown>,
  flags: Readonly<Record<string, string>> = {},
): Promise<Session> {
  const backend = await loadBackend(spec);
  let store: Store;
  try {
    store = backend.create(options);
  } catch (err) {
    throw withFlag(err, flags);
  }
  return { spec, backend, options, store, cursor: undefined };
}

/**
 * Puts a new store in the session (after `load` or `open`) and closes the one it held; the
 * batch cursor belonged to the old store and is dropped.
 *
 * @param session The session.
 * @param store The store that replaces the session's.
 * @returns The number of entries the replaced store held.
 *
 * @example Swapping in a loaded store
 * ```ts
 * import { openSession, replaceStore } from "./session.ts";
 * import assert from "node:assert/strict";
 *
 * const session = await openSession("map", { keySize: 1, valueSize: 1 });
 * session.store.set(new Uint8Array([1]), new Uint8Array([1]));
 * const next = session.backend.create(session.options);
 * assert.equal(replaceStore(session, next), 1);
 * assert.equal(session.store, next);
 * ```
 */
export function replaceStore(session: Session, store: Store): number {
  const old = session.store;
  const held = old.size;
  session.store = store;
  session.cursor = undefined;
  if (old !== store) old.close();
  return held;
}
