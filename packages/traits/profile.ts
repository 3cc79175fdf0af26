/**
 * Size profiles: which value length each 2-bit size code of the header stands for.
 *
 * @module
 */

import { StoreError } from "@kvkit/store";

/** The names of the built-in profiles: the RFC's sizes and the ones the review thread proposed. */
export type ProfileName = "2/4/8" | "4/8/16" | "0/4/16" | "0/4/8";

/**
 * The value lengths of the three size codes. A store area records nothing but the codes, so the
 * writer and every reader of an area must agree on its profile.
 *
 * ```
 * header bits of key k:  bit k of high (offset 0) : bit k of low (offset 8)
 *   00  not set
 *   01  sizes[0] bytes
 *   10  sizes[1] bytes
 *   11  sizes[2] bytes
 * ```
 *
 * A size of 0 (only allowed for code `01`) makes a flag key: set or not set, no value bytes.
 */
export interface TraitProfile {
  /** The sizes joined by `/`, e.g. `"2/4/8"`. */
  readonly name: string;
  /** The value lengths of size codes `01`, `10` and `11`, strictly ascending. */
  readonly sizes: readonly [number, number, number];
}

/** The largest value length a custom profile may give one key. */
const MAX_VALUE_SIZE = 1 << 16;

function make(a: number, b: number, c: number): TraitProfile {
  // The sizes array is left unfrozen on purpose: V8 reads a frozen array's numbers as
  // generic values, which made every one-shot read twice as slow (readonly in the types).
  return Object.freeze({ name: `${a}/${b}/${c}`, sizes: [a, b, c] as const });
}

/**
 * The RFC's profile (the default): 2, 4 and 8-byte values.
 *
 * ```
 *  0               8               16
 *  +---------------+---------------+----------------------------------+
 *  | high  u64 LE  | low   u64 LE  | values, ascending key, packed    |
 *  +---------------+---------------+----------------------------------+
 *  key k: (high bit k, low bit k) = 00 unset | 01 2 B | 10 4 B | 11 8 B
 *  used = 16 + 2·pop(low) + 4·pop(high) + 2·pop(high & low)
 * ```
 */
export const PROFILE_2_4_8: TraitProfile = make(2, 4, 8);

/**
 * The profile proposed in review: 4 (IPv4), 8 and 16 (IPv6, UUID) bytes.
 *
 * ```
 *  0               8               16
 *  +---------------+---------------+----------------------------------+
 *  | high  u64 LE  | low   u64 LE  | values, ascending key, packed    |
 *  +---------------+---------------+----------------------------------+
 *  key k: (high bit k, low bit k) = 00 unset | 01 4 B | 10 8 B | 11 16 B
 *  used = 16 + 4·pop(low & ~high) + 8·pop(high & ~low) + 16·pop(high & low)
 * ```
 */
export const PROFILE_4_8_16: TraitProfile = make(4, 8, 16);

/**
 * Flags, IPv4 and IPv6/UUID: code `01` is a flag key (set, no value).
 *
 * ```
 *  0               8               16
 *  +---------------+---------------+----------------------------------+
 *  | high  u64 LE  | low   u64 LE  | values, ascending key, packed    |
 *  +---------------+---------------+----------------------------------+
 *  key k: (high bit k, low bit k) = 00 unset | 01 flag, 0 B | 10 4 B | 11 16 B
 *  used = 16 + 4·pop(high & ~low) + 16·pop(high & low)
 * ```
 */
export const PROFILE_0_4_16: TraitProfile = make(0, 4, 16);

/**
 * The later revision: flags, 4 and 8 bytes.
 *
 * ```
 *  0               8               16
 *  +---------------+---------------+----------------------------------+
 *  | high  u64 LE  | low   u64 LE  | values, ascending key, packed    |
 *  +---------------+---------------+----------------------------------+
 *  key k: (high bit k, low bit k) = 00 unset | 01 flag, 0 B | 10 4 B | 11 8 B
 *  used = 16 + 4·pop(high & ~low) + 8·pop(high & low)
 * ```
 */
export const PROFILE_0_4_8: TraitProfile = make(0, 4, 8);

/** The built-in profiles by name. */
export const PROFILES: Readonly<Record<ProfileName, TraitProfile>> = Object.freeze({
  "2/4/8": PROFILE_2_4_8,
  "4/8/16": PROFILE_4_8_16,
  "0/4/16": PROFILE_0_4_16,
  "0/4/8": PROFILE_0_4_8,
});

const BUILTIN: ReadonlySet<TraitProfile> = new Set(Object.values(PROFILES));

// A bad profile as text for a message, whatever it is: JSON.stringify throws on a BigInt.
function show(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/**
 * Resolves a profile given by name, by its three sizes, or as a profile object.
 *
 * @param spec `"2/4/8"`, `"4/8/16"`, `"0/4/16"`, `"0/4/8"`, or three strictly ascending sizes
 * (integers, 0 only first, at most 65536), or a {@linkcode TraitProfile}.
 * @returns The profile (a built-in one when the sizes match one).
 * @throws {StoreError} `EINVAL` for an unknown name or bad sizes.
 *
 * @example Profiles by name, by sizes, and invalid ones
 * ```ts
 * import { traitProfile, PROFILE_0_4_16 } from "@kvkit/traits";
 * import assert from "node:assert/strict";
 *
 * assert.equal(traitProfile("0/4/16"), PROFILE_0_4_16);
 * assert.equal(traitProfile([0, 4, 16]), PROFILE_0_4_16);
 * assert.deepEqual(traitProfile([1, 2, 3]).sizes, [1, 2, 3]);
 * assert.throws(() => traitProfile([4, 4, 8]), { code: "EINVAL" });
 * assert.throws(() => traitProfile("2/4"), { code: "EINVAL" });
 * ```
 */
export function traitProfile(spec: TraitProfile | string | readonly number[]): TraitProfile {
  // Opening a store per packet passes a built-in profile object: no validation needed.
  if (BUILTIN.has(spec as TraitProfile)) return spec as TraitProfile;
  let sizes: unknown;
  if (typeof spec === "string") {
    const named = (PROFILES as Record<string, TraitProfile | undefined>)[spec];
    if (named !== undefined) return named;
    throw new StoreError(
      "EINVAL",
      `unknown profile '${spec}'; known: ${Object.keys(PROFILES).join(", ")} or three sizes`,
    );
  } else if (Array.isArray(spec)) {
    sizes = spec;
  } else if (typeof spec === "object" && spec !== null) {
    sizes = (spec as Partial<TraitProfile>).sizes;
  }
  if (!Array.isArray(sizes) || sizes.length !== 3) {
    throw new StoreError("EINVAL", `profile ${show(spec)} is not three sizes`);
  }
  const [a, b, c] = sizes as unknown[];
  const ok = (n: unknown, min: number): n is number =>
    typeof n === "number" && Number.isInteger(n) && n >= min && n <= MAX_VALUE_SIZE;
  if (!ok(a, 0) || !ok(b, a + 1) || !ok(c, b + 1)) {
    throw new StoreError(
      "EINVAL",
      `profile sizes ${show(sizes)} are not strictly ascending integers in 0..${MAX_VALUE_SIZE}`,
    );
  }
  for (const p of Object.values(PROFILES)) {
    if (p.sizes[0] === a && p.sizes[1] === b && p.sizes[2] === c) return p;
  }
  return make(a, b, c);
}
