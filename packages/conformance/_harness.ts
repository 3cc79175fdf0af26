// What every check is built from: the assertions against the model, the operation runner and
// the fill helper. Internal; the checks and the `testing` entry use it.

import assert from "node:assert/strict";
import type { AnyBackend, Store } from "@kvkit/store";
import { hex, Model, observe, type Outcome, unhex } from "./_model.ts";
import { distinctKey, type Op, validValueLengths } from "./_arbitraries.ts";
import type { ConformanceConfig } from "./config.ts";

/** A fresh store of the configuration, its model, and the fast-check parameters. */
export function setup(backend: AnyBackend, config: ConformanceConfig): {
  open: () => Store;
  modelOf: (store: Store) => Model;
  fcParams: { numRuns: number; seed?: number };
} {
  const runs = config.runs ?? 60;
  return {
    open: (): Store => backend.create(config.options),
    modelOf: (store: Store): Model => new Model(store.capabilities, config.admit),
    fcParams: config.seed === undefined ? { numRuns: runs } : { numRuns: runs, seed: config.seed },
  };
}

export const value = (n: number, fill: number): Uint8Array => new Uint8Array(n).fill(fill & 0xff);

export function assertOutcome(actual: Outcome, expected: Outcome, what: string): void {
  if ("error" in expected) {
    assert.deepEqual(actual, expected, `${what}: expected ${expected.error}`);
  } else {
    assert.ok(!("error" in actual), `${what}: unexpected ${"error" in actual ? actual.error : ""}`);
    assert.deepEqual(actual.ok, expected.ok, `${what}: wrong result`);
  }
}

/**
 * Asserts that the store holds exactly what the model holds, in order for ordered stores,
 * through every read path, and that its own `checkValid` (when it has one) passes.
 */
export function assertSame(store: Store, model: Model, what: string): void {
  if (store.checkValid !== undefined) {
    try {
      store.checkValid();
    } catch (err) {
      assert.fail(`${what}: checkValid() failed: ${(err as Error)?.message ?? err}`);
    }
  }
  assert.equal(store.size, model.map.size, `${what}: size`);
  for (const [k, v] of model.map.values()) {
    assert.deepEqual(store.get(k), v, `${what}: value of key ${hex(k)}`);
    const out = new Uint8Array(v.length + 1).fill(SENTINEL);
    assert.equal(store.getInto(k, out, 1), true, `${what}: getInto of key ${hex(k)}`);
    assert.deepEqual(out.subarray(1), v, `${what}: getInto value of key ${hex(k)}`);
  }
  const listed = [...store.entries()];
  assert.equal(listed.length, model.map.size, `${what}: entries() count`);
  const expected = store.capabilities.ordered ? model.sorted() : [...model.map.values()];
  if (store.capabilities.ordered) {
    assert.deepEqual(listed.map(([k]) => hex(k)), expected.map(([k]) => hex(k)), `${what}: order`);
  } else {
    assert.deepEqual(
      new Set(listed.map(([k]) => hex(k))),
      new Set(expected.map(([k]) => hex(k))),
      `${what}: entries() keys`,
    );
  }
  for (const [k, v] of listed) assert.deepEqual(v, model.map.get(hex(k))?.[1], `${what}: entry`);
  assert.deepEqual([...store.keys()], listed.map(([k]) => k), `${what}: keys() = entries() keys`);
  assert.deepEqual(
    [...store.values()],
    listed.map(([, v]) => v),
    `${what}: values() = entries() values`,
  );
  assert.deepEqual([...store], listed, `${what}: [Symbol.iterator]() = entries()`);
  // The reusing walk: the same entries in the same order, each read before the next step.
  const reused: string[] = [];
  for (const [k, v] of store.entries({ reuse: true })) {
    reused.push(`${hex(k)}=${hex(v)}`);
    // The arrays a reusing walk yields are the caller's to scribble on, not the store's memory.
    k.fill(0xee);
    v.fill(0xee);
  }
  assert.deepEqual(
    reused,
    listed.map(([k, v]) => `${hex(k)}=${hex(v)}`),
    `${what}: entries({ reuse: true }) = entries()`,
  );
  for (const [k, v] of model.map.values()) {
    assert.deepEqual(store.get(k), v, `${what}: writing into reused arrays changed ${hex(k)}`);
  }
  const reusedKeys: string[] = [];
  for (const k of store.keys({ reuse: true })) reusedKeys.push(hex(k));
  assert.deepEqual(reusedKeys, listed.map(([k]) => hex(k)), `${what}: keys({ reuse: true })`);
}

