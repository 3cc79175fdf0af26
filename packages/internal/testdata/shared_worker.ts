// A Worker for shared_table_workers_test.ts: attaches to a shared htab or rhash and runs the
// test's loops on it (inserts, fill writes and reads, updates, churn, probes, a write blocked at
// a SHARED_HOOKS step). Runs as a web Worker (Deno, Bun) or under node:worker_threads.

import { serveWorker } from "@kvkit/conformance/testing";
import { openStore } from "@kvkit/backends";
import { ANY, EXIST, F_LOCK, isStoreError, NOEXIST, type Store } from "@kvkit/store";
import { SHARED_HOOKS } from "../_shared_hooks.ts";
import {
  CTL_BLOCKED,
  CTL_DONE,
  CTL_KILL,
  CTL_PARKED,
  CTL_PROGRESS,
  CTL_STOP,
  isValueOf,
  isWhole,
  keyInto,
  VALUE_SIZE,
  valueInto,
} from "./shared_data.ts";

/** The SHARED_HOOKS steps, in the order CTL_PARKED numbers them. */
export const STEPS: readonly string[] = [
  "insert:linked",
  "update:copying",
  "delete:unlinked",
  "resize:moving",
];

/** A write or read the test names. */
export type Op = "insert" | "set" | "setLock" | "delete" | "get" | "getLock";

/** When a loop stops: after `ms`, or once `ctl[CTL_DONE] >= done`, or when `ctl[CTL_STOP]` is set. */
export interface Until {
  readonly ctl: Int32Array;
  readonly ms?: number;
  readonly done?: number;
}

export type Command =
  | { cmd: "attach"; backend: "htab" | "rhash"; handle: unknown; unlocked?: boolean }
  | { cmd: "insert"; from: number; count: number; ctl: Int32Array }
  | {
    cmd: "fills";
    id: number;
    fills: readonly [number, number];
    locked: boolean;
    role: "both" | "write" | "read";
    until: Until;
  }
  | { cmd: "update"; ids: number[]; until: Until }
  | { cmd: "readAll"; ids: number[]; until: Until }
  | { cmd: "churn"; ids: number[]; seed: number; until: Until }
  | { cmd: "probe"; ids: number[]; op: Op }
  | { cmd: "blockAt"; where: string; op: Op; ids: number[]; ctl: Int32Array }
  | { cmd: "writeLoop"; ids: number[]; seed: number; ctl: Int32Array }
  | { cmd: "deleteIds"; ids: number[] }
  | { cmd: "op"; op: Op; id: number; gen?: number }
  | { cmd: "close" };

let store: Store | undefined;
const key = new Uint8Array(8);
const value = new Uint8Array(VALUE_SIZE);
const out = new Uint8Array(VALUE_SIZE);

function s(): Store {
  if (store === undefined) throw new Error("attach first");
  return store;
}

// Checked every few iterations: a load of the shared stop cell and, when timed, the clock.
function stopped(u: Until, start: number): boolean {
  if (Atomics.load(u.ctl, CTL_STOP) !== 0) return true;
  if (u.done !== undefined && Atomics.load(u.ctl, CTL_DONE) >= u.done) return true;
  return u.ms !== undefined && Date.now() - start >= u.ms;
}

// xorshift32: the same sequence for a seed on every runtime.
function random(seed: number): () => number {
  let x = seed | 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x1_0000_0000;
  };
}

/** Runs one operation on the key of `id`; returns what a get saw or whether it changed. */
function runOp(op: Op, id: number, gen = 0): unknown {
  const st = s();
  keyInto(id, key);
  switch (op) {
    case "insert":
      st.set(key, valueInto(id, value, gen), NOEXIST);
      return true;
    case "set":
      st.set(key, valueInto(id, value, gen), ANY);
      return true;
    case "setLock":
      st.set(key, valueInto(id, value, gen), EXIST | F_LOCK);
      return true;
    case "delete":
      return st.delete(key);
    case "get":
      return st.getInto(key, out, 0) ? isValueOf(id, out) ?? "torn" : "absent";
    case "getLock":
      return st.getInto(key, out, 0, F_LOCK) ? isValueOf(id, out) ?? "torn" : "absent";
  }
}

