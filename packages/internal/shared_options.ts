/**
 * How a backend tells a shared map's options from a single-agent one's: `shared: true` or
 * `attach: handle` route to the shared map, anything else to the single-agent map.
 *
 * @module
 */

import { intOption, StoreError } from "@kvkit/store";
import { randomSeed, randomWords, seedKey } from "./hash_key.ts";
import type { SharedTableInit } from "./shared_table.ts";
import { hashOption } from "./table_hash.ts";

/** Where {@linkcode sharedRoute} sends a backend's options. */
export type SharedRoute =
  | { readonly to: "attach"; readonly handle: unknown }
  | { readonly to: "shared"; readonly options: Record<string, unknown> }
  | { readonly to: "single"; readonly options: unknown };

/**
 * Splits a backend's options: `{ attach }` (alone) attaches, `{ shared: true, ... }` creates a
 * shared map from the rest, `{ shared: false, ... }` and everything else is the single-agent
 * map's (whose own check reports whatever else is wrong with them).
 *
 * @param backend The backend's name, for messages.
 * @param options What the caller passed.
 * @returns The route.
 * @throws {StoreError} `EINVAL` for `attach` with other options or a `shared` that is not a
 * boolean.
 *
 * @example The three routes
 * ```ts
 * import { sharedRoute } from "@kvkit/internal";
 * import assert from "node:assert/strict";
 *
 * assert.equal(sharedRoute("htab", { keySize: 8 }).to, "single");
 * assert.deepEqual(sharedRoute("htab", { shared: true, keySize: 8 }), { to: "shared", options: { keySize: 8 } });
 * assert.equal(sharedRoute("htab", { attach: {} }).to, "attach");
 * assert.throws(() => sharedRoute("htab", { attach: {}, keySize: 8 }), { code: "EINVAL" });
 * ```
 */
export function sharedRoute(backend: string, options: unknown): SharedRoute {
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    return { to: "single", options };
  }
  const o = options as Record<string, unknown>;
  if (Object.hasOwn(o, "attach")) {
    const others = Object.keys(o).filter((k) => k !== "attach");
    if (others.length > 0) {
      throw new StoreError(
        "EINVAL",
        `${backend}: attach takes no other options (the map's are fixed): got ${others.join(", ")}`,
      );
    }
    return { to: "attach", handle: o.attach };
  }
  if (!Object.hasOwn(o, "shared")) return { to: "single", options };
  const { shared, ...rest } = o;
  if (typeof shared !== "boolean") {
    throw new StoreError("EINVAL", `${backend}: shared must be a boolean, got ${typeof shared}`);
  }
  return shared ? { to: "shared", options: rest } : { to: "single", options: rest };
}

/** How long a shared map's lock is waited for by default, in ms. */
export const LOCK_TIMEOUT_MS = 2000;

/** The options `SharedHtab` and `SharedRhash` read alike. */
export interface SharedCommonOptions {
  /** Key length in bytes, 1..65535 (default 4). */
  readonly keySize?: unknown;
  /** Value length in bytes, 1..2^24 (default 8). */
  readonly valueSize?: unknown;
  /** The hash seed (u32); default random. */
  readonly seed?: unknown;
  /** `"auto"` and `"halfsiphash"`: keyed HalfSipHash-1-3; `"murmur3"`. */
  readonly hash?: unknown;
  /** Lock wait in ms, 1..600,000 (default {@linkcode LOCK_TIMEOUT_MS}). */
  readonly lockTimeoutMs?: unknown;
}

/**
 * A new shared map's parameters from the options both kinds read, and the sizes the caller
 * chose: a shared map is keyed (HalfSipHash-1-3) unless `hash: "murmur3"`, with a random key,
 * or the key a fixed `seed` stands for.
 *
 * @param opts Checked options (`checkOptions`): their values are validated here.
 * @param maxEntries The most entries.
 * @param firstBuckets Buckets of the first table.
 * @param maxBuckets The most buckets a table may have.
 * @returns The parameters.
 * @throws {StoreError} `EINVAL` for a value out of range.
 *
 * @example A keyed map's parameters from a fixed seed
 * ```ts
 * import { sharedTableInit } from "@kvkit/internal";
 * import assert from "node:assert/strict";
 *
 * const init = sharedTableInit({ keySize: 8, seed: 7 }, 100, 4, 256);
 * assert.equal(init.keyed, true);
 * assert.deepEqual([init.keySize, init.valueSize, init.lockTimeoutMs], [8, 8, 2000]);
 * assert.throws(() => sharedTableInit({ hash: "jhash" }, 100, 4, 256), { code: "EINVAL" });
 * ```
 */
export function sharedTableInit(
  opts: SharedCommonOptions,
  maxEntries: number,
  firstBuckets: number,
  maxBuckets: number,
): SharedTableInit {
  const keySize = intOption("keySize", opts.keySize, 4, 1, 65535);
  const valueSize = intOption("valueSize", opts.valueSize, 8, 1, 1 << 24);
  const seed = intOption("seed", opts.seed, -1, 0, 0xffff_ffff);
  const hash = hashOption(opts.hash);
  const lockTimeoutMs = intOption("lockTimeoutMs", opts.lockTimeoutMs, LOCK_TIMEOUT_MS, 1, 600_000);
  const key = seed === -1 ? randomWords(new Int32Array(2)) : seedKey(seed, new Int32Array(2));
  return {
    keySize,
    valueSize,
    maxEntries,
    firstBuckets,
    maxBuckets,
    keyed: hash !== "murmur3",
    seed: seed === -1 ? randomSeed() : seed,
    k0: key[0]!,
    k1: key[1]!,
    lockTimeoutMs,
  };
}
