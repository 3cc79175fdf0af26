/**
 * The standard workloads, generic over the Store contract. Each prepares a {@linkcode Runner}
 * for a fitted, populated store; the harness times the runner. A workload a store cannot run
 * (no absent key left in its key range, say) returns the reason instead.
 *
 * @module
 */

import type { IterateOptions, Store } from "@kvkit/store";
import type { Fitted } from "./_fit.ts";
import { keyList, shuffledIndices } from "./_keys.ts";

/** Repeatable operations on one store; the harness times `run` and not `reset`. */
export interface Runner {
  /**
   * Performs up to `n` operations.
   *
   * @param n The operations asked for, at most {@linkcode Runner.maxRun}.
   * @returns The operations done (at least 1).
   */
  run(n: number): number;
  /** Untimed: undo what the runs since the last reset did (inserts, deletes). */
  reset?(): void;
  /** The most operations `run` can do between two resets. */
  readonly maxRun: number;
}

/** What a workload gets to prepare a runner. */
export interface PrepareContext {
  /** The fitted store. */
  readonly fitted: Fitted;
  /** Keys `0..present-1` are in the store. */
  readonly present: number;
  /** The values the store was filled with (the fitted length). */
  readonly values: Uint8Array[];
  /** The data set's seed. */
  readonly seed: number;
  /**
   * Query lists shared by the backends of a group that got the same keys (a 1M × 256 B list
   * is 256 MB; the stores copy keys, nobody writes to these).
   */
  readonly cache?: Map<string, Uint8Array[]>;
}

function cached(ctx: PrepareContext, id: string, make: () => Uint8Array[]): Uint8Array[] {
  if (ctx.cache === undefined) return make();
  const key = `${JSON.stringify(ctx.fitted.keys)}|${ctx.present}|${ctx.seed}|${id}`;
  let keys = ctx.cache.get(key);
  if (keys === undefined) ctx.cache.set(key, keys = make());
  return keys;
}

/**
 * The read paths of the contract a workload can measure, each its own row: a hot loop reads
 * with `getInto` into one reused buffer and may iterate with `entries({ reuse: true })`; the
 * copying `get` and `entries()` hand out a fresh array per result.
 */
export const PATHS = {
  /** `getInto(key, out)` into one reused output buffer. */
  getInto: "getInto",
  /** `get(key)`: a copy per lookup. */
  get: "get (copy)",
  /** `entries()`: a copied key and value per entry. */
  entries: "entries() (copy)",
  /** `entries({ reuse: true })`: the store may overwrite one tuple in place. */
  entriesReuse: "entries({reuse})",
} as const;

/** One standard workload. */
export interface Workload {
  /** The name used on the command line and in the JSON, e.g. `lookup-hit`. */
  readonly name: string;
  /** A short description for tables and charts. */
  readonly title: string;
  /** `ops`: timed, higher is better; `bytes`: bytes per entry, lower is better. */
  readonly metric: "ops" | "bytes";
  /**
   * The read paths measured, one row each, on the same store (see {@linkcode PATHS}); the
   * first is the headline (charts show it). Absent: one row, no path.
   */
  readonly paths?: readonly string[];
  /**
   * Prepares the runner.
   *
   * @param ctx The store and its data.
   * @param path One of {@linkcode Workload.paths} (the first when omitted).
   * @returns The runner, or why the store cannot run this workload.
   */
  prepare(ctx: PrepareContext, path?: string): Runner | string;
}

// Query lists are capped so a 1M-entry row still touches every entry once per pass.
const MAX_QUERIES = 1 << 20;
// Insert and delete runs undo themselves after this many operations.
const MAX_MUTATIONS = 1 << 16;
// Entries per lookupBatch call (the kernel's usual batch sizes are 64..1024).
const BATCH_COUNT = 64;

/** Values read back are consumed here so the JIT cannot drop the reads. */
export let sink = 0;