function run(c: Command): unknown {
  switch (c.cmd) {
    case "attach": {
      store?.close();
      SHARED_HOOKS.unlocked = c.unlocked === true;
      SHARED_HOOKS.step = undefined;
      store = openStore(c.backend, { attach: c.handle });
      return { agent: (store as unknown as { agent: number }).agent };
    }
    case "insert": {
      // Disjoint ids, each with its own value; counts itself done for the others' loops.
      const st = s();
      for (let id = c.from; id < c.from + c.count; id++) {
        st.set(keyInto(id, key), valueInto(id, value), NOEXIST);
      }
      Atomics.add(c.ctl, CTL_DONE, 1);
      return { inserted: c.count };
    }
    case "fills": {
      // Every write fills all 64 bytes with one byte (alternating two): a read mixing two
      // writes is torn.
      const st = s();
      keyInto(c.id, key);
      const wflags = c.locked ? EXIST | F_LOCK : EXIST;
      const rflags = c.locked ? F_LOCK : 0;
      const start = Date.now();
      let writes = 0, reads = 0, torn = 0, absent = 0;
      const seen = new Set<number>();
      for (let n = 0; !(n % 64 === 0 && stopped(c.until, start)); n++) {
        if (c.role !== "read") {
          value.fill(c.fills[writes & 1]!);
          st.set(key, value, wflags);
          writes++;
        }
        if (c.role !== "write") {
          if (!st.getInto(key, out, 0, rflags)) absent++;
          else if (!isWhole(out)) torn++;
          else seen.add(out[0]!);
          reads++;
        }
      }
      return { writes, reads, torn, absent, fills: [...seen].sort((a, b) => a - b) };
    }
    case "update": {
      // Plain updates of present keys, each a whole new generation of the key's value.
      const st = s();
      const start = Date.now();
      let writes = 0;
      for (let gen = 1; !stopped(c.until, start); gen = (gen + 1) & 0xff) {
        for (const id of c.ids) {
          st.set(keyInto(id, key), valueInto(id, value, gen), EXIST);
          writes++;
        }
      }
      return { writes };
    }
    case "readAll": {
      // Plain reads of keys that are present throughout: never absent, never torn.
      const st = s();
      const start = Date.now();
      let reads = 0, missing = 0, torn = 0;
      const gens = new Set<number>();
      while (!stopped(c.until, start)) {
        for (const id of c.ids) {
          if (!st.getInto(keyInto(id, key), out, 0)) missing++;
          else {
            const gen = isValueOf(id, out);
            if (gen === undefined) torn++;
            else gens.add(gen);
          }
          reads++;
        }
      }
      return { reads, missing, torn, generations: gens.size };
    }
    case "churn": {
      // Inserts (NOEXIST) and deletes of ids the other Worker churns too.
      const st = s();
      const rnd = random(c.seed);
      const start = Date.now();
      let inserts = 0, deletes = 0, clashes = 0;
      for (let n = 0; !(n % 64 === 0 && stopped(c.until, start)); n++) {
        const id = c.ids[Math.floor(rnd() * c.ids.length)]!;
        keyInto(id, key);
        if (rnd() < 0.5) {
          try {
            st.set(key, valueInto(id, value), NOEXIST);
            inserts++;
          } catch (err) {
            if (!isStoreError(err, "EEXIST")) throw err;
            clashes++;
          }
        } else if (st.delete(key)) deletes++;
      }
      return { inserts, deletes, clashes };
    }
    case "probe": {
      // Runs `op` on each id until one answers EBUSY (a lock held by a dead agent).
      for (const id of c.ids) {
        const start = Date.now();
        try {
          runOp(c.op, id, 7);
        } catch (err) {
          if (!isStoreError(err, "EBUSY")) throw err;
          return { busy: id, message: err.message, ms: Date.now() - start };
        }
      }
      return { busy: -1 };
    }
    case "blockAt": {
      // Blocks for good at the step `where` (locks held, the write half done) until terminated;
      // short waits, so terminate() gets through on every runtime.
      const ctl = c.ctl;
      SHARED_HOOKS.step = (where) => {
        if (where !== c.where) return;
        SHARED_HOOKS.step = undefined;
        Atomics.store(ctl, CTL_BLOCKED, 1);
        Atomics.notify(ctl, CTL_BLOCKED);
        while (Atomics.load(ctl, CTL_STOP) === 0) Atomics.wait(ctl, CTL_STOP, 0, 20);
        throw new Error(`released at ${where}`);
      };
      try {
        for (const id of c.ids) {
          runOp(c.op, id, 9);
          Atomics.add(ctl, CTL_PROGRESS, 1);
        }
      } finally {
        SHARED_HOOKS.step = undefined;
      }
      return { reached: false };
    }
    case "writeLoop": {
      // Random inserts, updates (plain and F_LOCK) and deletes until terminated. Once
      // ctl[CTL_KILL] is set it parks for good at its next hook step (inside a write, locks
      // held) or operation: where terminate() takes seconds to stop a busy Worker (Deno), the
      // test parks it first, so it writes nothing while recover() runs.
      const st = s();
      const rnd = random(c.seed);
      const ctl = c.ctl;
      // CTL_PARKED: 1 between operations, 2 + the step's index inside a write.
      const park = (where?: string): never => {
        Atomics.store(ctl, CTL_PARKED, where === undefined ? 1 : 2 + STEPS.indexOf(where));
        for (;;) Atomics.wait(ctl, CTL_STOP, 0, 20);
      };
      SHARED_HOOKS.step = (where) => {
        if (Atomics.load(ctl, CTL_KILL) !== 0) park(where);
      };
      for (;;) {
        if (Atomics.load(ctl, CTL_KILL) !== 0) park();
        const id = c.ids[Math.floor(rnd() * c.ids.length)]!;
        keyInto(id, key);
        const r = rnd();
        try {
          if (r < 0.45) st.set(key, valueInto(id, value, Atomics.load(ctl, CTL_PROGRESS)), ANY);
          else if (r < 0.6) st.set(key, valueInto(id, value, 3), EXIST | F_LOCK);
          else st.delete(key);
        } catch (err) {
          if (!isStoreError(err, "ENOENT")) throw err;
        }
        Atomics.add(ctl, CTL_PROGRESS, 1);
      }
    }
    case "deleteIds": {
      const st = s();
      let deleted = 0;
      for (const id of c.ids) if (st.delete(keyInto(id, key))) deleted++;
      return { deleted };
    }
    case "op":
      return runOp(c.op, c.id, c.gen);
    case "close":
      store?.close();
      store = undefined;
      return null;
  }
}

serveWorker(run);
