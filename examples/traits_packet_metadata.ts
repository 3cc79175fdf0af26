/**
 * Packet metadata in the headroom: an ingress stage parses UDP-like packets and stamps what it
 * learned (original client address, VLAN, a flow hash, a trace id, a "route locally" flag) into
 * the bytes in front of each packet with `@kvkit/traits`. A downstream stage gets only the
 * packet buffers and reads single fields back in O(1), without parsing anything.
 *
 * Run: deno run examples/traits_packet_metadata.ts (no permissions needed)
 *
 * @module
 */

import { Traits } from "@kvkit/traits";

// Every packet buffer reserves HEADROOM bytes in front of the frame for metadata.
const HEADROOM = 64;
// The metadata keys both stages agree on (like a BPF program and its user-space loader).
const KEY = {
  routeLocally: 0, // flag: no value
  vlan: 1, // u32, little-endian
  srcAddr: 2, // IPv4, network order
  srcPort: 3, // u32 holding a u16 port, network order
  flowHash: 4, // u32, little-endian
  traceId: 5, // UUID, 16 bytes
} as const;
// Flags, IPv4-sized and IPv6/UUID-sized values: the review thread's 0/4/16 profile.
const PROFILE = "0/4/16";

interface Packet {
  buffer: Uint8Array; // headroom + frame
  frameOffset: number;
}

// A tiny "UDP" frame: src IPv4 (4), dst IPv4 (4), src port (2), dst port (2), payload.
function makePacket(src: number[], srcPort: number, payload: string): Packet {
  const body = new TextEncoder().encode(payload);
  const buffer = new Uint8Array(HEADROOM + 12 + body.length);
  const frame = new DataView(buffer.buffer, HEADROOM);
  buffer.set(src, HEADROOM);
  buffer.set([10, 0, 0, 1], HEADROOM + 4);
  frame.setUint16(8, srcPort);
  frame.setUint16(10, 53);
  buffer.set(body, HEADROOM + 12);
  return { buffer, frameOffset: HEADROOM };
}

function fnv1a(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (const b of bytes) h = Math.imul(h ^ b, 0x01000193);
  return h >>> 0;
}

// Ingress: parse each frame once, stamp the metadata into its headroom.
function ingress(packet: Packet, vlan: number, traceId: string): void {
  const { buffer, frameOffset } = packet;
  const frame = new DataView(buffer.buffer, buffer.byteOffset + frameOffset);
  const meta = Traits.init(buffer.subarray(0, frameOffset), { profile: PROFILE });
  const src = buffer.subarray(frameOffset, frameOffset + 4);
  meta.setIPv4(KEY.srcAddr, src.join("."));
  meta.setU32(KEY.srcPort, frame.getUint16(8), false);
  meta.setU32(KEY.vlan, vlan, true);
  meta.setU32(KEY.flowHash, fnv1a(buffer.subarray(frameOffset, frameOffset + 12)), true);
  meta.setUuid(KEY.traceId, traceId);
  if (src[0] === 10) meta.setFlag(KEY.routeLocally);
}

// Downstream: only the buffer travels. Each stage opens the headroom and reads what it needs.
function downstream(packet: Packet): string {
  const meta = Traits.open(packet.buffer.subarray(0, packet.frameOffset), { profile: PROFILE });
  const queue = meta.getU32(KEY.flowHash, true) % 4;
  const where = meta.has(KEY.routeLocally) ? "local" : "forward";
  return `${meta.getIPv4(KEY.srcAddr)}:${meta.getU32(KEY.srcPort, false)} vlan ${
    meta.getU32(KEY.vlan, true)
  } -> queue ${queue}, ${where}, trace ${
    meta.getUuid(KEY.traceId)
  } (${meta.usedSize} B of headroom)`;
}

const packets = [
  makePacket([198, 51, 100, 7], 40001, "query example.org"),
  makePacket([10, 1, 2, 3], 53001, "query intranet.local"),
  makePacket([203, 0, 113, 50], 40123, "query example.net"),
];
packets.forEach((p, i) =>
  ingress(p, 100 + i, `6f1c9a54-8d3e-4b6a-9c1e-5f7a2b3c4d${(0x50 + i).toString(16)}`)
);

for (const p of packets) console.log(downstream(p));

// A load balancer reading one field of many packets needs no object at all.
const hashes = packets.map((p) =>
  Traits.peekU32(p.buffer.subarray(0, p.frameOffset), KEY.flowHash, true, PROFILE)
);
console.log("flow hashes:", hashes.map((h) => h.toString(16)).join(", "));

// The first packet's headroom, as the explorer would draw it.
console.log(Traits.open(packets[0]!.buffer.subarray(0, HEADROOM), { profile: PROFILE }).describe());

// Pushing an outer header shrinks the headroom; the metadata must still fit.
const meta = Traits.open(packets[0]!.buffer.subarray(0, HEADROOM), { profile: PROFILE });
try {
  meta.setCapacity(meta.usedSize - 1);
} catch (err) {
  console.log(`cannot shrink the headroom below the metadata: ${(err as Error).message}`);
}
