/**
 * The memory layout of a {@linkcode SharedTable}: three SharedArrayBuffers (header, elements,
 * buckets), the word offsets in each, and the checks a handle from another agent passes before
 * anything reads through it.
 *
 * @module
 */

import { StoreError } from "@kvkit/store";

/** Most agents (Workers, the main thread) attached to one shared map at once. */
export const MAX_AGENTS = 64;

// Header words (an Int32Array over the header buffer). Words written by every writer sit on
// cache lines of their own (16 words = 64 bytes), so agents updating disjoint keys do not share
// a line they write.
/** "kvkt" little-endian: a header of a shared table. */
export const MAGIC = 0x746b766b;
/** The layout's version. */
export const VERSION = 1;
export const H_MAGIC = 0;
export const H_VERSION = 1;
/** {@linkcode KIND_HTAB} or {@linkcode KIND_RHASH}. */
export const H_KIND = 2;
export const H_KEY_SIZE = 3;
export const H_VALUE_SIZE = 4;
export const H_MAX_ENTRIES = 5;
/** Elements in the element buffer: maxEntries plus one spare per agent. */
export const H_CAPACITY = 6;
/** Buckets a region holds (a power of two). */
export const H_MAX_BUCKETS = 7;
/** Buckets of the first table. */
export const H_FIRST_BUCKETS = 8;
/** {@linkcode HASH_SIP} or {@linkcode HASH_MURMUR}. */
export const H_HASH = 9;
export const H_SEED = 10;
export const H_K0 = 11;
export const H_K1 = 12;
export const H_LOCK_TIMEOUT = 13;
/** Agents attached; 0 once the last one closed (the map can no longer be attached). */
export const H_ATTACHED = 14;
/** Attachments made so far: the serial part of an agent's id. */
export const H_SERIAL = 15;
/** A random id of the map, also stamped after the elements and the buckets. */
export const H_MAP_ID = 26; // two words
// Resize state (rhash): written at the start and end of a resize only.
/** Even when no resize runs; +1 when one starts, +1 when it ends. */
export const H_SEQ = 16;
/** The table: see {@linkcode encodeTable}. */
export const H_TBL = 17;
/** The future table while a resize runs, else -1. */
export const H_FUTURE = 18;
/** 0, or the agent id + 1 of the agent running the resize. */
export const H_RESIZER = 19;
/** The next old bucket to move. */
export const H_PROGRESS = 20;
/** Region ids: bumped each time a region starts a new table. */
export const H_RID = 21; // two words
export const H_GROWS = 23;
export const H_SHRINKS = 24;
export const H_MOVED = 25;
/** Live entries. */
export const H_COUNT = 32;
/** Elements handed out from the never-used tail of the element buffer. */
export const H_BUMP = 48;
/** The first agent slot. */
export const H_AGENTS = 64;
/** Words of an agent slot (a cache line). */
export const AGENT_WORDS = 16;
/** Header words. */
export const HEADER_WORDS = H_AGENTS + MAX_AGENTS * AGENT_WORDS;

// Agent slot words.
/**
 * 0 free; the attached agent's id (see {@linkcode agentId}); -1 while another agent recovers it.
 * An agent checks it on every call, so one recovered while still running gets `EBADF`.
 */
export const A_STATE = 0;
/** Head of the agent's free list (an element), or {@linkcode FREE_END}. */
export const A_FREE = 1;
/** Lock of that list: 0 or the holder's agent id + 1 (other agents take from it when out). */
export const A_FREE_LOCK = 2;
/** The write in progress, for recovery: {@linkcode OP_INSERT}, ... or 0. */
export const A_OP = 3;
/** The element the write allocated, unlinks or deletes. */
export const A_ELEM = 4;
/** 1 while the count is off by the write in progress (an insert's reservation, a delete). */
export const A_COUNTED = 6;
/** A resize step: the element being moved, or -1. */
export const A_MOVE_ELEM = 7;
/** Its predecessor on the old chain, or -1 when it is first. */
export const A_MOVE_PREV = 8;
/** Its old bucket. */
export const A_MOVE_BUCKET = 9;

export const OP_INSERT = 1;
export const OP_DELETE = 3;

export const KIND_HTAB = 1;
export const KIND_RHASH = 2;
export const HASH_SIP = 1;
export const HASH_MURMUR = 2;

// Elements, in an Int32Array over the element buffer: every element's key record first (read by
// every lookup, written only when the element is linked, unlinked, moved or reused), then every
// element's value record (written by updates). An update writes only its own value record, so
// lookups and updates of other keys on other cores never wait for its cache line.
/** Next element on the chain, or a chain end ({@linkcode nulls}), or the next free element. */
export const E_NEXT = 0;
/** The key's hash. */
export const E_HASH = 1;
/** Even while linked and stable; odd while free or being filled (readers retry). */
export const E_GEN = 2;
/** The key's words. */
export const E_KEY = 3;
/**
 * Value record word 0: the value's lock (`BPF_F_LOCK`'s `bpf_spin_lock`): 0 or the holder's
 * agent id. Every update of a present key holds it while it copies, so stored values are whole.
 */
