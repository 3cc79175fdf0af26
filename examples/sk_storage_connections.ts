/**
 * Per-connection state in sk-storage maps, on a real TCP server.
 *
 * A line-protocol server on 127.0.0.1 (ephemeral port) keeps each connection's state in
 * three storage maps over one owner table: counters inline, the peer's name on the fallback
 * path (the inline area is full), and its role interned (a few distinct values across many
 * connections). Clients in the same script connect, talk and disconnect; the server frees a
 * connection's state in every map when it goes. The script ends by itself.
 *
 * Run: deno run --allow-net=127.0.0.1 examples/sk_storage_connections.ts
 *
 * @module
 */

import assert from "node:assert/strict";
import { F_CREATE, OwnerTable, SkStorageMap } from "@kvkit/sk-storage";

const CLIENTS = 8;
const MESSAGES = 5;
const ROLES = ["admin", "guest", "bot"];

// 16 B inline per connection: exactly the counters; bigger maps take the fallback path.
const table = new OwnerTable({ owners: 64, inlineBytes: 16, optmemMax: 1024 });
// bytes in (u32 @0), messages (u32 @4), opened at (f64 ms @8)
const stats = new SkStorageMap(table, { name: "stats", valueSize: 16 });
const peer = new SkStorageMap(table, { name: "peer", valueSize: 32 });
const role = new SkStorageMap(table, { name: "role", valueSize: 8, interned: true });
assert.equal(stats.inline, true);
assert.equal(peer.inline, false);

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const fixed = (text: string, size: number): Uint8Array => {
  const out = new Uint8Array(size);
  out.set(encoder.encode(text).subarray(0, size));
  return out;
};
const text = (bytes: Uint8Array | undefined): string =>
  bytes === undefined ? "-" : decoder.decode(bytes).replace(/\0+$/, "");

async function* lines(conn: Deno.Conn): AsyncGenerator<string> {
  let pending = "";
  const buf = new Uint8Array(4096);
  for (;;) {
    const n = await conn.read(buf);
    if (n === null) return;
    pending += decoder.decode(buf.subarray(0, n), { stream: true });
    let nl;
    while ((nl = pending.indexOf("\n")) >= 0) {
      yield pending.slice(0, nl);
      pending = pending.slice(nl + 1);
    }
  }
}

const send = (conn: Deno.Conn, line: string): Promise<number> =>
  conn.write(encoder.encode(line + "\n"));

async function handle(conn: Deno.Conn): Promise<void> {
  let owner: number;
  try {
    owner = table.createOwner();
  } catch {
    await send(conn, "BUSY");
    conn.close();
    return;
  }
  try {
    const s = stats.view(owner, F_CREATE)!; // inline: the view stays valid for the connection
    const fields = new DataView(s.buffer, s.byteOffset, 16);
    fields.setFloat64(8, Date.now(), true);
    for await (const line of lines(conn)) {
      fields.setUint32(0, fields.getUint32(0, true) + line.length + 1, true);
      const [cmd, ...rest] = line.split(" ");
      const arg = rest.join(" ");
      if (cmd === "HELLO") {
        peer.set(owner, fixed(arg, 32));
        await send(conn, `WELCOME ${arg}`);
      } else if (cmd === "ROLE") {
        role.set(owner, fixed(arg, 8));
        await send(conn, `ROLE ${arg}`);
      } else if (cmd === "MSG") {
        fields.setUint32(4, fields.getUint32(4, true) + 1, true);
        await send(conn, `OK ${fields.getUint32(4, true)}`);
      } else if (cmd === "STATS") {
        await send(
          conn,
          `STATS bytes=${fields.getUint32(0, true)} msgs=${fields.getUint32(4, true)} ` +
            `name=${text(peer.get(owner))} role=${text(role.get(owner))}`,
        );
      } else if (cmd === "QUIT") {
        break;
      } else {
        await send(conn, `ERR unknown command ${cmd}`);
      }
    }
  } finally {
    table.destroyOwner(owner); // frees its values in every map
    conn.close();
  }
}

const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
const { port } = listener.addr as Deno.NetAddr;
const handlers: Promise<void>[] = [];
const serving = (async () => {
  for await (const conn of listener) handlers.push(handle(conn));
})();
console.log(`server on 127.0.0.1:${port}`);

// Every client waits here once it has said hello, so the table is drawn at its fullest.
let arrived = 0;
let release!: () => void;
const allHere = new Promise<void>((resolve) => (release = resolve));

async function client(i: number): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const replies = lines(conn);
  const ask = async (line: string): Promise<string> => {
    await send(conn, line);
    const reply = await replies.next();
    assert.ok(!reply.done, `server closed on ${line}`);
    return reply.value;
  };
  assert.equal(await ask(`HELLO client-${i}`), `WELCOME client-${i}`);
  assert.equal(await ask(`ROLE ${ROLES[i % ROLES.length]}`), `ROLE ${ROLES[i % ROLES.length]}`);
  if (++arrived === CLIENTS) release();
  await allHere;
  for (let m = 1; m <= MESSAGES; m++) assert.equal(await ask(`MSG hello ${m}`), `OK ${m}`);
  const summary = await ask("STATS");
  await send(conn, "QUIT");
  assert.ok((await replies.next()).done, "server closes after QUIT");
  conn.close();
  return summary;
}

const watchdog = setTimeout(() => {
  console.error("timed out");
  Deno.exit(1);
}, 10_000);
const clients = Array.from({ length: CLIENTS }, (_, i) => client(i));
await allHere;
console.log(`${table.size} connections open; roles interned: ${role.distinctValues} distinct`);
console.log(table.describe());
const summaries = await Promise.all(clients);
for (const s of summaries) console.log(s);
assert.match(summaries[0]!, /^STATS bytes=\d+ msgs=5 name=client-0 role=admin$/);

listener.close();
await serving.catch(() => {});
await Promise.all(handlers);
clearTimeout(watchdog);

// Every connection is gone, and so is its state in every map.
assert.equal(table.size, 0);
assert.deepEqual([stats.size, peer.size, role.size, role.distinctValues], [0, 0, 0, 0]);
const m = table.memory();
console.log(
  `after disconnect: ${table.size} owners, maps empty; inline area ${m.inlineArea} B ` +
    `(table), fallback buffers ${m.fallback} B`,
);
