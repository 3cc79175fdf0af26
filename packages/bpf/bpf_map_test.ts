// BpfMap on the kernel's maps: options, fds, pins, each map type's own answers, and the
// runtimes without FFI. Kernel tests are skipped with one line where bpf(2) is out of reach.

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { unlinkSync } from "node:fs";
import { join } from "node:path";
import { EXIST, NOEXIST } from "@kvkit/store";
import { bpfBackend, BpfMap, probeBpf } from "./mod.ts";
import { fdCount, SKIP, withBpffs } from "./testdata/support.ts";

const k4 = (n: number): Uint8Array => new Uint8Array(new Uint32Array([n]).buffer);
const hexes = (keys: Iterable<Uint8Array>): string[] =>
  [...keys].map((k) => Array.from(k, (x) => x.toString(16).padStart(2, "0")).join("")).sort();

describe("without bpf(2)", { skip: SKIP === false ? "bpf(2) is available here" : false }, () => {
  it("importing works; opening a map is a StoreError saying why", () => {
    const why = probeBpf();
    assert.ok(why !== undefined && why.length > 0);
    assert.throws(
      () => bpfBackend.create({ keySize: 8, valueSize: 8, maxEntries: 64 }),
      (err: Error & { code?: string }) =>
        ["EOPNOTSUPP", "EPERM"].includes(err.code!) && err.message === why,
    );
    // Options are still checked first, where nothing else can run.
    assert.throws(() => bpfBackend.create({ maxEntrie: 4 } as never), { code: "EINVAL" });
  });
});

