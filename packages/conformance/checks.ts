/**
 * The conformance checks, one exported function each, so a test can run them one by one and
 * assert that each catches the defect it is meant to catch; {@linkcode conformanceChecks} lists
 * them. Together they are the contract's executable spec.
 *
 * @module
 */

import assert from "node:assert/strict";
import { type AnyBackend, EXIST, F_LOCK, NOEXIST, type Store } from "@kvkit/store";
import fc from "fast-check";
import { hex, observe, unhex } from "./_model.ts";
import {
  distinctKey,
  invalidKeys,
  invalidValueLengths,
  keyPool,
  opsArbitrary,
  validValueLengths,
} from "./_arbitraries.ts";
import {
  apply,
  assertOutcome,
  assertSame,
  expectGetInto,
  fill,
  iterateDeleting,
  setup,
  value,
} from "./_harness.ts";
import type { ConformanceCheck, ConformanceConfig } from "./config.ts";

/**
 * Conformance check: a new store is empty and describes itself.
 *
 * @param backend The backend under test.
 * @param config Options, admission rule and run counts.
 * @throws {AssertionError} When the store breaks the contract.
 */
export function checkNewStore(backend: AnyBackend, config: ConformanceConfig = {}): void {
  const { open } = setup(backend, config);
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
  assert.equal(typeof store.close, "function", "close()");
  assert.equal(typeof store[Symbol.dispose], "function", "[Symbol.dispose]()");
}

/**
 * Conformance check: options are checked as a whole: unknown names and non-objects are EINVAL.
 *
 * @param backend The backend under test.
 * @param config Options, admission rule and run counts.
 * @throws {AssertionError} When the store breaks the contract.
 */
export function checkBackendOptions(backend: AnyBackend, config: ConformanceConfig = {}): void {
  const given = config.options ?? {};
  const misspelt = { ...given, noSuchOption: 1 };
  assertOutcome(
    observe(() => backend.create(misspelt)),
    { error: "EINVAL" },
    "an unknown option name",
  );
  for (const bad of [null, 7, "options", []]) {
    assertOutcome(
      observe(() => backend.create(bad as never)),
      { error: "EINVAL" },
      `options ${JSON.stringify(bad)}`,
    );
  }
  // A known option of the wrong type is EINVAL too, never its default.
  for (const [name, v] of Object.entries(given)) {
    if (typeof v !== "number") continue;
    for (const wrong of [String(v), [v], Symbol(name)]) {
      assertOutcome(
        observe(() => backend.create({ ...given, [name]: wrong })),
        { error: "EINVAL" },
        `option ${name} given as ${typeof wrong}`,
      );
    }
  }
}

/**
 * Conformance check: getInto copies into the caller's buffer: offset, no room, flags, out untouched.
 *
 * @param backend The backend under test.
 * @param config Options, admission rule and run counts.
 * @throws {AssertionError} When the store breaks the contract.
 */
export function checkGetInto(backend: AnyBackend, config: ConformanceConfig = {}): void {
  const { open, modelOf } = setup(backend, config);
  const store = open();
  const model = modelOf(store);
  const caps = store.capabilities;
  const keys = fill(store, model, Math.min(caps.maxEntries, 4), keyPool(caps, 8));
  const absent = keyPool(caps, 8).find((k) => !model.map.has(hex(k)));
  for (const key of [...keys, ...(absent === undefined ? [] : [absent])]) {
    for (const room of ["exact", "long", "short"] as const) {
      for (const offset of [0, 1, 5]) {
        for (const flags of [0, F_LOCK, NOEXIST, 8, 0.5]) {
          expectGetInto(store, model, key, room, offset, flags);
        }
      }
    }
  }
  const out = new Uint8Array(caps.valueSize.max + 8);
  // Wrong types too: a Symbol or a BigInt must be an EINVAL, never a TypeError.
  for (const offset of [-1, 1.5, NaN, "1", Symbol("offset"), 1n] as never[]) {
    assertOutcome(
      observe(() => store.getInto(keys[0]!, out, offset)),
      { error: "EINVAL" },
      `getInto at offset ${String(offset)}`,
    );
  }
  for (const flags of ["4", Symbol("flags"), 1n] as never[]) {
    assertOutcome(
      observe(() => store.getInto(keys[0]!, out, 0, flags)),
      { error: "EINVAL" },
      `getInto with flags ${String(flags)}`,
    );
  }
  for (const k of invalidKeys(caps)) {
    expectGetInto(store, model, k, "long", 0, 0);
  }
  assertOutcome(
    observe(() => store.getInto(keys[0]!, [1, 2, 3] as never)),
    { error: "EINVAL" },
    "getInto into an array that is not a Uint8Array",
  );
  assertSame(store, model, "after getInto");
}

