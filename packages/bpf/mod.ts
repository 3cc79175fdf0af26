/**
 * `@kvkit/bpf`: the kernel's own BPF maps (HASH, LRU_HASH, LPM_TRIE, ARRAY) as kvkit stores,
 * through a small bpf(2) client, and the oracle kvkit's models are tested against. Every
 * `Store` method is one bpf(2) command and every error the kernel's errno.
 *
 * Kernel maps need root (or CAP_BPF) and a runtime with FFI: Deno with `--allow-ffi`, or Bun.
 * The FFI is loaded the first time a map is opened, never at import: under Node, or without
 * privilege, opening a map throws a `StoreError` saying why (`EOPNOTSUPP`, `EPERM`), and
 * {@linkcode probeBpf} says it without throwing.
 *
 * @example A kernel hash map as a store
 * ```ts
 * import { BpfMap, probeBpf } from "@kvkit/bpf";
 * import assert from "node:assert/strict";
 *
 * const why = probeBpf();
 * if (why === undefined) {
 *   using map = new BpfMap({ mapType: "hash", keySize: 8, valueSize: 8, maxEntries: 64 });
 *   const key = new Uint8Array(8).fill(1);
 *   map.set(key, new Uint8Array(8).fill(2));
 *   const out = new Uint8Array(8);
 *   assert.equal(map.getInto(key, out), true); // BPF_MAP_LOOKUP_ELEM
 *   assert.deepEqual(out, new Uint8Array(8).fill(2));
 *   assert.equal(map.info().maxEntries, 64); // BPF_OBJ_GET_INFO_BY_FD
 * } else {
 *   console.log(`no kernel maps here: ${why}`);
 * }
 * ```
 *
 * @module
 */

import type { Backend } from "@kvkit/store";
import type { BpfOptions } from "./bpf_map.ts";
import { bpfBackend } from "./bpf_backend.ts";

export * from "./bpf_map.ts";
export * from "./bpf_backend.ts";
export * from "./probe_bpf.ts";

/**
 * The backend under the name plugin loaders look for: {@linkcode bpfBackend}.
 *
 * @example Opening a store through the alias
 * ```ts
 * import { backend, probeBpf } from "@kvkit/bpf";
 * import assert from "node:assert/strict";
 *
 * assert.equal(backend.name, "bpf");
 * if (probeBpf() === undefined) {
 *   using store = backend.create({ keySize: 4, valueSize: 4, maxEntries: 8 });
 *   assert.equal(store.backend, "bpf");
 * }
 * ```
 */
export const backend: Backend<BpfOptions> = bpfBackend;

// The contract types this package's signatures use, so its documentation is complete.
export type {
  Backend,
  Batch,
  BatchOptions,
  Capabilities,
  IterateOptions,
  SizeRange,
  Store,
  StoreBase,
} from "@kvkit/store";
