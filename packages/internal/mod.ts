/**
 * `@kvkit/internal`: code the kvkit store packages share and that is not part of the `Store`
 * contract (as `@std/internal` is for the Deno standard library). Its API may change in any
 * release; depend on it only through the store packages.
 *
 * Today: the hashes of htab and rhash (HalfSipHash-1-3, keyed and flood-resistant, their
 * default; MurmurHash3, seeded and fast, reproducible; the kernel's jhash, for htab's layout
 * identical to a kernel map's), random keys and seeds, the loaders that
 * turn a key into the little-endian words those tables store, byte-to-hex text for drawings and
 * tools, and a generator of keys that flood a seeded MurmurHash3 (for tests and benchmarks).
 *
 * @example A flood against MurmurHash3 that HalfSipHash shrugs off
 * ```ts
 * import { halfSipWords, murmurCollisions, randomWords } from "@kvkit/internal";
 * import assert from "node:assert/strict";
 *
 * const [k0, k1] = randomWords(new Int32Array(2));
 * const keys = murmurCollisions(8, 24); // one MurmurHash3 for every seed...
 * const hashes = keys.map((k) => halfSipWords(new Int32Array(k.buffer), 0, 6, 24, k0!, k1!));
 * assert.ok(new Set(hashes).size > 1); // ...but not one HalfSipHash
 * ```
 *
 * @module
 */

export * from "./fits.ts";
export * from "./halfsiphash.ts";
export * from "./hash_key.ts";
export * from "./hex.ts";
export * from "./jhash.ts";
export * from "./key_words.ts";
export * from "./murmur3.ts";
export * from "./murmur_collisions.ts";
export * from "./resize_policy.ts";
export { MAX_AGENTS, type SharedHandle } from "./shared_layout.ts";
export * from "./shared_options.ts";
export * from "./shared_table.ts";
export * from "./table_hash.ts";
