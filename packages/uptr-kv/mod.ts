/**
 * `@kvkit/uptr-kv`: an integer-keyed key-value store in memory shared with Workers, after the
 * uptr KV store RFC. A metadata region (1024 u32 bit-field entries, one per key) and up to 8
 * data pages of 4 KB, allocated on demand, live in `SharedArrayBuffer`s. The owner
 * ({@linkcode UptrKvOwner}) creates keys and manages space; programs
 * ({@linkcode UptrKvProgram}) attach to the buffers in one step and get, put and delete
 * existing keys with plain typed-array access. Applying a new {@linkcode Manifest}
 * migrates the layout, all or nothing. {@linkcode UptrKvStore} is the `uptr-kv` backend of
 * the Store contract.
 *
 * @example Owner, program and a rollout
 * ```ts
 * import { UptrKvOwner, UptrKvProgram } from "@kvkit/uptr-kv";
 * import assert from "node:assert/strict";
 *
 * const owner = new UptrKvOwner();
 * owner.applyManifest({ version: 0, entries: [{ key: 0, name: "hits", size: 8 }] });
 * // A Worker would receive owner.regions by postMessage and attach there.
 * const program = UptrKvProgram.attach(owner.regions);
 * program.writeF64(0, 0, 41);
 * program.writeF64(0, 0, program.readF64(0, 0) + 1);
 * assert.equal(owner.program.readF64(0, 0), 42);
 *
 * owner.applyManifest({ version: 1, entries: [
 *   { key: 0, name: "hits", size: 8 },
 *   { key: 1, name: "last_ip", size: 16 },
 * ] });
 * assert.equal(program.manifestVersion, 1);
 * assert.equal(program.readF64(0, 0), 42); // kept
 * assert.equal(program.sizeOf(1), 16); // created, zeroed
 * ```
 *
 * @module
 */

import type { Backend } from "@kvkit/store";
import { uptrKvBackend, type UptrKvStoreOptions } from "./uptr_kv_backend.ts";

export * from "./layout.ts";
export * from "./meta_entry.ts";
export * from "./regions.ts";
export * from "./manifest.ts";
export * from "./uptr_kv_program.ts";
export * from "./uptr_kv_owner.ts";
export * from "./uptr_kv_backend.ts";
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

/**
 * The package's backend under the name every plugin exports, so `loadBackend("@kvkit/uptr-kv")`
 * and the tools open it from this module's specifier; the same object as
 * {@linkcode uptrKvBackend}.
 *
 * @example Opening a store through the package's backend
 * ```ts
 * import { backend } from "@kvkit/uptr-kv";
 * import { u32Key } from "@kvkit/store";
 * import assert from "node:assert/strict";
 *
 * const store = backend.create({ shared: false });
 * store.set(u32Key(3), new Uint8Array([1, 2]));
 * assert.equal(backend.name, "uptr-kv");
 * assert.deepEqual(store.get(u32Key(3)), new Uint8Array([1, 2]));
 * ```
 */
export const backend: Backend<UptrKvStoreOptions> = uptrKvBackend;
