/**
 * The key walk behind `keys` and `iter`: all keys, keys with a byte prefix, or keys from a lower
 * bound. Ordered byte-keyed stores seek with `nextKey`; other stores (unordered, or integer-keyed
 * where order is numeric, not by bytes) are scanned and filtered.
 *
 * | walk | ordered byte keys | otherwise |
 * | --- | --- | --- |
 * | all | O(n) | O(n) |
 * | prefix P | seek + O(matches) | O(n) scan |
 * | from K | seek + O(rest) | seek (ordered integer keys) or not offered (unordered) |
 *
 * @module
 */

import { compareBytes, type Store, StoreError } from "@kvkit/store";

/** Where a walk starts and what it keeps. */
export interface WalkOptions {
  /** Only keys whose bytes start with these. */
  readonly prefix?: Uint8Array | undefined;
  /** Only keys at or after this one (ordered stores only). */
  readonly from?: Uint8Array | undefined;
}

function startsWith(key: Uint8Array, prefix: Uint8Array): boolean {
  if (key.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (key[i] !== prefix[i]) return false;
  return true;
}

// The first present key at or after `key` in an ordered store.
function seek(store: Store, key: Uint8Array): Uint8Array | undefined {
  return store.has(key) ? key : store.nextKey(key);
}

/**
 * Walks a store's keys.
 *
 * @param store The store.
 * @param options `prefix` and/or `from`.
 * @returns The keys, copies, in the store's order.
 * @throws {StoreError} `EOPNOTSUPP` for `from` on an unordered store; `EINVAL` from the store for
 * a `from` key it does not take.
 *
 * @example Keys under a byte prefix
 * ```ts
 * import { openStore } from "@kvkit/backends";
 * import { walkKeys } from "./walk_keys.ts";
 * import assert from "node:assert/strict";
 *
 * const store = openStore("map", { keySize: 2, valueSize: 1 });
 * for (const k of [[1, 1], [1, 2], [2, 1]]) store.set(new Uint8Array(k), new Uint8Array(1));
 * assert.equal([...walkKeys(store, { prefix: new Uint8Array([1]) })].length, 2);
 * assert.throws(() => [...walkKeys(store, { from: new Uint8Array([1, 1]) })], { code: "EOPNOTSUPP" });
 * ```
 */
export function* walkKeys(store: Store, options: WalkOptions = {}): Generator<Uint8Array> {
  const { prefix, from } = options;
  const caps = store.capabilities;
  if (from !== undefined && !caps.ordered) {
    throw new StoreError(
      "EOPNOTSUPP",
      `'from' needs an ordered store; '${store.backend}' is unordered (use 'next KEY' to step)`,
    );
  }
  const byteOrdered = caps.ordered && caps.keyRange === undefined;
  let start: Uint8Array | undefined = from;
  if (prefix !== undefined && byteOrdered) {
    if (prefix.length > caps.keySize.max) return;
    // A fixed-size store only takes full-length keys: seek to the prefix zero-filled.
    const probe = new Uint8Array(Math.max(prefix.length, caps.keySize.min));
    probe.set(prefix);
    if (start === undefined || compareBytes(probe, start) > 0) start = probe;
  }
  if (start === undefined) {
    for (const key of store.keys()) if (prefix === undefined || startsWith(key, prefix)) yield key;
    return;
  }
  let key = seek(store, start);
  while (key !== undefined) {
    if (prefix === undefined || startsWith(key, prefix)) yield key;
    // Past the prefix in byte order nothing more can match.
    else if (byteOrdered && compareBytes(key, prefix) > 0) return;
    key = store.nextKey(key);
  }
}
