// The kernel as the oracle of BPF_F_LOCK: random sequences of update (every flag: ANY, NOEXIST,
// EXIST, each with and without F_LOCK, and the bad 3, 7, 8), lookup (0, F_LOCK, and the bad 1
// and 8), delete and fills past full (E2BIG), applied to a kernel BPF_MAP_TYPE_HASH whose value
// is `struct { struct bpf_spin_lock l; __u32 data[n]; }` (its BTF built by hand, see
// _spin_lock_btf.ts) and to SharedHtab and SharedRhash of the same sizes, side by side; every
// result, errno, value read and the contents after every op must agree. A mismatch fails with
// fast-check's shrunk counterexample and a readable repro.
//
// The same sequences also run against a kernel HASH whose value's BTF has no spin lock (the
// same bytes, a plain `__u32 head` first) and the single-agent Htab and Rhash
// (capabilities.lock false): there every F_LOCK is EINVAL on both sides, and everything else
// must agree as well.
//
// Keys are hashed differently on the two sides (the kernel's seed is random, the shared maps'
// too), so contents are compared as sets of entries.
//
// Where the two are known to differ, KNOWN_DIVERGENCES says so, and each entry is checked to
// still hold (an entry that stops diverging fails, so the list only shrinks).

import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { Htab, SharedHtab } from "@kvkit/htab";
import { Rhash, SharedRhash } from "@kvkit/rhash";
import { F_LOCK, isStoreError, StoreError } from "@kvkit/store";
import { BpfMap } from "./mod.ts";
import { KernelLockedHash, SPIN_LOCK_SIZE } from "./_spin_lock_btf.ts";
import { fdCount, runs, SKIP } from "./testdata/support.ts";

const RUNS = runs(200);

/** One generated operation; keys and values are indices into small pools. */
type Op =
  | { op: "set"; k: number; v: number; flags: number }
  | { op: "get"; k: number; flags: number }
  | { op: "delete"; k: number }
  | { op: "fill"; k: number; n: number; v: number; flags: number };

/** A map configuration of one run: value = the 4-byte lock and `words` u32s of data. */
interface Config {
  keySize: 4 | 8;
  words: number;
  maxEntries: number;
  noPrealloc: boolean;
}

/** A small map of 4-byte keys and 4 + 4 value bytes. */
const CONFIG_1: Config = { keySize: 4, words: 1, maxEntries: 4, noPrealloc: false };

/**
 * `lock`: the kernel map's value has the `bpf_spin_lock`, against SharedHtab and SharedRhash.
 * `nolock`: it has none, against the single-agent Htab and Rhash (no F_LOCK either).
 */
type Mode = "lock" | "nolock";

/** The part of a kvkit store the differential drives (a wrong model replaces some of it). */
interface Model {
  set(key: Uint8Array, value: Uint8Array, flags?: number): void;
  getInto(key: Uint8Array, out: Uint8Array, offset?: number, flags?: number): boolean;
  delete(key: Uint8Array): boolean;
  entries(): IterableIterator<[Uint8Array, Uint8Array]>;
  readonly size: number;
  close(): void;
}

/** The kvkit stores each mode compares with the kernel, by name. */
const MODELS: Record<Mode, Record<string, (c: Config) => Model>> = {
  lock: {
    SharedHtab: (c) => new SharedHtab(sizes(c)),
    SharedRhash: (c) => new SharedRhash(sizes(c)),
  },
  nolock: {
    Htab: (c) => new Htab(sizes(c)),
    Rhash: (c) => new Rhash(sizes(c)),
  },
};

const valueSize = (c: Config): number => SPIN_LOCK_SIZE + 4 * c.words;
const sizes = (c: Config) => ({
  keySize: c.keySize,
  valueSize: valueSize(c),
  maxEntries: c.maxEntries,
});

/**
 * Where kvkit and the kernel are known to differ: the ops each entry covers, and what each side
 * gives there. The one entry is about values read in `lock` mode, whose texts are
 * `<lock bytes>|<data bytes>`: the data bytes must still be equal.
 */