function presentKeys(ctx: PrepareContext, max: number, salt: number): Uint8Array[] {
  const n = Math.min(ctx.present, max);
  return cached(
    ctx,
    `present ${n} ${salt}`,
    () => keyList(ctx.fitted.keys, shuffledIndices(ctx.present, n, ctx.seed + salt), ctx.seed),
  );
}

function absentKeys(ctx: PrepareContext, max: number, salt: number): Uint8Array[] {
  const room = Math.max(0, Math.min(ctx.fitted.domain - ctx.present, max));
  return cached(ctx, `absent ${room} ${salt}`, () => {
    const order = shuffledIndices(room, room, ctx.seed + salt);
    for (let j = 0; j < order.length; j++) order[j]! += ctx.present;
    return keyList(ctx.fitted.keys, order, ctx.seed);
  });
}

// Runners are classes, not closures: V8 may compile a closure's run loop with its context
// (the store, the keys) embedded in the optimized code, which then pins the first group's
// data for the rest of the run. Instance fields die with the instance.

/**
 * Lookups of keys in a list, round and round: `getInto` into one reused output buffer (the
 * hot-loop read path) or, with `copy`, `get` (a copy per lookup). One class for both, the
 * choice made outside the loop, so the two rows time the same loop around their call.
 */
export class LookupRunner implements Runner {
  readonly maxRun = Infinity;
  readonly #store: Store;
  readonly #keys: Uint8Array[];
  readonly #out: Uint8Array;
  readonly #copy: boolean;
  #p = 0;

  /**
   * @param store The store.
   * @param keys The keys to look up, in order.
   * @param hit Whether they are all present (checked on the first 256: a wrong answer is a
   * broken store, not a slow one).
   * @param copy Look up with `get` (a copy each) instead of `getInto`.
   * @param valueLength The length of the stored values (the output buffer's).
   */
  constructor(store: Store, keys: Uint8Array[], hit: boolean, copy: boolean, valueLength: number) {
    // One buffer with room for the values, reused by every lookup.
    this.#out = new Uint8Array(Math.max(1, valueLength));
    for (let j = 0; j < Math.min(keys.length, 256); j++) {
      const found = copy ? store.get(keys[j]!) !== undefined : store.getInto(keys[j]!, this.#out);
      if (found !== hit) {
        throw new Error(
          `${store.backend}: ${copy ? "lookup" : "getInto"} of a ${
            hit ? "present" : "absent"
          } key disagrees`,
        );
      }
    }
    this.#store = store;
    this.#keys = keys;
    this.#copy = copy;
  }

  /** @inheritdoc */
  run(n: number): number {
    return this.#copy ? this.#runGet(n) : this.#runGetInto(n);
  }

  // Each path its own loop, in its own function: optimized on its own, as when they were two
  // classes.
  #runGetInto(n: number): number {
    const store = this.#store;
    const keys = this.#keys;
    const out = this.#out;
    let p = this.#p;
    let s = 0;
    for (let j = 0; j < n; j++) {
      if (store.getInto(keys[p]!, out)) s += out[0]!;
      if (++p === keys.length) p = 0;
    }
    this.#p = p;
    sink ^= s;
    return n;
  }

  #runGet(n: number): number {
    const store = this.#store;
    const keys = this.#keys;
    let p = this.#p;
    let s = 0;
    for (let j = 0; j < n; j++) {
      const v = store.get(keys[p]!);
      if (v !== undefined) s += v.length;
      if (++p === keys.length) p = 0;
    }
    this.#p = p;
    sink ^= s;
    return n;
  }
}

function lookupRunner(
  ctx: PrepareContext,
  keys: Uint8Array[],
  hit: boolean,
  path: string | undefined,
): Runner | string {
  const store = ctx.fitted.store;
  if (path === undefined || path === PATHS.getInto) {
    return new LookupRunner(store, keys, hit, false, ctx.fitted.value);
  }
  if (path === PATHS.get) return new LookupRunner(store, keys, hit, true, ctx.fitted.value);
  return `no path '${path}'`;
}

