/**
 * Backend resolution for the harness: a catalog name, a peer name, or a plugin (file path or
 * module specifier whose module exports `backend`). Built-ins registered in the catalog later
 * are found by name with no change here.
 *
 * @module
 */

import { listBackends, loadBackend } from "@kvkit/backends";
import { type AnyBackend, StoreError } from "@kvkit/store";
import { loadPeer, PEER_NAMES } from "../peers/mod.ts";

/** A backend ready to run, with where it came from. */
export interface ResolvedBackend {
  /** The label in tables: the catalog/peer name, or the plugin backend's own name. */
  readonly label: string;
  /** `builtin` (catalog), `peer` (tools/peers) or `plugin` (loaded from a module). */
  readonly kind: "builtin" | "peer" | "plugin";
  /** What was asked for on the command line. */
  readonly spec: string;
  /** The backend. */
  readonly backend: AnyBackend;
}

/**
 * The default set: every catalog backend but kernel maps, then every peer.
 *
 * @returns Their names.
 */
export function defaultBackendNames(): string[] {
  return [...listBackends().map((b) => b.name).filter((n) => !BY_NAME_ONLY.has(n)), ...PEER_NAMES];
}

// Kernel maps need root and --allow-ffi and cost a syscall per operation: run them by name
// (`--backends bpf,htab`, see `deno task bench:bpf`), not by default.
const BY_NAME_ONLY = new Set(["bpf"]);

/**
 * Resolves one backend by catalog name, peer name, or plugin specifier, or wraps a backend
 * object given directly.
 *
 * @param spec The name or specifier, or a backend object.
 * @param base The URL relative plugin paths resolve against (default: the working directory).
 * @returns The resolved backend.
 * @throws {StoreError} `EINVAL` when the name is neither a catalog backend, a peer nor a
 * loadable plugin; the message lists the known names.
 */
export async function resolveBackend(
  spec: string | AnyBackend,
  base?: URL | string,
): Promise<ResolvedBackend> {
  if (typeof spec !== "string") {
    return { label: spec.name, kind: "plugin", spec: spec.name, backend: spec };
  }
  if (listBackends().some((b) => b.name === spec)) {
    return { label: spec, kind: "builtin", spec, backend: await loadBackend(spec) };
  }
  const peer = await loadPeer(spec);
  if (peer !== undefined) return { label: spec, kind: "peer", spec, backend: peer };
  try {
    const backend = await loadBackend(spec, base);
    return { label: backend.name, kind: "plugin", spec, backend };
  } catch (err) {
    // A StoreError keeps its code, so the explorer's `bench vs NAME` reports it cleanly.
    const code = err instanceof StoreError ? err.code : "EINVAL";
    const msg = err instanceof Error ? err.message : String(err);
    const detail = msg.startsWith(`${code}: `) ? msg.slice(code.length + 2) : msg;
    throw new StoreError(code, `${detail}; peers: ${PEER_NAMES.join(", ")}`);
  }
}

/**
 * Resolves several backends; labels that collide get a `#2`, `#3` suffix.
 *
 * @param specs Names, specifiers or backend objects.
 * @param base The URL relative plugin paths resolve against.
 * @returns The resolved backends, in order, without exact duplicates.
 */
export async function resolveBackends(
  specs: readonly (string | AnyBackend)[],
  base?: URL | string,
): Promise<ResolvedBackend[]> {
  const out: ResolvedBackend[] = [];
  for (const spec of specs) {
    const r = await resolveBackend(spec, base);
    if (out.some((o) => o.backend === r.backend)) continue;
    let label = r.label;
    for (let n = 2; out.some((o) => o.label === label); n++) label = `${r.label}#${n}`;
    out.push({ ...r, label });
  }
  return out;
}
