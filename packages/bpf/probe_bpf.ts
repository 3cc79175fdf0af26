/**
 * {@linkcode probeBpf}: whether this process can open kernel maps, and if not why.
 *
 * @module
 */

import { isStoreError } from "@kvkit/store";
import { BpfMap } from "./bpf_map.ts";

let verdict: string | null | undefined;

/**
 * Tries once to create (and close) a one-entry kernel hash map, so tests and tools can skip
 * with a reason instead of failing: no FFI (Node), FFI not allowed (Deno without
 * `--allow-ffi`), or no privilege (not root: `EPERM`). The answer is cached.
 *
 * @returns `undefined` when kernel maps can be opened, else one line saying why not.
 *
 * @example Skipping where the kernel is out of reach
 * ```ts
 * import { probeBpf } from "@kvkit/bpf";
 * import assert from "node:assert/strict";
 *
 * const why = probeBpf();
 * assert.ok(why === undefined || why.length > 0);
 * ```
 */
export function probeBpf(): string | undefined {
  if (verdict === undefined) {
    try {
      new BpfMap({ keySize: 4, valueSize: 4, maxEntries: 1 }).close();
      verdict = null;
    } catch (err) {
      if (!isStoreError(err)) throw err;
      verdict = err.code === "EPERM" && !err.message.includes("--allow-ffi")
        ? `${err.message} (bpf(2) needs root or CAP_BPF)`
        : err.message;
    }
  }
  return verdict ?? undefined;
}
