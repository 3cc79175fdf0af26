/**
 * Builds a store from an image, all or nothing: a fresh store of the session's backend and
 * options is filled aside and handed back only when every entry went in. The store a session
 * holds is never written, so a failure leaves it the very same object with the very same state,
 * even for a store whose admission depends on insertion order (re-inserting old entries, the
 * rollback this replaces, could itself fail there).
 *
 * @module
 */

import {
  type AnyBackend,
  checkKey,
  checkValue,
  isStoreError,
  type Store,
  StoreError,
} from "@kvkit/store";
import type { StoreImage } from "./image.ts";
import { hex } from "./format.ts";
import { optionsToArgs } from "./options_to_args.ts";

function detail(err: unknown): string {
  if (isStoreError(err)) return err.message;
  return String(err);
}

/**
 * A new store of `backend` and `options` holding exactly the image's entries. A store of another
 * backend than the image's takes the entries one by one when their sizes fit.
 *
 * @param backend The backend to create the store from (the session's).
 * @param options Its options (the session's).
 * @param image A decoded, validated image.
 * @returns The filled store; the caller swaps it in (and closes the one it replaces).
 * @throws {StoreError} When an entry does not fit (key or value size, too many entries, or the
 * store refuses it midway); the new store is dropped and nothing else was touched.
 *
 * @example Loading aside, and nothing on failure
 * ```ts
 * import { mapBackend } from "@kvkit/backends";
 * import { restoreImage } from "./restore.ts";
 * import assert from "node:assert/strict";
 *
 * const image = { backend: "map", options: {}, entries: [[new Uint8Array([1]), new Uint8Array([2])]] } as const;
 * const store = restoreImage(mapBackend, { keySize: 1, valueSize: 1 }, image);
 * assert.equal(store.size, 1);
 * assert.throws(
 *   () => restoreImage(mapBackend, { keySize: 1, valueSize: 1 }, { ...image, entries: [[new Uint8Array(2), new Uint8Array(1)]] }),
 *   /key/,
 * );
 * ```
 */
export function restoreImage(
  backend: AnyBackend,
  options: Record<string, unknown>,
  image: StoreImage,
): Store {
  const store = backend.create(options);
  try {
    fillStore(store, image);
  } catch (err) {
    store.close();
    throw err;
  }
  return store;
}

/**
 * Puts an image's entries into a new, empty store (one nobody else holds yet): sizes and the
 * entry count are checked first; when the store refuses an entry midway the store is left
 * partly filled, for the caller to drop.
 *
 * @param store A fresh, empty store.
 * @param image A decoded, validated image.
 * @throws {StoreError} When an entry does not fit or the store refuses one.
 *
 * @example Filling a fresh store
 * ```ts
 * import { openStore } from "@kvkit/backends";
 * import { fillStore } from "./restore.ts";
 * import assert from "node:assert/strict";
 *
 * const store = openStore("map", { keySize: 1, valueSize: 1 });
 * fillStore(store, { backend: "map", options: {}, entries: [[new Uint8Array([1]), new Uint8Array([2])]] });
 * assert.deepEqual(store.get(new Uint8Array([1])), new Uint8Array([2]));
 * ```
 */
export function fillStore(store: Store, image: StoreImage): void {
  const caps = store.capabilities;
  const hint = image.backend === store.backend
    ? ""
    : `; the image was saved from '${image.backend}'`;
  const reopen = `open a store that fits, e.g. 'open ${image.backend}${
    optionsToArgs(image.options)
  }'`;
  // Sizes first, so an image that cannot fit is refused with the reason before any work.
  image.entries.forEach(([k, v], i) => {
    try {
      checkKey(caps, k);
      checkValue(caps, v);
    } catch (err) {
      throw new StoreError(
        isStoreError(err) ? err.code : "EINVAL",
        `image entry ${i} (key ${hex(k)}) does not fit this '${store.backend}' store: ` +
          `${detail(err)}${hint}; nothing loaded; ${reopen}`,
      );
    }
  });
  if (image.entries.length > caps.maxEntries) {
    throw new StoreError(
      caps.fullError,
      `image has ${image.entries.length} entries, this store holds at most ${caps.maxEntries}; ` +
        `nothing loaded; ${reopen}`,
    );
  }
  let i = 0;
  try {
    for (; i < image.entries.length; i++) {
      const [k, v] = image.entries[i]!;
      store.set(k, v);
    }
  } catch (err) {
    const code = isStoreError(err) ? err.code : "EINVAL";
    throw new StoreError(
      code,
      `the store refused image entry ${i} (key ${hex(image.entries[i]![0])}): ${detail(err)}` +
        `${hint}; nothing loaded, the store is as it was`,
    );
  }
}