const KNOWN_DIVERGENCES: readonly {
  id: string;
  covers: (op: Op | "contents", mode: Mode) => boolean;
  kernel: RegExp;
  model: RegExp;
}[] = [
  {
    // Deliberate: the kernel keeps the lock inside the value, so it ignores those bytes on an
    // update and zeroes them in what a lookup copies out (check_and_init_map_value); kvkit keeps
    // the lock beside the value, so every value byte is the user's and reads back as written.
    // Seen on every present value read: the user's lock bytes are those of the pool value
    // whose data is read (byte i of pool value v is 16v + i + 1).
    id: "value bytes 0..3 (the bpf_spin_lock): the kernel reads 0, kvkit the bytes written",
    covers: (op, mode) => mode === "lock" && (op === "contents" || op.op === "get"),
    kernel: /^00000000\|/,
    model: /^(?<v>[0-3])1\k<v>2\k<v>3\k<v>4\|\k<v>5/,
  },
];

// The kernel's errnos seen here, by number.
const ERRNO_NAMES: Record<number, string> = {
  2: "ENOENT",
  7: "E2BIG",
  12: "ENOMEM",
  17: "EEXIST",
  22: "EINVAL",
};
const kernelText = (errno: number): string => `error ${ERRNO_NAMES[errno] ?? `errno ${errno}`}`;

const hex = (b: Uint8Array): string =>
  Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");

// The i-th key of the pool: i little-endian in the first two bytes, the rest varied.
function poolKey(keySize: number, i: number): Uint8Array {
  const key = new Uint8Array(keySize);
  key[0] = i;
  key[1] = i >>> 8;
  for (let j = 2; j < keySize; j++) key[j] = (i * 29 + j * 53) & 0xff;
  return key;
}

// Pool value v: byte i is 16v + i + 1, so no value has zero lock bytes and the data tells v.
const poolValue = (size: number, v: number): Uint8Array =>
  new Uint8Array(size).map((_, i) => v * 16 + i + 1);

// A value as `<lock>|<data>` (lock mode) or its bytes (nolock mode: no lock field).
const showValue = (mode: Mode, v: Uint8Array): string =>
  mode === "lock"
    ? `${hex(v.subarray(0, SPIN_LOCK_SIZE))}|${hex(v.subarray(SPIN_LOCK_SIZE))}`
    : hex(v);
// What the two sides must agree on: the data only, where the lock's bytes differ by design.
const masked = (text: string): string => text.replace(/^[0-9a-f]{8}\|/, "lock|");

// One model's answer: f's text, or its StoreError code.
function modelOutcome(f: () => string): string {
  try {
    return f();
  } catch (err) {
    if (isStoreError(err)) return `error ${err.code}`;
    throw err;
  }
}

/** Results compared, over every run of this file (for the report). */
const compared = { results: 0, maps: 0, byFlag: new Map<string, number>() };
const count = (what: string): void => {
  compared.byFlag.set(what, (compared.byFlag.get(what) ?? 0) + 1);
};

/**
 * Applies `ops` to a kernel HASH map with BTF and to every model of `models` side by side, and
 * throws, with a readable repro, at the first difference.
 */
