/**
 * `@kvkit/conformance/testing`: the pieces of the suite that a store package's own tests reuse -
 * the reference {@linkcode Model}, {@linkcode observe} (a call's outcome as a value), hex
 * helpers, and the key pools the suite draws from.
 *
 * @example A package test against the model
 * ```ts
 * import { hex, Model, observe } from "@kvkit/conformance/testing";
 * import { openStore } from "@kvkit/backends";
 * import { NOEXIST, u32Key } from "@kvkit/store";
 * import assert from "node:assert/strict";
 *
 * const store = openStore("map", { keySize: 4, valueSize: 2, maxEntries: 4 });
 * const model = new Model(store.capabilities);
 * for (const flags of [0, NOEXIST]) {
 *   const key = u32Key(1), value = new Uint8Array([1, 2]);
 *   assert.deepEqual(observe(() => store.set(key, value, flags)), model.set(key, value, flags));
 * }
 * assert.equal(hex(store.nextKey()!), "01000000");
 * ```
 *
 * @module
 */

export { hex, Model, observe, type Outcome, unhex } from "./_model.ts";
export { distinctKey, invalidKeys, keyPool, validValueLengths } from "./_arbitraries.ts";
