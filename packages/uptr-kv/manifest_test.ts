import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { type Manifest, UptrKvOwner, UptrKvProgram } from "./mod.ts";

const bytes = (n: number, fill: number): Uint8Array => new Uint8Array(n).fill(fill);

// The RFC's selftest layouts: v0 has keys 0..3; v1 keeps 0, drops 1 and 3, re-sizes 2, and
// adds 4 (with a value), 6 and 8 (zeroed). Sizes make v0 fill most of page 0, so old and new
// can only coexist by growing.
const V0: Manifest = {
  version: 0,
  entries: [
    { key: 0, name: "counter", size: 8 },
    { key: 1, name: "flags", size: 1000 },
    { key: 2, name: "state", size: 2000 },
    { key: 3, name: "scratch", size: 1000 },
  ],
};
const V1: Manifest = {
  version: 1,
  entries: [
    { key: 0, name: "counter", size: 8 },
    { key: 2, name: "state", size: 3000, default: bytes(3000, 0x22) },
    { key: 4, name: "limit", size: 4, default: [4, 0, 0, 0] },
    { key: 6, name: "hist", size: 64 },
    { key: 8, name: "peer", size: 16 },
  ],
};

function snapshot(owner: UptrKvOwner): Uint8Array[] {
  const r = owner.regions;
  return [r.meta, r.data, r.control].map((b) => new Uint8Array(b).slice());
}

describe("manifest migration", () => {
  it("reproduces the RFC's v0 -> v1 scenario", () => {
    const owner = new UptrKvOwner();
    assert.deepEqual(owner.applyManifest(V0).created, [0, 1, 2, 3]);
    // User space puts every key before the program starts.
    for (const { key, size } of V0.entries) owner.put(key, bytes(size, key + 1));
    const program = UptrKvProgram.attach(owner.regions);
    assert.equal(program.manifestVersion, 0);
    const slot0 = new Uint32Array(owner.regions.meta)[0];

    const report = owner.applyManifest(V1);
    assert.deepEqual(report, {
      from: 0,
      to: 1,
      kept: [0],
      created: [4, 6, 8],
      resized: [2],
      deleted: [1, 3],
      repacked: false,
      pages: 2,
    });
    assert.equal(program.manifestVersion, 1);
    assert.deepEqual(program.get(0), bytes(8, 1), "key 0 kept its value");
    assert.equal(new Uint32Array(owner.regions.meta)[0], slot0, "and its slot");
    assert.equal(program.has(1), false);
    assert.equal(program.has(3), false);
    assert.deepEqual(program.get(2), bytes(3000, 0x22), "key 2 re-created at 3000 bytes");
    assert.deepEqual(program.get(4), new Uint8Array([4, 0, 0, 0]));
    assert.deepEqual(program.get(6), bytes(64, 0));
    assert.deepEqual(program.get(8), bytes(16, 0));
    assert.deepEqual([...program.keys()], [0, 2, 4, 6, 8]);
    assert.equal(owner.manifest, V1);
    UptrKvProgram.attach(owner.regions); // the migrated layout is valid
  });

  it("places new values beside the old ones, growing the data region, without moving kept keys", () => {
    const owner = new UptrKvOwner();
    owner.applyManifest(V0);
    const before = new Uint32Array(owner.regions.meta).slice();
    const report = owner.applyManifest(V1);
    const after = new Uint32Array(owner.regions.meta);
    assert.equal(report.repacked, false);
    assert.equal(after[0], before[0]);
    // Key 2's new slot did not reuse its old one or keys 1 and 3's: they coexisted.
    assert.equal(after[2]! & 7, 1, "key 2 now lives in the new page 1");
  });

  it("is all or nothing: a layout that cannot fit changes nothing", () => {
    const owner = new UptrKvOwner({ maxPages: 2 });
    owner.applyManifest(V0);
    for (const { key, size } of V0.entries) owner.put(key, bytes(size, key + 1));
    const before = snapshot(owner);
    const tooBig: Manifest = {
      version: 2,
      entries: [
        { key: 0, name: "counter", size: 8 },
        { key: 5, name: "a", size: 4096 },
        { key: 7, name: "b", size: 4096 },
      ],
    };
    assert.throws(() => owner.applyManifest(tooBig), { code: "ENOSPC" });
    assert.deepEqual(snapshot(owner), before);
    assert.equal(owner.manifest, V0);
    assert.equal(owner.program.manifestVersion, 0);
  });

  it("repacks when old and new cannot coexist but the new layout fits", () => {
    const owner = new UptrKvOwner({ maxPages: 2 });
    owner.applyManifest({
      version: 0,
      entries: [
        { key: 0, name: "keep", size: 8, default: [9, 9, 9, 9, 9, 9, 9, 9] },
        { key: 1, name: "big", size: 4000 },
        { key: 2, name: "big2", size: 4000 },
      ],
    });
    const report = owner.applyManifest({
      version: 1,
      entries: [
        { key: 0, name: "keep", size: 8 },
        { key: 3, name: "bigger", size: 4080 },
      ],
    });
    assert.equal(report.repacked, true);
    assert.deepEqual(report.deleted, [1, 2]);
    assert.deepEqual(owner.get(0), bytes(8, 9));
    assert.deepEqual(owner.get(3), bytes(4080, 0));
    UptrKvProgram.attach(owner.regions);
  });

  it("re-applying the same manifest keeps every value in place", () => {
    const owner = new UptrKvOwner();
    owner.applyManifest(V1);
    owner.put(6, bytes(64, 6));
    const before = snapshot(owner);
    const report = owner.applyManifest(V1);
    assert.deepEqual(report.kept, [0, 2, 4, 6, 8]);
    assert.deepEqual(snapshot(owner).slice(0, 2), before.slice(0, 2));
  });

  it("rejects malformed manifests before changing anything", () => {
    const owner = new UptrKvOwner();
    owner.applyManifest(V0);
    const before = snapshot(owner);
    const bad: [unknown, string][] = [
      [{ version: -1, entries: [] }, "EINVAL"],
      [{ version: 1.5, entries: [] }, "EINVAL"],
      [{ version: 1 }, "EINVAL"],
      [{ version: 1, entries: [{ key: 1024, name: "a", size: 1 }] }, "EINVAL"],
      [
        { version: 1, entries: [{ key: 1, name: "a", size: 1 }, { key: 1, name: "b", size: 1 }] },
        "EINVAL",
      ],
      [
        { version: 1, entries: [{ key: 1, name: "a", size: 1 }, { key: 2, name: "a", size: 1 }] },
        "EINVAL",
      ],
      [{ version: 1, entries: [{ key: 1, name: "", size: 1 }] }, "EINVAL"],
      [{ version: 1, entries: [{ key: 1, name: "a", size: 0 }] }, "EINVAL"],
      [{ version: 1, entries: [{ key: 1, name: "a", size: 4097 }] }, "E2BIG"],
      [{ version: 1, entries: [{ key: 1, name: "a", size: 2, default: [1] }] }, "EINVAL"],
      [{ version: 1, entries: [{ key: 1, name: "a", size: 1, default: [256] }] }, "EINVAL"],
    ];
    for (const [manifest, code] of bad) {
      assert.throws(
        () => owner.applyManifest(manifest as Manifest),
        { code },
        JSON.stringify(manifest),
      );
    }
    assert.deepEqual(snapshot(owner), before);
  });
});
