/**
 * What the main thread of `shared_workers.ts` and its Workers (`_workers_agent.ts`) say to
 * each other, and the pieces both sides need: the control words of the start barrier, the key
 * set, the per-Worker orders.
 *
 * @module
 */

/** The stores a Worker can drive; one pool of Workers per kind (see `shared_workers.ts`). */
export type AgentKind =
  | "shared-htab"
  | "shared-rhash"
  | "htab"
  | "rhash"
  | "sharedmap"
  | "post";

/** What a measured loop does per operation. */
export type BenchOp = "lookup" | "update";

/** Index in the control words (an `Int32Array` over a `SharedArrayBuffer`) of the start epoch. */
export const CTL_GO = 0;
/** Index of the stop epoch; 16 words (64 bytes) from `CTL_GO`, a cache line of its own. */
export const CTL_STOP = 16;
/** Words of the control array. */
export const CTL_WORDS = 32;

/** Operations between two looks at the stop word (and the clock, while warming up). */
export const CHUNK = 256;

/**
 * Sets up one measured run in a Worker: which store, what to do, which keys. The Worker warms
 * up for `warmMs`, answers `ready`, waits until `ctl[CTL_GO] === epoch`, runs until
 * `ctl[CTL_STOP] === epoch`, and answers `done`.
 */
export interface RunCommand {
  readonly type: "run";
  readonly kind: Exclude<AgentKind, "post">;
  /** Identifies the store: the same id is the same store (attached or built once per Worker). */
  readonly storeId: string;
  /** `share()` handle of a shared store, or the sharedmap object (its prototype is restored). */
  readonly handle?: unknown;
  readonly op: BenchOp;
  /** `F_LOCK` on every `getInto`/`set`. */
  readonly lock: boolean;
  readonly valueSize: number;
  /** The present keys: two little-endian u32 words per 8-byte key. */
  readonly keys: SharedArrayBuffer;
  /** This Worker's index among the `workers` of the run (its seed and its update slice). */
  readonly index: number;
  readonly workers: number;
  readonly ctl: SharedArrayBuffer;
  readonly epoch: number;
  readonly warmMs: number;
}

/** Makes a `post` Worker the owner of a partition of the keys, in a `Map` (one per value size). */
export interface OwnCommand {
  readonly type: "own";
  readonly keys: SharedArrayBuffer;
  readonly start: number;
  readonly end: number;
  readonly valueSize: number;
}

/** Requests to a `post` Worker: one key (as a number) or a batch, one reply each. */
export type PostRequest =
  | { readonly type: "get"; readonly valueSize: number; readonly key: number }
  | {
    readonly type: "set";
    readonly valueSize: number;
    readonly key: number;
    readonly value: Uint8Array;
  }
  | { readonly type: "getBatch"; readonly valueSize: number; readonly keys: Float64Array }
  | {
    readonly type: "setBatch";
    readonly valueSize: number;
    readonly keys: Float64Array;
    readonly values: Uint8Array;
  };

/** Closes what the Worker attached or built. */
export interface CloseCommand {
  readonly type: "close";
}

/** Anything the main thread sends. */
export type Command = RunCommand | OwnCommand | PostRequest | CloseCommand;

/** The answers. */
export type Reply =
  | { readonly type: "ready" }
  | { readonly type: "done"; readonly ops: number; readonly ms: number }
  | { readonly type: "value"; readonly value: Uint8Array | null }
  | { readonly type: "ok"; readonly count: number }
  | { readonly type: "error"; readonly message: string };

/**
 * The 8-byte key of index `i`: a scattered u32 (an odd multiplier is a bijection), then `i`.
 *
 * @param n Keys.
 * @returns Two u32 words per key, in a `SharedArrayBuffer` so every Worker reads the same set.
 */
export function keyWords(n: number): Uint32Array {
  const words = new Uint32Array(new SharedArrayBuffer(8 * n));
  for (let i = 0; i < n; i++) {
    words[2 * i] = Math.imul(i, 0x9e3779b1) >>> 0;
    words[2 * i + 1] = i;
  }
  return words;
}

/**
 * A key as one number (both words fit in 53 bits while `i < 2^21`), the key a `Map` owner uses.
 *
 * @param words From {@linkcode keyWords}.
 * @param i The key's index.
 * @returns `hi * 2^32 + lo`.
 */
export function keyNumber(words: Uint32Array, i: number): number {
  return words[2 * i + 1]! * 0x1_0000_0000 + words[2 * i]!;
}

/**
 * The key indices `start..end-1` in a seeded shuffle (xorshift32 Fisher-Yates), so each Worker
 * goes all over the store in its own order.
 *
 * @param start First index.
 * @param end One past the last.
 * @param seed Any integer.
 * @returns The shuffled indices.
 */
export function shuffledRange(start: number, end: number, seed: number): Uint32Array {
  const out = new Uint32Array(end - start);
  for (let i = 0; i < out.length; i++) out[i] = start + i;
  let x = (0x2545f491 ^ Math.imul(seed + 1, 0x9e3779b1)) >>> 0 || 1;
  for (let i = out.length - 1; i > 0; i--) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    const j = (x >>> 0) % (i + 1);
    const t = out[i]!;
    out[i] = out[j]!;
    out[j] = t;
  }
  return out;
}

/**
 * The slice of keys Worker `index` of `workers` updates (disjoint, together all keys).
 *
 * @param n Keys.
 * @param index The Worker.
 * @param workers Workers of the run.
 * @returns `[start, end)`.
 */
export function slice(n: number, index: number, workers: number): [number, number] {
  return [Math.floor((n * index) / workers), Math.floor((n * (index + 1)) / workers)];
}

/**
 * A value of `valueSize` bytes, one of two patterns (updates alternate them).
 *
 * @param valueSize Bytes.
 * @param which 0 or 1.
 * @returns The bytes.
 */
export function valueBytes(valueSize: number, which: number): Uint8Array {
  const v = new Uint8Array(valueSize);
  for (let j = 0; j < valueSize; j++) v[j] = (0x41 + j + 7 * which) & 0x7f || 1;
  return v;
}

/**
 * An 8-byte key as an 8-character string for sharedmap (string keys only): each byte as one
 * UTF-16 unit, offset by 0x100 so none is 0 (sharedmap ends keys at a 0 unit).
 *
 * @param words From {@linkcode keyWords}.
 * @param i The key's index.
 * @returns The string key.
 */
export function keyString(words: Uint32Array, i: number): string {
  const lo = words[2 * i]!, hi = words[2 * i + 1]!;
  let s = "";
  for (let b = 0; b < 4; b++) s += String.fromCharCode(0x100 + ((lo >>> (8 * b)) & 0xff));
  for (let b = 0; b < 4; b++) s += String.fromCharCode(0x100 + ((hi >>> (8 * b)) & 0xff));
  return s;
}

/**
 * A value for sharedmap: `valueSize` characters (its values are strings).
 *
 * @param valueSize Characters.
 * @param which 0 or 1.
 * @returns The string.
 */
export function valueString(valueSize: number, which: number): string {
  return String.fromCharCode(...valueBytes(valueSize, which));
}