describe("BpfMap", { skip: SKIP }, () => {
  let fds = 0;
  before(() => void (fds = fdCount()));
  after(() => assert.equal(fdCount(), fds, "every fd the tests opened was closed"));

  it("checks options before the kernel, and maps the kernel's refusals to StoreErrors", () => {
    const bad: [unknown, RegExp][] = [
      [{ maxEntrie: 4 }, /unknown option 'maxEntrie' \(did you mean 'maxEntries'\?\)/],
      [{ mapType: "rhash" }, /mapType rhash is not one of hash, array, lru_hash, lpm_trie/],
      [{ name: "a_name_of_16_byt" }, /longer than 15 bytes/],
      [{ zeroSeed: 1 }, /zeroSeed 1 is not a boolean/],
      [{ pinned: "/sys/fs/bpf/x", keySize: 4 }, /drop keySize/],
      // The kernel's own EINVAL: an ARRAY takes 4-byte keys, an LPM trie needs NO_PREALLOC.
      [{ mapType: "array", keySize: 8 }, /BPF_MAP_CREATE array key_size 8/],
      [{ mapType: "lpm_trie", noPrealloc: false }, /BPF_MAP_CREATE lpm_trie/],
      [{ mapType: "hash", keySize: 4, valueSize: 2 ** 31 }, /BPF_MAP_CREATE/],
    ];
    for (const [options, message] of bad) {
      assert.throws(() => new BpfMap(options as never), (err: Error & { code?: string }) => {
        assert.match(err.message, message);
        return ["EINVAL", "E2BIG", "ENOMEM"].includes(err.code!);
      });
    }
  });

  it("close releases the fd; calls after it are EBADF; twice is a no-op; using closes too", () => {
    const before = fdCount();
    const map = new BpfMap({ keySize: 4, valueSize: 4, maxEntries: 4 });
    assert.equal(fdCount(), before + 1);
    map.set(k4(1), k4(2));
    map.close();
    map.close();
    assert.equal(map.fd, -1);
    assert.equal(fdCount(), before);
    for (
      const call of [
        () => map.get(k4(1)),
        () => map.set(k4(1), k4(2)),
        () => map.size,
        () => map.info(),
        () => map.pin("/sys/fs/bpf/x"),
      ]
    ) {
      assert.throws(call, { code: "EBADF" });
    }
    {
      using scoped = new BpfMap({ keySize: 4, valueSize: 4, maxEntries: 4 });
      assert.equal(fdCount(), before + 1);
      scoped.set(k4(1), k4(1));
    }
    assert.equal(fdCount(), before);
  });

  it("info, fdinfo and describe show what the kernel says", () => {
    using map = new BpfMap({
      keySize: 8,
      valueSize: 16,
      maxEntries: 100,
      noPrealloc: true,
      zeroSeed: true,
      name: "kvkit_test",
    });
    const info = map.info();
    assert.deepEqual(
      [info.type, info.keySize, info.valueSize, info.maxEntries, info.mapFlags, info.name],
      [1, 8, 16, 100, 1 | 64, "kvkit_test"],
    );
    assert.ok(info.id > 0);
    assert.equal(map.fdinfo().get("map_id"), String(info.id));
    assert.equal(map.bucketCount, 128);
    const text = map.describe();
    for (
      const part of [
        "BPF_MAP_TYPE_HASH",
        "BPF_F_NO_PREALLOC | BPF_F_ZERO_SEED",
        "n_buckets 128",
        "entries 0",
      ]
    ) {
      assert.ok(text.includes(part), `${part} in\n${text}`);
    }
  });

  it("pins and reopens a map on a private bpffs; the pin's own errnos; nothing left behind", () => {
    const before = fdCount();
    withBpffs((dir) => {
      const path = join(dir, "kvkit_map");
      const map = new BpfMap({ keySize: 4, valueSize: 8, maxEntries: 16, name: "pinned" });
      map.set(k4(7), new Uint8Array(8).fill(7));
      map.pin(path);
      assert.throws(() => map.pin(path), { code: "EEXIST" });
      map.close();
      // The pin holds the map: reopened, with its type and sizes from the kernel.
      const again = new BpfMap({ pinned: path });
      assert.deepEqual(
        [
          again.mapType,
          again.capabilities.keySize.max,
          again.capabilities.valueSize.max,
          again.capabilities.maxEntries,
        ],
        ["hash", 4, 8, 16],
      );
      assert.deepEqual(again.get(k4(7)), new Uint8Array(8).fill(7));
      again.close();
      unlinkSync(path);
      assert.throws(() => new BpfMap({ pinned: path }), { code: "ENOENT" });
    });
    assert.equal(fdCount(), before);
  });

  it("HASH: update flags, fullness and lookups answer with the kernel's errnos", () => {
    using map = new BpfMap({ keySize: 4, valueSize: 4, maxEntries: 2 });
    map.set(k4(1), k4(10), NOEXIST);
    assert.throws(() => map.set(k4(1), k4(11), NOEXIST), { code: "EEXIST", errno: -17 });
    assert.throws(() => map.set(k4(2), k4(12), EXIST), { code: "ENOENT" });
    map.set(k4(2), k4(12));
    assert.throws(() => map.set(k4(3), k4(13)), { code: "E2BIG" });
    // Flags the kernel refuses: both modes, F_LOCK without a spin lock, unknown bits.
    for (const flags of [3, 4, 8, 16]) {
      assert.throws(() => map.set(k4(1), k4(1), flags), { code: "EINVAL" });
    }
    assert.throws(() => map.set(k4(3), k4(13), EXIST), { code: "ENOENT" }); // the flag check first, even when full
    map.set(k4(1), k4(20), EXIST); // an update fits a full map
    assert.deepEqual(map.lookupAndDelete(k4(1)), k4(20));
    assert.equal(map.lookupAndDelete(k4(1)), undefined);
    assert.equal(map.size, 1);
    // The kernel's batch passes count 0 through; the contract does not.
    assert.deepEqual(map.kernelBatch(undefined, 0).keys, []);
    assert.throws(() => map.lookupBatch(undefined, 0), { code: "EINVAL" });
    // A cursor at the last bucket or past it is the end for the kernel.
    const end = map.kernelBatch(k4(map.bucketCount!), 4);
    assert.equal(end.done, true);
    assert.equal(map.lookupBatch(k4(map.bucketCount! + 9), 4).cursor, undefined);
    assert.throws(() => map.lookupBatch(new Uint8Array(8), 4), { code: "EINVAL" });
  });

  it("LRU_HASH: a full map evicts instead of refusing", () => {
    using map = new BpfMap({ mapType: "lru_hash", keySize: 4, valueSize: 4, maxEntries: 16 });
    for (let i = 0; i < 200; i++) map.set(k4(i), k4(i));
    assert.ok(map.size <= 16 && map.size > 0);
    assert.ok(map.has(k4(199)), "the newest key is kept");
  });

  it("ARRAY: every slot present, NOEXIST always EEXIST, out of range E2BIG/absent, never deletes", () => {
    using map = new BpfMap({ mapType: "array", keySize: 4, valueSize: 2, maxEntries: 3 });
    assert.equal(map.size, 3);
    assert.deepEqual(map.get(k4(2)), new Uint8Array(2));
    assert.equal(map.get(k4(3)), undefined);
    assert.throws(() => map.set(k4(0), new Uint8Array([1, 1]), NOEXIST), { code: "EEXIST" });
    map.set(k4(0), new Uint8Array([1, 1]), EXIST);
    assert.throws(() => map.set(k4(3), new Uint8Array(2)), { code: "E2BIG" });
    assert.throws(() => map.delete(k4(0)), { code: "EINVAL" });
    assert.deepEqual(hexes(map.keys()), hexes([k4(0), k4(1), k4(2)]));
    assert.equal(map.nextKey(k4(2)), undefined);
    assert.deepEqual(map.nextKey(k4(99)), k4(0));
    map.clear();
    assert.deepEqual(map.get(k4(0)), new Uint8Array(2));
    assert.throws(() => map.lookupBatch(undefined, 2, { delete: true }), { code: "ENOTSUPP" });
  });

  it("LPM_TRIE: lookups match the longest prefix within the key's own length", () => {
    using map = new BpfMap({ mapType: "lpm_trie", keySize: 8, valueSize: 1, maxEntries: 4 });
    const key = (len: number, ...a: number[]) => Uint8Array.from([len, 0, 0, 0, ...a]);
    map.set(key(8, 10, 0, 0, 0), new Uint8Array([8]));
    map.set(key(16, 10, 1, 0, 0), new Uint8Array([16]));
    map.set(key(24, 10, 1, 2, 0), new Uint8Array([24]));
    assert.deepEqual(map.get(key(32, 10, 1, 2, 3)), new Uint8Array([24]));
    assert.deepEqual(map.get(key(20, 10, 1, 2, 3)), new Uint8Array([16]));
    assert.equal(map.get(key(32, 11, 0, 0, 0)), undefined);
    assert.throws(() => map.set(key(33, 10, 0, 0, 0), new Uint8Array(1)), { code: "EINVAL" });
    map.set(key(0, 0, 0, 0, 0), new Uint8Array([0]));
    assert.throws(() => map.set(key(32, 1, 2, 3, 4), new Uint8Array(1)), { code: "ENOSPC" });
    // The kernel's walk: most specific first.
    assert.deepEqual([...map.keys()].map((k) => k[0]), [24, 16, 8, 0]);
  });

  it("walks see what the kernel holds now, after batches were read through views (Bun moved them)", () => {
    // Under Bun a small typed array's bytes moved when a view of it was made, so the kernel
    // kept writing batches to the old place and the walk read a stale listing.
    using map = new BpfMap({ keySize: 4, valueSize: 4, maxEntries: 8 });
    for (let i = 0; i < 8; i++) map.set(k4(i), k4(i));
    assert.equal([...map.entries()].length, 8);
    map.delete(k4(1));
    map.set(k4(100), k4(100));
    assert.deepEqual(hexes(map.keys()), hexes([0, 2, 3, 4, 5, 6, 7, 100].map(k4)));
    assert.deepEqual(
      hexes(map.kernelBatch(undefined, 8).keys),
      hexes([0, 2, 3, 4, 5, 6, 7, 100].map(k4)),
    );
  });

  it("entries({ reuse: true }) yields one tuple, overwritten", () => {
    using map = new BpfMap({ keySize: 4, valueSize: 4, maxEntries: 8 });
    for (let i = 0; i < 3; i++) map.set(k4(i), k4(i * 2));
    const tuples = new Set<unknown>();
    let sum = 0;
    for (const entry of map.entries({ reuse: true })) {
      tuples.add(entry);
      assert.equal(entry[1][0], entry[0][0]! * 2);
      sum += entry[1][0]!;
    }
    assert.equal(tuples.size, 1);
    assert.equal(sum, 6);
  });
});
