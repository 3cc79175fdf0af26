/**
 * A connection-tracking flow table shared by Workers: one `SharedRhash` keyed by 5-tuples
 * (13-byte keys), fed by N Workers that each process a slice of one packet stream, as a NIC's
 * RSS spreads flows over CPUs. The table grows from 64 buckets while flows arrive; the main
 * thread expires idle flows meanwhile and, when the stream ends, flushes the rest, so the
 * table shrinks back; at the end every packet and byte of the stream must be accounted for.
 *
 *   deno run --allow-read examples/shared_flow_table.ts      (read: to load the Worker module)
 *   bun examples/shared_flow_table.ts
 *
 * Arguments: flows per tick (default 20,000; the test runs 500) and Workers (default 2).
 *
 * What it shows:
 * - Two Workers update the same flow: RSS hashes a flow's packets to its owner Worker by the
 *   5-tuple, but non-first IP fragments carry no ports and are hashed on the addresses only, so
 *   they reach another Worker (here: always the next one). One flow is a hot tunnel whose
 *   packets every Worker sees.
 * - `F_LOCK` makes one `set` or one `getInto` atomic, not a read-modify-write. Counting a packet
 *   is one (read the counters, add, write back), so a Worker holds the flow's lock across it - a
 *   stripe of a lock array in a SharedArrayBuffer, as a BPF program holds the `bpf_spin_lock` in
 *   its value. The expiry sweep takes the same lock to read a flow's final counters and delete
 *   it, so no packet is counted twice or lost. The write itself is `F_LOCK`, so that a reader
 *   that holds no flow lock (the main thread's monitor) can take a consistent copy with a
 *   locked `getInto`: every value carries a checksum, and a locked read never fails it. (In kvkit
 *   a plain read of a value written with `F_LOCK` is whole too - the update writes the value's
 *   other copy - where the kernel's may tear; plain writes in place could tear plain reads.)
 * - Totals are exact: what the map counted (the expired flows' final counters) equals what the
 *   Workers say their slices held, and what the main thread computes from the stream itself.
 *
 * @module
 */

import assert from "node:assert/strict";
import { isMainThread } from "node:worker_threads";
import { SharedRhash } from "@kvkit/rhash";
import { openStore } from "@kvkit/backends";
import { EXIST, F_LOCK, NOEXIST } from "@kvkit/store";

// The 5-tuple key: addresses and ports in network byte order, then the protocol.
const KEY_SRC_ADDR = 0; // 4 bytes
const KEY_DST_ADDR = 4; // 4 bytes
const KEY_SRC_PORT = 8; // 2 bytes
const KEY_DST_PORT = 10; // 2 bytes
const KEY_PROTO = 12; // 1 byte (6 = TCP, 17 = UDP)
const KEY_SIZE = 13;
// The value: little-endian u32 counters, then a checksum of them (a torn copy fails it).
const VAL_PACKETS = 0;
const VAL_BYTES = 4;
const VAL_FRAGMENTS = 8; // packets that reached a Worker other than the flow's RSS owner
const VAL_FIRST_SEEN = 12; // the earliest tick of a packet
const VAL_LAST_SEEN = 16; // the latest tick of a packet
const VAL_LAST_WORKER = 20; // the Worker that counted the last packet
const VAL_CHECK = 24;
const VALUE_SIZE = 28;

const TICKS = 16;
const ACTIVE_TICKS = 3; // a flow's packets fall in the tick it starts and the next two
const IDLE_TIMEOUT = 2; // a flow idle this many ticks is expired (>= ACTIVE_TICKS - 1, see sweep)
const HOT_EVERY = 8; // every 8th packet is the tunnel's
const STRIPES = 4096; // flow locks: a flow's lock is stripe rss(flow) % STRIPES

// ---- the stream (every agent generates the same one)

/** Writes `x` big-endian (network byte order) at `at`, `bytes` long. */
function put(key: Uint8Array, at: number, bytes: number, x: number): void {
  for (let i = bytes - 1; i >= 0; i--, x >>>= 8) key[at + i] = x & 0xff;
}

/** The NIC's receive-side hash of a 5-tuple (a stand-in for Toeplitz): picks Worker and lock. */
function rss(key: Uint8Array): number {
  let h = 0x811c_9dc5;
  for (let i = 0; i < KEY_SIZE; i++) h = Math.imul(h ^ key[i]!, 0x0100_0193);
  return (h ^ h >>> 15) >>> 0;
}

