/**
 * Fitting a requested data shape to a store: open it with the shape's options, read back its
 * capabilities, and size keys, values and entry counts to what it accepts, saying what changed.
 *
 * @module
 */

import type { AnyBackend, Capabilities, Store } from "@kvkit/store";
import { keyDomain, keyLabel, type KeySpec, writeKey } from "./_keys.ts";

// The errors a store gives when it is full; plugins may bring their own StoreError class, so
// the code is read by duck typing rather than instanceof.
const FULL_CODES = new Set(["ENOSPC", "E2BIG", "ENOMEM"]);

/**
 * The `code` of an error, if it has a string one.
 *
 * @param err Anything thrown.
 * @returns The code or `""`.
 */
export function errorCode(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : "";
}

/** The data shape a group asks for. */
export interface Shape {
  /** Key length in bytes, or an inclusive `[min, max]` range of random lengths. */
  readonly key: number | readonly [number, number];
  /** The entry limit asked of the store (`maxEntries`). */
  readonly entries: number;
  /** The fraction of `entries` present before the workload runs, 0..1. */
  readonly fill: number;
  /** Value length in bytes. */
  readonly value: number;
}

/** A store opened and sized for a shape. */
export interface Fitted {
  /** The store. */
  readonly store: Store;
  /** The keys it gets. */
  readonly keys: KeySpec;
  /** The value length it gets. */
  readonly value: number;
  /** The entry limit it was sized to. */
  readonly capacity: number;
  /** How many distinct keys exist for it (present plus possible absent ones). */
  readonly domain: number;
  /** What was changed from the requested shape, for the table. */
  readonly notes: string[];
}

/** The option sets tried in order: a backend that rejects an option gets fewer of them. */
function optionLadder(shape: Shape, extra: Record<string, unknown>): Record<string, unknown>[] {
  const keySize = typeof shape.key === "number" ? shape.key : shape.key[1];
  const base = { keySize, valueSize: shape.value, maxEntries: shape.entries };
  return [
    { ...base, maxKeyLength: keySize, owners: shape.entries, ...extra },
    { ...base, ...extra },
    { valueSize: shape.value, maxEntries: shape.entries, ...extra },
    { maxEntries: shape.entries, ...extra },
    { valueSize: shape.value, ...extra },
    { ...extra },
  ];
}

// `checkOptions` in @kvkit/store names the option a backend does not know this way.
const UNKNOWN_OPTION = /unknown option '([^']+)'/;

/**
 * Opens a store of `backend` for `shape`, trying richer option sets first. Backends refuse
 * option names they do not know (EINVAL naming the option): such a name the harness added is
 * dropped and the same set tried again, so a store keeps every option it does know (qptrie
 * its `maxKeyLength` without the `keySize` it refuses). Names from `extra` are never dropped.
 *
 * @param backend The backend.
 * @param shape The requested shape.
 * @param extra Options always passed (from the command line), e.g. `{ inlineBytes: 16 }`.
 * @returns The new store.
 * @throws The last option set's error when every set is rejected.
 */
export function openFor(backend: AnyBackend, shape: Shape, extra: Record<string, unknown>): Store {
  let last: unknown;
  for (const rung of optionLadder(shape, extra)) {
    const options = { ...rung };
    for (;;) {
      try {
        return backend.create(options);
      } catch (err) {
        last = err;
        const name = errorCode(err) === "EINVAL"
          ? UNKNOWN_OPTION.exec((err as Error).message)?.[1]
          : undefined;
        if (name === undefined || !Object.hasOwn(options, name) || Object.hasOwn(extra, name)) {
          break;
        }
        delete options[name];
      }
    }
  }
  throw last;
}

function fitValue(caps: Capabilities, want: number): number {
  const sizes = caps.valueSizes?.filter((n) => n >= caps.valueSize.min && n <= caps.valueSize.max);
  if (sizes !== undefined && sizes.length > 0) {
    if (sizes.includes(want)) return want;
    const below = sizes.filter((n) => n < want);
    return below.length > 0 ? Math.max(...below) : Math.min(...sizes);
  }
  return Math.min(Math.max(want, caps.valueSize.min), caps.valueSize.max);
}

function fitKeys(caps: Capabilities, shape: Shape): KeySpec {
  if (caps.keyRange !== undefined) {
    const { min, max } = caps.keyRange;
    return { kind: "u32", min, domain: Math.min(max - min + 1, 0x1_0000_0000) };
  }
  const { min: kmin, max: kmax } = caps.keySize;
  const clamp = (n: number): number => Math.min(Math.max(n, kmin), kmax);
  if (typeof shape.key === "number") {
    const len = clamp(shape.key);
    return { kind: "bytes", min: len, max: len };
  }
  // Variable lengths start at 4 bytes so every key is distinct by construction.
  const lo = clamp(Math.max(shape.key[0], Math.min(4, shape.key[1])));
  const hi = clamp(shape.key[1]);
  return { kind: "bytes", min: Math.min(lo, hi), max: hi };
}

/**
 * Sizes a store to a shape: the key spec and value length it accepts and an entry limit no
 * larger than its `maxEntries` or its key space.
 *
 * @param backend The backend.
 * @param shape The requested shape.
 * @param extra Options always passed to `create`.
 * @returns The fitted store, still empty.
 */
export function fit(
  backend: AnyBackend,
  shape: Shape,
  extra: Record<string, unknown> = {},
): Fitted {
  const store = openFor(backend, shape, extra);
  const caps = store.capabilities;
  const keys = fitKeys(caps, shape);
  const value = fitValue(caps, shape.value);
  const domain = keyDomain(keys);
  const capacity = Math.max(1, Math.min(shape.entries, caps.maxEntries, domain));
  const notes: string[] = [];
  const wantKey = typeof shape.key === "number"
    ? `${shape.key} B`
    : `${shape.key[0]}..${shape.key[1]} B`;
  const gotKey = keyLabel(keys);
  if (gotKey !== wantKey) {
    const padded = typeof shape.key !== "number" && keys.kind === "bytes" && keys.min === keys.max;
    notes.push(padded ? `keys padded to ${gotKey}` : `keys ${gotKey}`);
  }
  if (value !== shape.value) notes.push(`values ${value} B`);
  if (capacity < shape.entries) notes.push(`sized to ${capacity} entries`);
  return { store, keys, value, capacity, domain, notes };
}

/**
 * Inserts keys `0..count-1` with values from `values`. A byte-bounded store may fill up
 * before `count` (ENOSPC, E2BIG, ENOMEM): it keeps what fitted.
 *
 * @param fitted The fitted store.
 * @param count How many keys to insert.
 * @param values The values to cycle through, of the fitted length.
 * @param seed The data set's seed.
 * @param from Keys below this index are already present (topping up a store).
 * @returns How many keys are present.
 */
export function populate(
  fitted: Fitted,
  count: number,
  values: Uint8Array[],
  seed: number,
  from = 0,
): number {
  const { store, keys } = fitted;
  const scratch = new Uint8Array(keys.kind === "u32" ? 4 : keys.max);
  for (let i = from; i < count; i++) {
    const len = writeKey(keys, i, seed, scratch);
    try {
      store.set(scratch.subarray(0, len), values[i % values.length]!);
    } catch (err) {
      if (FULL_CODES.has(errorCode(err))) {
        fitted.notes.push(`full at ${i} entries`);
        return i;
      }
      throw err;
    }
  }
  return count;
}