/**
 * Conformance check: random operation sequences match the model exactly.
 *
 * @param backend The backend under test.
 * @param config Options, admission rule and run counts.
 * @throws {AssertionError} When the store breaks the contract.
 */
export function checkRandomSequences(backend: AnyBackend, config: ConformanceConfig = {}): void {
  const { open, modelOf, fcParams } = setup(backend, config);
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
}

/**
 * Conformance check: update flags: NOEXIST, EXIST, bad bits and F_LOCK.
 *
 * @param backend The backend under test.
 * @param config Options, admission rule and run counts.
 * @throws {AssertionError} When the store breaks the contract.
 */
export function checkUpdateFlags(backend: AnyBackend, config: ConformanceConfig = {}): void {
  const { open, modelOf } = setup(backend, config);
  const store = open();
  const model = modelOf(store);
  const [k1, k2] = keyPool(store.capabilities, 2);
  const len = validValueLengths(store.capabilities)[0]!;
  const cases: [Uint8Array, Uint8Array, number][] = [
    [k1!, value(len, 1), NOEXIST],
    [k1!, value(len, 2), NOEXIST],
    [k2 ?? k1!, value(len, 3), EXIST],
    [k1!, value(len, 4), EXIST],
    [k1!, value(len, 5), NOEXIST | EXIST],
    [k1!, value(len, 6), 8], // an unknown bit
    [k1!, value(len, 7), -1],
    [k1!, value(len, 8), F_LOCK],
    [k1!, value(len, 9), EXIST | F_LOCK],
    [k1!, value(len, 10), "1" as never],
    [k1!, value(len, 11), Symbol("flags") as never],
    [k1!, value(len, 12), 1n as never],
  ];
  for (const [k, v, f] of cases) {
    const what = `set flags ${String(f)}`;
    assertOutcome(observe(() => store.set(k, v, f)), model.set(k, v, f), what);
    assertSame(store, model, `after ${what}`);
  }
}

/**
 * Conformance check: wrong key and value lengths and out-of-range keys are rejected, store unchanged.
 *
 * @param backend The backend under test.
 * @param config Options, admission rule and run counts.
 * @throws {AssertionError} When the store breaks the contract.
 */
export function checkInvalidArguments(backend: AnyBackend, config: ConformanceConfig = {}): void {
  const { open, modelOf } = setup(backend, config);
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
}

/**
 * Conformance check: a full store rejects new keys with its fullError and still updates and deletes.
 *
 * @param backend The backend under test.
 * @param config Options, admission rule and run counts.
 * @throws {AssertionError} When the store breaks the contract.
 */
export function checkFullStore(backend: AnyBackend, config: ConformanceConfig = {}): void {
  const { open, modelOf } = setup(backend, config);
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
}

/**
 * Conformance check: returned bytes are copies and passed buffers are copied.
 *
 * @param backend The backend under test.
 * @param config Options, admission rule and run counts.
 * @throws {AssertionError} When the store breaks the contract.
 */
export function checkCopies(backend: AnyBackend, config: ConformanceConfig = {}): void {
  const { open } = setup(backend, config);
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
}

/**
 * Conformance check: results stay valid: no buffer is reused between calls, Buffer-like input is copied.
 *
 * @param backend The backend under test.
 * @param config Options, admission rule and run counts.
 * @throws {AssertionError} When the store breaks the contract.
 */
