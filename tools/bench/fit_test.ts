import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mapBackend } from "@kvkit/backends";
import { type Backend, checkOptions, type IterateOptions, StoreError } from "@kvkit/store";
import { fit, populate } from "./_fit.ts";
import { keyList, makeKey, shuffledIndices, valuePool } from "./_keys.ts";
import { permute } from "./_rng.ts";
import { backend as array64 } from "./testdata/array64_store.ts";
import { WORKLOADS } from "./workloads.ts";

const prepared = (
  workload: string,
  backend: Backend<never>,
  shape: Parameters<typeof fit>[1],
  path?: string,
) => {
  const fitted = fit(backend, shape);
  const values = valuePool(fitted.value, 1);
  const present = populate(fitted, Math.round(fitted.capacity * shape.fill), values, 1);
  return {
    fitted,
    present,
    prepared: WORKLOADS.get(workload)!.prepare({ fitted, present, values, seed: 1 }, path),
  };
};

// Like the qp-trie: byte keys sized by maxKeyLength, and (strict options) no keySize.
const strict: Backend<never> = {
  name: "strict",
  summary: "map that knows maxKeyLength, valueSize, maxEntries only",
  create(options?: Record<string, unknown>) {
    const o = checkOptions("strict", options, ["maxKeyLength", "valueSize", "maxEntries"]);
    return mapBackend.create({
      keySize: (o.maxKeyLength as number | undefined) ?? 4,
      valueSize: (o.valueSize as number | undefined) ?? 8,
    });
  },
};

describe("keys", () => {
  it("permute is a permutation of its domain", () => {
    for (const domain of [1, 2, 63, 64, 1000, 4097]) {
      const seen = new Set<number>();
      for (let i = 0; i < domain; i++) seen.add(permute(i, domain, 7));
      assert.equal(seen.size, domain);
      assert.ok([...seen].every((x) => x >= 0 && x < domain));
    }
  });

  it("gives distinct, deterministic keys of the asked lengths", () => {
    const spec = { kind: "bytes", min: 4, max: 40 } as const;
    const keys = keyList(spec, shuffledIndices(5000, 5000, 3), 9);
    assert.equal(new Set(keys.map((k) => k.join())).size, 5000);
    assert.ok(keys.every((k) => k.length >= 4 && k.length <= 40));
    assert.deepEqual(makeKey(spec, 17, 9), makeKey(spec, 17, 9));
    const tiny = { kind: "bytes", min: 1, max: 1 } as const;
    assert.equal(
      new Set(keyList(tiny, shuffledIndices(256, 256, 1), 1).map((k) => k[0])).size,
      256,
    );
  });
});

