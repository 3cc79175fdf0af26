import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { InternTable } from "./_intern_table.ts";
import { OwnerTable, SkStorageMap } from "@kvkit/sk-storage";

// Four-byte values whose FNV-1a hash has its low 17 bits zero, so an unkeyed FNV-1a table
// of up to 2^17 buckets puts them all in bucket 0. The low bits of a product depend only on
// the low bits of its factors, so the last byte can cancel bits 0..7 and a prefix is kept
// when its hash after three bytes has bits 8..16 zero (one in 512).
function fnvCollisions(count: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let prefix = 0; out.length < count; prefix++) {
    let h = 0x811c9dc5;
    for (const b of [prefix & 0xff, (prefix >>> 8) & 0xff, prefix >>> 16]) {
      h = Math.imul(h ^ b, 0x01000193);
    }
    if ((h & 0x1ff00) !== 0) continue;
    out.push(new Uint8Array([prefix & 0xff, (prefix >>> 8) & 0xff, prefix >>> 16, h & 0xff]));
  }
  return out;
}

// Byte reads of `table.values` made by `find` over `values`: the probe work, counted without
// timing through a Proxy (acquire's bulk `set` does not run while it is installed).
function bytesRead(table: InternTable, values: Uint8Array[]): number {
  const real = table.values;
  let reads = 0;
  table.values = new Proxy(real, {
    get(target, prop) {
      if (typeof prop === "string" && /^\d+$/.test(prop)) reads++;
      return Reflect.get(target, prop, target);
    },
  });
  try {
    for (const v of values) assert.notEqual(table.find(v), -1);
  } finally {
    table.values = real;
  }
  return reads;
}

describe("interned value table", () => {
  it("spreads values crafted to share one FNV-1a bucket like random ones", () => {
    const crafted = fnvCollisions(2000);
    let fnv = 0x811c9dc5;
    for (const b of crafted[1]!) fnv = Math.imul(fnv ^ b, 0x01000193);
    assert.equal(fnv & 0x1ffff, 0, "the crafted values do collide under FNV-1a");
    const table = new InternTable(4);
    for (const v of crafted) table.acquire(v);
    assert.equal(table.live, 2000);
    // An unkeyed table walks the whole run: ~1000 candidates per find, ~2 reads each.
    // A keyed one at most half full probes ~1.5 buckets per hit.
    const perFind = bytesRead(table, crafted) / crafted.length;
    assert.ok(perFind < 12, `${perFind.toFixed(1)} byte reads per find`);
  });

  it("hashes every byte of a value, the tail past the last full word too", () => {
    for (const size of [1, 3, 5, 7, 64, 66]) {
      // 500 values that differ only in their last two bytes: a hash that dropped the tail
      // (or read stale bytes into it) would put them all in one probe run.
      const values = Array.from({ length: 500 }, (_, i) => {
        const v = new Uint8Array(size).fill(9);
        v[size - 1] = i & 0xff;
        if (size > 1) v[size - 2] = i >> 8;
        return v;
      });
      if (size === 1) values.length = 256;
      const table = new InternTable(size);
      const ids = values.map((v) => table.acquire(v));
      values.forEach((v, i) => assert.equal(table.find(v), ids[i], `size ${size}, value ${i}`));
      const perFind = bytesRead(table, values) / values.length;
      assert.ok(perFind < 3 * size + 12, `size ${size}: ${perFind.toFixed(1)} byte reads per find`);
    }
  });

  it("keys every table afresh", () => {
    const v = new Uint8Array([1, 2, 3, 4]);
    const a = new InternTable(4);
    const b = new InternTable(4);
    const c = new InternTable(4);
    for (const t of [a, b, c]) t.acquire(v);
    // Two random 64-bit keys giving three equal index layouts would be a 2^-24 accident at
    // worst: compare where the same 64 values land through the byte reads of a lookup walk.
    const values = Array.from({ length: 64 }, (_, i) => new Uint8Array([i, 0, 0, 0]));
    for (const t of [a, b, c]) for (const x of values) t.acquire(x);
    const reads = [a, b, c].map((t) => values.map((x) => bytesRead(t, [x])).join(","));
    assert.ok(new Set(reads).size > 1, "three tables probed identically");
  });

  it("answers ENOMEM when it cannot grow, and stays as it was", () => {
    let refuse = false;
    const table = new InternTable(4, (n) => {
      if (refuse) throw new RangeError("Array buffer allocation failed");
      return new Uint8Array(n);
    });
    const values = Array.from({ length: 16 }, (_, i) => new Uint8Array([i, 1, 2, 3]));
    for (const v of values) table.acquire(v);
    refuse = true;
    const before = table.byteLength();
    assert.throws(() => table.acquire(new Uint8Array([99, 1, 2, 3])), { code: "ENOMEM" });
    assert.throws(() => table.reserve(new Uint8Array([99, 1, 2, 3])), { code: "ENOMEM" });
    assert.equal(table.live, 16);
    assert.equal(table.byteLength(), before);
    values.forEach((v, i) => assert.equal(table.find(v), i));
    // A value already held needs no room.
    assert.equal(table.acquire(values[3]!), 3);
    assert.equal(table.refcnt[3], 2);
  });

  it("lets an interned map take crafted values and give every one back", () => {
    const table = new OwnerTable({ owners: 3000, inlineBytes: 2 });
    const map = new SkStorageMap(table, { valueSize: 4, interned: true });
    const crafted = fnvCollisions(3000);
    const owners = crafted.map((v) => {
      const o = table.createOwner();
      map.set(o, v);
      return o;
    });
    assert.equal(map.distinctValues, 3000);
    owners.forEach((o, i) => assert.deepEqual(map.get(o), crafted[i]));
    table.checkValid();
  });
});
