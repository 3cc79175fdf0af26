/**
 * The private state of an {@linkcode UptrKvOwner} that its introspection module reads
 * (`_describe.ts`), the way denoland/std shares state across modules: the class fills
 * {@linkcode internals} from a `static {}` block, so nothing private becomes public API.
 *
 * @module
 */

import type { UptrKvOwner, UptrKvUsage } from "./uptr_kv_owner.ts";

/** Filled by {@linkcode UptrKvOwner}'s static block. */
export const internals = {} as {
  /** The metadata words (live, not a copy). */
  meta(owner: UptrKvOwner): Uint32Array;
  /** `usage()` without checking the entries (the drawing shows corrupt ones too). */
  usage(owner: UptrKvOwner): UptrKvUsage;
  /** The version of the last manifest the owner applied, `undefined` before the first. */
  manifestVersion(owner: UptrKvOwner): number | undefined;
};
