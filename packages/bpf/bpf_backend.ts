/**
 * The `bpf` backend of the kvkit catalog.
 *
 * @module
 */

import type { Backend, Store } from "@kvkit/store";
import { BpfMap, type BpfOptions } from "./bpf_map.ts";

/**
 * The `bpf` backend: a kernel BPF map through bpf(2), created (`{ mapType, keySize, valueSize,
 * maxEntries, noPrealloc?, zeroSeed? }`) or opened where it is pinned (`{ pinned: path }`).
 * Close the store to release its fd.
 *
 * @example Opening a kernel map through the backend
 * ```ts
 * import { bpfBackend, probeBpf } from "@kvkit/bpf";
 * import assert from "node:assert/strict";
 *
 * if (probeBpf() === undefined) {
 *   using store = bpfBackend.create({ mapType: "hash", keySize: 8, valueSize: 8, maxEntries: 64 });
 *   assert.equal(store.capabilities.fullError, "E2BIG");
 * } else {
 *   assert.throws(() => bpfBackend.create(), { code: /EPERM|EOPNOTSUPP/ });
 * }
 * ```
 */
export const bpfBackend: Backend<BpfOptions> = {
  name: "bpf",
  summary: "the kernel's own BPF map (hash, lru_hash, lpm_trie, array) through bpf(2); root + FFI",
  create: (options?: Partial<BpfOptions>): Store => new BpfMap(options),
};