function runSequence(
  config: Config,
  ops: readonly Op[],
  mode: Mode = "lock",
  models: Record<string, (c: Config) => Model> = MODELS[mode],
): void {
  const vs = valueSize(config);
  const map = new KernelLockedHash({
    keySize: config.keySize,
    valueSize: vs,
    maxEntries: config.maxEntries,
    noPrealloc: config.noPrealloc,
    spinLock: mode === "lock",
  });
  compared.maps++;
  const opened: [string, Model][] = [];
  try {
    for (const [name, make] of Object.entries(models)) opened.push([name, make(config)]);
    const out = new Uint8Array(vs);
    const keyOf = (i: number): Uint8Array => poolKey(config.keySize, i);
    const done: string[] = [];
    const fail = (name: string, what: string, k: string, m: string): never => {
      throw new Error(
        `${name} differs from the kernel's locked HASH (${mode}) at ${what}\n  kernel: ${k}\n` +
          `  ${`${name}:`.padEnd(7)} ${m}\nrepro: ${JSON.stringify(config)}\n  ${
            [...done, what].join("\n  ")
          }`,
      );
    };
    // Compares one outcome; a value read in `lock` mode through the known divergence that
    // covers it: its bytes past the lock equal, its lock bytes each side's as listed.
    const check = (name: string, op: Op | "contents", what: string, k: string, m: string) => {
      const known = KNOWN_DIVERGENCES.find((d) => d.covers(op, mode));
      if (known === undefined || !k.includes("|")) {
        if (k !== m) fail(name, what, k, m);
        return;
      }
      if (masked(k) !== masked(m)) fail(name, `${what} (bytes past the lock)`, k, m);
      if (!known.kernel.test(k) || !known.model.test(m)) {
        fail(name, `${what} (known divergence "${known.id}" no longer as listed)`, k, m);
      }
    };
    // The kernel's contents, as sorted `key=value` texts.
    const kernelEntries = (): string[] =>
      map.keys().map((key) => {
        const r = map.lookup(key, out, 0);
        if (r !== 0) throw new Error(`lookup of a key the walk gave: errno ${-r}`);
        return `${hex(key)}=${showValue(mode, out)}`;
      }).sort();
    for (const op of ops) {
      const what = JSON.stringify(op);
      // The kernel first, then each model, each answering the same op on its own map.
      const answers = (run: (side: "kernel" | Model) => string): string[] => [
        run("kernel"),
        ...opened.map(([, model]) => run(model)),
      ];
      let got: string[];
      switch (op.op) {
        case "set": {
          const key = keyOf(op.k);
          const value = poolValue(vs, op.v);
          got = answers((side) => {
            if (side === "kernel") {
              const r = map.update(key, value, op.flags);
              return r === 0 ? "ok" : kernelText(-r);
            }
            return modelOutcome(() => (side.set(key, value, op.flags), "ok"));
          });
          count(`set ${op.flags}`);
          break;
        }
        case "fill": {
          // n updates of consecutive pool keys, their answers as runs ("ok×5 E2BIG×2").
          got = answers((side) => {
            const runs: [string, number][] = [];
            for (let i = 0; i < op.n; i++) {
              const key = keyOf(op.k + i);
              const value = poolValue(vs, op.v);
              let r: string;
              if (side === "kernel") {
                const e = map.update(key, value, op.flags);
                r = e === 0 ? "ok" : kernelText(-e);
              } else {
                r = modelOutcome(() => (side.set(key, value, op.flags), "ok"));
              }
              const last = runs.at(-1);
              if (last?.[0] === r) last[1]++;
              else runs.push([r, 1]);
            }
            return runs.map(([r, n]) => `${r}×${n}`).join(" ");
          });
          count(`fill ${op.flags}`);
          break;
        }
        case "get": {
          const key = keyOf(op.k);
          got = answers((side) => {
            if (side === "kernel") {
              const r = map.lookup(key, out, op.flags);
              return r === 0 ? showValue(mode, out) : r === -2 ? "absent" : kernelText(-r);
            }
            return modelOutcome(() => {
              out.fill(0);
              return side.getInto(key, out, 0, op.flags) ? showValue(mode, out) : "absent";
            });
          });
          count(`get ${op.flags}`);
          break;
        }
        case "delete": {
          const key = keyOf(op.k);
          got = answers((side) => {
            if (side === "kernel") {
              const r = map.delete(key);
              return r === 0 ? "true" : r === -2 ? "false" : kernelText(-r);
            }
            return modelOutcome(() => String(side.delete(key)));
          });
          count("delete");
          break;
        }
      }
      const [k, ...ms] = got;
      for (const [, errno] of k!.matchAll(/error (\w+)/g)) count(`kernel ${errno}`);
      opened.forEach(([name], i) => {
        compared.results++;
        check(name, op, what, k!, ms[i]!);
      });
      // The contents: the same keys, each value as the lookup above compares it, and the size.
      const kc = kernelEntries();
      for (const [name, model] of opened) {
        const mc = [...model.entries()].map(([key, v]) => `${hex(key)}=${showValue(mode, v)}`)
          .sort();
        const keysOf = (es: string[]) => es.map((e) => e.slice(0, e.indexOf("="))).join(" ");
        if (keysOf(kc) !== keysOf(mc)) {
          fail(name, `${what}, then the keys held`, keysOf(kc), keysOf(mc));
        }
        kc.forEach((e, i) => {
          const at = e.indexOf("=") + 1;
          check(
            name,
            "contents",
            `${what}, then the value of ${e.slice(0, at - 1)}`,
            e.slice(at),
            mc[i]!.slice(at),
          );
        });
        if (model.size !== kc.length) {
          fail(name, `${what}, then the size`, `${kc.length}`, `${model.size}`);
        }
      }
      done.push(what);
    }
  } finally {
    for (const [, model] of opened) model.close();
    map.close();
  }
}

