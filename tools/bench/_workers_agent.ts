/**
 * A Worker of `shared_workers.ts`: runs one kind of store (a pool of Workers per kind, so
 * every call site here sees one store class and stays monomorphic) in timed loops that start
 * together on a `SharedArrayBuffer` barrier, or owns a partition of the keys in a `Map` and
 * answers `postMessage` requests. A web Worker on Deno and Bun, a `node:worker_threads` Worker
 * on Node (see `_workers_spawn.ts`).
 *
 * @module
 */

import SharedMapModule from "sharedmap";
import * as htabModule from "@kvkit/htab";
import * as rhashModule from "@kvkit/rhash";
import { ANY, F_LOCK } from "@kvkit/store";
import {
  CHUNK,
  type Command,
  CTL_GO,
  CTL_STOP,
  keyNumber,
  keyString,
  type OwnCommand,
  type PostRequest,
  type Reply,
  type RunCommand,
  shuffledRange,
  slice,
  valueBytes,
  valueString,
} from "./_workers_protocol.ts";

/** What the loops need of a store: the contract's hot paths. */
interface HotStore {
  getInto(key: Uint8Array, out: Uint8Array, offset?: number, flags?: number): boolean;
  set(key: Uint8Array, value: Uint8Array, flags?: number): void;
  close(): void;
}

/** The part of sharedmap's API used here (its typings declare a named class it does not export). */
interface SharedMapLike {
  get(key: string): string | undefined;
  set(key: string, value: string): void;
}

interface SharedClass {
  new (options: { keySize: number; valueSize: number; maxEntries: number }): HotStore;
  attach(handle: unknown): HotStore;
}

const port = ((): { post(m: Reply): void; listen(f: (m: Command) => void): void } => {
  const g = globalThis as unknown as {
    __kvkitBenchPort?: {
      postMessage(m: unknown): void;
      on(e: string, f: (m: Command) => void): void;
    };
    postMessage(m: unknown): void;
    onmessage: ((e: { data: Command }) => void) | null;
  };
  const node = g.__kvkitBenchPort;
  if (node !== undefined) {
    return { post: (m) => node.postMessage(m), listen: (f) => node.on("message", f) };
  }
  return { post: (m) => g.postMessage(m), listen: (f) => (g.onmessage = (e) => f(e.data)) };
})();

/** Values read are summed here, so the JIT cannot drop the reads. */
let sink = 0;

const stores = new Map<string, HotStore | SharedMapLike>();

function storeOf(c: RunCommand, words: Uint32Array): HotStore | SharedMapLike {
  const known = stores.get(c.storeId);
  if (known !== undefined) return known;
  let store: HotStore | SharedMapLike;
  const options = {
    keySize: 8,
    valueSize: c.valueSize,
    maxEntries: Math.max(words.length >> 1, 1 << 14),
  };
  switch (c.kind) {
    case "shared-htab":
    case "shared-rhash":
    case "htab":
    case "rhash": {
      let s: HotStore;
      if (c.kind === "shared-htab" || c.kind === "shared-rhash") {
        const mod = (c.kind === "shared-htab" ? htabModule : rhashModule) as Record<
          string,
          unknown
        >;
        const cls = mod[c.kind === "shared-htab" ? "SharedHtab" : "SharedRhash"] as
          | SharedClass
          | undefined;
        if (cls === undefined) throw new Error(`${c.kind}: not exported yet`);
        // No handle: a shared map of this Worker's own (the diagnostic "one per Worker" rows).
        if (c.handle !== undefined) {
          store = cls.attach(c.handle);
          break;
        }
        s = new cls(options);
      } else {
        // A private map, the same one each Worker of the run builds for itself.
        s = c.kind === "htab" ? new htabModule.Htab(options) : new rhashModule.Rhash(options);
      }
      const key = new Uint8Array(8);
      const key32 = new Uint32Array(key.buffer);
      const value = valueBytes(c.valueSize, 0);
      for (let i = 0; i < words.length >> 1; i++) {
        key32[0] = words[2 * i]!;
        key32[1] = words[2 * i + 1]!;
        s.set(key, value);
      }
      store = s;
      break;
    }
    case "sharedmap": {
      // It crosses postMessage as a plain object over its SharedArrayBuffer; its README says
      // to restore the prototype.
      const cls = ((SharedMapModule as unknown as { default?: unknown }).default ??
        SharedMapModule) as { prototype: object };
      store = Object.setPrototypeOf(c.handle as object, cls.prototype) as SharedMapLike;
      break;
    }
  }
  stores.set(c.storeId, store);
  return store;
}