export function checkNoReusedResults(backend: AnyBackend, config: ConformanceConfig = {}): void {
  const { open, modelOf } = setup(backend, config);
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
}

/**
 * Conformance check: nextKey walks every key once; ordered stores ascend; unknown keys.
 *
 * @param backend The backend under test.
 * @param config Options, admission rule and run counts.
 * @throws {AssertionError} When the store breaks the contract.
 */
export function checkNextKeyWalk(backend: AnyBackend, config: ConformanceConfig = {}): void {
  const { open, modelOf } = setup(backend, config);
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
}

/**
 * Conformance check: iteration yields every entry once, also when the yielded key is deleted.
 *
 * @param backend The backend under test.
 * @param config Options, admission rule and run counts.
 * @throws {AssertionError} When the store breaks the contract.
 */
export function checkIteration(backend: AnyBackend, config: ConformanceConfig = {}): void {
  const { open, modelOf } = setup(backend, config);
  const store = open();
  const model = modelOf(store);
  fill(store, model, Math.min(store.capabilities.maxEntries, 40));
  assert.equal([...store.keys()].length, model.map.size, "keys()");
  assert.equal([...store.values()].length, model.map.size, "values()");
  assert.equal([...store].length, model.map.size, "[Symbol.iterator]");
  for (const how of ["entries", "keys", "iterator"] as const) {
    for (const reuse of [false, true]) {
      store.clear();
      model.map.clear();
      const n = fill(store, model, Math.min(store.capabilities.maxEntries, 40)).length;
      iterateDeleting(store, model, how, Array.from({ length: n }, () => true), reuse);
      assert.equal(store.size, 0, `${how}() deleting every yielded key empties the store`);
    }
  }
  // Deleting keys not yet yielded: every key present throughout is still yielded once.
  for (const reuse of [false, true]) {
    store.clear();
    model.map.clear();
    const keys = fill(store, model, Math.min(store.capabilities.maxEntries, 40));
    const doomed = new Set(keys.filter((_, i) => i % 3 === 1).map(hex));
    const seen: string[] = [];
    for (const [k] of store.entries({ reuse })) {
      seen.push(hex(k));
      if (seen.length === 1) { for (const d of doomed) store.delete(unhex(d)); }
    }
    const kept = keys.map(hex).filter((k) => !doomed.has(k));
    for (const k of kept) {
      assert.equal(
        seen.filter((s) => s === k).length,
        1,
        `entries(${reuse ? "{ reuse: true }" : ""}) after deleting unyielded keys: ${k}`,
      );
    }
    assert.ok(
      seen.every((k, i) => i === 0 || !doomed.has(k)),
      "entries() yielded a key deleted before its turn",
    );
  }
}

/**
 * Conformance check: lookupBatch walks every entry once, with and without delete.
 *
 * @param backend The backend under test.
 * @param config Options, admission rule and run counts.
 * @throws {AssertionError} When the store breaks the contract.
 */
export function checkLookupBatch(backend: AnyBackend, config: ConformanceConfig = {}): void {
  const { open, modelOf } = setup(backend, config);
  const store = open();
  const model = modelOf(store);
  fill(store, model, Math.min(store.capabilities.maxEntries, 30));
  for (const bad of [0, -1, 1.5, "2", Symbol("count"), 2n] as never[]) {
    assertOutcome(
      observe(() => store.lookupBatch(undefined, bad)),
      { error: "EINVAL" },
      `count ${String(bad)}`,
    );
  }
  // A cursor no walk handed out: not bytes, or longer than any key or native cursor.
  const caps = store.capabilities;
  for (const bad of [[1, 2, 3], "cursor", new Uint8Array(caps.keySize.max + 9)] as never[]) {
    assertOutcome(
      observe(() => store.lookupBatch(bad, 4)),
      { error: "EINVAL" },
      `cursor ${String(bad).slice(0, 20)}`,
    );
  }
  assertSame(store, model, "after bad batch arguments");
  for (const count of [1, 3, 64]) apply(store, model, { op: "batch", count, delete: false });
  assertSame(store, model, "after lookupBatch");
  apply(store, model, { op: "batch", count: 2, delete: true });
  assertSame(store, model, "after lookupBatch with delete");
}