/** One packet of the stream: its flow, length, and whether it is a non-first fragment. */
interface Packet {
  flow: number;
  length: number;
  fragment: boolean;
}

/** The packet stream and how it is spread over the Workers (sizes from the command line). */
class Stream {
  readonly flowsPerTick: number;
  readonly workers: number;
  readonly packetsPerTick: number;
  /** Flows numbered 0..totalFlows - 1, then the hot tunnel. */
  readonly totalFlows: number;
  readonly hot: number;
  constructor(flowsPerTick: number, workers: number) {
    this.flowsPerTick = flowsPerTick;
    this.workers = workers;
    this.packetsPerTick = 4 * flowsPerTick;
    this.totalFlows = TICKS * flowsPerTick;
    this.hot = this.totalFlows;
  }

  /** Flow number -> its 5-tuple, written into `key`. */
  flowKey(i: number, key: Uint8Array): Uint8Array {
    if (i === this.hot) {
      put(key, KEY_SRC_ADDR, 4, 0x0a00_00fe); // 10.0.0.254 -> 192.168.255.1:4789, VXLAN
      put(key, KEY_DST_ADDR, 4, 0xc0a8_ff01);
      put(key, KEY_SRC_PORT, 2, 49_152);
      put(key, KEY_DST_PORT, 2, 4789);
      key[KEY_PROTO] = 17;
      return key;
    }
    put(key, KEY_SRC_ADDR, 4, 0x0a01_0000 + (i >>> 8)); // 10.x.y.z clients
    put(key, KEY_DST_ADDR, 4, 0xc0a8_0000 + (i & 0xff)); // 192.168.0.n servers
    put(key, KEY_SRC_PORT, 2, 1024 + (i % 60_000));
    put(key, KEY_DST_PORT, 2, i % 5 === 0 ? 53 : 443);
    key[KEY_PROTO] = i % 5 === 0 ? 17 : 6;
    return key;
  }

  /**
   * Calls `each` for every packet of tick `t` with its number in the tick. Seeded by the tick,
   * so any agent can generate any tick.
   */
  tick(t: number, each: (p: Packet, n: number) => void): void {
    let seed = Math.imul(t + 1, 0x9e37_79b9) >>> 0;
    const random = (n: number) => {
      seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0;
      return (seed >>> 8) % n;
    };
    const first = Math.max(0, t - ACTIVE_TICKS + 1) * this.flowsPerTick; // the active flows
    const active = (t + 1) * this.flowsPerTick - first;
    const p: Packet = { flow: 0, length: 0, fragment: false };
    for (let n = 0; n < this.packetsPerTick; n++) {
      p.flow = n % HOT_EVERY === 0 ? this.hot : first + random(active);
      p.length = 64 + random(1437);
      // UDP flows (every 5th) carry fragmented datagrams: about every other packet a fragment.
      p.fragment = p.flow !== this.hot && p.flow % 5 === 0 && random(2) === 0;
      each(p, n);
    }
  }

  /** The Worker that receives packet `n` of a tick: by RSS, fragments to the next Worker. */
  workerOf(p: Packet, n: number, key: Uint8Array): number {
    // The tunnel's inner flows spread it over every queue.
    if (p.flow === this.hot) return n % this.workers;
    const owner = rss(this.flowKey(p.flow, key)) % this.workers;
    return p.fragment ? (owner + 1) % this.workers : owner;
  }
}

// ---- values

function checksum(v: DataView): number {
  let h = 0x2545_f491;
  for (let o = 0; o < VAL_CHECK; o += 4) h = Math.imul(h ^ v.getUint32(o, true), 0x9e37_79b1);
  return (h ^ h >>> 16) >>> 0;
}

// ---- flow locks (what a BPF program's bpf_spin_lock in the value is for)

function lock(locks: Int32Array, stripe: number): void {
  for (let spins = 0; Atomics.compareExchange(locks, stripe, 0, 1) !== 0; spins++) {
    // Held only across one read and one write: spin, then nap briefly so a holder that lost its
    // core gets it back.
    if (spins > 100) Atomics.wait(locks, stripe, 1, 0.05);
  }
}

function unlock(locks: Int32Array, stripe: number): void {
  Atomics.store(locks, stripe, 0);
}