const LOOKUP_PATHS = [PATHS.getInto, PATHS.get] as const;

/** `getInto` (and, its own row, the copying `get`) of present keys in random order. */
export const lookupHit: Workload = {
  name: "lookup-hit",
  title: "lookup (hit)",
  metric: "ops",
  paths: LOOKUP_PATHS,
  prepare(ctx, path) {
    if (ctx.present === 0) return "no entries";
    return lookupRunner(ctx, presentKeys(ctx, MAX_QUERIES, 1), true, path);
  },
};

/** `getInto` (and `get`) of absent keys (valid for the store) in random order. */
export const lookupMiss: Workload = {
  name: "lookup-miss",
  title: "lookup (miss)",
  metric: "ops",
  paths: LOOKUP_PATHS,
  prepare(ctx, path) {
    const keys = absentKeys(ctx, MAX_QUERIES, 2);
    if (keys.length === 0) return "no absent key left in the key range";
    return lookupRunner(ctx, keys, false, path);
  },
};

/**
 * `set` of new keys (insert) or `delete` of present ones, each key once between resets; a
 * reset, untimed, undoes them (deletes what was inserted, puts back what was deleted).
 */
class MutationRunner implements Runner {
  readonly maxRun: number;
  readonly #store: Store;
  readonly #keys: Uint8Array[];
  readonly #values: Uint8Array[];
  readonly #insert: boolean;
  #p = 0;

  constructor(store: Store, keys: Uint8Array[], values: Uint8Array[], insert: boolean) {
    this.#store = store;
    this.#keys = keys;
    this.#values = values;
    this.#insert = insert;
    this.maxRun = keys.length;
  }

  run(n: number): number {
    const store = this.#store;
    const keys = this.#keys;
    const values = this.#values;
    let p = this.#p;
    const m = Math.min(n, keys.length - p);
    if (this.#insert) {
      for (let j = 0; j < m; j++, p++) store.set(keys[p]!, values[p & 3]!);
    } else {
      let gone = 0;
      for (let j = 0; j < m; j++, p++) if (store.delete(keys[p]!)) gone++;
      if (gone !== m) throw new Error(`${store.backend}: delete of a present key returned false`);
    }
    this.#p = p;
    return m;
  }

