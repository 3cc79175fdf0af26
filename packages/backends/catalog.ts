/**
 * The catalog: backend names to backends, opening a store by name, and loading plugins.
 *
 * @module
 */

import { type AnyBackend, type Store, StoreError } from "@kvkit/store";
import { bpfBackend } from "@kvkit/bpf";
import { htabBackend } from "@kvkit/htab";
import { qptrieBackend } from "@kvkit/qptrie";
import { rhashBackend } from "@kvkit/rhash";
import { skStorageBackend } from "@kvkit/sk-storage";
import { traitsBackend } from "@kvkit/traits";
import { uptrKvBackend } from "@kvkit/uptr-kv";
import { mapBackend } from "./map_store_backend.ts";

// Every built-in backend, by catalog name. Each store package registers itself here.
const BUILTINS: ReadonlyMap<string, AnyBackend> = new Map<string, AnyBackend>(
  [
    mapBackend,
    htabBackend,
    rhashBackend,
    qptrieBackend,
    traitsBackend,
    uptrKvBackend,
    skStorageBackend,
    bpfBackend,
  ].map((b) => [b.name, b]),
);

/** A catalog entry: a backend's name and its one-line summary. */
export interface BackendInfo {
  /** The catalog name. */
  readonly name: string;
  /** One line saying what the store is. */
  readonly summary: string;
}

/**
 * Lists the built-in backends.
 *
 * @returns Each backend's name and summary, sorted by name.
 *
 * @example Listing the built-in backends
 * ```ts
 * import { listBackends } from "@kvkit/backends";
 * import assert from "node:assert/strict";
 *
 * assert.ok(listBackends().some((b) => b.name === "map"));
 * ```
 */
