// Per-key sequence counters (seqlock) in the control region. A writer moves the counter from
// even to odd with compareExchange (so writers also exclude each other), writes, then stores
// the next even value. A reader samples the counter before and after reading and retries when
// it was odd or changed, so it never returns a value that is half old, half new.

import { StoreError } from "@kvkit/store";
import { CTRL_SEQ } from "./layout.ts";

// How long a thread spins on a key held by another before giving up with EBUSY: long enough
// for a descheduled writer on a busy machine, short enough to report a writer that died.
const SPIN_LIMIT_MS = 2000;
// Spins between clock reads, so the clock is off the fast path.
const SPINS_PER_CHECK = 1024;

/** Called on every failed attempt; throws EBUSY once the spin limit has passed. */
export function backoff(spins: number, started: number, key: number): number {
  if (spins % SPINS_PER_CHECK !== 0) return started;
  const now = Date.now();
  if (spins === 0) return now;
  if (now - started > SPIN_LIMIT_MS) {
    throw new StoreError("EBUSY", `key ${key} held by a writer for over ${SPIN_LIMIT_MS} ms`);
  }
  return started;
}

/** Takes the writer side of `key`'s counter; returns the even value it held. */
export function lockKey(ctrl: Int32Array, key: number): number {
  const idx = CTRL_SEQ + key;
  let started = 0;
  for (let spins = 0;; spins++) {
    const s = Atomics.load(ctrl, idx);
    if ((s & 1) === 0 && Atomics.compareExchange(ctrl, idx, s, (s + 1) | 0) === s) return s;
    started = backoff(spins, started, key);
  }
}

/** Releases `key` taken at even value `s`: readers that overlapped see a new value and retry. */
export function unlockKey(ctrl: Int32Array, key: number, s: number): void {
  Atomics.store(ctrl, CTRL_SEQ + key, (s + 2) | 0);
}
