/**
 * A router's forwarding table on `@kvkit/qptrie`'s `LpmTable`: a few thousand IPv4 and IPv6
 * routes (a default route, provider aggregates, customer prefixes down to /32 and /64, with
 * more specific routes nested inside less specific ones) map to next hops; each packet's
 * destination goes to the most specific route containing it. Every answer is checked against
 * a brute-force scan of the whole table, then a route is withdrawn and traffic shifts to the
 * covering aggregate.
 *
 * Run: `deno run examples/qptrie_routes.ts`
 *
 * @module
 */

import { LpmTable } from "@kvkit/qptrie";

// A seeded generator, so every run builds the same table.
let seed = 7;
const random = (): number => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32;
const int = (n: number): number => Math.floor(random() * n);

interface Route {
  address: Uint8Array;
  length: number;
  nextHop: string;
}

function masked(address: Uint8Array, length: number): Uint8Array {
  const out = address.slice();
  for (let i = length; i < out.length * 8; i++) out[i >>> 3]! &= ~(0x80 >>> (i & 7));
  return out;
}

const routes = new Map<string, Route>();
function addRoute(address: Uint8Array, length: number, nextHop: string): void {
  const a = masked(address, length);
  routes.set(`${a.join(".")}/${length}`, { address: a, length, nextHop });
}

// IPv4: a default route, 40 provider aggregates (/8../12), and customer routes inside them.
addRoute(new Uint8Array(4), 0, "upstream-1");
const aggregates: Uint8Array[] = [];
for (let i = 0; i < 40; i++) {
  const a = new Uint8Array([1 + int(222), int(256), 0, 0]);
  aggregates.push(a);
  addRoute(a, 8 + int(5), `core-${i % 4}`);
}
while (routes.size < 3000) {
  const base = aggregates[int(aggregates.length)]!;
  const a = new Uint8Array([base[0]!, base[1]! ^ int(16), int(256), int(256)]);
  const length = [16, 20, 22, 24, 24, 24, 28, 32][int(8)]!;
  addRoute(a, length, `cust-${int(500)}`);
}
// IPv6: a default route, documentation and provider blocks, site /48s and subnet /64s.
const v6 = (...groups: number[]): Uint8Array => {
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    out[i * 2] = g >>> 8;
    out[i * 2 + 1] = g & 255;
  });
  return out;
};
addRoute(new Uint8Array(16), 0, "upstream-6");
for (let i = 0; i < 20; i++) addRoute(v6(0x2001, 0x0d00 + i), 32, `core6-${i % 4}`);
while (routes.size < 4000) {
  const site = v6(0x2001, 0x0d00 + int(20), int(65536), int(65536));
  addRoute(site, random() < 0.5 ? 48 : 64, `site-${int(300)}`);
}

const table = new LpmTable<string>({ maxEntries: 10_000 });
for (const r of routes.values()) table.set({ address: r.address, length: r.length }, r.nextHop);
// Text forms work too.
table.set("192.0.2.0/24", "lab");
table.set("2001:db8:cafe::/48", "lab6");
routes.set("lab", { address: new Uint8Array([192, 0, 2, 0]), length: 24, nextHop: "lab" });
routes.set("lab6", { address: v6(0x2001, 0x0db8, 0xcafe), length: 48, nextHop: "lab6" });

console.log(
  `${table.size} routes, ${table.memoryUsage()} bytes (${
    (table.memoryUsage() / table.size).toFixed(1)
  } per route)`,
);
for (
  const address of ["192.0.2.77", "198.51.100.1", "2001:db8:cafe::1", "2001:db8:beef::1", "::1"]
) {
  const m = table.match(address);
  console.log(`  ${address.padEnd(18)} -> ${m ? `${m.prefix} via ${m.value}` : "no route"}`);
}

// Check every answer against a scan of the whole table.
function bruteForce(address: Uint8Array): Route | undefined {
  let best: Route | undefined;
  for (const r of routes.values()) {
    if (r.address.length !== address.length) continue;
    const a = masked(address, r.length);
    if (a.every((b, i) => b === r.address[i]) && (best === undefined || r.length > best.length)) {
      best = r;
    }
  }
  return best;
}
const all = [...routes.values()];
let checked = 0;
for (let i = 0; i < 2000; i++) {
  // Half the packets go near a route (its network with random host bits), half anywhere.
  const r = all[int(all.length)]!;
  const address = r.address.slice();
  for (let j = i % 2 === 0 ? r.length >>> 3 : 0; j < address.length; j++) address[j] = int(256);
  const want = bruteForce(address)?.nextHop;
  const got = table.lookup(address);
  if (got !== want) {
    throw new Error(`lookup of ${address.join(".")}: ${got} but the scan says ${want}`);
  }
  checked++;
}
console.log(`${checked} lookups agree with a brute-force scan of all ${routes.size} routes`);

// Withdraw a customer route: its traffic falls back to the covering aggregate.
table.set("10.20.0.0/16", "cust-x");
table.set("10.0.0.0/8", "core-x");
console.log(`10.20.1.1 -> ${table.match("10.20.1.1")?.prefix}`);
table.delete("10.20.0.0/16");
console.log(`withdrawn 10.20.0.0/16; 10.20.1.1 -> ${table.match("10.20.1.1")?.prefix}`);
