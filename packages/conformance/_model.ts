// The reference model: a Map of hex keys that predicts every outcome from the capabilities.

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

export const hex = (b: Uint8Array): string =>
  Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");

const u32 = (k: Uint8Array): number => (k[0]! | k[1]! << 8 | k[2]! << 16 | k[3]! << 24) >>> 0;

export class Model {
  readonly caps: Capabilities;
  readonly admit: Admit | undefined;
  readonly map = new Map<string, [Uint8Array, Uint8Array]>();

  constructor(caps: Capabilities, admit?: Admit) {
    this.caps = caps;
    this.admit = admit;
  }

  /** Key order of ordered stores: integer keys by value, byte keys lexicographically. */
  compare = (a: Uint8Array, b: Uint8Array): number =>
    this.caps.keyRange !== undefined ? u32(a) - u32(b) : compareBytes(a, b);

  sorted(): [Uint8Array, Uint8Array][] {
    return [...this.map.values()].sort((a, b) => this.compare(a[0], b[0]));
  }

  keyError(key: Uint8Array): ErrorCode | undefined {
    const { keySize, keyRange } = this.caps;
    if (key.length < keySize.min || key.length > keySize.max) return "EINVAL";
    if (keyRange !== undefined) {
      const k = u32(key);
      if (k < keyRange.min || k > keyRange.max) return "EINVAL";
    }
    return undefined;
  }

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

  set(key: Uint8Array, value: Uint8Array, flags: number): Outcome {
    const error = this.setError(key, value, flags);
    if (error !== undefined) return { error };
    this.map.set(hex(key), [new Uint8Array(key), new Uint8Array(value)]);
    return { ok: undefined };
  }

  get(key: Uint8Array): Outcome {
    const error = this.keyError(key);
    return error !== undefined ? { error } : { ok: this.map.get(hex(key))?.[1] };
  }

  has(key: Uint8Array): Outcome {
    const error = this.keyError(key);
    return error !== undefined ? { error } : { ok: this.map.has(hex(key)) };
  }

  delete(key: Uint8Array): Outcome {
    const error = this.keyError(key);
    return error !== undefined ? { error } : { ok: this.map.delete(hex(key)) };
  }

  /** The successor of `key` in an ordered store. */
  successor(key: Uint8Array | undefined): Uint8Array | undefined {
    return this.sorted().find(([k]) => key === undefined || this.compare(k, key) > 0)?.[0];
  }
}

/** Runs `fn`, turning a thrown StoreError into an outcome; any other throw propagates. */
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