  reset(): void {
    const store = this.#store;
    for (let j = 0; j < this.#p; j++) {
      if (this.#insert) store.delete(this.#keys[j]!);
      else store.set(this.#keys[j]!, this.#values[j & 3]!);
    }
    this.#p = 0;
  }
}

/** `set` of new keys; each reset deletes them again. */
export const insert: Workload = {
  name: "insert",
  title: "insert",
  metric: "ops",
  prepare(ctx) {
    const keys = absentKeys(ctx, Math.min(MAX_MUTATIONS, ctx.fitted.capacity - ctx.present), 3);
    if (keys.length === 0) return "no room for new keys";
    return new MutationRunner(ctx.fitted.store, keys, ctx.values, true);
  },
};

class UpdateRunner implements Runner {
  readonly maxRun = Infinity;
  readonly #store: Store;
  readonly #keys: Uint8Array[];
  readonly #values: Uint8Array[];
  #p = 0;
  #round = 0;

  constructor(store: Store, keys: Uint8Array[], values: Uint8Array[]) {
    this.#store = store;
    this.#keys = keys;
    this.#values = values;
  }

  run(n: number): number {
    const store = this.#store;
    const keys = this.#keys;
    const values = this.#values;
    let p = this.#p;
    for (let j = 0; j < n; j++) {
      store.set(keys[p]!, values[(this.#round + p) & 3]!);
      if (++p === keys.length) {
        p = 0;
        this.#round++;
      }
    }
    this.#p = p;
    return n;
  }
}

/** In-place `set` of present keys with new values, every entry in turn ("full update"). */
export const update: Workload = {
  name: "update",
  title: "update (full)",
  metric: "ops",
  prepare(ctx) {
    if (ctx.present === 0) return "no entries";
    return new UpdateRunner(ctx.fitted.store, presentKeys(ctx, MAX_QUERIES, 4), ctx.values);
  },
};

/** `delete` of present keys; each reset puts them back. */
export const remove: Workload = {
  name: "delete",
  title: "delete",
  metric: "ops",
  prepare(ctx) {
    if (ctx.present === 0) return "no entries";
    return new MutationRunner(
      ctx.fitted.store,
      presentKeys(ctx, MAX_MUTATIONS, 5),
      ctx.values,
      false,
    );
  },
};

/**
 * `entries()` (or `entries({ reuse: true })`) one entry per operation; a finished walk starts
 * over. Exported for the contract table (./contract_table.ts).
 */
export class IterateRunner implements Runner {
  readonly maxRun = Infinity;
  readonly #store: Store;
  readonly #options: IterateOptions | undefined;
  #it: Iterator<[Uint8Array, Uint8Array]>;

  /**
   * @param store The store.
   * @param reuse Iterate with `{ reuse: true }`.
   */
  constructor(store: Store, reuse = false) {
    this.#store = store;
    this.#options = reuse ? { reuse: true } : undefined;
    this.#it = store.entries(this.#options);
  }

  /** @inheritdoc */
  run(n: number): number {
    let s = 0;
    for (let j = 0; j < n; j++) {
      let r = this.#it.next();
      if (r.done === true) {
        this.#it = this.#store.entries(this.#options);
        r = this.#it.next();
      }
      if (r.done !== true) s += r.value[1].length;
    }
    sink ^= s;
    return n;
  }
}

/** `entries()` and, its own row, `entries({ reuse: true })`: one operation is one entry. */
export const iterate: Workload = {
  name: "iterate",
  title: "iterate (per entry)",
  metric: "ops",
  paths: [PATHS.entries, PATHS.entriesReuse],
  prepare(ctx, path) {
    if (ctx.present === 0) return "no entries";
    if (path !== undefined && path !== PATHS.entries && path !== PATHS.entriesReuse) {
      return `no path '${path}'`;
    }
    return new IterateRunner(ctx.fitted.store, path === PATHS.entriesReuse);
  },
};

class BatchRunner implements Runner {
  readonly maxRun = Infinity;
  readonly #store: Store;
  #cursor: Uint8Array | undefined;

  constructor(store: Store) {
    this.#store = store;
  }

  run(n: number): number {
    let done = 0;
    while (done < n) {
      // A walk may end with an empty batch; only a fresh walk that finds nothing is wrong.
      const fresh = this.#cursor === undefined;
      const b = this.#store.lookupBatch(this.#cursor, BATCH_COUNT);
      done += b.keys.length;
      this.#cursor = b.cursor;
      if (fresh && b.keys.length === 0 && b.cursor === undefined) {
        throw new Error(
          `${this.#store.backend}: lookupBatch of a non-empty store returned nothing`,
        );
      }
    }
    return done;
  }
}

/** `lookupBatch(cursor, 64)` walks; one operation is one entry returned. */
export const batch: Workload = {
  name: "batch",
  title: "lookupBatch (per entry)",
  metric: "ops",
  prepare(ctx) {
    if (ctx.present === 0) return "no entries";
    return new BatchRunner(ctx.fitted.store);
  },
};

/**
 * Bytes per entry after building the data set and overwriting every value once (the seed's
 * "overwrite" memory row): `memoryUsage()` and, where GC can be forced, the heap growth.
 * The harness measures it; there is nothing to time.
 */
export const memory: Workload = {
  name: "memory",
  title: "memory (bytes/entry)",
  metric: "bytes",
  prepare() {
    return "memory is measured, not timed";
  },
};

/** Every standard workload, by name. */
export const WORKLOADS: ReadonlyMap<string, Workload> = new Map(
  [lookupHit, lookupMiss, insert, update, remove, iterate, batch, memory].map((w) => [w.name, w]),
);