export const V_LOCK = 0;
/**
 * Value record word 1: the value's version. A value has two copies; the live one is copy
 * `version & 1`. A consistent update (every htab update, rhash's `F_LOCK` ones) writes the other
 * copy and then moves the version on, so a reader copies a whole value whatever a writer does,
 * and a writer that dies mid-copy leaves the live value as it was - the kernel htab's new
 * element and pointer swap, without allocating. A plain rhash update copies over the live copy
 * in place, as the kernel's rhash.
 */
export const V_SEQ = 1;
/** Value record word 2 on: the value's two copies, each padded to a word. */
export const V_VALUE = 2;

/**
 * Words of a key record.
 *
 * @param keySize Key bytes.
 * @returns The stride.
 */
export function keyStrideOf(keySize: number): number {
  return E_KEY + Math.ceil(keySize / 4);
}

/**
 * Words of a value record.
 *
 * @param valueSize Value bytes.
 * @returns The stride.
 */
export function valueStrideOf(valueSize: number): number {
  return V_VALUE + 2 * Math.ceil(valueSize / 4);
}

/**
 * Bytes of the element buffer before its stamp.
 *
 * @param capacity Elements.
 * @param keySize Key bytes.
 * @param valueSize Value bytes.
 * @returns Bytes.
 */
export function elementBytesOf(capacity: number, keySize: number, valueSize: number): number {
  return capacity * (keyStrideOf(keySize) + valueStrideOf(valueSize)) * 4;
}

/** The end of a free list; never a chain end. */
export const FREE_END = -0x7fff_ffff;
/** The head of an old bucket whose chain moved to the future table. */
export const MOVED = -0x7fff_fffe;
/**
 * The link of an element freed while an update still held its value lock past the lock wait:
 * not reused until that lock is released (by the holder, or by `recover`), then freed.
 */
export const ORPHAN = -0x7fff_fffd;
/** Most buckets a region holds: chain ends of every bucket stay above {@linkcode MOVED}. */
export const BUCKETS_MAX = 1 << 28;

/**
 * The end of bucket `b`'s chain in `region` (the kernel's nulls marker): a reader that ends
 * anywhere else was moved off its chain and starts again.
 *
 * @param b The bucket.
 * @param region 0 or 1.
 * @returns A negative word.
 */
export function nulls(b: number, region: number): number {
  return ~(b * 2 + region);
}

/**
 * A table as one word: the region it lives in, log2 of its buckets, and the region's id when
 * it was made (a writer holding an older word sees it is stale).
 *
 * @param rid The region's id.
 * @param log2 log2 of the buckets.
 * @param region 0 or 1.
 * @returns The word.
 */
export function encodeTable(rid: number, log2: number, region: number): number {
  return (rid & 0xff_ffff) << 6 | log2 << 1 | region;
}

/** What a structured clone of a shared table carries to another agent. */
export interface SharedHandle {
  /** Always `"kvkit-shared-table"`. */
  readonly kind: string;
  /** The backend: `"htab"` or `"rhash"`. */
  readonly backend: string;
  /** Header: parameters, resize state, counters, agent slots. */
  readonly header: SharedArrayBuffer;
  /** Elements: links, hashes, generations, locks, keys and values. */
  readonly elements: SharedArrayBuffer;
  /** Buckets: one region (htab) or two (rhash: the table and the future table). */
  readonly buckets: SharedArrayBuffer;
}

/**
 * An agent's id, what its locks hold: its slot and the serial of its attachment, so an agent
 * that reuses a slot never owns what an earlier one in that slot held.
 *
 * @param serial The map's attachment count when it attached.
 * @param slot Its slot, 0..{@linkcode MAX_AGENTS} - 1.
 * @returns A positive int32.
 */
export function agentId(serial: number, slot: number): number {
  return ((serial & 0xff_ffff) << 6 | slot) + 1;
}

/**
 * The slot of an agent id.
 *
 * @param id An id from {@linkcode agentId}.
 * @returns The slot.
 */
export function slotOf(id: number): number {
  return (id - 1) & (MAX_AGENTS - 1);
}

/** Bytes after the elements and after the buckets: the map's id, so buffers of two maps never mix. */
export const STAMP_BYTES = 8;

/** The handle's kind. */
export const HANDLE_KIND = "kvkit-shared-table";