// ---- the Workers

interface Start {
  readonly flowsPerTick: number;
  readonly workers: number;
  readonly handle: ReturnType<SharedRhash["share"]>; // plain SharedArrayBuffers: postMessage it
  readonly locks: SharedArrayBuffer;
  /** Each Worker's tick, then the count of Workers ready to start. */
  readonly progress: SharedArrayBuffer;
  readonly id: number;
}
interface Slice {
  readonly id: number;
  readonly packets: number;
  readonly bytes: number;
  readonly fragments: number;
  readonly created: number;
  /** Packets counted into an entry another Worker wrote last. */
  readonly shared: number;
}

const scope = globalThis as unknown as {
  WorkerGlobalScope?: unknown;
  onmessage: ((e: MessageEvent<Start>) => void) | null;
  postMessage(m: Slice): void;
  close(): void;
};

function worker(): void {
  scope.onmessage = ({ data }) => {
    const flows = openStore("rhash", { attach: data.handle }); // the same map, this Worker's agent
    const locks = new Int32Array(data.locks);
    const progress = new Int32Array(data.progress);
    const me = data.id;
    const stream = new Stream(data.flowsPerTick, data.workers);
    const key = new Uint8Array(KEY_SIZE);
    const value = new Uint8Array(VALUE_SIZE);
    const v = new DataView(value.buffer);
    let packets = 0, bytes = 0, fragments = 0, created = 0, shared = 0;
    let t = 0; // the tick
    const count = (p: Packet, n: number) => {
      if (stream.workerOf(p, n, key) !== me) return; // another Worker's packet
      stream.flowKey(p.flow, key);
      const stripe = rss(key) % STRIPES;
      const fragment = p.fragment ? 1 : 0;
      lock(locks, stripe);
      try {
        // A plain read: every writer of this flow holds its lock, so nothing changes it now.
        if (flows.getInto(key, value)) {
          if (v.getUint32(VAL_LAST_WORKER, true) !== me) shared++;
          v.setUint32(VAL_PACKETS, v.getUint32(VAL_PACKETS, true) + 1, true);
          v.setUint32(VAL_BYTES, v.getUint32(VAL_BYTES, true) + p.length, true);
          v.setUint32(VAL_FRAGMENTS, v.getUint32(VAL_FRAGMENTS, true) + fragment, true);
          // Workers run ticks at their own pace: keep the earliest and the latest.
          v.setUint32(VAL_FIRST_SEEN, Math.min(v.getUint32(VAL_FIRST_SEEN, true), t), true);
          v.setUint32(VAL_LAST_SEEN, Math.max(v.getUint32(VAL_LAST_SEEN, true), t), true);
          v.setUint32(VAL_LAST_WORKER, me, true);
          v.setUint32(VAL_CHECK, checksum(v), true);
          // In place under the value's lock: a locked reader sees all of it or none.
          flows.set(key, value, EXIST | F_LOCK);
        } else {
          v.setUint32(VAL_PACKETS, 1, true);
          v.setUint32(VAL_BYTES, p.length, true);
          v.setUint32(VAL_FRAGMENTS, fragment, true);
          v.setUint32(VAL_FIRST_SEEN, t, true);
          v.setUint32(VAL_LAST_SEEN, t, true);
          v.setUint32(VAL_LAST_WORKER, me, true);
          v.setUint32(VAL_CHECK, checksum(v), true);
          // EEXIST here would mean a lookup missed a present key (during a resize, say).
          flows.set(key, value, NOEXIST);
          created++;
        }
      } finally {
        unlock(locks, stripe);
      }
      packets++;
      bytes += p.length;
      fragments += fragment;
    };
    // Start together, so that the slices really overlap.
    const ready = stream.workers;
    if (Atomics.add(progress, ready, 1) + 1 === stream.workers) Atomics.notify(progress, ready);
    for (let n; (n = Atomics.load(progress, ready)) < stream.workers;) {
      Atomics.wait(progress, ready, n, 100);
    }
    for (; t < TICKS; t++) {
      // Every tick before t is done: the sweep's clock (the slowest Worker's tick).
      Atomics.store(progress, me, t);
      stream.tick(t, count);
    }
    Atomics.store(progress, me, TICKS);
    flows.close(); // frees this Worker's agent slot
    scope.postMessage({ id: me, packets, bytes, fragments, created, shared });
    scope.close();
  };
}