/**
 * Conformance check: a batch walk with changes between batches visits every key present
 * throughout, or says EAGAIN.
 *
 * Between batches the caller deletes keys, sets some back (the cursor's key among them),
 * updates others, and scrubs what it was given. A key present and unchanged in presence the
 * whole walk must be returned (repeats are allowed, as in the kernel); a restart is allowed only
 * as `EAGAIN`.
 *
 * @param backend The backend under test.
 * @param config Options, admission rule and run counts.
 * @throws {AssertionError} When the store breaks the contract.
 */
export function checkBatchUnderChange(backend: AnyBackend, config: ConformanceConfig = {}): void {
  const { open, modelOf } = setup(backend, config);
  for (const remove of [false, true]) {
    for (const count of [1, 2, 5]) {
      const store = open();
      const model = modelOf(store);
      const caps = store.capabilities;
      const keys = fill(store, model, Math.min(caps.maxEntries, 24), keyPool(caps, 24));
      // Every third key is churned (deleted, then set again); the rest stay, some updated.
      const churn = new Set(keys.filter((_, i) => i % 3 === 2).map(hex));
      const stable = keys.filter((k) => !churn.has(hex(k)));
      const seen = new Set<string>();
      let cursor: Uint8Array | undefined;
      let n = count;
      let again = false;
      for (let calls = 0; !again; calls++) {
        assert.ok(calls <= 4 * keys.length + 16, "a batch walk under change does not end");
        const r = observe(() => store.lookupBatch(cursor, n, { delete: remove }));
        if ("error" in r) {
          if (r.error === "ENOSPC") {
            n *= 2;
            continue;
          }
          assert.equal(r.error, "EAGAIN", "a batch walk under change fails only with EAGAIN");
          again = true;
          break;
        }
        const batch = r.ok as ReturnType<Store["lookupBatch"]>;
        for (const k of batch.keys) {
          const id = hex(k);
          assert.ok(model.map.has(id), `batch returned ${id}, which is not in the store`);
          seen.add(id);
          if (remove) model.map.delete(id);
          k.fill(0xaa);
        }
        if (batch.cursor === undefined) break;
        cursor = batch.cursor;
        // Changes between batches: churned keys go and come back, a stable key is updated.
        const last = batch.keys.length > 0 ? unhex([...seen].at(-1)!) : undefined;
        for (const id of churn) {
          const k = unhex(id);
          if (model.map.has(id)) {
            assert.equal(store.delete(k), true);
            model.map.delete(id);
          }
          const v = value(validValueLengths(caps)[0]!, calls + 1);
          if (model.setError(k, v, 0) === undefined) store.set(k, v), model.set(k, v, 0);
        }
        if (last !== undefined && model.map.has(hex(last))) {
          const v = value(model.map.get(hex(last))![1].length, 0x5a);
          if (model.setError(last, v, 0) === undefined) store.set(last, v), model.set(last, v, 0);
        }
        const up = stable[calls % stable.length];
        if (up !== undefined && model.map.has(hex(up))) {
          const v = value(model.map.get(hex(up))![1].length, 0x3c);
          if (model.setError(up, v, 0) === undefined) store.set(up, v), model.set(up, v, 0);
        }
      }
      if (again) continue;
      for (const k of stable) {
        assert.ok(
          seen.has(hex(k)),
          `batch walk (count ${count}, delete ${remove}) under change skipped ${hex(k)} ` +
            "without EAGAIN",
        );
      }
    }
  }
}

/**
 * Conformance check: iteration yields every key once while the caller updates keys, the one
 * just yielded and ones not yet yielded.
 *
 * @param backend The backend under test.
 * @param config Options, admission rule and run counts.
 * @throws {AssertionError} When the store breaks the contract.
 */