describe("fitting a shape to a store's capabilities", () => {
  it("gives a byte-keyed store the asked shape unchanged", () => {
    const f = fit(mapBackend, { key: 32, entries: 1000, fill: 1, value: 16 });
    assert.deepEqual(f.keys, { kind: "bytes", min: 32, max: 32 });
    assert.equal(f.value, 16);
    assert.equal(f.capacity, 1000);
    assert.deepEqual(f.notes, []);
  });

  it("sizes a 64-key integer store to its key range and says so", () => {
    const f = fit(array64, { key: 8, entries: 1_000_000, fill: 0.75, value: 8 });
    assert.deepEqual(f.keys, { kind: "u32", min: 0, domain: 64 });
    assert.equal(f.capacity, 64);
    assert.deepEqual(f.notes, ["keys u32 0..63", "sized to 64 entries"]);
    assert.equal(populate(f, 48, valuePool(8, 1), 1), 48);
    assert.equal(f.store.size, 48);
  });

  it("falls back to fewer options when a backend rejects some, and says what it got", () => {
    // array64 rejects valueSize 4096: the ladder drops it and the store's default applies.
    const f = fit(array64, { key: 8, entries: 64, fill: 1, value: 4096 });
    assert.equal(f.value, 8);
    assert.ok(f.notes.includes("values 8 B"));
    assert.equal(fit(array64, { key: 8, entries: 64, fill: 1, value: 32 }).value, 32);
  });

  it("drops only the option names a strict backend refuses, keeping the ones it knows", () => {
    // Dropping whole rungs would lose maxKeyLength with keySize and give 4-byte keys.
    const f = fit(strict, { key: 32, entries: 100, fill: 1, value: 16 });
    assert.deepEqual(f.keys, { kind: "bytes", min: 32, max: 32 });
    assert.equal(f.value, 16);
    assert.deepEqual(f.notes, []);
  });

  it("never drops an option the user gave: its EINVAL is the answer", () => {
    assert.throws(
      () => fit(strict, { key: 8, entries: 10, fill: 1, value: 8 }, { maxEntrie: 4 }),
      { code: "EINVAL", message: /unknown option 'maxEntrie' \(did you mean 'maxEntries'\?\)/ },
    );
  });

  it("keeps what fitted when a byte-bounded store fills up early", () => {
    const bounded: Backend<never> = {
      name: "bounded",
      summary: "map that is full at 10 entries but claims more",
      create() {
        const store = mapBackend.create({ keySize: 8, valueSize: 8 });
        const set = store.set.bind(store);
        store.set = (k, v, flags) => {
          if (store.size >= 10 && !store.has(k)) throw new StoreError("ENOSPC", "full");
          set(k, v, flags);
        };
        return store;
      },
    };
    const f = fit(bounded, { key: 8, entries: 100, fill: 1, value: 8 });
    assert.equal(populate(f, 100, valuePool(8, 1), 1), 10);
    assert.ok(f.notes.includes("full at 10 entries"));
  });

  it("rethrows errors that are not 'full'", () => {
    const broken: Backend<never> = {
      name: "broken",
      summary: "throws on every set",
      create() {
        const store = mapBackend.create({ keySize: 8, valueSize: 8 });
        store.set = () => {
          throw new StoreError("EBUSY", "nope");
        };
        return store;
      },
    };
    const f = fit(broken, { key: 8, entries: 10, fill: 1, value: 8 });
    assert.throws(() => populate(f, 10, valuePool(8, 1), 1), { code: "EBUSY" });
  });
});