// The order of this Worker's keys, as the key words themselves (no indirection in the loop).
function orderWords(words: Uint32Array, order: Uint32Array): Uint32Array {
  const out = new Uint32Array(2 * order.length);
  for (let j = 0; j < order.length; j++) {
    out[2 * j] = words[2 * order[j]!]!;
    out[2 * j + 1] = words[2 * order[j]! + 1]!;
  }
  return out;
}

/**
 * One loop per operation and store family; each returns the operations done until the stop
 * word reads `epoch` or the clock passes `until`, at least one chunk (a Worker the scheduler
 * woke after the stop still measures something).
 */
function lookups(
  store: HotStore,
  ord: Uint32Array,
  out: Uint8Array,
  flags: number,
  ctl: Int32Array,
  epoch: number,
  until: number,
): number {
  const key = new Uint8Array(8);
  const key32 = new Uint32Array(key.buffer);
  const end = ord.length;
  let p = 0, ops = 0, s = 0, miss = 0;
  do {
    for (let j = 0; j < CHUNK; j++) {
      key32[0] = ord[p]!;
      key32[1] = ord[p + 1]!;
      if (store.getInto(key, out, 0, flags)) s += out[0]!;
      else miss++;
      if ((p += 2) === end) p = 0;
    }
    ops += CHUNK;
  } while (Atomics.load(ctl, CTL_STOP) !== epoch && performance.now() < until);
  // A lookup that misses a present key is a broken store, not a fast one.
  if (miss !== 0) throw new Error(`${miss} present keys not found`);
  sink ^= s;
  return ops;
}

function updates(
  store: HotStore,
  ord: Uint32Array,
  values: readonly Uint8Array[],
  flags: number,
  ctl: Int32Array,
  epoch: number,
  until: number,
): number {
  const key = new Uint8Array(8);
  const key32 = new Uint32Array(key.buffer);
  const end = ord.length;
  let p = 0, ops = 0, round = 0;
  do {
    for (let j = 0; j < CHUNK; j++) {
      key32[0] = ord[p]!;
      key32[1] = ord[p + 1]!;
      store.set(key, values[round & 1]!, flags);
      if ((p += 2) === end) {
        p = 0;
        round++;
      }
    }
    ops += CHUNK;
  } while (Atomics.load(ctl, CTL_STOP) !== epoch && performance.now() < until);
  return ops;
}

function mapLookups(
  map: SharedMapLike,
  keys: readonly string[],
  ctl: Int32Array,
  epoch: number,
  until: number,
): number {
  const end = keys.length;
  let p = 0, ops = 0, s = 0, miss = 0;
  do {
    for (let j = 0; j < CHUNK; j++) {
      const v = map.get(keys[p]!);
      if (v === undefined) miss++;
      else s += v.charCodeAt(0);
      if (++p === end) p = 0;
    }
    ops += CHUNK;
  } while (Atomics.load(ctl, CTL_STOP) !== epoch && performance.now() < until);
  if (miss !== 0) throw new Error(`sharedmap: ${miss} present keys not found`);
  sink ^= s;
  return ops;
}

function mapUpdates(
  map: SharedMapLike,
  keys: readonly string[],
  values: readonly string[],
  ctl: Int32Array,
  epoch: number,
  until: number,
): number {
  const end = keys.length;
  let p = 0, ops = 0, round = 0;
  do {
    for (let j = 0; j < CHUNK; j++) {
      map.set(keys[p]!, values[round & 1]!);
      if (++p === end) {
        p = 0;
        round++;
      }
    }
    ops += CHUNK;
  } while (Atomics.load(ctl, CTL_STOP) !== epoch && performance.now() < until);
  return ops;
}