/**
 * Iterates one of the store's iterators (reusing arrays or not), deleting the yielded keys
 * `remove` picks; `values()` yields no key to delete, so it only lists.
 */
export function iterateDeleting(
  store: Store,
  model: Model,
  how: "entries" | "keys" | "values" | "iterator",
  remove: readonly boolean[],
  reuse = false,
): void {
  const before = new Map([...model.map.values()].map(([k, v]) => [hex(k), hex(v)]));
  const label = `${how}(${reuse ? "{ reuse: true }" : ""})`;
  if (how === "values") {
    const seen: string[] = [];
    for (const v of store.values({ reuse })) seen.push(hex(v)); // read before the next step
    const expected = store.capabilities.ordered
      ? model.sorted().map(([, v]) => hex(v))
      : [...before.values()];
    if (!store.capabilities.ordered) seen.sort(), expected.sort();
    assert.deepEqual(seen, expected, `${label} lists every value once`);
    return;
  }
  const seen: string[] = [];
  const iterator: Iterable<Uint8Array | [Uint8Array, Uint8Array]> = how === "keys"
    ? store.keys({ reuse })
    : how === "entries"
    ? store.entries({ reuse })
    : store;
  for (const item of iterator) {
    const [key, value] = item instanceof Uint8Array ? [item, undefined] : item;
    const id = hex(key);
    assert.ok(before.has(id), `${label} yielded ${id}, which is not in the store`);
    assert.ok(!seen.includes(id), `${label} yielded ${id} twice`);
    if (value !== undefined) assert.equal(hex(value), before.get(id), `${label} value of ${id}`);
    if (remove[seen.length] === true) {
      assert.equal(store.delete(key), true, `delete of the yielded key ${id}`);
      model.map.delete(id);
    }
    seen.push(id);
  }
  assert.deepEqual(
    new Set(seen),
    new Set(before.keys()),
    `${label} while deleting visits every key`,
  );
  if (store.capabilities.ordered) {
    assert.deepEqual(
      seen,
      [...before.keys()].sort((a, b) => model.compare(unhex(a), unhex(b))),
      `${label} order`,
    );
  }
}

/**
 * Calls `getInto` with an `out` of `room` bytes after `offset`, prefilled with a sentinel, and
 * checks the answer and every byte of `out` against the model: the value at `offset` and
 * nothing else written when present; `out` untouched when absent or on an error.
 */
export function expectGetInto(
  store: Store,
  model: Model,
  key: Uint8Array,
  room: "exact" | "short" | "long",
  offset: number,
  flags: number,
): void {
  const present = model.map.get(hex(key))?.[1];
  const need = present?.length ?? store.capabilities.valueSize.max;
  if (need > 1 << 20) return; // no out buffer of that size for an absent key of a huge store
  const length = room === "exact" ? need : room === "long" ? need + 2 : Math.max(need - 1, 0);
  const out = new Uint8Array(offset + length).fill(SENTINEL);
  const what = `getInto(${hex(key)}, ${room} room at offset ${offset}, flags ${flags})`;
  const expected = model.getInto(key, length, flags);
  const actual = observe(() => store.getInto(key, out, offset, flags));
  const found = "ok" in expected ? expected.ok as Uint8Array | undefined : undefined;
  assertOutcome(actual, "ok" in expected ? { ok: found !== undefined } : expected, what);
  const after = new Uint8Array(out.length).fill(SENTINEL);
  if (found !== undefined && "ok" in expected) after.set(found, offset);
  assert.deepEqual(out, after, `${what}: bytes of out`);
}

// What `out` is filled with before `getInto`, to see every byte it writes.
export const SENTINEL = 0xa5;

