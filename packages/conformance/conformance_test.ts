// The suite must pass a correct store and catch each deliberately broken one.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  type Backend,
  type Batch,
  type BatchOptions,
  type Capabilities,
  checkKey,
  checkUpdate,
  EXIST,
  lookupBatch,
  NOEXIST,
  type Store,
  StoreError,
} from "@kvkit/store";
import { conformanceChecks, runConformance } from "@kvkit/conformance";

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
  | "reuses the get buffer";

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
const unhex = (s: string) => Uint8Array.from(s.match(/../g) ?? [], (h) => parseInt(h, 16));

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
  *entries(): IterableIterator<[Uint8Array, Uint8Array]> {
    const keys = [...this.#map.keys()];
    if (this.#defect === "iteration repeats" && keys.length > 1) keys.push(keys[0]!);
    for (const k of keys) {
      const v = this.#map.get(k);
      if (v !== undefined || this.#defect === "iteration repeats") {
        yield [unhex(k), (v ?? new Uint8Array(3)).slice()];
      }
    }
  }
  *keys(): IterableIterator<Uint8Array> {
    for (const [k] of this.entries()) yield k;
  }
  *values(): IterableIterator<Uint8Array> {
    for (const [, v] of this.entries()) yield v;
  }
  [Symbol.iterator](): IterableIterator<[Uint8Array, Uint8Array]> {
    return this.entries();
  }
  lookupBatch(cursor: Uint8Array | undefined, count: number, options?: BatchOptions): Batch {
    const keep = this.#defect === "batch delete keeps";
    return lookupBatch(this, cursor, count, keep ? {} : options);
  }
  memoryUsage(): number {
    return 64 + this.#map.size * 5;
  }
}

const tiny = (defect: Defect): Backend => ({
  name: "tiny",
  summary: `test store (${defect})`,
  create: () => new TinyStore(defect),
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
