/**
 * The conformance checks as plain functions, so a test can run them one by one and assert that
 * each catches the defect it is meant to catch.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { Backend, Store } from "@kvkit/store";
import fc from "fast-check";
import { type Admit, hex, Model, observe, type Outcome } from "./_model.ts";
import {
  distinctKey,
  invalidKeys,
  invalidValueLengths,
  keyPool,
  type Op,
  opsArbitrary,
  validValueLengths,
} from "./_arbitraries.ts";

export type { Admit, AdmitContext } from "./_model.ts";

/** How to run the suite on one backend configuration. */
export interface ConformanceConfig {
  /** A label for the test block; defaults to the backend name and options. */
  readonly name?: string;
  /** Options passed to `backend.create`; choose small limits so a full store is reachable. */
  readonly options?: Record<string, unknown>;
  /**
   * The store's own admission rule for a `set` that passed the generic checks (flags, key,
   * value, `EEXIST`/`ENOENT`). Default: a new key when `size >= maxEntries` is `fullError`.
   */
  readonly admit?: Admit;
  /** fast-check runs of the random-sequence check (default 60). */
  readonly runs?: number;
  /** The longest generated operation sequence (default 60). */
  readonly maxOps?: number;
  /** fast-check seed, for reproducing a failure. */
  readonly seed?: number;
}

/** One named check; `run` throws an assertion error when the store breaks the contract. */
export interface ConformanceCheck {
  /** What the check asserts. */
  readonly name: string;
  /** Runs the check on a fresh store. */
  readonly run: () => void;
}

/** A backend of any options type. */
// deno-lint-ignore no-explicit-any
export type AnyBackend = Backend<any>;

const value = (n: number, fill: number): Uint8Array => new Uint8Array(n).fill(fill & 0xff);

function assertOutcome(actual: Outcome, expected: Outcome, what: string): void {
  if ("error" in expected) {
    assert.deepEqual(actual, expected, `${what}: expected ${expected.error}`);
  } else {
    assert.ok(!("error" in actual), `${what}: unexpected ${"error" in actual ? actual.error : ""}`);
    assert.deepEqual(actual.ok, expected.ok, `${what}: wrong result`);
  }
}

/** Asserts that the store holds exactly what the model holds, in order for ordered stores. */
function assertSame(store: Store, model: Model, what: string): void {
  assert.equal(store.size, model.map.size, `${what}: size`);
  for (const [k, v] of model.map.values()) {
    assert.deepEqual(store.get(k), v, `${what}: value of key ${hex(k)}`);
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
}

/** Iterates one of the store's iterators, deleting the yielded keys `remove` picks. */
function iterateDeleting(
  store: Store,
  model: Model,
  how: "entries" | "keys" | "iterator",
  remove: readonly boolean[],
): void {
  const before = new Map([...model.map.values()].map(([k, v]) => [hex(k), hex(v)]));
  const seen: string[] = [];
  const iterator: Iterable<Uint8Array | [Uint8Array, Uint8Array]> = how === "keys"
    ? store.keys()
    : how === "entries"
    ? store.entries()
    : store;
  for (const item of iterator) {
    const [key, value] = item instanceof Uint8Array ? [item, undefined] : item;
    const id = hex(key);
    assert.ok(before.has(id), `${how}() yielded ${id}, which is not in the store`);
    assert.ok(!seen.includes(id), `${how}() yielded ${id} twice`);
    if (value !== undefined) assert.equal(hex(value), before.get(id), `${how}() value of ${id}`);
    if (remove[seen.length] === true) {
      assert.equal(store.delete(key), true, `delete of the yielded key ${id}`);
      model.map.delete(id);
    }
    seen.push(id);
  }
  assert.deepEqual(
    new Set(seen),
    new Set(before.keys()),
    `${how}() while deleting visits every key`,
  );
  if (store.capabilities.ordered) {
    assert.deepEqual(
      seen,
      [...before.keys()].sort((a, b) => model.compare(unhex(a), unhex(b))),
      `${how}() order`,
    );
  }
}

const unhex = (s: string): Uint8Array =>
  Uint8Array.from(s.match(/../g) ?? [], (h) => parseInt(h, 16));

/** Walks the whole store with lookupBatch, retrying with a larger count on ENOSPC. */
function batchWalk(store: Store, count: number, remove: boolean): [Uint8Array, Uint8Array][] {
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
    batch.keys.forEach((k, i) => out.push([k, batch.values[i]!]));
    if (batch.cursor === undefined) return out;
    cursor = batch.cursor;
  }
}