/** Walks the whole store with lookupBatch, retrying with a larger count on ENOSPC. */
export function batchWalk(
  store: Store,
  count: number,
  remove: boolean,
): [Uint8Array, Uint8Array][] {
  const out: [Uint8Array, Uint8Array][] = [];
  const size = store.size;
  let cursor: Uint8Array | undefined;
  for (let calls = 0;; calls++) {
    // A native batch may return a few empty batches (empty buckets), but not without end.
    assert.ok(calls <= 2 * size + 8, "lookupBatch walk does not end");
    let n = count;
    let batch;
    for (;;) {
      const r = observe(() => store.lookupBatch(cursor, n, { delete: remove }));
      if ("ok" in r) {
        batch = r.ok as ReturnType<Store["lookupBatch"]>;
        break;
      }
      assert.equal(r.error, "ENOSPC", "lookupBatch may only fail with ENOSPC (count too small)");
      assert.ok(n < 1 << 20, "lookupBatch keeps answering ENOSPC");
      n *= 2;
    }
    assert.equal(batch.keys.length, batch.values.length, "lookupBatch keys/values lengths");
    assert.ok(batch.keys.length <= n, "lookupBatch returned more than count");
    const next = batch.cursor;
    assert.ok(
      next === undefined || !batch.keys.includes(next),
      "lookupBatch's cursor is one of the keys it returned",
    );
    batch.keys.forEach((k, i) => out.push([k.slice(), batch.values[i]!]));
    // The caller may scrub or reuse what it was given: the walk must not move.
    for (const k of batch.keys) k.fill(0xaa);
    if (next === undefined) return out;
    cursor = next;
  }
}

export function apply(store: Store, model: Model, op: Op): void {
  const what = `${op.op}(${"key" in op && op.key ? hex(op.key) : ""})`;
  switch (op.op) {
    case "set": {
      const expected = model.setError(op.key, op.value, op.flags);
      const actual = observe(() => store.set(op.key, op.value, op.flags));
      assertOutcome(actual, expected === undefined ? { ok: undefined } : { error: expected }, what);
      if (expected === undefined) model.set(op.key, op.value, op.flags);
      return;
    }
    case "get":
      return assertOutcome(observe(() => store.get(op.key)), model.get(op.key), what);
    case "has":
      return assertOutcome(observe(() => store.has(op.key)), model.has(op.key), what);
    case "getInto":
      return expectGetInto(store, model, op.key, op.room, op.offset, op.flags);
    case "delete":
      return assertOutcome(observe(() => store.delete(op.key)), model.delete(op.key), what);
    case "nextKey": {
      const actual = observe(() => store.nextKey(op.key));
      if (op.key !== undefined && model.keyError(op.key) !== undefined) {
        return assertOutcome(actual, { error: "EINVAL" }, what);
      }
      assert.ok("ok" in actual, `${what}: unexpected error`);
      const next = actual.ok as Uint8Array | undefined;
      if (store.capabilities.ordered) {
        return assert.deepEqual(next, model.successor(op.key), `${what}: successor`);
      }
      if (op.key === undefined || !model.map.has(hex(op.key))) {
        assert.equal(next === undefined, model.map.size === 0, `${what}: first key`);
        assert.deepEqual(next, store.nextKey(), `${what}: unknown key restarts at the first key`);
      }
      if (next !== undefined) assert.ok(model.map.has(hex(next)), `${what}: returned absent key`);
      return;
    }
    case "clear":
      store.clear();
      model.map.clear();
      return;
    case "iterate":
      return iterateDeleting(store, model, op.how, op.remove, op.reuse);
    case "batch": {
      const got = batchWalk(store, op.count, op.delete);
      const expected = store.capabilities.ordered ? model.sorted() : [...model.map.values()];
      if (store.capabilities.ordered) {
        assert.deepEqual(got.map(([k]) => hex(k)), expected.map(([k]) => hex(k)), "batch order");
      }
      assert.deepEqual(
        new Map(got.map(([k, v]) => [hex(k), hex(v)])),
        new Map(expected.map(([k, v]) => [hex(k), hex(v)])),
        `batch walk (count ${op.count}, delete ${op.delete})`,
      );
      assert.equal(got.length, expected.length, "batch walk returned a key twice");
      if (op.delete) model.map.clear();
    }
  }
}

/** Fills the store with distinct keys until the model predicts an error; returns the keys. */
export function fill(store: Store, model: Model, limit: number, pool?: Uint8Array[]): Uint8Array[] {
  const keys: Uint8Array[] = [];
  const len = validValueLengths(store.capabilities)[0]!;
  for (let i = 0; i < limit; i++) {
    const key = pool === undefined ? distinctKey(store.capabilities, i) : pool[i];
    if (key === undefined) break;
    const v = value(len, i + 1);
    if (model.setError(key, v, 0) !== undefined) break;
    store.set(key, v);
    model.set(key, v, 0);
    keys.push(key);
  }
  return keys;
}
