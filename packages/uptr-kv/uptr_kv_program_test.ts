import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  CONTROL_BYTES,
  CTRL_MAGIC,
  CTRL_NR_PAGES,
  encodeMeta,
  INIT_BIT,
  PAGE_SIZE,
  UptrKvOwner,
  UptrKvProgram,
  type UptrKvRegions,
} from "./mod.ts";

// A copy of an owner's regions in plain buffers, to corrupt freely.
function copyRegions(owner: UptrKvOwner): UptrKvRegions {
  const copy = (b: ArrayBuffer | SharedArrayBuffer): ArrayBuffer => {
    const out = new ArrayBuffer(b.byteLength);
    new Uint8Array(out).set(new Uint8Array(b));
    return out;
  };
  const r = owner.regions;
  return { meta: copy(r.meta), data: copy(r.data), control: copy(r.control) };
}

describe("program side", () => {
  it("attaches to valid regions, shared or plain", () => {
    for (const shared of [true, false]) {
      const owner = new UptrKvOwner({ shared });
      owner.put(4, new Uint8Array([1, 2]));
      const program = UptrKvProgram.attach(owner.regions);
      assert.deepEqual(program.get(4), new Uint8Array([1, 2]));
      assert.equal(program.regions.meta instanceof SharedArrayBuffer, shared);
    }
  });

  it("refuses regions of the wrong size, kind or header with EINVAL", () => {
    const owner = new UptrKvOwner();
    const r = owner.regions;
    const bad: unknown[] = [
      undefined,
      { ...r, meta: new ArrayBuffer(4092) },
      { ...r, control: new ArrayBuffer(CONTROL_BYTES + 4) },
      { ...r, data: new ArrayBuffer(PAGE_SIZE + 1) },
      { ...r, data: new ArrayBuffer(9 * PAGE_SIZE) },
      { ...r, data: new Uint8Array(PAGE_SIZE) },
      { ...r, control: new ArrayBuffer(CONTROL_BYTES) }, // no magic
    ];
    for (const regions of bad) {
      assert.throws(() => UptrKvProgram.attach(regions as UptrKvRegions), { code: "EINVAL" });
    }
    const noPages = copyRegions(owner);
    new Int32Array(noPages.control)[CTRL_NR_PAGES] = 2; // more pages than the data holds
    assert.throws(() => UptrKvProgram.attach(noPages), { code: "EINVAL" });
    const noMagic = copyRegions(owner);
    new Int32Array(noMagic.control)[CTRL_MAGIC] = 1;
    assert.throws(() => UptrKvProgram.attach(noMagic), /magic/);
  });

  it("refuses metadata entries pointing out of bounds, misaligned, overlapping or reserved", () => {
    const owner = new UptrKvOwner();
    owner.put(0, new Uint8Array(16));
    const entries = [
      encodeMeta({ page: 1, offset: 0, size: 8 }), // page 1 is not allocated
      (INIT_BIT | 4095 << 15 | 8 << 3) >>> 0, // offset 8 + 4096 bytes crosses the page
      (INIT_BIT | 7 << 15 | 4 << 3) >>> 0, // offset 4: not 8-byte aligned
      encodeMeta({ page: 0, offset: 8, size: 8 }), // overlaps key 0's [0, 16)
      0x1000_0000, // reserved bit
    ];
    for (const word of entries) {
      const regions = copyRegions(owner);
      new Uint32Array(regions.meta)[5] = word;
      assert.throws(() => UptrKvProgram.attach(regions), { code: "EINVAL" }, word.toString(16));
    }
  });

  it("never reads out of bounds when an entry is corrupted after attaching", () => {
    const owner = new UptrKvOwner({ shared: false });
    owner.put(1, new Uint8Array(8));
    const program = UptrKvProgram.attach(owner.regions);
    new Uint32Array(owner.regions.meta)[1] = encodeMeta({ page: 6, offset: 0, size: 8 });
    const out = new Uint8Array(8);
    assert.throws(() => program.getInto(1, out), { code: "EINVAL" });
    assert.throws(() => program.readF64(1, 0), { code: "EINVAL" });
    assert.throws(() => program.put(1, out), { code: "EINVAL" });
  });

  it("getInto copies at an offset and checks the room there, on both paths", () => {
    for (const consistent of [true, false]) {
      const owner = new UptrKvOwner({ consistent, shared: consistent });
      owner.put(1, Uint8Array.from([1, 2, 3]));
      owner.put(2, new Uint8Array(40).fill(7)); // above the loop-copy length: TypedArray#set
      const p = UptrKvProgram.attach(owner.regions);
      const out = new Uint8Array(44).fill(9);
      assert.equal(p.getInto(1, out, 41), 3);
      assert.deepEqual(out.subarray(40), new Uint8Array([9, 1, 2, 3]));
      assert.equal(p.getInto(2, out, 4), 40);
      assert.deepEqual(out.subarray(0, 5), new Uint8Array([9, 9, 9, 9, 7]));
      const before = out.slice();
      assert.throws(() => p.getInto(1, out, 42), { code: "EINVAL" });
      assert.throws(() => p.getInto(2, out, 5), { code: "EINVAL" });
      assert.throws(() => p.getInto(1, out, -1), { code: "EINVAL" });
      assert.throws(() => p.getInto(1, out, 0.5), { code: "EINVAL" });
      assert.deepEqual(out, before, "out untouched by a refused read");
    }
  });

  it("reads and writes existing keys only: unknown keys are ENOENT, sizes are fixed", () => {
    const owner = new UptrKvOwner();
    owner.put(3, new Uint8Array(24));
    const p = UptrKvProgram.attach(owner.regions);
    assert.throws(() => p.put(4, new Uint8Array(1)), { code: "ENOENT" });
    assert.throws(() => p.getInto(4, new Uint8Array(8)), { code: "ENOENT" });
    assert.throws(() => p.get(4), { code: "ENOENT" });
    assert.throws(() => p.delete(4), { code: "ENOENT" });
    assert.throws(() => p.readU32(4, 0), { code: "ENOENT" });
    assert.equal(owner.has(4), false);
    assert.throws(() => p.put(3, new Uint8Array(23)), { code: "EINVAL" });
    assert.throws(() => p.getInto(3, new Uint8Array(23)), { code: "EINVAL" });
    assert.throws(() => p.get(1024), { code: "EINVAL" });
    assert.throws(() => p.has(-1), { code: "EINVAL" });
    assert.throws(() => p.readF64(3, 3), { code: "EINVAL" });
    p.writeF64(3, 2, 6.5);
    p.writeU32(3, 0, 0xffff_ffff);
    assert.equal(owner.program.readF64(3, 2), 6.5);
    assert.equal(owner.program.readU32(3, 0), 0xffff_ffff);
    const bytes = owner.get(3)!;
    assert.deepEqual(bytes.subarray(0, 4), new Uint8Array([255, 255, 255, 255]));
  });

  it("a program's delete frees the space for the owner's next allocation", () => {
    const owner = new UptrKvOwner({ maxPages: 1 });
    owner.put(0, new Uint8Array(4096));
    assert.throws(() => owner.put(1, new Uint8Array(8)), { code: "ENOSPC" });
    UptrKvProgram.attach(owner.regions).delete(0);
    owner.put(1, new Uint8Array(8));
    assert.equal(owner.size, 1);
  });

  it("sees pages the owner adds after attaching and the manifest version", () => {
    const owner = new UptrKvOwner();
    const p = UptrKvProgram.attach(owner.regions);
    assert.equal(p.manifestVersion, undefined);
    for (let k = 0; k < 8; k++) owner.put(k, new Uint8Array(4096).fill(k));
    assert.equal(p.pageCount, 8);
    for (let k = 0; k < 8; k++) assert.equal(p.get(k)[4095], k);
    owner.applyManifest({ version: 3, entries: [{ key: 7, name: "x", size: 4096 }] });
    assert.equal(p.manifestVersion, 3);
    assert.deepEqual([...p.keys()], [7]);
  });

  it("consistent writes move only their key's counter, by two, and leave it even", () => {
    // Readers on other threads rely on it: an odd counter is a writer at work, a changed one a
    // finished write. Small values (byte loop), large ones (TypedArray#set) and typed writes.
    const owner = new UptrKvOwner();
    owner.put(1, new Uint8Array(16));
    owner.put(2, new Uint8Array(100));
    const p = UptrKvProgram.attach(owner.regions);
    const seq = new Int32Array(owner.regions.control);
    const before = seq.slice();
    p.put(1, new Uint8Array(16).fill(1));
    p.writeF64(1, 0, 1.5);
    p.writeU32(1, 2, 7);
    p.put(2, new Uint8Array(100).fill(2));
    const out = new Uint8Array(100);
    assert.equal(p.getInto(1, out), 16);
    assert.equal(p.getInto(2, out), 100);
    assert.equal(p.readF64(1, 0), 1.5);
    assert.equal(p.readU32(1, 2), 7);
    assert.equal(p.readU32(1, 3), 0x0101_0101);
    assert.deepEqual(p.get(2), new Uint8Array(100).fill(2));
    const moved = [...seq.keys()].filter((i) => seq[i] !== before[i]);
    assert.deepEqual(moved, [8 + 1, 8 + 2]);
    assert.equal(seq[8 + 1]! - before[8 + 1]!, 6);
    assert.equal(seq[8 + 2]! - before[8 + 2]!, 2);
    assert.ok(moved.every((i) => (seq[i]! & 1) === 0));
  });

  it("plain mode reads and writes the same bytes without the sequence counters", () => {
    const owner = new UptrKvOwner({ consistent: false });
    owner.put(2, new Uint8Array(40));
    const p = UptrKvProgram.attach(owner.regions);
    assert.equal(p.consistent, false);
    p.put(2, new Uint8Array(40).fill(3));
    assert.deepEqual(owner.get(2), new Uint8Array(40).fill(3));
    const seq = new Int32Array(owner.regions.control);
    assert.ok(seq.subarray(8).every((s) => s === 0), "no counter moved");
  });
});
