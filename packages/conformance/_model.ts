/**
 * The reference model: a Map of hex keys that predicts every outcome from the capabilities.
 *
 * @module
 */

import { hex } from "@kvkit/internal";
import {
  type Capabilities,
  compareBytes,
  ERRNO,
  type ErrorCode,
  EXIST,
  F_LOCK,
  NOEXIST,
} from "@kvkit/store";

/** What a store's own admission rule sees for a `set` that passed the generic checks. */
export interface AdmitContext {
  /** The entries before the call, in the model's order. */
  readonly entries: ReadonlyArray<readonly [Uint8Array, Uint8Array]>;
  /** The key being set. */
  readonly key: Uint8Array;
  /** The value being set. */
  readonly value: Uint8Array;
  /** The key's current value, when present. */
  readonly present: Uint8Array | undefined;
}

/** A store's own admission rule: the error a valid `set` gets, or `undefined` to accept it. */
export type Admit = (ctx: AdmitContext) => ErrorCode | undefined;

/** An expected or observed outcome of one call. */
export type Outcome = { ok: unknown } | { error: ErrorCode };

export { hex };

/**
 * Hex text back to bytes.
 *
 * @param s Two hex digits a byte.
 * @returns The bytes.
 */
export const unhex = (s: string): Uint8Array =>
  Uint8Array.from(s.match(/../g) ?? [], (h) => parseInt(h, 16));

const u32 = (k: Uint8Array): number => (k[0]! | k[1]! << 8 | k[2]! << 16 | k[3]! << 24) >>> 0;

/**
 * What a correct store holds and answers, derived from its capabilities alone (and an
 * admission rule for stores measured in bytes). Apply the same calls to a store and the model
 * and compare.
 *
 * @example
 * ```ts
 * import { hex, Model } from "@kvkit/conformance/testing";
 * import { openStore } from "@kvkit/backends";
 * import { u32Key } from "@kvkit/store";
 * import assert from "node:assert/strict";
 *
 * const store = openStore("map", { keySize: 4, valueSize: 1, maxEntries: 1 });
 * const model = new Model(store.capabilities);
 * assert.deepEqual(model.set(u32Key(1), new Uint8Array([1]), 0), { ok: undefined });
 * assert.deepEqual(model.set(u32Key(2), new Uint8Array([2]), 0), { error: "E2BIG" });
 * assert.equal(model.map.has(hex(u32Key(1))), true);
 * ```
 */
export class Model {
  /** The capabilities of the store being modelled. */
  readonly caps: Capabilities;
  /** The store's own admission rule, if any. */
  readonly admit: Admit | undefined;
  /** The entries, by hex key. */
  readonly map: Map<string, [Uint8Array, Uint8Array]> = new Map();

  /**
   * Models an empty store.
   *
   * @param caps The store's capabilities.
   * @param admit The store's admission rule, for stores measured in bytes.
   */
  constructor(caps: Capabilities, admit?: Admit) {
    this.caps = caps;
    this.admit = admit;
  }

  /**
   * Key order of ordered stores: integer keys by value, byte keys lexicographically.
   *
   * @param a A key.
   * @param b A key.
   * @returns Negative, zero or positive.
   */
  compare = (a: Uint8Array, b: Uint8Array): number =>
    this.caps.keyRange !== undefined ? u32(a) - u32(b) : compareBytes(a, b);

  /**
   * The entries in key order.
   *
   * @returns `[key, value]` pairs, ascending.
   */
  sorted(): [Uint8Array, Uint8Array][] {
    return [...this.map.values()].sort((a, b) => this.compare(a[0], b[0]));
  }

  /**
   * The error a key-taking call gets for `key`.
   *
   * @param key The key.
   * @returns `EINVAL` for a wrong length or an out-of-range integer key, else `undefined`.
   */
  keyError(key: Uint8Array): ErrorCode | undefined {
    const { keySize, keyRange } = this.caps;
    if (key.length < keySize.min || key.length > keySize.max) return "EINVAL";
    if (keyRange !== undefined) {
      const k = u32(key);
      if (k < keyRange.min || k > keyRange.max) return "EINVAL";
    }
    return undefined;
  }