export function checkIterationUnderUpdate(
  backend: AnyBackend,
  config: ConformanceConfig = {},
): void {
  const { open, modelOf } = setup(backend, config);
  for (const reuse of [false, true]) {
    const store = open();
    const model = modelOf(store);
    const caps = store.capabilities;
    const keys = fill(store, model, Math.min(caps.maxEntries, 24), keyPool(caps, 24));
    const seen: string[] = [];
    let step = 0;
    for (const [k] of store.entries({ reuse })) {
      assert.ok(step++ <= 2 * keys.length, "a walk under updates does not end");
      const id = hex(k);
      seen.push(id);
      // Update the key just yielded and a key further on, same length: presence never changes.
      for (const target of [unhex(id), keys[(seen.length * 7) % keys.length]!]) {
        const old = model.map.get(hex(target))?.[1];
        if (old === undefined) continue;
        const v = value(old.length, seen.length);
        if (model.setError(target, v, 0) === undefined) {
          store.set(target, v), model.set(target, v, 0);
        }
      }
    }
    for (const k of keys) {
      assert.equal(
        seen.filter((s) => s === hex(k)).length,
        1,
        `entries(${reuse ? "{ reuse: true }" : ""}) under updates yielded ${hex(k)} not once`,
      );
    }
    assertSame(store, model, "after a walk under updates");
  }
}

/**
 * Conformance check: longestPrefixOf, where offered, finds the longest present prefix.
 *
 * @param backend The backend under test.
 * @param config Options, admission rule and run counts.
 * @throws {AssertionError} When the store breaks the contract.
 */
export function checkLongestPrefix(backend: AnyBackend, config: ConformanceConfig = {}): void {
  const { open, modelOf } = setup(backend, config);
  const store = open();
  if (store.longestPrefixOf === undefined) return;
  const model = modelOf(store);
  const pool = keyPool(store.capabilities, 24);
  fill(store, model, Math.min(store.capabilities.maxEntries, 24), pool);
  pool.forEach((k, i) => {
    if (i % 3 === 0) store.delete(k), model.delete(k);
  });
  for (const k of pool) {
    assert.deepEqual(
      store.longestPrefixOf(k),
      model.longestPrefixOf(k),
      `longestPrefixOf(${hex(k)})`,
    );
  }
}

/**
 * Conformance check: clear empties the store, which stays usable; memoryUsage is positive.
 *
 * @param backend The backend under test.
 * @param config Options, admission rule and run counts.
 * @throws {AssertionError} When the store breaks the contract.
 */
export function checkClear(backend: AnyBackend, config: ConformanceConfig = {}): void {
  const { open, modelOf } = setup(backend, config);
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
  const checks: [string, (backend: AnyBackend, config: ConformanceConfig) => void][] = [
    ["a new store is empty and describes itself", checkNewStore],
    [
      "options are checked as a whole: unknown names and non-objects are EINVAL",
      checkBackendOptions,
    ],
    [
      "getInto copies into the caller's buffer: offset, no room, flags, out untouched",
      checkGetInto,
    ],
    ["random operation sequences match the model exactly", checkRandomSequences],
    ["update flags: NOEXIST, EXIST, bad bits and F_LOCK", checkUpdateFlags],
    [
      "wrong key and value lengths and out-of-range keys are rejected, store unchanged",
      checkInvalidArguments,
    ],
    [
      "a full store rejects new keys with its fullError and still updates and deletes",
      checkFullStore,
    ],
    ["returned bytes are copies and passed buffers are copied", checkCopies],
    [
      "results stay valid: no buffer is reused between calls, Buffer-like input is copied",
      checkNoReusedResults,
    ],
    ["nextKey walks every key once; ordered stores ascend; unknown keys", checkNextKeyWalk],
    ["iteration yields every entry once, also when the yielded key is deleted", checkIteration],
    ["lookupBatch walks every entry once, with and without delete", checkLookupBatch],
    [
      "a batch walk under change visits every key present throughout, or says EAGAIN",
      checkBatchUnderChange,
    ],
    [
      "iteration yields every key once while the caller updates keys",
      checkIterationUnderUpdate,
    ],
    ["longestPrefixOf, where offered, finds the longest present prefix", checkLongestPrefix],
    ["clear empties the store, which stays usable; memoryUsage is positive", checkClear],
  ];
  return checks.map(([name, check]) => ({ name, run: () => check(backend, config) }));
}
