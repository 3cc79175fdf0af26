/**
 * The rhashtable rules `@kvkit/rhash` follows, as named constants.
 *
 * @example The rules' values
 * ```ts
 * import { ELASTICITY, HASH_MIN_SIZE, REHASH_STEP_ELEMS } from "@kvkit/rhash";
 * import assert from "node:assert/strict";
 *
 * assert.equal(ELASTICITY, 16);
 * assert.equal(HASH_MIN_SIZE, 4);
 * assert.ok(REHASH_STEP_ELEMS > 0);
 * ```
 *
 * @module
 */

import { HASH_MIN_SIZE as RESIZE_MIN_SIZE } from "@kvkit/internal";

/** A chain longer than this triggers a rehash with a new seed (rhashtable's elasticity). */
export const ELASTICITY = 16;

/** The fewest buckets a table has; shrinking stops here (rhashtable's `HASH_MIN_SIZE`). */
export const HASH_MIN_SIZE: number = RESIZE_MIN_SIZE;

/** Buckets of a table created without `nelemHint`. */
export const HASH_DEFAULT_SIZE = 64;

/** The largest `nelemHint` (the kernel caps the hint at `U16_MAX`). */
export const NELEM_HINT_MAX = 65535;

/** The largest key size (rhashtable's `key_len` is a u16). */
export const KEY_SIZE_MAX = 65535;

/** The largest value size this store accepts. */
export const VALUE_SIZE_MAX = 1 << 24;

/** The largest `maxEntries`: element indices are 31-bit. */
export const MAX_ENTRIES_MAX = 0x7fff_ffff;

/**
 * The most elements one operation moves from the old table to the future table while a
 * resize runs. Together with {@linkcode REHASH_STEP_BUCKETS} this bounds the extra work of any
 * single operation during a resize.
 */
export const REHASH_STEP_ELEMS = 8;

/** The most old-table buckets one operation looks at while a resize runs. */
export const REHASH_STEP_BUCKETS = 64;

/** The fewest elements the element arena holds (unless `maxEntries` is smaller). */
export const ARENA_MIN = 16;