function apply(store: Store, model: Model, op: Op): void {
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
      return iterateDeleting(store, model, op.how, op.remove);
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
function fill(store: Store, model: Model, limit: number, pool?: Uint8Array[]): Uint8Array[] {
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

/**
 * The conformance checks for one backend configuration.
 *
 * @param backend The backend under test.
 * @param config Options, admission rule and run counts.
 * @returns The checks, each runnable on its own.
 *
 * @example Running the checks by hand
 * ```ts
 * import { conformanceChecks } from "@kvkit/conformance";
 * import { mapBackend } from "@kvkit/backends";
 * import assert from "node:assert/strict";
 *
 * const checks = conformanceChecks(mapBackend, { options: { maxEntries: 4 }, runs: 5 });
 * assert.ok(checks.some((c) => c.name.startsWith("random operation sequences")));
 * for (const check of checks) check.run(); // throws when the store breaks the contract
 * ```
 */
export function conformanceChecks(
  backend: AnyBackend,
  config: ConformanceConfig = {},
): ConformanceCheck[] {
  const open = (): Store => backend.create(config.options);
  const modelOf = (store: Store): Model => new Model(store.capabilities, config.admit);
  const runs = config.runs ?? 60;
  const fcParams = config.seed === undefined
    ? { numRuns: runs }
    : { numRuns: runs, seed: config.seed };

  const checks: ConformanceCheck[] = [
    {
      name: "a new store is empty and describes itself",
      run() {
        const store = open();
        const caps = store.capabilities;
        assert.equal(store.backend, backend.name, "store.backend is the catalog name");
        assert.equal(store.size, 0);
        assert.equal(store.nextKey(), undefined);
        assert.deepEqual([...store], []);
        assert.ok(caps.keySize.min >= 0 && caps.keySize.min <= caps.keySize.max, "keySize");
        assert.ok(caps.valueSize.min >= 0 && caps.valueSize.min <= caps.valueSize.max, "valueSize");
        assert.ok(caps.maxEntries >= 1, "maxEntries");
        assert.ok(["E2BIG", "ENOSPC"].includes(caps.fullError), "fullError");
        assert.ok(["E2BIG", "EINVAL"].includes(caps.valueTooBig), "valueTooBig");
        if (caps.keyRange !== undefined) assert.equal(caps.keySize.max, 4, "u32 keys are 4 bytes");
      },
    },
    {
      name: "random operation sequences match the model exactly",
      run() {
        const caps = open().capabilities;
        fc.assert(
          fc.property(opsArbitrary(caps, config.maxOps ?? 60), (ops) => {
            const store = open();
            const model = modelOf(store);
            for (const op of ops) {
              apply(store, model, op);
              assertSame(store, model, `after ${op.op}`);
            }
          }),
          fcParams,
        );
      },
    },
    {
      name: "update flags: NOEXIST, EXIST, bad bits and F_LOCK",
      run() {
        const store = open();
        const model = modelOf(store);
        const [k1, k2] = keyPool(store.capabilities, 2);
        const len = validValueLengths(store.capabilities)[0]!;
        const cases: [Uint8Array, Uint8Array, number][] = [
          [k1!, value(len, 1), 1],
          [k1!, value(len, 2), 1],
          [k2 ?? k1!, value(len, 3), 2],
          [k1!, value(len, 4), 2],
          [k1!, value(len, 5), 3],
          [k1!, value(len, 6), 8],
          [k1!, value(len, 7), -1],
          [k1!, value(len, 8), 4],
          [k1!, value(len, 9), 4 | 2],
        ];
        for (const [k, v, f] of cases) {
          assertOutcome(observe(() => store.set(k, v, f)), model.set(k, v, f), `set flags ${f}`);
          assertSame(store, model, `after set flags ${f}`);
        }
      },
    },
    {
      name: "wrong key and value lengths and out-of-range keys are rejected, store unchanged",
      run() {
        const store = open();
        const model = modelOf(store);
        fill(store, model, 3);
        const caps = store.capabilities;
        const [good] = keyPool(caps, 1);
        for (const k of invalidKeys(caps)) {
          const label = `key of ${k.length} bytes ${hex(k)}`;
          assertOutcome(observe(() => store.get(k)), { error: "EINVAL" }, `get ${label}`);
          assertOutcome(observe(() => store.has(k)), { error: "EINVAL" }, `has ${label}`);
          assertOutcome(observe(() => store.delete(k)), { error: "EINVAL" }, `delete ${label}`);
          assertOutcome(observe(() => store.nextKey(k)), { error: "EINVAL" }, `nextKey ${label}`);
          const v = value(validValueLengths(caps)[0]!, 1);
          assertOutcome(observe(() => store.set(k, v)), { error: "EINVAL" }, `set ${label}`);
          assertSame(store, model, label);
        }
        for (const n of invalidValueLengths(caps)) {
          const v = value(n, 7);
          assertOutcome(
            observe(() => store.set(good!, v)),
            model.set(good!, v, 0),
            `value of ${n} bytes`,
          );
          assertSame(store, model, `value of ${n} bytes`);
        }
      },
    },
    {
      name: "a full store rejects new keys with its fullError and still updates and deletes",
      run() {
        const store = open();
        const model = modelOf(store);
        const limit = Math.min(store.capabilities.maxEntries, 5000);
        const keys = fill(store, model, limit + 1);
        const next = distinctKey(store.capabilities, keys.length);
        // Every valid key fits (e.g. one entry per owner): the store can never be full.
        if (next === undefined && keys.length > 0) return;
        assert.ok(next !== undefined && keys.length > 0, "no key could be inserted");
        const v = value(validValueLengths(store.capabilities)[0]!, 0xee);
        const expected = model.setError(next, v, 0);
        assert.ok(
          expected !== undefined,
          `${limit} entries did not fill the store: give it options with a smaller limit`,
        );
        assertOutcome(
          observe(() => store.set(next, v)),
          { error: expected },
          "set on a full store",
        );
        assertSame(store, model, "after rejected set on a full store");
        store.set(keys[0]!, v, 2);
        model.set(keys[0]!, v, 2);
        assertSame(store, model, "update on a full store");
        assert.equal(store.delete(keys[1] ?? keys[0]!), true);
        model.delete(keys[1] ?? keys[0]!);
        const after = model.set(next, v, 0);
        assertOutcome(observe(() => store.set(next, v)), after, "set after a delete");
        assertSame(store, model, "after delete on a full store");
      },
    },
    {
      name: "returned bytes are copies and passed buffers are copied",
      run() {
        const store = open();
        const caps = store.capabilities;
        const [k] = keyPool(caps, 1);
        const len = Math.max(...validValueLengths(caps));
        const key = k!.slice();
        const v = value(len, 0x11);
        store.set(key, v);
        key.fill(0xaa);
        v.fill(0x22);
        assert.deepEqual(store.get(k!), value(len, 0x11), "set copies the value");
        assert.ok(store.has(k!), "set copies the key");
        if (len > 0) {
          store.get(k!)!.fill(0x33);
          assert.deepEqual(store.get(k!), value(len, 0x11), "get returns a copy");
          for (const [, val] of store.entries()) val.fill(0x44);
          for (const val of store.values()) val.fill(0x45);
          assert.deepEqual(store.get(k!), value(len, 0x11), "entries/values return copies");
          store.lookupBatch(undefined, 8).values.forEach((val) => val.fill(0x46));
          assert.deepEqual(store.get(k!), value(len, 0x11), "lookupBatch returns copies");
        }
        store.nextKey()!.fill(0x55);
        for (const key of store.keys()) key.fill(0x56);
        for (const [key] of store) key.fill(0x57);
        store.lookupBatch(undefined, 8).keys.forEach((key) => key.fill(0x58));
        assert.deepEqual(store.nextKey(), k, "keys are copies");
      },
    },
    {
      name: "results stay valid: no buffer is reused between calls, Buffer-like input is copied",
      run() {
        const store = open();
        const caps = store.capabilities;
        const [k1, k2] = keyPool(caps, 2);
        const len = Math.max(...validValueLengths(caps));
        const model = modelOf(store);
        model.set(k1!, value(len, 0x11), 0);
        if (k2 === undefined || model.setError(k2, value(len, 0x22), 0) !== undefined) return;
        store.set(k1!, value(len, 0x11));
        store.set(k2, value(len, 0x22));
        const a = store.get(k1!);
        const b = store.get(k2);
        assert.deepEqual(a, value(len, 0x11), "a get result is not overwritten by the next get");
        assert.deepEqual(b, value(len, 0x22));
        const first = store.nextKey()!;
        const firstCopy = new Uint8Array(first);
        store.nextKey(first);
        assert.deepEqual(first, firstCopy, "a nextKey result is not overwritten by the next call");
        const keys = [...store.keys()];
        const entries = [...store.entries()];
        const batch = store.lookupBatch(undefined, 8);
        assert.equal(new Set(keys.map(hex)).size, 2, "keys() yields distinct arrays");
        assert.equal(new Set(entries.map(([key]) => hex(key))).size, 2, "entries() keys");
        assert.equal(
          new Set(entries.map(([, val]) => hex(val))).size,
          len > 0 ? 2 : 1,
          "entries() values",
        );
        assert.equal(new Set(batch.keys.map(hex)).size, batch.keys.length, "lookupBatch keys");
        // A Node Buffer's slice() is a view: a store must copy without relying on it.
        class LooseView extends Uint8Array {
          override slice(start?: number, end?: number): Uint8Array<ArrayBuffer> {
            return this.subarray(start, end) as Uint8Array<ArrayBuffer>;
          }
        }
        const loose = new LooseView(len).fill(0x33);
        const looseKey = new LooseView(k1!);
        store.set(looseKey, loose);
        loose.fill(0x44);
        looseKey.fill(0xaa);
        assert.deepEqual(store.get(k1!), value(len, 0x33), "a Buffer-like value is copied");
        assert.ok(store.has(k1!), "a Buffer-like key is copied");
      },
    },
    {
      name: "nextKey walks every key once; ordered stores ascend; unknown keys",
      run() {
        const store = open();
        const model = modelOf(store);
        const limit = Math.min(store.capabilities.maxEntries, 40);
        const keys = fill(store, model, limit, keyPool(store.capabilities, limit));
        // Remove every other key so unknown keys fall between present ones.
        keys.forEach((k, i) => {
          if (i % 2 === 1) store.delete(k), model.delete(k);
        });
        const seen: string[] = [];
        for (let k = store.nextKey(); k !== undefined; k = store.nextKey(k)) {
          seen.push(hex(k));
          assert.ok(seen.length <= model.map.size, "nextKey walk does not end or repeats");
        }
        assert.equal(new Set(seen).size, seen.length, "nextKey visited a key twice");
        assert.deepEqual(new Set(seen), new Set(model.map.keys()), "nextKey walk keys");
        if (store.capabilities.ordered) {
          assert.deepEqual(seen, model.sorted().map(([k]) => hex(k)), "ascending order");
        }
        for (const [i, k] of keys.entries()) {
          if (i % 2 === 0) continue;
          const expected = store.capabilities.ordered ? model.successor(k) : store.nextKey();
          assert.deepEqual(store.nextKey(k), expected, `nextKey of absent key ${hex(k)}`);
        }
      },
    },
    {
      name: "iteration yields every entry once, also when the yielded key is deleted",
      run() {
        const store = open();
        const model = modelOf(store);
        fill(store, model, Math.min(store.capabilities.maxEntries, 40));
        assert.equal([...store.keys()].length, model.map.size, "keys()");
        assert.equal([...store.values()].length, model.map.size, "values()");
        assert.equal([...store].length, model.map.size, "[Symbol.iterator]");
        for (const how of ["entries", "keys", "iterator"] as const) {
          store.clear();
          model.map.clear();
          const n = fill(store, model, Math.min(store.capabilities.maxEntries, 40)).length;
          iterateDeleting(store, model, how, Array.from({ length: n }, () => true));
          assert.equal(store.size, 0, `${how}() deleting every yielded key empties the store`);
        }
      },
    },
    {
      name: "lookupBatch walks every entry once, with and without delete",
      run() {
        const store = open();
        const model = modelOf(store);
        fill(store, model, Math.min(store.capabilities.maxEntries, 30));
        for (const bad of [0, -1, 1.5]) {
          assertOutcome(
            observe(() => store.lookupBatch(undefined, bad)),
            { error: "EINVAL" },
            `count ${bad}`,
          );
        }
        for (const count of [1, 3, 64]) apply(store, model, { op: "batch", count, delete: false });
        assertSame(store, model, "after lookupBatch");
        apply(store, model, { op: "batch", count: 2, delete: true });
        assertSame(store, model, "after lookupBatch with delete");
      },
    },
    {
      name: "clear empties the store, which stays usable; memoryUsage is positive",
      run() {
        const store = open();
        const model = modelOf(store);
        fill(store, model, Math.min(store.capabilities.maxEntries, 20));
        const bytes = store.memoryUsage();
        assert.ok(
          Number.isSafeInteger(bytes) && bytes > 0,
          `memoryUsage() ${bytes} is a positive integer`,
        );
        store.clear();
        model.map.clear();
        assertSame(store, model, "after clear");
        assert.equal(store.nextKey(), undefined);
        fill(store, model, 3);
        assertSame(store, model, "refilled after clear");
      },
    },
  ];
  return checks;
}