// ---- the main thread: monitor, expiry sweep, accounting

async function main(): Promise<void> {
  const argv = (globalThis as { Deno?: { args: string[] } }).Deno?.args ??
    (globalThis as { process?: { argv: string[] } }).process?.argv.slice(2) ?? [];
  const WORKERS = Number(argv[1] ?? 2);
  const stream = new Stream(Number(argv[0] ?? 20_000), WORKERS);
  const flows = new SharedRhash({
    keySize: KEY_SIZE,
    valueSize: VALUE_SIZE,
    maxEntries: stream.totalFlows + 1, // every flow at once fits: no E2BIG however late the sweep runs
  });
  const locks = new Int32Array(new SharedArrayBuffer(STRIPES * 4));
  const progress = new Int32Array(new SharedArrayBuffer((WORKERS + 1) * 4));
  const expired = { flows: 0, packets: 0, bytes: 0, fragments: 0, hotPackets: 0 };
  const key = new Uint8Array(KEY_SIZE);
  const value = new Uint8Array(VALUE_SIZE);
  const v = new DataView(value.buffer);

  // What the stream holds, per Worker slice, computed here from the stream itself.
  const expect = Array.from({ length: WORKERS }, () => ({ packets: 0, bytes: 0, fragments: 0 }));
  const seen = new Uint8Array(stream.totalFlows + 1);
  let hotPackets = 0;
  for (let t = 0; t < TICKS; t++) {
    stream.tick(t, (p, n) => {
      const s = expect[stream.workerOf(p, n, key)]!;
      s.packets++;
      s.bytes += p.length;
      s.fragments += p.fragment ? 1 : 0;
      seen[p.flow] = 1;
      if (p.flow === stream.hot) hotPackets++;
    });
  }
  const distinct = seen.reduce((a, b) => a + b, 0);
  const hotKey = stream.flowKey(stream.hot, new Uint8Array(KEY_SIZE));

  /**
   * Expires every flow whose last packet is older than `now - IDLE_TIMEOUT`. The walk's copy of
   * a value is only a hint (it is a plain copy, maybe stale); the decision is made on the value
   * read under the flow's lock, and the flow's final counters are added to the totals before it
   * is deleted. With IDLE_TIMEOUT >= ACTIVE_TICKS - 1 and `now` the slowest Worker's tick, an
   * expired flow has no packets left in any slice.
   */
  const sweep = (now: number): number => {
    let n = 0;
    for (const [k, hint] of flows.entries({ reuse: true })) {
      const last = hint[VAL_LAST_SEEN]! | hint[VAL_LAST_SEEN + 1]! << 8 |
        hint[VAL_LAST_SEEN + 2]! << 16; // ticks are small
      if (last + IDLE_TIMEOUT >= now) continue;
      const stripe = rss(k) % STRIPES;
      lock(locks, stripe);
      try {
        if (flows.getInto(k, value) && v.getUint32(VAL_LAST_SEEN, true) + IDLE_TIMEOUT < now) {
          assert.equal(v.getUint32(VAL_CHECK, true), checksum(v), "a value read under its lock");
          expired.flows++;
          expired.packets += v.getUint32(VAL_PACKETS, true);
          expired.bytes += v.getUint32(VAL_BYTES, true);
          expired.fragments += v.getUint32(VAL_FRAGMENTS, true);
          if (k.every((b, i) => b === hotKey[i])) {
            expired.hotPackets += v.getUint32(VAL_PACKETS, true);
          }
          flows.delete(k); // may shrink the table, while the Workers write
          n++;
        }
      } finally {
        unlock(locks, stripe);
      }
    }
    return n;
  };

  // The monitor: reads the hot tunnel's counters while every Worker updates them.
  const monitor = { locked: 0, lockedTorn: 0, plain: 0, plainTorn: 0 };
  const watch = (reads: number) => {
    for (let i = 0; i < reads; i++) {
      if (flows.getInto(hotKey, value, 0, F_LOCK)) {
        monitor.locked++;
        if (v.getUint32(VAL_CHECK, true) !== checksum(v)) monitor.lockedTorn++;
      }
      if (flows.getInto(hotKey, value)) {
        monitor.plain++;
        if (v.getUint32(VAL_CHECK, true) !== checksum(v)) monitor.plainTorn++;
      }
    }
  };

  const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(2)} MiB`.padStart(10);
  const report = (tick: number | string, note: string) => {
    const r = flows.resizes;
    console.log(
      `${String(tick).padStart(5)} ${String(flows.size).padStart(8)} ` +
        `${String(flows.bucketCount).padStart(8)} ${mib(flows.memoryUsage())}  ` +
        `grows ${r.grows}, shrinks ${r.shrinks}  ${note}`,
    );
  };

  const started = performance.now();
  let done = 0;
  const slices = Array.from({ length: WORKERS }, (_, id) => {
    const w = new Worker(import.meta.url, { type: "module", name: `flows-${id}` });
    w.postMessage(
      {
        handle: flows.share(),
        locks: locks.buffer,
        progress: progress.buffer,
        id,
        flowsPerTick: stream.flowsPerTick,
        workers: WORKERS,
      } satisfies Start,
    );
    return new Promise<Slice>((resolve, reject) => {
      w.onmessage = (e: MessageEvent<Slice>) => {
        done++;
        resolve(e.data);
      };
      w.onerror = (e) => {
        done++;
        reject(e);
      };
    });
  });

  console.log(`${WORKERS} Workers, ${TICKS} ticks of ${stream.packetsPerTick} packets`);
  console.log(" tick    flows  buckets     memory  resizes");
  report(0, "");
  let swept = 0; // the clock of the last sweep
  while (done < WORKERS) {
    watch(200);
    let now = TICKS;
    for (let w = 0; w < WORKERS; w++) now = Math.min(now, Atomics.load(progress, w));
    if (now > swept) {
      const n = sweep(now);
      report(now, `${n} expired`);
      swept = now;
    }
    await new Promise((resolve) => setTimeout(resolve, 0)); // let the Workers' messages in
  }
  const results = await Promise.all(slices);
  // The stream ended: flush every flow (a shutdown), and the table shrinks to its least.
  const n = sweep(Infinity);
  report("end", `${n} flushed`);
  console.log(`${((performance.now() - started) / 1000).toFixed(1)} s\n`);

  // Each Worker counted exactly its slice, and the map counted exactly what the slices held.
  let sharedPackets = 0, created = 0;
  for (const s of results) {
    const e = expect[s.id]!;
    assert.deepEqual([s.packets, s.bytes, s.fragments], [e.packets, e.bytes, e.fragments]);
    sharedPackets += s.shared;
    created += s.created;
    console.log(
      `worker ${s.id}: ${s.packets} packets, ${s.fragments} fragments from another Worker's ` +
        `flows, ${s.created} flows created, ${s.shared} packets into a flow another Worker wrote last`,
    );
  }
  const sum = (f: (e: (typeof expect)[number]) => number) => expect.reduce((a, e) => a + f(e), 0);
  assert.equal(expired.packets, sum((e) => e.packets), "packets counted by the map");
  assert.equal(expired.bytes, sum((e) => e.bytes), "bytes counted by the map");
  assert.equal(expired.fragments, sum((e) => e.fragments), "fragments counted by the map");
  assert.equal(expired.hotPackets, hotPackets, "the tunnel's packets");
  // One entry per flow: none was expired while a slice still had packets for it, none created
  // twice (a lookup that missed a present key would have made NOEXIST throw in a Worker).
  assert.equal(created, distinct, "flows created");
  assert.equal(expired.flows, distinct, "flows expired");
  assert.equal(flows.size, 0);
  flows.checkValid();
  assert.ok(WORKERS === 1 || sharedPackets > 0, "two Workers updated one flow");
  console.log(
    `monitor: ${monitor.locked} locked reads of the tunnel's counters, ${monitor.lockedTorn} torn; ` +
      `${monitor.plain} plain reads, ${monitor.plainTorn} torn (whole too: F_LOCK writes go through the other copy)`,
  );
  assert.equal(monitor.lockedTorn, 0, "a locked read is never torn");
  assert.equal(monitor.plainTorn, 0, "nor a plain read of values written with F_LOCK");
  console.log(`\n${flows.describe()}\n`);
  console.log(`ok: ${distinct} flows, ${sum((e) => e.packets)} packets, counts exact`);
  flows.close();
}

// Deno marks its Workers with WorkerGlobalScope, Bun with isMainThread.
if (scope.WorkerGlobalScope !== undefined || !isMainThread) worker();
else await main();