/** The update flags drawn: the valid six more often than the bad 3, 7 and 8. */
const SET_FLAGS = [0, 1, 2, F_LOCK, F_LOCK | 1, F_LOCK | 2, 0, 1, 2, F_LOCK, F_LOCK | 1, F_LOCK | 2]
  .concat([3, 7, 8]);
/** The lookup flags drawn: 0 and F_LOCK, and the bad 1 and 8. */
const GET_FLAGS = [0, F_LOCK, 0, F_LOCK, 1, 8];

/** The configurations and op sequences fast-check draws. */
function sequences(): fc.Arbitrary<{ config: Config; ops: Op[] }> {
  return fc.record({
    keySize: fc.constantFrom<4 | 8>(4, 8),
    words: fc.integer({ min: 1, max: 4 }),
    // Mostly small maps (they fill); larger ones through `fill`.
    maxEntries: fc.oneof(
      { weight: 4, arbitrary: fc.integer({ min: 1, max: 6 }) },
      { weight: 1, arbitrary: fc.integer({ min: 7, max: 64 }) },
    ),
    noPrealloc: fc.boolean(),
  }).chain((config) => {
    const max = config.maxEntries;
    const k = fc.integer({ min: 0, max: Math.min(max + 2, 40) });
    const v = fc.integer({ min: 0, max: 3 });
    const op: fc.Arbitrary<Op> = fc.oneof(
      {
        weight: 6,
        arbitrary: fc.record({
          op: fc.constant("set" as const),
          k,
          v,
          flags: fc.constantFrom(...SET_FLAGS),
        }),
      },
      {
        weight: 4,
        arbitrary: fc.record({
          op: fc.constant("get" as const),
          k,
          flags: fc.constantFrom(...GET_FLAGS),
        }),
      },
      { weight: 2, arbitrary: fc.record({ op: fc.constant("delete" as const), k }) },
      {
        weight: max > 6 ? 2 : 0,
        arbitrary: fc.record({
          op: fc.constant("fill" as const),
          k,
          n: fc.integer({ min: 1, max: max + 2 }),
          v,
          flags: fc.constantFrom(0, F_LOCK, F_LOCK | 1, F_LOCK | 2),
        }),
      },
    );
    return fc.record({
      config: fc.constant(config),
      ops: fc.array(op, { minLength: 1, maxLength: 50, size: "max" }),
    });
  });
}