  /**
   * The error `set(key, value, flags)` gets, in the kernel's order.
   *
   * @param key The key.
   * @param value The value.
   * @param flags The update flags.
   * @returns The error code, or `undefined` when the update is accepted.
   */
  setError(key: Uint8Array, value: Uint8Array, flags: number): ErrorCode | undefined {
    if (
      !Number.isInteger(flags) || flags < 0 || flags > 7 || (flags & 3) === 3 ||
      ((flags & F_LOCK) !== 0 && !this.caps.lock)
    ) return "EINVAL";
    const keyError = this.keyError(key);
    if (keyError !== undefined) return keyError;
    const { valueSize, valueSizes } = this.caps;
    if (value.length > valueSize.max) return this.caps.valueTooBig;
    if (
      value.length < valueSize.min ||
      (valueSizes !== undefined && !valueSizes.includes(value.length))
    ) return "EINVAL";
    const present = this.map.get(hex(key))?.[1];
    if ((flags & 3) === NOEXIST && present !== undefined) return "EEXIST";
    if ((flags & 3) === EXIST && present === undefined) return "ENOENT";
    if (this.admit !== undefined) {
      return this.admit({ entries: this.sorted(), key, value, present });
    }
    if (present === undefined && this.map.size >= this.caps.maxEntries) return this.caps.fullError;
    return undefined;
  }

  /**
   * Applies `set` to the model.
   *
   * @param key The key.
   * @param value The value.
   * @param flags The update flags.
   * @returns `{ ok: undefined }` or the error.
   */
  set(key: Uint8Array, value: Uint8Array, flags: number): Outcome {
    const error = this.setError(key, value, flags);
    if (error !== undefined) return { error };
    this.map.set(hex(key), [new Uint8Array(key), new Uint8Array(value)]);
    return { ok: undefined };
  }

  /**
   * What `get(key)` answers.
   *
   * @param key The key.
   * @returns The value (or `undefined`), or the error.
   */
  get(key: Uint8Array): Outcome {
    const error = this.keyError(key);
    return error !== undefined ? { error } : { ok: this.map.get(hex(key))?.[1] };
  }

  /**
   * What `has(key)` answers.
   *
   * @param key The key.
   * @returns Whether present, or the error.
   */
  has(key: Uint8Array): Outcome {
    const error = this.keyError(key);
    return error !== undefined ? { error } : { ok: this.map.has(hex(key)) };
  }

  /**
   * Applies `delete` to the model.
   *
   * @param key The key.
   * @returns Whether it was present, or the error.
   */
  delete(key: Uint8Array): Outcome {
    const error = this.keyError(key);
    return error !== undefined ? { error } : { ok: this.map.delete(hex(key)) };
  }

  /**
   * What `getInto(key, out, offset, flags)` answers for an `out` of `room` bytes after
   * `offset`: the value copied (`ok`), `undefined` for absent, or the error.
   *
   * @param key The key.
   * @param room The bytes of `out` after `offset`.
   * @param flags The lookup flags.
   * @returns The value (or `undefined`), or the error.
   */
  getInto(key: Uint8Array, room: number, flags: number): Outcome {
    if (flags !== 0 && !(flags === F_LOCK && this.caps.lock)) return { error: "EINVAL" };
    const keyError = this.keyError(key);
    if (keyError !== undefined) return { error: keyError };
    const { valueSize, valueSizes } = this.caps;
    const fixed = valueSize.min === valueSize.max && valueSizes === undefined;
    if (fixed && room < valueSize.max) return { error: "EINVAL" };
    const present = this.map.get(hex(key))?.[1];
    if (present !== undefined && room < present.length) return { error: "EINVAL" };
    return { ok: present };
  }

  /**
   * The longest present key that is a prefix of `key` (or is `key`).
   *
   * @param key The query.
   * @returns The key, or `undefined`.
   */
  longestPrefixOf(key: Uint8Array): Uint8Array | undefined {
    let best: Uint8Array | undefined;
    for (const [k] of this.map.values()) {
      if (k.length > key.length || (best !== undefined && k.length <= best.length)) continue;
      if (k.every((b, i) => b === key[i])) best = k;
    }
    return best;
  }

  /**
   * The successor of `key` in an ordered store.
   *
   * @param key A key, or `undefined` for the first.
   * @returns The next present key in order, or `undefined`.
   */
  successor(key: Uint8Array | undefined): Uint8Array | undefined {
    return this.sorted().find(([k]) => key === undefined || this.compare(k, key) > 0)?.[0];
  }
}

/**
 * Runs `fn`, turning a thrown StoreError into an outcome; any other throw propagates. A
 * StoreError whose errno does not match its code is an error too.
 *
 * @param fn The call.
 * @returns `{ ok: result }` or `{ error: code }`.
 */
export function observe(fn: () => unknown): Outcome {
  try {
    return { ok: fn() };
  } catch (err) {
    const e = err as { name?: unknown; code?: unknown; errno?: unknown };
    if (e?.name === "StoreError" && typeof e.code === "string" && e.code in ERRNO) {
      if (e.errno !== ERRNO[e.code as ErrorCode]) {
        throw new Error(
          `StoreError ${e.code} has errno ${e.errno}, not ${ERRNO[e.code as ErrorCode]}`,
        );
      }
      return { error: e.code as ErrorCode };
    }
    throw err;
  }
}
