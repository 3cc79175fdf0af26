/**
 * uptr-kv: a main thread and three Workers share one store; the main thread rolls out a new
 * manifest (the RFC's v0 -> v1) while the Workers keep reading and writing.
 *
 *   deno run --allow-read examples/uptr_kv_workers.ts      (read: to load the Worker module)
 *   bun examples/uptr_kv_workers.ts
 *
 * Each Worker attaches to the shared regions once, then only does typed-array access: it
 * counts its requests in its own key, reads the limit, and uses the keys of whichever
 * manifest version is live. Keys the rollout keeps (the hit counters, the limit) keep their
 * values across it; keys it deletes answer ENOENT, and a Worker that meets one simply
 * re-reads the manifest version.
 *
 * @module
 */

import assert from "node:assert/strict";
import { isMainThread } from "node:worker_threads";
import { isStoreError } from "@kvkit/store";
import { type Manifest, UptrKvOwner, UptrKvProgram, type UptrKvRegions } from "@kvkit/uptr-kv";

const WORKERS = 3;
const HITS = 10; // key HITS + i: Worker i's request counter (f64)

const counters = Array.from({ length: WORKERS }, (_, i) => ({
  key: HITS + i,
  name: `hits_${i}`,
  size: 8,
}));
const V0: Manifest = {
  version: 0,
  entries: [
    { key: 0, name: "limit", size: 4, default: [100, 0, 0, 0] },
    { key: 1, name: "mode", size: 4, default: [1, 0, 0, 0] },
    { key: 2, name: "config", size: 16, default: new Array(16).fill(0xc0) },
    { key: 3, name: "scratch", size: 32 },
    ...counters,
  ],
};
const V1: Manifest = {
  version: 1,
  entries: [
    { key: 0, name: "limit", size: 4 }, // kept: the value survives
    { key: 2, name: "config", size: 64, default: new Array(64).fill(0xc1) }, // re-sized
    { key: 4, name: "burst", size: 4, default: [8, 0, 0, 0] }, // new, with a value
    { key: 6, name: "latency", size: 64 }, // new, zeroed
    { key: 8, name: "peer", size: 16 }, // new, zeroed
    ...counters,
  ],
};

interface Start {
  readonly regions: UptrKvRegions;
  readonly stop: SharedArrayBuffer;
  readonly id: number;
}
interface Summary {
  readonly id: number;
  readonly hits: number;
  readonly versions: number[];
  readonly enoent: number;
}

const scope = globalThis as unknown as {
  WorkerGlobalScope?: unknown;
  onmessage: ((e: MessageEvent<Start>) => void) | null;
  postMessage(m: Summary): void;
  close(): void;
};

function worker(): void {
  scope.onmessage = ({ data }) => {
    const kv = UptrKvProgram.attach(data.regions);
    const stop = new Int32Array(data.stop);
    const key = HITS + data.id;
    const config = new Uint8Array(64);
    const scratch = new Uint8Array(32).fill(data.id);
    const latency = new Uint8Array(64).fill(data.id);
    const versions = new Set<number>();
    let hits = 0;
    let enoent = 0;
    while (Atomics.load(stop, 0) === 0) {
      const version = kv.manifestVersion!;
      versions.add(version);
      try {
        kv.writeF64(key, 0, kv.readF64(key, 0) + 1); // one writer per counter: no lost update
        hits++;
        assert.equal(kv.readU32(0, 0), 100);
        if (version === 0) {
          kv.readU32(1, 0);
          kv.put(3, scratch);
          kv.getInto(2, config);
        } else {
          assert.equal(kv.readU32(4, 0), 8);
          kv.put(6, latency);
          const n = kv.getInto(2, config);
          assert.ok(n === 16 || n === 64);
        }
      } catch (err) {
        // The rollout deleted or re-sized a key under us: read the version again.
        if (!isStoreError(err, "ENOENT") && !isStoreError(err, "EINVAL")) throw err;
        enoent++;
      }
    }
    scope.postMessage({ id: data.id, hits, versions: [...versions], enoent });
    scope.close();
  };
}

async function main(): Promise<void> {
  const owner = new UptrKvOwner();
  owner.applyManifest(V0);
  const stop = new SharedArrayBuffer(4);
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const done = Array.from({ length: WORKERS }, (_, id) => {
    const w = new Worker(import.meta.url, { type: "module", name: `uptr-kv-${id}` });
    w.postMessage({ regions: owner.regions, stop, id } satisfies Start);
    return new Promise<Summary>((resolve, reject) => {
      w.onmessage = (e: MessageEvent<Summary>) => resolve(e.data);
      w.onerror = (e) => reject(e);
    });
  });

  await sleep(300);
  console.log("before the rollout:\n" + owner.describe() + "\n");
  const report = owner.applyManifest(V1); // the Workers keep running meanwhile
  console.log("rollout v0 -> v1:", JSON.stringify(report), "\n");
  await sleep(300);
  Atomics.store(new Int32Array(stop), 0, 1);
  const summaries = await Promise.all(done);
  console.log("after the rollout:\n" + owner.describe() + "\n");

  assert.deepEqual(report.deleted, [1, 3]);
  assert.deepEqual(report.resized, [2]);
  assert.deepEqual(report.created, [4, 6, 8]);
  for (const s of summaries) {
    console.log(
      `worker ${s.id}: ${s.hits} hits, saw versions ${s.versions.join(",")}, ` +
        `${s.enoent} calls met a key mid-rollout`,
    );
    // Every hit the Worker counted is in its key: the counter survived the migration.
    assert.equal(owner.program.readF64(HITS + s.id, 0), s.hits);
    assert.ok(s.versions.includes(1), "the Worker saw the new version");
  }
  assert.deepEqual(owner.get(0), new Uint8Array([100, 0, 0, 0]));
  assert.equal(owner.has(1) || owner.has(3), false);
  assert.deepEqual(owner.get(2), new Uint8Array(64).fill(0xc1));
  assert.ok(owner.get(6)!.every((b) => b === owner.get(6)![0]), "key 6 holds one Worker's write");
  console.log("ok: counters kept, old keys gone, new keys live");
}

// Deno marks its Workers with WorkerGlobalScope, Bun with isMainThread.
if (scope.WorkerGlobalScope !== undefined || !isMainThread) worker();
else await main();
