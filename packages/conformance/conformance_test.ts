// The suite must pass a correct store and catch each deliberately broken one.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  type Backend,
  type Batch,
  type BatchOptions,
  type Capabilities,
  checkKey,
  checkLookup,
  checkOptions,
  checkUpdate,
  EXIST,
  type IterateOptions,
  lookupBatch,
  NOEXIST,
  type Store,
  StoreError,
} from "@kvkit/store";
import { conformanceChecks, runConformance } from "@kvkit/conformance";
import { hex, unhex } from "@kvkit/conformance/testing";

type Defect =
  | "none"
  | "ignores NOEXIST"
  | "live view"
  | "wrong full error"
  | "partial write on error"
  | "no key check"
  | "iteration repeats"
  | "batch delete keeps"
  | "size off by one"
  | "shares value buffer"
  | "copies input with slice()"
  | "reuses the get buffer"
  | "getInto ignores offset"
  | "getInto writes when absent"
  | "getInto takes F_LOCK"
  | "getInto without room check"
  | "accepts unknown options"
  | "reuse walk stale"
  | "checkValid fails"
  | "walk yields deleted keys"
  | "cursor is a returned key"
  | "reuse yields live values";

/** A small correct store that can be told to break one rule. */
class TinyStore implements Store {
  readonly backend = "tiny";
  readonly capabilities: Capabilities = {
    keySize: { min: 2, max: 2 },
    valueSize: { min: 3, max: 3 },
    maxEntries: 6,
    ordered: false,
    fullError: "E2BIG",
    valueTooBig: "EINVAL",
    lock: false,
  };
  readonly #map = new Map<string, Uint8Array>();
  readonly #defect: Defect;
  readonly #out = new Uint8Array(3);
  #deletes = 0;
  constructor(defect: Defect) {
    this.#defect = defect;
  }
  get size(): number {
    return this.#map.size - (this.#defect === "size off by one" && this.#deletes > 2 ? 1 : 0);
  }
  get(key: Uint8Array): Uint8Array | undefined {
    if (this.#defect !== "no key check") checkKey(this.capabilities, key);
    const v = this.#map.get(hex(key));
    if (v !== undefined && this.#defect === "reuses the get buffer") {
      return this.#out.fill(0).set(v), this.#out;
    }
    return this.#defect === "live view" ? v : v?.slice();
  }
  getInto(key: Uint8Array, out: Uint8Array, offset = 0, flags = 0): boolean {
    const caps = this.#defect === "getInto takes F_LOCK"
      ? { ...this.capabilities, lock: true }
      : this.#defect === "getInto without room check"
      ? { ...this.capabilities, valueSize: { min: 0, max: 3 } }
      : this.capabilities;
    checkLookup(caps, key, out, offset, flags);
    const v = this.#map.get(hex(key));
    if (v === undefined) {
      if (this.#defect === "getInto writes when absent") out.fill(0, offset, offset + 3);
      return false;
    }
    for (let i = 0; i < 3 && offset + i < out.length; i++) {
      out[(this.#defect === "getInto ignores offset" ? 0 : offset) + i] = v[i]!;
    }
    return true;
  }
  has(key: Uint8Array): boolean {
    checkKey(this.capabilities, key);
    return this.#map.has(hex(key));
  }
  set(key: Uint8Array, value: Uint8Array, flags = 0): void {
    if (this.#defect === "partial write on error" && value.length !== 3) {
      this.#map.set(hex(key), new Uint8Array(3));
    }
    const mode = checkUpdate(this.capabilities, key, value, flags);
    const present = this.#map.has(hex(key));
    if (mode === NOEXIST && present && this.#defect !== "ignores NOEXIST") {
      throw new StoreError("EEXIST", "exists");
    }
    if (mode === EXIST && !present) throw new StoreError("ENOENT", "absent");
    if (!present && this.#map.size >= this.capabilities.maxEntries) {
      throw new StoreError(this.#defect === "wrong full error" ? "ENOSPC" : "E2BIG", "full");
    }
    this.#map.set(
      hex(key),
      this.#defect === "shares value buffer"
        ? value
        : this.#defect === "copies input with slice()"
        ? value.slice()
        : new Uint8Array(value),
    );
  }
  delete(key: Uint8Array): boolean {
    checkKey(this.capabilities, key);
    this.#deletes++;
    return this.#map.delete(hex(key));
  }
  clear(): void {
    this.#map.clear();
  }
  nextKey(key?: Uint8Array): Uint8Array | undefined {
    if (key !== undefined) checkKey(this.capabilities, key);
    const keys = [...this.#map.keys()];
    const i = key === undefined ? -1 : keys.indexOf(hex(key));
    const next = keys[i + 1];
    return next === undefined ? undefined : unhex(next);
  }
  *entries(options?: IterateOptions): IterableIterator<[Uint8Array, Uint8Array]> {
    const keys = [...this.#map.keys()];
    if (this.#defect === "iteration repeats" && keys.length > 1) keys.push(keys[0]!);
    const reused: [Uint8Array, Uint8Array] = [new Uint8Array(2), new Uint8Array(3)];
    let first = true;
    for (const k of keys) {
      const v = this.#map.get(k) ??
        (this.#defect === "walk yields deleted keys" && !first ? new Uint8Array(3) : undefined);
      if (v !== undefined || this.#defect === "iteration repeats") {
        if (options?.reuse && this.#defect === "reuse yields live values" && v !== undefined) {
          yield [unhex(k), v];
        } else if (options?.reuse) {
          // The defect: the reused arrays are filled once, then never again.
          if (this.#defect !== "reuse walk stale" || first) {
            reused[0].set(unhex(k));
            reused[1].set(v ?? new Uint8Array(3));
          }
          first = false;
          yield reused;
        } else {
          first = false;
          yield [unhex(k), (v ?? new Uint8Array(3)).slice()];
        }
      }
    }
  }
  *keys(options?: IterateOptions): IterableIterator<Uint8Array> {
    for (const [k] of this.entries(options)) yield k;
  }
  *values(options?: IterateOptions): IterableIterator<Uint8Array> {
    for (const [, v] of this.entries(options)) yield v;
  }
  [Symbol.iterator](): IterableIterator<[Uint8Array, Uint8Array]> {
    return this.entries();
  }
  lookupBatch(cursor: Uint8Array | undefined, count: number, options?: BatchOptions): Batch {
    const keep = this.#defect === "batch delete keeps";
    const batch = lookupBatch(this, cursor, count, keep ? {} : options);
    if (this.#defect === "cursor is a returned key" && batch.cursor !== undefined) {
      return { ...batch, cursor: batch.keys.at(-1) };
    }
    return batch;
  }
  memoryUsage(): number {
    return 64 + this.#map.size * 5;
  }
  checkValid(): void {
    if (this.#defect === "checkValid fails" && this.#map.size > 2) throw new Error("broken");
  }
  close(): void {}
  [Symbol.dispose](): void {}
}

const tiny = (defect: Defect): Backend => ({
  name: "tiny",
  summary: `test store (${defect})`,
  create: (options?: Record<string, unknown>) => {
    if (defect !== "accepts unknown options") checkOptions("tiny", options, []);
    return new TinyStore(defect);
  },
});

runConformance(tiny("none"), { name: "a correct store" });

describe("the suite catches each deliberately broken store", () => {
  const defects: [Defect, string][] = [
    ["ignores NOEXIST", "update flags"],
    ["live view", "copies"],
    ["shares value buffer", "copies"],
    ["wrong full error", "full store"],
    ["partial write on error", "rejected, store unchanged"],
    ["no key check", "out-of-range keys"],
    ["iteration repeats", "iteration"],
    ["batch delete keeps", "lookupBatch"],
    ["size off by one", "random operation sequences"],
    ["copies input with slice()", "Buffer-like input is copied"],
    ["reuses the get buffer", "no buffer is reused"],
    ["getInto ignores offset", "getInto copies"],
    ["getInto writes when absent", "getInto copies"],
    ["getInto takes F_LOCK", "getInto copies"],
    ["getInto without room check", "getInto copies"],
    ["accepts unknown options", "options are checked"],
    ["reuse walk stale", "random operation sequences"],
    ["checkValid fails", "random operation sequences"],
    ["walk yields deleted keys", "iteration yields every entry once"],
    ["cursor is a returned key", "lookupBatch walks every entry once"],
    ["reuse yields live values", "random operation sequences"],
  ];
  for (const [defect, expectedCheck] of defects) {
    it(`${defect}: caught by "${expectedCheck}"`, () => {
      const failed = conformanceChecks(tiny(defect), { runs: 100 }).filter((check) => {
        try {
          check.run();
          return false;
        } catch {
          return true;
        }
      }).map((c) => c.name);
      assert.ok(
        failed.some((name) => name.includes(expectedCheck)),
        `expected "${expectedCheck}" among failed checks: ${JSON.stringify(failed)}`,
      );
    });
  }
});