function run(c: RunCommand): void {
  const words = new Uint32Array(c.keys);
  const n = words.length >> 1;
  const store = storeOf(c, words);
  const ctl = new Int32Array(c.ctl);
  // Lookups: every key, in this Worker's own order; updates: this Worker's slice only.
  const [start, end] = c.op === "lookup" ? [0, n] : slice(n, c.index, c.workers);
  const order = shuffledRange(start, end, c.index);
  const flags = c.lock ? F_LOCK : ANY;
  let go: (until: number) => number;
  if (c.kind === "sharedmap") {
    const map = store as SharedMapLike;
    const keys = Array.from(order, (i) => keyString(words, i));
    const values = [valueString(c.valueSize, 0), valueString(c.valueSize, 1)];
    go = c.op === "lookup"
      ? (until) => mapLookups(map, keys, ctl, c.epoch, until)
      : (until) => mapUpdates(map, keys, values, ctl, c.epoch, until);
  } else {
    const s = store as HotStore;
    const ord = orderWords(words, order);
    const out = new Uint8Array(c.valueSize);
    const values = [valueBytes(c.valueSize, 0), valueBytes(c.valueSize, 1)];
    go = c.op === "lookup"
      ? (until) => lookups(s, ord, out, flags, ctl, c.epoch, until)
      : (until) => updates(s, ord, values, flags, ctl, c.epoch, until);
  }
  go(performance.now() + c.warmMs);
  port.post({ type: "ready" });
  // The barrier: every Worker of the run blocks here until the main thread flips the epoch.
  for (;;) {
    const v = Atomics.load(ctl, CTL_GO);
    if (v === c.epoch) break;
    Atomics.wait(ctl, CTL_GO, v, 50);
  }
  const t0 = performance.now();
  const ops = go(Infinity);
  port.post({ type: "done", ops, ms: performance.now() - t0 });
}

// The `post` kind: this Worker's partition, per value size.
const owned = new Map<number, Map<number, Uint8Array>>();

function own(c: OwnCommand): void {
  const words = new Uint32Array(c.keys);
  const map = new Map<number, Uint8Array>();
  for (let i = c.start; i < c.end; i++) map.set(keyNumber(words, i), valueBytes(c.valueSize, 0));
  owned.set(c.valueSize, map);
  port.post({ type: "ok", count: map.size });
}

function serve(r: PostRequest): void {
  const map = owned.get(r.valueSize)!;
  switch (r.type) {
    case "get":
      // The reply is cloned by postMessage: the requester gets its own copy, as from `get`.
      port.post({ type: "value", value: map.get(r.key) ?? null });
      return;
    case "set": {
      const v = map.get(r.key);
      if (v === undefined) map.set(r.key, r.value);
      else v.set(r.value);
      port.post({ type: "ok", count: 1 });
      return;
    }
    case "getBatch": {
      const out = new Uint8Array(r.keys.length * r.valueSize);
      let found = 0;
      for (let j = 0; j < r.keys.length; j++) {
        const v = map.get(r.keys[j]!);
        if (v !== undefined) {
          out.set(v, j * r.valueSize);
          found++;
        }
      }
      port.post({ type: "value", value: found === r.keys.length ? out : null });
      return;
    }
    case "setBatch": {
      for (let j = 0; j < r.keys.length; j++) {
        const v = r.values.subarray(j * r.valueSize, (j + 1) * r.valueSize);
        const old = map.get(r.keys[j]!);
        if (old === undefined) map.set(r.keys[j]!, v.slice());
        else old.set(v);
      }
      port.post({ type: "ok", count: r.keys.length });
      return;
    }
  }
}

port.listen((c) => {
  try {
    switch (c.type) {
      case "run":
        return run(c);
      case "own":
        return own(c);
      case "close":
        for (const s of stores.values()) if ("close" in s) s.close();
        stores.clear();
        owned.clear();
        port.post({ type: "ok", count: sink & 0 });
        return;
      default:
        return serve(c);
    }
  } catch (err) {
    port.post({
      type: "error",
      message: err instanceof Error ? err.stack ?? err.message : String(err),
    });
  }
});
