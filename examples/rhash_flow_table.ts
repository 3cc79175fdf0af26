/**
 * A connection-tracking flow table on `@kvkit/rhash`: flows keyed by their 5-tuple (13-byte
 * keys) arrive until a million are tracked, packets of live flows update their counters in
 * place, then traffic stops and an expiry sweep removes idle flows until the table is empty.
 * The table grows from 64 buckets as flows arrive and shrinks back as they expire; memory
 * follows.
 *
 * Run: `deno run examples/rhash_flow_table.ts` (`-- 1000` for 1000 flows a tick instead of
 * 100,000: the same story at a hundredth of the size, as the test suite runs it)
 *
 * @module
 */

import { Rhash } from "@kvkit/rhash";
import { EXIST, NOEXIST } from "@kvkit/store";

// The 5-tuple key: addresses and ports in network byte order, then the protocol.
const KEY_SRC_ADDR = 0; // 4 bytes
const KEY_DST_ADDR = 4; // 4 bytes
const KEY_SRC_PORT = 8; // 2 bytes
const KEY_DST_PORT = 10; // 2 bytes
const KEY_PROTO = 12; // 1 byte (6 = TCP, 17 = UDP)
const KEY_SIZE = 13;
// The value: counters, little-endian u32 each.
const VAL_PACKETS = 0;
const VAL_BYTES = 4;
const VAL_LAST_SEEN = 8; // the tick of the last packet
const VALUE_SIZE = 12;

const FLOWS_PER_TICK = Number(globalThis.Deno?.args[0] ?? 100_000);
const RAMP_TICKS = 10; // 10 × 100K = a million flows
const PACKETS_PER_TICK = 2 * FLOWS_PER_TICK; // to random live flows, updated in place
const IDLE_TIMEOUT = 3; // ticks without a packet before a flow expires

const flows = new Rhash({ keySize: KEY_SIZE, valueSize: VALUE_SIZE, maxEntries: 2_000_000 });

// Flow number i -> its 5-tuple (deterministic, so packets can find their flow again).
const key = new Uint8Array(KEY_SIZE);
const keyView = new DataView(key.buffer);
function flowKey(i: number): Uint8Array {
  keyView.setUint32(KEY_SRC_ADDR, 0x0a00_0000 + (i >>> 8)); // 10.x.y.z clients
  keyView.setUint32(KEY_DST_ADDR, 0xc0a8_0000 + (i & 0xff)); // 192.168.0.n servers
  keyView.setUint16(KEY_SRC_PORT, 1024 + (i % 60_000));
  keyView.setUint16(KEY_DST_PORT, i % 3 === 0 ? 53 : 443);
  key[KEY_PROTO] = i % 3 === 0 ? 17 : 6;
  return key;
}

const value = new Uint8Array(VALUE_SIZE);
const valueView = new DataView(value.buffer);

function newFlow(i: number, tick: number, bytes: number): void {
  valueView.setUint32(VAL_PACKETS, 1, true);
  valueView.setUint32(VAL_BYTES, bytes, true);
  valueView.setUint32(VAL_LAST_SEEN, tick, true);
  flows.set(flowKey(i), value, NOEXIST);
}

function packet(i: number, tick: number, bytes: number): void {
  const k = flowKey(i);
  if (!flows.getInto(k, value)) return; // expired meanwhile
  valueView.setUint32(VAL_PACKETS, valueView.getUint32(VAL_PACKETS, true) + 1, true);
  valueView.setUint32(VAL_BYTES, valueView.getUint32(VAL_BYTES, true) + bytes, true);
  valueView.setUint32(VAL_LAST_SEEN, tick, true);
  flows.set(k, value, EXIST); // in place: no allocation, no chain change
}

// The expiry sweep: walks every flow once and deletes idle ones while walking (safe: every flow
// present throughout is visited once, whatever the deletes and the shrinks they cause). The walk
// reuses one key and one value array, so it allocates nothing per flow.
function expire(tick: number): number {
  let expired = 0;
  for (const [k, v] of flows.entries({ reuse: true })) {
    const lastSeen = v[VAL_LAST_SEEN]! | v[VAL_LAST_SEEN + 1]! << 8 | v[VAL_LAST_SEEN + 2]! << 16 |
      v[VAL_LAST_SEEN + 3]! << 24;
    if (tick - lastSeen >= IDLE_TIMEOUT) {
      flows.delete(k);
      expired++;
    }
  }
  return expired;
}

const mib = (bytes: number) =>
  (bytes < 2 ** 20 ? `${(bytes / 1024).toFixed(1)} KiB` : `${(bytes / 2 ** 20).toFixed(2)} MiB`)
    .padStart(11);
function report(tick: number, phase: string, note: string): void {
  const s = flows.stats();
  console.log(
    `${String(tick).padStart(4)}  ${phase.padEnd(7)} ${String(flows.size).padStart(9)} ` +
      `${String(flows.bucketCount).padStart(9)} ${
        (flows.size / flows.bucketCount).toFixed(2).padStart(5)
      } ` +
      `${mib(flows.memoryUsage())}  grows ${s.grows}, shrinks ${s.shrinks}  ${note}`,
  );
}

let seed = 42;
const random = (n: number) => {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
  return seed % n;
};

const started = performance.now();
console.log("tick  phase       flows   buckets  load      memory  resizes");
report(0, "empty", "");
let next = 0; // flows created so far
let tick = 0;
for (; tick < RAMP_TICKS; tick++) {
  for (let n = 0; n < FLOWS_PER_TICK; n++) newFlow(next++, tick, 64 + random(1400));
  // Packets of recent flows (the last few ticks), so older ones go idle.
  const recent = Math.min(next, 3 * FLOWS_PER_TICK);
  for (let n = 0; n < PACKETS_PER_TICK; n++) {
    packet(next - 1 - random(recent), tick, 64 + random(1400));
  }
  report(tick + 1, "arrive", `${next} flows seen`);
}
for (tick = RAMP_TICKS; flows.size > 0; tick++) {
  const expired = expire(tick);
  report(tick + 1, "expire", `${expired} expired`);
}
// A few lookups let the last (incremental) shrink finish.
for (let n = 0; n < 64; n++) flows.has(flowKey(n));
report(tick + 1, "idle", "");
flows.checkValid();
console.log(`done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