describe("F_LOCK vs the kernel's BPF_MAP_TYPE_HASH with a bpf_spin_lock", { skip: SKIP }, () => {
  after(() => {
    const flags = [...compared.byFlag].sort().map(([f, n]) => `${f}: ${n}`).join(", ");
    console.log(
      `F_LOCK differential: ${compared.results} results compared on ${compared.maps} kernel ` +
        `maps (ops by flags, and the kernel's errnos: ${flags})`,
    );
  });

  it("SharedHtab and SharedRhash: every result, errno, value and the contents agree", () => {
    const fds = fdCount();
    fc.assert(fc.property(sequences(), ({ config, ops }) => runSequence(config, ops)), {
      numRuns: RUNS,
      includeErrorInReport: true,
    });
    assert.equal(fdCount(), fds, "every kernel map and BTF closed");
  });

  it("no spin lock in the BTF, against Htab and Rhash: F_LOCK is EINVAL on both, all agree", () => {
    const fds = fdCount();
    fc.assert(
      fc.property(sequences(), ({ config, ops }) => runSequence(config, ops, "nolock")),
      { numRuns: Math.ceil(RUNS / 2), includeErrorInReport: true },
    );
    assert.equal(fdCount(), fds, "every kernel map and BTF closed");
  });

  it("the kernel's answers, as kernel.md has them, one by one", () => {
    const fds = fdCount();
    const key = poolKey(4, 1);
    const v1 = poolValue(8, 1);
    const v2 = poolValue(8, 2);
    const out = new Uint8Array(8);
    const locked = new KernelLockedHash({ keySize: 4, valueSize: 8, maxEntries: 1 });
    try {
      assert.equal(locked.update(key, v1, F_LOCK | 2), -2, "F_LOCK|EXIST, absent: ENOENT");
      assert.equal(locked.update(key, v1, F_LOCK | 1), 0, "F_LOCK|NOEXIST, absent: OK");
      assert.equal(locked.update(key, v2, F_LOCK | 1), -17, "F_LOCK|NOEXIST, present: EEXIST");
      assert.equal(locked.update(key, v2, F_LOCK), 0, "F_LOCK, present: copied in place");
      assert.equal(locked.lookup(key, out, F_LOCK), 0);
      assert.deepEqual(out, new Uint8Array([0, 0, 0, 0, ...v2.subarray(4)]), "lock bytes read 0");
      assert.equal(locked.update(poolKey(4, 2), v1, F_LOCK), -7, "F_LOCK, full: E2BIG");
      assert.equal(locked.update(key, v1, 7), -22, "7: EINVAL");
      assert.equal(locked.update(key, v1, 8), -22, "8: EINVAL");
      assert.equal(locked.lookup(key, out, 1), -22, "lookup flags 1: EINVAL");
    } finally {
      locked.close();
    }
    // Without a spin lock: BTF whose value has none, and no BTF at all (BpfMap).
    const plain = new KernelLockedHash({
      keySize: 4,
      valueSize: 8,
      maxEntries: 1,
      spinLock: false,
    });
    const bare = new BpfMap({ keySize: 4, valueSize: 8, maxEntries: 1 });
    try {
      assert.equal(plain.update(key, v1, 0), 0);
      for (const flags of [F_LOCK, F_LOCK | 1, F_LOCK | 2]) {
        assert.equal(plain.update(key, v1, flags), -22, `update ${flags} without a lock: EINVAL`);
        assert.throws(() => bare.set(key, v1, flags), { code: "EINVAL" });
      }
      assert.equal(plain.lookup(key, out, F_LOCK), -22, "F_LOCK lookup without a lock: EINVAL");
      assert.equal(plain.lookup(key, out, 0), 0);
      assert.deepEqual(out, v1, "without a lock, every byte is the user's");
      bare.set(key, v1);
      assert.throws(() => bare.getInto(key, out, 0, F_LOCK), { code: "EINVAL" });
      // kvkit's single-agent maps have no lock either: the same EINVAL.
      for (const store of [new Htab(sizes(CONFIG_1)), new Rhash(sizes(CONFIG_1))]) {
        assert.equal(store.capabilities.lock, false);
        assert.throws(() => store.set(key, v1, F_LOCK), { code: "EINVAL" });
        store.set(key, v1);
        assert.throws(() => store.getInto(key, out, 0, F_LOCK), { code: "EINVAL" });
      }
    } finally {
      plain.close();
      bare.close();
    }
    assert.equal(fdCount(), fds, "every map and BTF closed");
  });

  it("every known divergence is met, and still diverges", () => {
    // The lock bytes: a value read back by lookup and by the contents, after an F_LOCK write.
    runSequence(CONFIG_1, [
      { op: "set", k: 0, v: 1, flags: F_LOCK },
      { op: "get", k: 0, flags: F_LOCK },
      { op: "set", k: 0, v: 2, flags: F_LOCK | 2 },
      { op: "get", k: 0, flags: 0 },
    ]);
  });

  // fast-check's failure message for a set of models, from a fixed seed.
  const failure = (models: Record<string, (c: Config) => Model>, mode: Mode = "lock"): string => {
    try {
      fc.assert(
        fc.property(sequences(), ({ config, ops }) => runSequence(config, ops, mode, models)),
        { numRuns: 300, seed: 15, includeErrorInReport: true },
      );
    } catch (err) {
      return (err as Error).message;
    }
    return "";
  };
  const reproOps = (message: string): string[] =>
    message.slice(message.lastIndexOf("repro:")).split("\n").filter((l) => l.startsWith("  {"));
  // A SharedHtab whose set and getInto go through `set` and `get` (the rest unchanged).
  const wrap = (
    name: string,
    change: {
      set?: (m: SharedHtab, key: Uint8Array, value: Uint8Array, flags: number) => void;
      getInto?: (m: SharedHtab, key: Uint8Array, out: Uint8Array, flags: number) => boolean;
    },
  ): Record<string, (c: Config) => Model> => ({
    [name]: (c) => {
      const m = new SharedHtab(sizes(c));
      return {
        set: (key, value, flags = 0) =>
          change.set ? change.set(m, key, value, flags) : m.set(key, value, flags),
        getInto: (key, out, offset = 0, flags = 0) =>
          change.getInto ? change.getInto(m, key, out, flags) : m.getInto(key, out, offset, flags),
        delete: (key) => m.delete(key),
        entries: () => m.entries(),
        get size() {
          return m.size;
        },
        close: () => m.close(),
      };
    },
  });

  it("fails, with a minimal repro, on a model whose F_LOCK drops NOEXIST", () => {
    const message = failure(wrap("NoNoexist", {
      set: (m, key, value, flags) => m.set(key, value, flags === (F_LOCK | 1) ? F_LOCK : flags),
    }));
    assert.match(
      message,
      /NoNoexist differs from the kernel's locked HASH \(lock\) at \{"op":"(set|fill)".*"flags":5\}/,
    );
    assert.match(message, /kernel: (ok×\d+ )?error EEXIST(×\d+)?.*\n\s+NoNoexist:\s+ok/);
    // Shrunk to an insert and the F_LOCK|NOEXIST on the same key.
    assert.equal(reproOps(message).length, 2, message);
  });

  it("fails, with a minimal repro, on a model whose F_LOCK update of a present key is lost", () => {
    const message = failure(wrap("LostCopy", {
      set: (m, key, value, flags) => {
        if ((flags & F_LOCK) !== 0 && (flags & 3) !== 3 && flags < 8 && m.has(key)) {
          if ((flags & 3) === 1) throw new StoreError("EEXIST", "present (NOEXIST)");
          return; // answers ok, copies nothing
        }
        m.set(key, value, flags);
      },
    }));
    assert.match(message, /LostCopy differs from the kernel's locked HASH/);
    assert.match(message, /(bytes past the lock|then the value of)/);
    assert.ok(reproOps(message).length <= 2, message);
  });

  it("fails when the lock bytes stop diverging (a model that zeroes them, as the kernel)", () => {
    // Not a wrong model but a changed one: the listed divergence no longer holds, so the list
    // must change with it.
    const message = failure(wrap("ZeroLock", {
      getInto: (m, key, out, flags) => {
        const found = m.getInto(key, out, 0, flags);
        if (found) out.fill(0, 0, SPIN_LOCK_SIZE);
        return found;
      },
    }));
    assert.match(message, /known divergence "value bytes 0\.\.3 .*" no longer as listed/);
    assert.match(message, /kernel: 00000000\|[0-9a-f]+\n\s+ZeroLock:\s+00000000\|/);
    assert.ok(reproOps(message).length <= 2, message);
  });

  it("fails, with a minimal repro, on a lock-less model that accepts F_LOCK", () => {
    // Htab, except that it takes F_LOCK as a plain update (a store claiming a lock it has not).
    const message = failure({
      LaxHtab: (c) => {
        const m = new Htab(sizes(c));
        return {
          set: (key, value, flags = 0) => m.set(key, value, flags & ~F_LOCK),
          getInto: (key, out, offset = 0, flags = 0) => m.getInto(key, out, offset, flags),
          delete: (key) => m.delete(key),
          entries: () => m.entries(),
          get size() {
            return m.size;
          },
          close: () => m.close(),
        };
      },
    }, "nolock");
    assert.match(
      message,
      /LaxHtab differs from the kernel's locked HASH \(nolock\) at \{"op":"(set|fill)"/,
    );
    assert.match(message, /kernel: error EINVAL(×\d+)?\n\s+LaxHtab:\s+(ok|error E(NOENT|EXIST))/);
    assert.equal(reproOps(message).length, 1, message);
  });
});
