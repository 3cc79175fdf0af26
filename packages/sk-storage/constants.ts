/**
 * Limits and flags of `@kvkit/sk-storage`, numbered as the kernel numbers them where it has them.
 *
 * @module
 */

/**
 * Flag of {@linkcode SkStorageMap.get}: create the owner's value (zeroed, or a copy of `init`)
 * when it is absent, as `BPF_LOCAL_STORAGE_GET_F_CREATE` does for `bpf_sk_storage_get`.
 */
export const F_CREATE = 1;

/**
 * Owner ids are `generation * OWNER_SLOT_SPAN + slot`, so the first owner of each slot has the
 * slot number as its id and a stale id of a reused slot never matches the new owner's id.
 */
export const OWNER_SLOT_SPAN = 2 ** 24;

/** The most owners a table holds (the slot part of an owner id). */
export const MAX_OWNERS: number = OWNER_SLOT_SPAN;

/**
 * The last generation of a slot; a slot that reaches it is retired rather than reused, so ids
 * stay below 2^53 and are never handed out twice.
 */
export const MAX_GENERATION = 2 ** 29 - 1;

/** Slots of the per-owner storage cache (`BPF_LOCAL_STORAGE_CACHE_SIZE`). */
export const CACHE_SIZE = 16;

/** The most maps placed inline: each one owns a bit of every owner's 32-bit inline mask. */
export const INLINE_MAPS_MAX = 32;

/** The largest inline area per owner, in bytes. */
export const MAX_INLINE_BYTES = 4096;

/**
 * The largest inline area of one table, `owners * inlineBytes`, in bytes (4 GiB): the largest
 * `Uint8Array` every runtime makes (Node's limit). A larger product is `ENOMEM`, as is any
 * table the machine cannot allocate.
 */
export const MAX_INLINE_AREA = 2 ** 32;

/** The largest value of a storage map, in bytes. */
export const MAX_VALUE_SIZE = 65536;

/**
 * The most distinct values an interned map holds: owners keep a 2-byte index into the shared
 * value table instead of the value.
 */
export const INTERN_MAX = 65536;