describe("workloads adapt to the store", () => {
  it("lookup-miss has nothing to do on a full 64-key store", () => {
    const r = prepared("lookup-miss", array64, { key: 8, entries: 64, fill: 1, value: 8 });
    assert.equal(r.prepared, "no absent key left in the key range");
  });

  it("insert runs up to the free slots and reset removes what it inserted", () => {
    const r = prepared("insert", array64, { key: 8, entries: 64, fill: 0.5, value: 8 });
    assert.ok(typeof r.prepared !== "string");
    assert.equal(r.prepared.maxRun, 32);
    assert.equal(r.prepared.run(100), 32);
    assert.equal(r.fitted.store.size, 64);
    r.prepared.reset!();
    assert.equal(r.fitted.store.size, 32);
  });

  it("delete and reset leave the store as it was", () => {
    const r = prepared("delete", mapBackend, { key: 8, entries: 200, fill: 1, value: 8 });
    assert.ok(typeof r.prepared !== "string");
    assert.equal(r.prepared.run(50), 50);
    assert.equal(r.fitted.store.size, 150);
    r.prepared.reset!();
    assert.equal(r.fitted.store.size, 200);
  });

  it("lookup, update, iterate and batch runs do the operations asked for", () => {
    for (const w of ["lookup-hit", "update", "iterate", "batch"]) {
      const r = prepared(w, array64, { key: 32, entries: 1000, fill: 1, value: 8 });
      assert.ok(typeof r.prepared !== "string", w);
      assert.ok(r.prepared.run(200) >= 200, w);
      assert.equal(r.fitted.store.size, 64, w);
    }
  });

  it("batch walks that end on an empty batch go on from the start", () => {
    // Like a native batch that only learns of the end on the next call: full batches keep a
    // cursor, and the call after the last entry returns nothing.
    const END = new Uint8Array([0xff]);
    const lazyEnd: Backend<never> = {
      name: "lazy-end",
      summary: "batches end with an empty one",
      create() {
        const store = mapBackend.create({ keySize: 8, valueSize: 8 });
        const batch = store.lookupBatch.bind(store);
        store.lookupBatch = (cursor, count, options) => {
          if (cursor === END) return { keys: [], values: [], cursor: undefined };
          const b = batch(cursor, count, options);
          return b.cursor === undefined ? { ...b, cursor: END } : b;
        };
        return store;
      },
    };
    const r = prepared("batch", lazyEnd, { key: 8, entries: 64, fill: 1, value: 8 });
    assert.ok(typeof r.prepared !== "string");
    let done = 0;
    for (let i = 0; i < 10; i++) done += r.prepared.run(64);
    assert.ok(done >= 640);
  });

  it("a store that answers lookups wrongly is reported, not timed", () => {
    const liar: Backend<never> = {
      name: "liar",
      summary: "forgets everything",
      create() {
        const store = mapBackend.create({ keySize: 8, valueSize: 8 });
        store.get = () => undefined;
        store.getInto = () => false;
        return store;
      },
    };
    assert.throws(
      () => prepared("lookup-hit", liar, { key: 8, entries: 10, fill: 1, value: 8 }),
      /getInto of a present key disagrees/,
    );
    assert.throws(
      () => prepared("lookup-hit", liar, { key: 8, entries: 10, fill: 1, value: 8 }, "get (copy)"),
      /lookup of a present key disagrees/,
    );
  });

  it("lookups measure getInto (headline) and get (copy) as separate paths", () => {
    const calls = { get: 0, getInto: 0, outs: new Set<Uint8Array>() };
    const counting: Backend<never> = {
      name: "counting",
      summary: "counts its reads",
      create() {
        const store = mapBackend.create({ keySize: 8, valueSize: 8 });
        const get = store.get.bind(store);
        const getInto = store.getInto.bind(store);
        store.get = (k) => (calls.get++, get(k));
        store.getInto = (k, out, offset, flags) => {
          calls.getInto++;
          calls.outs.add(out);
          return getInto(k, out, offset, flags);
        };
        return store;
      },
    };
    assert.deepEqual(WORKLOADS.get("lookup-hit")!.paths, ["getInto", "get (copy)"]);
    assert.deepEqual(WORKLOADS.get("lookup-miss")!.paths, ["getInto", "get (copy)"]);
    const shape = { key: 8, entries: 50, fill: 1, value: 8 } as const;
    const into = prepared("lookup-hit", counting, shape);
    assert.ok(typeof into.prepared !== "string");
    calls.get = calls.getInto = 0;
    calls.outs.clear();
    assert.equal(into.prepared.run(500), 500);
    assert.deepEqual([calls.get, calls.getInto, calls.outs.size], [0, 500, 1]);
    const copy = prepared("lookup-miss", counting, { ...shape, fill: 0.5 }, "get (copy)");
    assert.ok(typeof copy.prepared !== "string");
    calls.get = calls.getInto = 0;
    assert.equal(copy.prepared.run(300), 300);
    assert.deepEqual([calls.get, calls.getInto], [300, 0]);
    assert.equal(prepared("lookup-hit", counting, shape, "nope").prepared, "no path 'nope'");
  });

  it("iterate measures entries() and entries({ reuse: true }) as separate paths", () => {
    const seen: (IterateOptions | undefined)[] = [];
    const recording: Backend<never> = {
      name: "recording",
      summary: "records its iteration options",
      create() {
        const store = mapBackend.create({ keySize: 8, valueSize: 8 });
        const entries = store.entries.bind(store);
        store.entries = (options) => (seen.push(options), entries(options));
        return store;
      },
    };
    const shape = { key: 8, entries: 20, fill: 1, value: 8 } as const;
    assert.deepEqual(WORKLOADS.get("iterate")!.paths, ["entries() (copy)", "entries({reuse})"]);
    const cases: [string, boolean | undefined][] = [
      ["entries() (copy)", undefined],
      ["entries({reuse})", true],
    ];
    for (const [path, want] of cases) {
      seen.length = 0;
      const r = prepared("iterate", recording, shape, path);
      assert.ok(typeof r.prepared !== "string");
      assert.equal(r.prepared.run(50), 50); // two and a half walks
      assert.equal(seen.length, 3, String(path));
      assert.ok(seen.every((o) => o?.reuse === want), String(path));
    }
  });
});