export function listBackends(): BackendInfo[] {
  return [...BUILTINS.values()]
    .map(({ name, summary }) => ({ name, summary }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

function unknown(name: string): StoreError {
  const known = [...BUILTINS.keys()].sort().join(", ");
  return new StoreError(
    "EINVAL",
    `unknown backend '${name}'; known backends: ${known} (or a module path exporting 'backend')`,
  );
}

/**
 * Finds a built-in backend by name.
 *
 * @param name A catalog name such as `"rhash"`.
 * @returns The backend.
 * @throws {StoreError} `EINVAL` naming the known backends when `name` is not one.
 *
 * @example Finding a backend by name
 * ```ts
 * import { getBackend } from "@kvkit/backends";
 * import assert from "node:assert/strict";
 *
 * assert.equal(getBackend("map").name, "map");
 * assert.throws(() => getBackend("nope"), /known backends: .*map/);
 * ```
 */
export function getBackend(name: string): AnyBackend {
  const backend = BUILTINS.get(name);
  if (backend === undefined) throw unknown(name);
  return backend;
}

/**
 * Opens a new store of a built-in backend.
 *
 * @param name A catalog name such as `"map"`.
 * @param options The backend's options (`keySize`, `valueSize`, `maxEntries`, ...).
 * @returns A new, empty store.
 * @throws {StoreError} `EINVAL` for an unknown name or bad options.
 *
 * @example Opening a store by name
 * ```ts
 * import { openStore } from "@kvkit/backends";
 * import { u32Key } from "@kvkit/store";
 * import assert from "node:assert/strict";
 *
 * const store = openStore("map", { keySize: 4, valueSize: 4 });
 * store.set(u32Key(42), new Uint8Array([1, 2, 3, 4]));
 * assert.equal(store.size, 1);
 * ```
 */
export function openStore(name: string, options?: Record<string, unknown>): Store {
  return getBackend(name).create(options);
}

// `C:\\dir\\x.ts` or `C:/dir/x.ts`: a Windows absolute path, not a URL with scheme `c:`.
const WINDOWS_PATH = /^[A-Za-z]:[\\/]/;
const SCHEME = /^[a-z][a-z0-9+.-]*:/i;
const RELATIVE_PATH = /^\.{1,2}[\\/]|^\.{1,2}$/;
const SCRIPT_FILE = /\.[cm]?[jt]sx?$/;

/** A file URL for an absolute path, each segment percent-encoded. */
function fileUrl(path: string): string {
  const segments = path.replaceAll("\\", "/").split("/").map((s, i) =>
    i <= 1 && /^[A-Za-z]:$/.test(s) ? s : encodeURIComponent(s)
  );
  return `file://${path.startsWith("/") ? "" : "/"}${segments.join("/")}`;
}

/** The base relative plugin paths resolve against: the working directory, or the page. */
function defaultBase(): string {
  const proc = (globalThis as { process?: { cwd?: () => string } }).process;
  const cwd = proc?.cwd?.();
  if (cwd !== undefined) return fileUrl(cwd.endsWith("/") || cwd.endsWith("\\") ? cwd : `${cwd}/`);
  const page = (globalThis as { location?: { href?: string } }).location?.href;
  if (page !== undefined) return page;
  throw new StoreError("EINVAL", "a relative plugin path needs a base URL here");
}

/** The URL of a plugin specifier, or undefined when it can only be a (unknown) catalog name. */
function pluginUrl(spec: string, base: URL | string | undefined): string | undefined {
  if (WINDOWS_PATH.test(spec)) return fileUrl(spec);
  if (SCHEME.test(spec)) return spec;
  if (spec.startsWith("/")) return fileUrl(spec);
  if (RELATIVE_PATH.test(spec) || SCRIPT_FILE.test(spec)) {
    const from = base === undefined
      ? defaultBase()
      : typeof base === "string" && !SCHEME.test(base)
      ? fileUrl(/[\\/]$/.test(base) ? base : `${base}/`) // a directory path
      : base;
    return new URL(spec.replaceAll("\\", "/"), from).href;
  }
  // A bare package specifier (`my-plugin/backend`, `@scope/plugin`), resolved like an import.
  if (spec.startsWith("@") || spec.includes("/")) return spec;
  return undefined;
}

/**
 * Loads a backend by catalog name, or from any module specifier or file path whose module
 * exports `backend` - so a third-party store plugs into every kvkit tool with no change to
 * kvkit. A relative path (`./x.ts`, or any name ending in `.ts`/`.js`) resolves against `base`
 * (a URL, or a directory path; default: the working directory), an absolute path (POSIX or
 * Windows) becomes a file URL, and a bare package specifier (`@scope/plugin`) is imported as
 * it is, resolved from this module's location.
 *
 * @param nameOrSpecifier A catalog name, a file path (`./my_store.ts`), or a module specifier
 * (`npm:…`, `jsr:…`, `file:…`, `https:…`, `@scope/plugin`).
 * @param base The URL or directory path relative paths are resolved against.
 * @returns The backend.
 * @throws {StoreError} `EINVAL` when the name is unknown, the module cannot be loaded or does
 * not export a `backend` with a `name` and a `create` function.
 *
 * @example Loading a built-in, and a missing plugin
 * ```ts
 * import { loadBackend } from "@kvkit/backends";
 * import assert from "node:assert/strict";
 *
 * const backend = await loadBackend("map");
 * assert.equal(backend.create().size, 0);
 * await assert.rejects(loadBackend("./no/such/plugin.ts"), { code: "EINVAL" });
 * ```
 */
export async function loadBackend(
  nameOrSpecifier: string,
  base?: URL | string,
): Promise<AnyBackend> {
  const builtin = BUILTINS.get(nameOrSpecifier);
  if (builtin !== undefined) return builtin;
  let url: string | undefined;
  try {
    url = pluginUrl(nameOrSpecifier, base);
  } catch (err) {
    throw new StoreError("EINVAL", `cannot resolve plugin '${nameOrSpecifier}': ${err}`);
  }
  if (url === undefined) throw unknown(nameOrSpecifier);
  let mod: { backend?: unknown };
  try {
    mod = await import(url);
  } catch (err) {
    throw new StoreError("EINVAL", `cannot load plugin '${nameOrSpecifier}': ${err}`);
  }
  const backend = mod.backend as Partial<AnyBackend> | undefined;
  if (
    typeof backend !== "object" || backend === null || typeof backend.name !== "string" ||
    typeof backend.create !== "function"
  ) {
    throw new StoreError(
      "EINVAL",
      `plugin '${nameOrSpecifier}' does not export a 'backend' with a name and create()`,
    );
  }
  return backend as AnyBackend;
}
