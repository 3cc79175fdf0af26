import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { LpmTable } from "./mod.ts";

interface Route {
  address: Uint8Array;
  length: number;
  value: number;
}

const bitAt = (a: Uint8Array, i: number): number => (a[i >>> 3]! >>> (7 - (i & 7))) & 1;
const mask = (a: Uint8Array, length: number): Uint8Array => {
  const out = a.slice();
  for (let i = length; i < a.length * 8; i++) out[i >>> 3]! &= ~(0x80 >>> (i & 7));
  return out;
};
const contains = (r: Route, addr: Uint8Array): boolean => {
  if (r.address.length !== addr.length) return false;
  for (let i = 0; i < r.length; i++) if (bitAt(r.address, i) !== bitAt(addr, i)) return false;
  return true;
};
/** The reference: scan every route, keep the longest that contains the address. */
const bruteForce = (routes: Map<string, Route>, addr: Uint8Array): Route | undefined => {
  let best: Route | undefined;
  for (const r of routes.values()) {
    if (contains(r, addr) && (best === undefined || r.length > best.length)) best = r;
  }
  return best;
};

// Addresses from a few /16 (IPv4) or /32 (IPv6) neighbourhoods so routes nest and overlap.
const familyArb = (size: 4 | 16): fc.Arbitrary<Uint8Array> =>
  fc.tuple(fc.nat(3), fc.uint8Array({ minLength: size - 2, maxLength: size - 2 })).map(
    ([hi, rest]) => Uint8Array.from([10, 64 * hi, ...rest]),
  );
const routeArb = (size: 4 | 16): fc.Arbitrary<Route> =>
  fc.tuple(familyArb(size), fc.nat(size * 8), fc.nat(1000)).map(([a, length, value]) => ({
    address: mask(a, length),
    length,
    value,
  }));

const checkTable = (size: 4 | 16) => {
  fc.assert(
    fc.property(
      fc.array(routeArb(size), { maxLength: 60 }),
      fc.array(fc.nat(), { maxLength: 10 }),
      fc.array(familyArb(size), { minLength: 1, maxLength: 40 }),
      (routes, deletes, addresses) => {
        const table = new LpmTable<number>();
        const model = new Map<string, Route>();
        for (const r of routes) {
          table.set({ address: r.address, length: r.length }, r.value);
          model.set(`${r.address}/${r.length}`, r);
        }
        for (const d of deletes) {
          if (routes.length === 0) break;
          const r = routes[d % routes.length]!;
          assert.equal(table.delete(r), model.delete(`${r.address}/${r.length}`));
        }
        assert.equal(table.size, model.size);
        // Probe the given addresses, every route's own address and its neighbours.
        const probes = [...addresses];
        for (const r of model.values()) {
          probes.push(r.address);
          const flipped = r.address.slice();
          if (r.length > 0) flipped[(r.length - 1) >>> 3]! ^= 0x80 >>> ((r.length - 1) & 7);
          probes.push(flipped);
        }
        for (const addr of probes) {
          const want = bruteForce(model, addr);
          const got = table.match(addr);
          assert.equal(got?.length, want?.length);
          assert.equal(got?.value, want?.value);
          assert.equal(table.lookup(addr), want?.value);
        }
      },
    ),
    { numRuns: 60 },
  );
};

describe("LpmTable against a brute-force scan", () => {
  it("IPv4: the most specific route wins", () => checkTable(4));
  it("IPv6: the most specific route wins", () => checkTable(16));
});