/** Parameters fixed at creation, read from the header once an agent attaches. */
export interface Params {
  kind: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  capacity: number;
  maxBuckets: number;
  firstBuckets: number;
  hash: number;
  seed: number;
  k0: number;
  k1: number;
  lockTimeout: number;
}

/**
 * Regions of a kind: htab's one table, rhash's table and future table.
 *
 * @param kind {@linkcode KIND_HTAB} or {@linkcode KIND_RHASH}.
 * @returns 1 or 2.
 */
export function regionsOf(kind: number): number {
  return kind === KIND_HTAB ? 1 : 2;
}

function bad(what: string): never {
  throw new StoreError("EINVAL", `not a shared table handle: ${what}`);
}

const HANDLE_KEYS = ["backend", "buckets", "elements", "header", "kind"];

/**
 * Checks a handle from another agent and reads its parameters: the shape, the buffers' types,
 * sizes and map id, and every parameter's range, so nothing after reads out of bounds.
 *
 * @param handle What the caller passed as `attach`.
 * @param backend The backend attaching (`"htab"` or `"rhash"`).
 * @returns The parameters, and the handle's fields as read (once).
 * @throws {StoreError} `EINVAL` for anything that is not a live map of this backend.
 */
export function readHandle(
  handle: unknown,
  backend: string,
): { params: Params; handle: SharedHandle } {
  if (typeof handle !== "object" || handle === null) {
    bad(`got ${handle === null ? "null" : typeof handle}`);
  }
  const proto = Object.getPrototypeOf(handle);
  if (proto !== Object.prototype && proto !== null) bad("not a plain object");
  const keys = Object.keys(handle).sort();
  if (keys.join() !== HANDLE_KEYS.join()) bad(`fields ${keys.join(", ")}`);
  // Each field read once (a getter could answer differently later).
  const { kind: handleKind, backend: handleBackend, header, elements, buckets } =
    handle as SharedHandle;
  if (handleKind !== HANDLE_KIND) bad(`kind ${String(handleKind)}`);
  if (handleBackend !== backend) bad(`a ${String(handleBackend)} map given to ${backend}`);
  for (const b of [header, elements, buckets]) {
    if (!(b instanceof SharedArrayBuffer)) bad("a buffer is not a SharedArrayBuffer");
  }
  if (header.byteLength !== HEADER_WORDS * 4) bad("header of the wrong size");
  const w = new Int32Array(header);
  if (w[H_MAGIC] !== MAGIC || w[H_VERSION] !== VERSION) bad("header magic or version");
  const kind = w[H_KIND]!;
  if (kind !== (backend === "htab" ? KIND_HTAB : KIND_RHASH)) bad("kind word");
  const p: Params = {
    kind,
    keySize: w[H_KEY_SIZE]!,
    valueSize: w[H_VALUE_SIZE]!,
    maxEntries: w[H_MAX_ENTRIES]!,
    capacity: w[H_CAPACITY]!,
    maxBuckets: w[H_MAX_BUCKETS]!,
    firstBuckets: w[H_FIRST_BUCKETS]!,
    hash: w[H_HASH]!,
    seed: w[H_SEED]!,
    k0: w[H_K0]!,
    k1: w[H_K1]!,
    lockTimeout: w[H_LOCK_TIMEOUT]!,
  };
  const pow2 = (n: number) => n > 0 && (n & (n - 1)) === 0;
  if (
    !(p.keySize >= 1 && p.keySize <= 65535 && p.valueSize >= 1 && p.valueSize <= 1 << 24) ||
    !(p.maxEntries >= 1 && p.capacity === p.maxEntries + MAX_AGENTS) ||
    !(pow2(p.maxBuckets) && p.maxBuckets <= BUCKETS_MAX && pow2(p.firstBuckets)) ||
    p.firstBuckets > p.maxBuckets || (p.hash !== HASH_SIP && p.hash !== HASH_MURMUR) ||
    !(p.lockTimeout >= 1 && p.lockTimeout <= 600_000)
  ) {
    bad("parameters out of range");
  }
  if (elements.byteLength !== elementBytesOf(p.capacity, p.keySize, p.valueSize) + STAMP_BYTES) {
    bad("elements of the wrong size");
  }
  if (buckets.byteLength !== regionsOf(kind) * p.maxBuckets * 8 + STAMP_BYTES) {
    bad("buckets of the wrong size");
  }
  for (const buffer of [elements, buckets]) {
    const stamp = new Int32Array(buffer, buffer.byteLength - STAMP_BYTES, 2);
    if (stamp[0] !== w[H_MAP_ID] || stamp[1] !== w[H_MAP_ID + 1]) bad("buffers of another map");
  }
  if (Atomics.load(w, H_ATTACHED) <= 0) bad("the map was closed by every agent");
  return { params: p, handle: { kind: HANDLE_KIND, backend, header, elements, buckets } };
}
