/**
 * The `htab` backend of the kvkit catalog.
 *
 * @module
 */

import type { Backend, Store } from "@kvkit/store";
import { Htab, type HtabOptions } from "./htab.ts";

/**
 * The `htab` backend: opens an {@linkcode Htab}, the fixed-bucket preallocated hash map of
 * `BPF_MAP_TYPE_HASH`.
 *
 * @example Opening a table through the backend
 * ```ts
 * import { htabBackend } from "@kvkit/htab";
 * import { u32Key } from "@kvkit/store";
 * import assert from "node:assert/strict";
 *
 * const store = htabBackend.create({ keySize: 4, valueSize: 4, maxEntries: 16 });
 * store.set(u32Key(3), new Uint8Array([1, 2, 3, 4]));
 * assert.equal(store.size, 1);
 * assert.equal(store.capabilities.fullError, "E2BIG");
 * ```
 */
export const htabBackend: Backend<HtabOptions> = {
  name: "htab",
  summary: "fixed-bucket preallocated hash map (BPF_MAP_TYPE_HASH), the kernel baseline",
  create: (options?: Partial<HtabOptions>): Store => new Htab(options),
};