describe("LpmTable", () => {
  it("parses CIDR text and addresses of both families", () => {
    const table = new LpmTable<string>();
    table.set("0.0.0.0/0", "v4 default");
    table.set("10.0.0.0/8", "ten");
    table.set("10.128.0.0/9", "ten-hi");
    table.set("192.0.2.1/32", "host");
    table.set("::/0", "v6 default");
    table.set("2001:db8::/32", "doc");
    table.set("2001:db8:0:1::/64", "subnet");
    table.set("::ffff:0.0.0.0/96", "mapped");
    assert.equal(table.lookup("10.200.0.1"), "ten-hi");
    assert.equal(table.lookup("10.1.0.1"), "ten");
    assert.equal(table.lookup("192.0.2.1"), "host");
    assert.equal(table.lookup("192.0.2.2"), "v4 default");
    assert.equal(table.lookup("2001:db8:0:1:ffff::1"), "subnet");
    assert.equal(table.lookup("2001:DB8::2"), "doc");
    assert.equal(table.lookup("::ffff:10.0.0.1"), "mapped");
    assert.equal(table.lookup("fe80::1"), "v6 default");
    assert.deepEqual(table.match("2001:db8:0:1::9"), {
      prefix: "2001:db8:0:1::/64",
      length: 64,
      value: "subnet",
    });
    assert.deepEqual(table.match("10.200.3.4"), {
      prefix: "10.128.0.0/9",
      length: 9,
      value: "ten-hi",
    });
  });

  it("rejects malformed prefixes and addresses with EINVAL, unchanged", () => {
    const table = new LpmTable<number>();
    table.set("10.0.0.0/8", 1);
    const bad = [
      "10.0.0.0",
      "10.0.0.0/33",
      "10.0.0/8",
      "10.0.0.256/32",
      "010.0.0.0/8",
      "10.0.0.1/8",
      "10.0.0.0/08",
      "10.0.0.0/-1",
      "2001:db8::/129",
      "2001:db8:::/32",
      "2001:db8::1::/64",
      "1:2:3:4:5:6:7:8:9/128",
      "2001:db8::/",
      "12345::/16",
      "::1/127",
      "host/8",
      "",
    ];
    for (const text of bad) assert.throws(() => table.set(text, 2), { code: "EINVAL" }, text);
    for (
      const form of [
        { address: new Uint8Array(5), length: 8 },
        { address: new Uint8Array([10, 0, 0, 1]), length: 8 },
        { address: new Uint8Array(4), length: 33 },
        { address: new Uint8Array(16), length: 0.5 },
      ]
    ) {
      assert.throws(() => table.set(form, 2), { code: "EINVAL" });
    }
    for (const addr of ["10.0.0", "1.2.3.4/8", "::g", "1:2:3:4:5:6:7:8:9"]) {
      assert.throws(() => table.lookup(addr), { code: "EINVAL" }, addr);
    }
    assert.throws(() => table.lookup(new Uint8Array(5)), { code: "EINVAL" });
    assert.throws(
      () => table.set("10.0.0.1/8", 2),
      /host bits set in 10\.0\.0\.1\/8 \(the network is 10\.0\.0\.0\/8\)/,
    );
    assert.deepEqual([...table.entries()], [["10.0.0.0/8", 1]]);
  });

  it("is bounded by maxEntries (ENOSPC) and reuses value slots", () => {
    const table = new LpmTable<number>({ maxEntries: 2 });
    table.set("10.0.0.0/8", 1);
    table.set("10.0.0.0/16", 2);
    assert.throws(() => table.set("10.0.0.0/24", 3), { code: "ENOSPC" });
    table.set("10.0.0.0/16", 4);
    assert.ok(table.delete("10.0.0.0/16"));
    table.set("10.0.0.0/24", 3);
    assert.equal(table.lookup("10.0.0.1"), 3);
    assert.equal(table.lookup("10.0.1.1"), 1);
    assert.throws(() => new LpmTable({ maxEntries: 0 }), { code: "EINVAL" });
  });

  it("lists routes in order with RFC 5952 text", () => {
    const table = new LpmTable<number>();
    for (
      const p of ["2001:db8:0:0:1:0:0:1/128", "10.1.0.0/16", "10.0.0.0/8", "::/0", "fe80::/10"]
    ) {
      table.set(p, 0);
    }
    assert.deepEqual([...table.entries()].map(([p]) => p), [
      "10.0.0.0/8",
      "10.1.0.0/16",
      "::/0",
      "2001:db8::1:0:0:1/128",
      "fe80::/10",
    ]);
  });
});
