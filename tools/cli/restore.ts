/**
 * Puts an image's entries into a live store, all or nothing: every entry is checked against the
 * store's capabilities first; if the store still rejects one midway (full, out of bytes), the
 * store is put back to the entries it had.
 *
 * @module
 */

import { checkKey, checkValue, type Store, StoreError } from "@kvkit/store";
import type { StoreImage } from "./image.ts";
import { hex } from "./format.ts";
import { optionsToArgs } from "./options_to_args.ts";

/** What a restore did. */
export interface RestoreResult {
  /** Entries now in the store. */
  readonly loaded: number;
  /** Entries the store held before (now gone). */
  readonly replaced: number;
}

function detail(err: unknown): string {
  if (err instanceof StoreError) return err.message;
  return String(err);
}

/**
 * Replaces a store's entries with an image's. A store of another backend takes the entries one
 * by one when their sizes fit.
 *
 * @param store The store to fill.
 * @param image A decoded, validated image.
 * @returns Counts of loaded and replaced entries.
 * @throws {StoreError} When an entry does not fit (key or value size, too many entries, or the
 * store refuses it); the store then holds exactly what it held before.
 *
 * @example
 * ```ts
 * import { openStore } from "@kvkit/backends";
 * import { restoreImage } from "./restore.ts";
 * import assert from "node:assert/strict";
 *
 * const store = openStore("map", { keySize: 1, valueSize: 1 });
 * const image = { backend: "map", options: {}, entries: [[new Uint8Array([1]), new Uint8Array([2])]] } as const;
 * assert.deepEqual(restoreImage(store, image), { loaded: 1, replaced: 0 });
 * assert.throws(() => restoreImage(store, { ...image, entries: [[new Uint8Array(2), new Uint8Array(1)]] }), /key/);
 * assert.equal(store.size, 1);
 * ```
 */
export function restoreImage(store: Store, image: StoreImage): RestoreResult {
  const caps = store.capabilities;
  const hint = image.backend === store.backend
    ? ""
    : `; the image was saved from '${image.backend}'`;
  const reopen = `open a store that fits, e.g. 'open ${image.backend}${
    optionsToArgs(image.options)
  }'`;
  image.entries.forEach(([k, v], i) => {
    try {
      checkKey(caps, k);
      checkValue(caps, v);
    } catch (err) {
      throw new StoreError(
        (err as StoreError).code ?? "EINVAL",
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
  const before: [Uint8Array, Uint8Array][] = [...store.entries()];
  store.clear();
  let i = 0;
  try {
    for (; i < image.entries.length; i++) {
      const [k, v] = image.entries[i]!;
      store.set(k, v);
    }
  } catch (err) {
    store.clear();
    for (const [k, v] of before) store.set(k, v);
    const code = err instanceof StoreError ? err.code : "EINVAL";
    throw new StoreError(
      code,
      `the store refused image entry ${i} (key ${hex(image.entries[i]![0])}): ${detail(err)}` +
        `${hint}; nothing loaded, the store is as it was`,
    );
  }
  return { loaded: image.entries.length, replaced: before.length };
}
