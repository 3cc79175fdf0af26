// Real Workers on SharedArrayBuffers: writes cross threads, consistent reads never tear under
// concurrent writers and owner moves, a migration is seen whole or not at all, and owner moves
// planned while a program deletes keys neither crash nor corrupt the layout.
// Deno needs --allow-read to load the Worker module; without it these tests are skipped.

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { isStoreError } from "@kvkit/store";
import { type Manifest, UptrKvOwner, UptrKvProgram } from "./mod.ts";
import { spawn, type TestWorker, workerSkipReason } from "./testdata/spawn.ts";

const skip = workerSkipReason();

describe("uptr-kv with real Workers", { skip }, () => {
  const workers: TestWorker[] = [];
  before(async () => {
    // Two Workers: each one costs Deno a type check of its module graph at start.
    for (let i = 0; i < 2; i++) workers.push(await spawn());
  });
  after(async () => {
    for (const w of workers) await w.close();
  });

  it("a program in a Worker sees the owner's writes and the owner sees the Worker's", async () => {
    const owner = new UptrKvOwner();
    owner.put(1, new Uint8Array([1, 2, 3]));
    owner.put(2, new Uint8Array(4096).fill(9));
    const w = workers[0]!;
    assert.deepEqual(await w.request({ cmd: "attach", regions: owner.regions }), {
      consistent: true,
      keys: [1, 2],
    });
    assert.deepEqual(await w.request({ cmd: "get", key: 1 }), [1, 2, 3]);
    await w.request({ cmd: "put", key: 1, bytes: [7, 8, 9] });
    assert.deepEqual(owner.get(1), new Uint8Array([7, 8, 9]));
    // A key created after attaching, in a page added after attaching, is visible too.
    owner.put(3, new Uint8Array(4096).fill(5));
    assert.equal(owner.pageCount, 3);
    assert.equal(((await w.request({ cmd: "get", key: 3 })) as number[]).length, 4096);
    // A program cannot create keys or resize them; it can delete.
    await assert.rejects(w.request({ cmd: "put", key: 4, bytes: [1] }), { code: "ENOENT" });
    await assert.rejects(w.request({ cmd: "put", key: 1, bytes: [1] }), { code: "EINVAL" });
    await w.request({ cmd: "delete", key: 3 });
    assert.equal(owner.has(3), false);
  });

  /**
   * One Worker writes `key`, another reads it and counts torn values, while the main thread is
   * a second writer and the owner moves the key back and forth: frees the space before it and
   * compacts, then repacks.
   */
  async function tornRun(
    key: number,
    size: number,
    fills: { worker: number; main: number },
    ms: number,
    batch: number,
  ): Promise<void> {
    const owner = new UptrKvOwner();
    owner.put(0, new Uint8Array(64)); // a neighbour the owner deletes to make room to move into
    owner.put(key, new Uint8Array(size).fill(1));
    if (key !== 2) owner.put(2, new Uint8Array(8));
    await Promise.all(workers.map((w) => w.request({ cmd: "attach", regions: owner.regions })));
    const results = Promise.all([
      workers[0]!.request({ cmd: "write", key, fill: fills.worker, ms }),
      workers[1]!.request({ cmd: "read", key, ms }),
    ]);
    const end = Date.now() + ms;
    const mine = new Uint8Array(size);
    let moves = 0;
    let writes = 0;
    while (Date.now() < end) {
      for (let i = 0; i < batch; i++) {
        mine.fill(fills.main + (writes++ & 1));
        owner.program.put(key, mine);
      }
      owner.delete(0);
      owner.compact(0);
      owner.put(0, new Uint8Array(64));
      owner.repack();
      moves++;
    }
    const [w, r] = (await results) as [
      { writes: number },
      { reads: number; torn: number; distinct: number },
    ];
    assert.ok(w.writes > 0 && r.reads > 0 && moves > 0);
    assert.equal(r.torn, 0, `${r.torn} of ${r.reads} reads were torn`);
    assert.ok(r.distinct >= 2, "the reader saw the writers' values");
    const v = owner.get(key)!;
    assert.equal(v.length, size);
    const seen = [fills.worker, fills.worker + 1, fills.main, fills.main + 1];
    assert.ok(v.every((b) => b === v[0]) && seen.includes(v[0]!));
  }

  it("consistent mode: no torn value under two writers and owner moves", async () => {
    await tornRun(1, 1024, { worker: 10, main: 20 }, 700, 32);
  });

  it("consistent mode: no torn 8-byte value (the copy-loop fast path) under two writers", async () => {
    // The test above covers values copied with TypedArray#set; values up to 16 bytes take the
    // byte-loop fast path of getInto/put instead.
    await tornRun(2, 8, { worker: 30, main: 40 }, 300, 256);
  });

  it("a migration is seen whole per key, and a failed one not at all", async () => {
    const owner = new UptrKvOwner({ maxPages: 3 });
    const v0 = {
      version: 0,
      entries: [
        { key: 0, name: "a", size: 8, default: [1, 1, 1, 1, 1, 1, 1, 1] },
        { key: 2, name: "c", size: 4096, default: new Array(4096).fill(2) },
      ],
    };
    owner.applyManifest(v0);
    await Promise.all(workers.map((w) => w.request({ cmd: "attach", regions: owner.regions })));
    const watching = Promise.all(
      workers.map((w) => w.request({ cmd: "watch", keys: [0, 2, 4], ms: 400 })),
    );
    const start = Date.now();
    while (Date.now() - start < 100); // let the watchers run on v0
    // Too big: 3 pages cannot hold 4 full pages; nothing may change.
    const tooBig = {
      version: 9,
      entries: [0, 2, 4, 6].map((key) => ({ key, name: `k${key}`, size: 4096 })),
    };
    assert.throws(() => owner.applyManifest(tooBig), { code: "ENOSPC" });
    while (Date.now() - start < 200);
    owner.applyManifest({
      version: 1,
      entries: [
        { key: 0, name: "a", size: 8 },
        { key: 2, name: "c", size: 16, default: new Array(16).fill(3) },
        { key: 4, name: "e", size: 4, default: [4, 4, 4, 4] },
      ],
    });
    const seen = new Set((await watching).flat() as string[]);
    const allowed = new Set([
      "0:1,1,1,1,1,1,1,1",
      `2:${new Array(4096).fill(2).join(",")}`,
      `2:${new Array(16).fill(3).join(",")}`,
      "4:absent",
      "4:4,4,4,4",
    ]);
    for (const s of seen) assert.ok(allowed.has(s), `a watcher saw ${s.slice(0, 40)}`);
    assert.ok(!seen.has("0:absent") && !seen.has("2:absent"), "kept keys never disappear");
    assert.ok(seen.has("4:4,4,4,4"), "the watchers saw v1");
  });

  for (const consistent of [true, false]) {
    it(`${consistent ? "consistent" : "plain"} mode: owner moves race program deletes`, async () => {
      // The owner plans compact/repack/put(repack)/migrations from the metadata, then holds the
      // keys it moves; a program may delete one of them in between. Every call must either
      // succeed or throw a StoreError that changed nothing, and the layout must stay valid.
      const owner = new UptrKvOwner({ maxPages: 2, consistent });
      const keys = Array.from({ length: 40 }, (_, i) => i + 1);
      const size = (k: number): number => 16 + (k % 7) * 48;
      const fill = (k: number, n: number): Uint8Array => new Uint8Array(n).fill(k);
      const manifest = (
        version: number,
        grow: number,
        only?: (k: number) => boolean,
      ): Manifest => ({
        version,
        entries: keys.filter((k) => only?.(k) ?? true).map((k) => ({
          key: k,
          name: `k${k}`,
          size: size(k) + grow,
          default: fill(k, size(k) + grow),
        })),
      });
      // The second one resizes every key: old and new do not fit side by side (plan B).
      const plans = [manifest(1, 0), manifest(2, 8), manifest(3, 0, (k) => k % 2 === 0)];
      const tooBig = {
        version: 9,
        entries: [1, 2, 3].map((key) => ({ key, name: `k${key}`, size: 4096 })),
      };
      for (const k of keys) owner.put(k, fill(k, size(k)), { repack: true });
      const meta = new Uint32Array(owner.regions.meta);
      let ok = 0;
      let failed = 0;
      const attempt = (call: () => unknown): void => {
        const before = meta.slice();
        const pages = owner.pageCount;
        const version = owner.program.manifestVersion;
        try {
          call();
          ok++;
        } catch (err) {
          if (!isStoreError(err)) throw err;
          failed++;
          // Nothing changed but what the program did: delete keys.
          for (const k of keys) {
            const w = meta[k]!;
            assert.ok(w === before[k] || w === 0, `${err.code}: key ${k} changed`);
          }
          assert.equal(owner.pageCount, pages, `${err.code}: the data region grew`);
          assert.equal(owner.program.manifestVersion, version);
        }
        UptrKvProgram.attach(owner.regions); // validates bounds, alignment and overlaps
        if (!consistent) return; // plain mode: a move may copy a value the program is writing
        for (const k of keys) {
          const v = owner.get(k);
          if (v === undefined) continue;
          assert.ok(
            v.every((b) => b === v[0]) && (v[0] === k || v[0] === k + 100),
            `key ${k} holds ${v.slice(0, 8)}...`,
          );
        }
      };
      await workers[0]!.request({ cmd: "attach", regions: owner.regions });
      const ms = consistent ? 700 : 300;
      const churn = workers[0]!.request({ cmd: "churn", keys, ms });
      try {
        const end = Date.now() + ms;
        for (let round = 0; Date.now() < end; round++) {
          for (const k of keys) {
            if (!owner.has(k)) attempt(() => owner.put(k, fill(k, size(k)), { repack: true }));
          }
          const k = keys[round % keys.length]!;
          attempt(() => owner.put(k, fill(k, size(k) + 8 * (round & 1)), { repack: true }));
          attempt(() => owner.compact(round % owner.pageCount));
          attempt(() => owner.repack());
          attempt(() => owner.applyManifest(plans[round % plans.length]!));
          if (round % 8 === 0) attempt(() => owner.applyManifest(tooBig));
        }
      } finally {
        const w = (await churn) as { deletes: number; puts: number };
        assert.ok(w.deletes > 0 && w.puts > 0, "the program deleted and wrote");
      }
      assert.ok(ok > 0 && failed > 0, `${ok} calls succeeded, ${failed} failed`);
    });
  }
});
