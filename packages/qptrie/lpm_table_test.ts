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
    assert.throws(() => new LpmTable({ maxEntries: 2n } as never), { code: "EINVAL" });
    assert.throws(() => new LpmTable({ maxEntires: 2 } as never), /did you mean 'maxEntries'/);
    assert.throws(() => new LpmTable(null as never), { code: "EINVAL" });
  });

  it("answers ENOMEM at the heap limit, the table unchanged and no value slot lost", () => {
    // IPv4 /32 routes are 40-byte records: 25 fit a 1 KiB heap.
    const table = new LpmTable<number>({ maxHeapBytes: 1024 });
    for (let i = 0; i < 25; i++) table.set(`10.0.0.${i}/32`, i);
    const before = [...table.entries()];
    assert.throws(() => table.set("10.0.0.25/32", 25), { code: "ENOMEM" });
    assert.deepEqual([...table.entries()], before);
    // Each round frees a 40-byte record, fails a 136-byte one and fits a 40-byte one again.
    // Before, the failed set took the freed value slot with it: 8 B more per round.
    let memory = 0;
    for (let round = 0; round < 20; round++) {
      assert.ok(table.delete(`10.0.0.${round}/32`));
      assert.throws(() => table.set("2001:db8::1/128", -1), { code: "ENOMEM" });
      table.set(`10.0.0.${round}/32`, round + 100);
      if (round === 0) memory = table.memoryUsage(); // the arenas settle in the first round
    }
    assert.equal(table.memoryUsage(), memory);
    assert.equal(table.size, 25);
    assert.equal(table.lookup("10.0.0.3"), 103);
    assert.equal(table.lookup("10.0.0.24"), 24);
    assert.equal(table.lookup("2001:db8::1"), undefined);
    for (const bad of [1023, 2 ** 31, "1024"]) {
      assert.throws(() => new LpmTable({ maxHeapBytes: bad as never }), { code: "EINVAL" });
    }
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

/** The kernel's get_next_key order: IPv4 first, then post-order (longer prefix first on a tie). */
const kernelOrder = (a: Route, b: Route): number => {
  if (a.address.length !== b.address.length) return a.address.length - b.address.length;
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const d = bitAt(a.address, i) - bitAt(b.address, i);
    if (d !== 0) return d;
  }
  return b.length - a.length;
};
const text = (r: { address: Uint8Array; length: number }): string => {
  const t = new LpmTable<number>();
  t.set({ address: mask(r.address, r.length), length: r.length }, 0);
  return [...t.entries()][0]![0];
};
// Routes whose addresses may have host bits set past the length.
const hostRouteArb = (size: 4 | 16): fc.Arbitrary<Route> =>
  fc.tuple(familyArb(size), fc.nat(size * 8), fc.nat(1000)).map(([address, length, value]) => ({
    address,
    length,
    value,
  }));

describe("LpmTable as the kernel's LPM trie (issue #14)", () => {
  it("keeps host bits of { address, length } as the kernel does; the latest address wins", () => {
    // Before: EINVAL. The kernel stores {8, 10.0.0.1} as given and its walk returns 10.0.0.1.
    const table = new LpmTable<number>();
    const empty = table.memoryUsage();
    table.set({ address: Uint8Array.from([10, 0, 0, 1]), length: 8 }, 1);
    assert.equal(table.size, 1);
    assert.equal(table.get("10.0.0.0/8"), 1);
    assert.equal(table.get({ address: Uint8Array.from([10, 7, 7, 7]), length: 8 }), 1);
    assert.ok(table.has({ address: Uint8Array.from([10, 255, 0, 0]), length: 8 }));
    assert.equal(table.lookup("10.200.0.1"), 1);
    assert.deepEqual(table.match("10.0.0.9"), { prefix: "10.0.0.0/8", length: 8, value: 1 });
    assert.deepEqual(table.nextKey(), { address: Uint8Array.from([10, 0, 0, 1]), length: 8 });
    assert.deepEqual([...table.entries()], [["10.0.0.0/8", 1]]);
    assert.ok(table.memoryUsage() > empty);
    // One prefix: an update with other host bits replaces it and keeps the bytes given (the
    // kernel's trie_update_elem puts the new node, with the key's data, in the old one's place).
    table.set({ address: Uint8Array.from([10, 9, 9, 9]), length: 8 }, 2);
    assert.equal(table.size, 1);
    assert.deepEqual(table.nextKey(), { address: Uint8Array.from([10, 9, 9, 9]), length: 8 });
    table.set("10.0.0.0/8", 3);
    assert.deepEqual(table.nextKey(), { address: Uint8Array.from([10, 0, 0, 0]), length: 8 });
    assert.equal(table.get("10.0.0.0/8"), 3);
    // Text stays strict, the table unchanged.
    assert.throws(() => table.set("10.0.0.1/8", 4), { code: "EINVAL" });
    assert.equal(table.get("10.0.0.0/8"), 3);
    // IPv6 too.
    const v6 = Uint8Array.from([0x20, 1, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    table.set({ address: v6, length: 32 }, 5);
    assert.equal(table.lookup("2001:db8::77"), 5);
    assert.deepEqual(table.nextKey("10.0.0.0/8"), { address: v6, length: 32 });
    v6[15] = 9; // the table keeps its own copy
    assert.equal(table.nextKey("10.0.0.0/8")!.address[15], 1);
  });

  it("deletes a prefix given with host bits, as the kernel does", () => {
    // Before: EINVAL. The kernel ignores host bits on delete: {8, 10.9.9.9} removes 10/8.
    const table = new LpmTable<number>();
    table.set({ address: Uint8Array.from([10, 0, 0, 1]), length: 8 }, 1);
    const held = table.memoryUsage();
    assert.ok(table.delete({ address: Uint8Array.from([10, 9, 9, 9]), length: 8 }));
    assert.equal(table.size, 0);
    assert.ok(!table.delete({ address: Uint8Array.from([10, 9, 9, 9]), length: 8 }));
    assert.ok(table.memoryUsage() < held);
    // The slot is reused without the old address.
    table.set("10.0.0.0/8", 2);
    assert.deepEqual(table.nextKey(), { address: Uint8Array.from([10, 0, 0, 0]), length: 8 });
    assert.throws(() => table.delete({ address: new Uint8Array(4), length: 33 }), {
      code: "EINVAL",
    });
  });

  it("walks in the kernel's order with entries({ order: 'kernel' }) and nextKey", () => {
    // The kernel's get_next_key after 0/0, 10/8, 10.1/16, 10.1.2/24 (kernel.md).
    const table = new LpmTable<number>();
    for (const p of ["0.0.0.0/0", "10.0.0.0/8", "10.1.0.0/16", "10.1.2.0/24"]) table.set(p, 1);
    const want = ["10.1.2.0/24", "10.1.0.0/16", "10.0.0.0/8", "0.0.0.0/0"];
    assert.deepEqual([...table.entries({ order: "kernel" })].map(([p]) => p), want);
    const walk: string[] = [];
    for (let k = table.nextKey(); k !== undefined; k = table.nextKey(k)) walk.push(text(k));
    assert.deepEqual(walk, want);
    // The sorted order stays the default.
    assert.deepEqual([...table.entries()].map(([p]) => p), want.slice().reverse());
    assert.deepEqual(
      [...table.entries({ order: "sorted" })].map(([p]) => p),
      want.slice().reverse(),
    );
    // An unknown key restarts at the first, as the kernel's; so does a missing one.
    assert.equal(text(table.nextKey("10.2.0.0/16")!), "10.1.2.0/24");
    assert.equal(text(table.nextKey("10.1.0.0/17")!), "10.1.2.0/24");
    assert.equal(table.nextKey("0.0.0.0/0"), undefined);
    assert.equal(new LpmTable().nextKey(), undefined);
    assert.throws(() => table.entries({ order: "post" as never }), { code: "EINVAL" });
    assert.throws(() => table.entries({ ordre: "kernel" } as never), /did you mean 'order'/);
    assert.throws(() => table.nextKey("10.0.0.1/8"), { code: "EINVAL" });
  });

  for (const size of [4, 16] as const) {
    it(`IPv${size === 4 ? 4 : 6}: both kernel-order walks match a post-order sort`, () => {
      fc.assert(
        fc.property(
          fc.array(hostRouteArb(size), { maxLength: 40 }),
          fc.array(hostRouteArb(size === 4 ? 16 : 4), { maxLength: 5 }),
          (routes, others) => {
            const table = new LpmTable<number>();
            const model = new Map<string, Route>();
            for (const r of [...routes, ...others]) {
              table.set({ address: r.address, length: r.length }, r.value);
              model.set(text(r), r); // the latest address given wins
            }
            const sorted = [...model.values()].sort(kernelOrder);
            assert.deepEqual(
              [...table.entries({ order: "kernel" })],
              sorted.map((r) => [text(r), r.value]),
            );
            const walk: { address: Uint8Array; length: number }[] = [];
            for (let k = table.nextKey(); k !== undefined; k = table.nextKey(k)) walk.push(k);
            assert.deepEqual(walk, sorted.map((r) => ({ address: r.address, length: r.length })));
          },
        ),
        { numRuns: 100 },
      );
    });
  }

  it("walks in the kernel's order while the consumer deletes", () => {
    const table = new LpmTable<number>();
    const all = ["0.0.0.0/0", "10.0.0.0/8", "10.1.0.0/16", "10.1.2.0/24", "10.128.0.0/9"];
    for (const p of all) table.set(p, 0);
    const seen: string[] = [];
    for (const [p] of table.entries({ order: "kernel" })) {
      seen.push(p);
      table.delete(p);
      // The /8 waits for the prefixes inside it: deleted now, it is not yielded.
      if (p === "10.1.2.0/24") table.delete("10.0.0.0/8");
    }
    assert.deepEqual(seen, ["10.1.2.0/24", "10.1.0.0/16", "10.128.0.0/9", "0.0.0.0/0"]);
    assert.equal(table.size, 0);
  });

  it("bounds a lookup by the prefix length given, as the kernel's LOOKUP_ELEM", () => {
    fc.assert(
      fc.property(
        fc.array(routeArb(4), { maxLength: 40 }),
        fc.array(fc.tuple(familyArb(4), fc.nat(32)), { minLength: 1, maxLength: 30 }),
        (routes, probes) => {
          const table = new LpmTable<number>();
          const model = new Map<string, Route>();
          for (const r of routes) {
            table.set(r, r.value);
            model.set(`${r.address}/${r.length}`, r);
          }
          for (const [address, bound] of probes) {
            const within = new Map([...model].filter(([, r]) => r.length <= bound));
            const want = bruteForce(within, address);
            assert.equal(table.lookup({ address, length: bound }), want?.value);
            assert.equal(table.match({ address, length: bound })?.length, want?.length);
          }
        },
      ),
      { numRuns: 60 },
    );
    const table = new LpmTable<number>();
    table.set("10.1.0.0/16", 1);
    table.set("10.1.2.0/24", 2);
    assert.equal(table.lookup({ address: Uint8Array.from([10, 1, 2, 3]), length: 20 }), 1);
    assert.equal(table.lookup({ address: Uint8Array.from([10, 1, 2, 3]), length: 15 }), undefined);
    assert.throws(() => table.lookup({ address: new Uint8Array(4), length: 33 }), {
      code: "EINVAL",
    });
    assert.throws(() => table.lookup(null as never), { code: "EINVAL" });
  });
});
