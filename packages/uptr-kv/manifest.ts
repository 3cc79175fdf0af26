/**
 * The manifest: the keys one program version uses. Applying a new manifest with
 * {@linkcode UptrKvOwner.applyManifest} migrates the store's layout.
 *
 * @module
 */

import { StoreError } from "@kvkit/store";
import { META_ENTRIES, VALUE_MAX, VALUE_MIN } from "./layout.ts";

/** One key of a manifest. */
export interface ManifestEntry {
  /** The integer key, 0..1023. */
  readonly key: number;
  /** What the program calls it; unique within the manifest. */
  readonly name: string;
  /** The value length in bytes, 1..4096. */
  readonly size: number;
  /** The initial value of a created or re-sized key, `size` bytes; zeros when omitted. */
  readonly default?: Uint8Array | readonly number[];
}

/** A versioned list of keys: the whole layout one program version expects. */
export interface Manifest {
  /** The program version, an integer 0..2^31-1; programs see it as `manifestVersion`. */
  readonly version: number;
  /** The keys, each once. */
  readonly entries: readonly ManifestEntry[];
}

/** What applying a manifest did, keys ascending. */
export interface MigrationReport {
  /** The version of the manifest applied before, `undefined` for the first. */
  readonly from: number | undefined;
  /** The version applied. */
  readonly to: number;
  /** Keys whose size did not change: their values were kept. */
  readonly kept: number[];
  /** Keys that were absent: created with their default or zeros. */
  readonly created: number[];
  /** Keys whose size changed: re-created at the new size with their default or zeros. */
  readonly resized: number[];
  /** Present keys the manifest does not list: deleted. */
  readonly deleted: number[];
  /**
   * `false` when the new values were placed in free space next to the old ones (old and new
   * coexisted until the switch); `true` when they did not fit that way and every value was
   * repacked.
   */
  readonly repacked: boolean;
  /** Data pages allocated after the migration. */
  readonly pages: number;
}

/**
 * Checks a manifest: an integer version, unique keys in range, unique non-empty names,
 * sizes 1..4096 and defaults of exactly `size` bytes.
 *
 * @param manifest The manifest to check.
 * @throws {StoreError} `EINVAL` naming the first bad entry; `E2BIG` for a size above 4096.
 *
 * @example Refusing a default of the wrong length
 * ```ts
 * import { validateManifest } from "@kvkit/uptr-kv";
 * import assert from "node:assert/strict";
 *
 * validateManifest({ version: 1, entries: [{ key: 0, name: "hits", size: 8 }] });
 * assert.throws(
 *   () => validateManifest({ version: 1, entries: [{ key: 0, name: "a", size: 2, default: [1] }] }),
 *   { code: "EINVAL" },
 * );
 * ```
 */
export function validateManifest(manifest: Manifest): void {
  if (typeof manifest !== "object" || manifest === null || !Array.isArray(manifest.entries)) {
    throw new StoreError("EINVAL", "manifest must be an object with an entries array");
  }
  const { version } = manifest;
  if (!Number.isInteger(version) || version < 0 || version > 0x7fff_ffff) {
    throw new StoreError("EINVAL", `manifest version ${version} is not an integer in 0..2^31-1`);
  }
  const keys = new Set<number>();
  const names = new Set<string>();
  for (const entry of manifest.entries) {
    const { key, name, size } = entry ?? {};
    if (!Number.isInteger(key) || key < 0 || key >= META_ENTRIES) {
      throw new StoreError("EINVAL", `manifest key ${key} is not an integer in 0..1023`);
    }
    if (keys.has(key)) throw new StoreError("EINVAL", `manifest lists key ${key} twice`);
    if (typeof name !== "string" || name === "" || names.has(name)) {
      throw new StoreError("EINVAL", `manifest key ${key}: name '${name}' is empty or repeated`);
    }
    if (!Number.isInteger(size) || size < VALUE_MIN) {
      throw new StoreError("EINVAL", `manifest key ${key}: size ${size} is not in 1..4096`);
    }
    if (size > VALUE_MAX) {
      throw new StoreError("E2BIG", `manifest key ${key}: size ${size} is above 4096`);
    }
    const d = entry.default;
    if (d !== undefined) {
      const ok = (d instanceof Uint8Array || Array.isArray(d)) && d.length === size &&
        (d instanceof Uint8Array || d.every((b) => Number.isInteger(b) && b >= 0 && b <= 255));
      if (!ok) {
        throw new StoreError(
          "EINVAL",
          `manifest key ${key}: default must be ${size} bytes (Uint8Array or byte array)`,
        );
      }
    }
    keys.add(key);
    names.add(name);
  }
}
