/**
 * htab lookups and updates vs the everyday peer (`Map` keyed by the latin1 string of the key
 * bytes), side by side per group, the default hash (MurmurHash3) vs the kernel's jhash
 * (`hash: "jhash"`) on the same keys, and the contract's read paths (getInto, get, iteration)
 * per entry. Run: `deno bench packages/htab/htab_bench.ts`.
 * Each iteration does OPS operations over a shuffled key list, so ratios compare per-op costs.
 */
// Not part of @kvkit/internal's API: a bench helper, excluded from publishing with the benches.
import { benchContract } from "../internal/contract_bench.ts";
import { Htab, htabBackend } from "./mod.ts";

const OPS = 1024;
const latin1 = (b: Uint8Array): string => String.fromCharCode.apply(null, b as unknown as number[]);

function randomKeys(n: number, size: number, seed: number): Uint8Array[] {
  let s = seed >>> 0;
  const rnd = (): number => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) >>> 24;
  return Array.from({ length: n }, () => Uint8Array.from({ length: size }, rnd));
}

for (const keySize of [8, 32, 256]) {
  for (
    const [label, maxEntries, fill] of [["1K", 1024, 1], ["1K 75%", 1024, 0.75], [
      "64K",
      65536,
      1,
    ]] as const
  ) {
    const n = Math.floor(maxEntries * fill);
    const keys = randomKeys(n, keySize, keySize * 7 + n);
    const probe = Array.from(
      { length: OPS },
      (_, i) => keys[(Math.imul(i, 2654435761) >>> 0) % n]!,
    );
    const htab = new Htab({ keySize, valueSize: 8, maxEntries });
    // The kernel's hash, same keys and layout size (its own seed: the cost does not depend on it).
    const jhtab = new Htab({ keySize, valueSize: 8, maxEntries, hash: "jhash" });
    const map = new Map<string, Uint8Array>();
    const value = new Uint8Array(8);
    for (const k of keys) {
      htab.set(k, value);
      jhtab.set(k, value);
      map.set(latin1(k), value.slice());
    }
    const out = new Uint8Array(8);
    const group = `lookup key ${keySize} B, ${label}`;
    let sink = 0;
    Deno.bench({ group, name: "htab.getInto", baseline: true }, () => {
      for (const k of probe) if (htab.getInto(k, out)) sink = (sink + out[0]!) | 0;
    });
    Deno.bench({ group, name: "htab.getInto, jhash" }, () => {
      for (const k of probe) if (jhtab.getInto(k, out)) sink = (sink + out[0]!) | 0;
    });
    Deno.bench({ group, name: "htab.lookup" }, () => {
      for (const k of probe) sink = (sink + htab.lookup(k)) | 0;
    });
    Deno.bench({ group, name: "htab.get (copy)" }, () => {
      for (const k of probe) sink = (sink + htab.get(k)!.length) | 0;
    });
    Deno.bench({ group, name: "Map + latin1 key" }, () => {
      for (const k of probe) sink = (sink + map.get(latin1(k))!.length) | 0;
    });
    if (label === "1K") {
      const ugroup = `update key ${keySize} B, ${label}`;
      Deno.bench({ group: ugroup, name: "htab.set (swap)", baseline: true }, () => {
        for (const k of probe) htab.set(k, value);
      });
      Deno.bench({ group: ugroup, name: "Map + latin1 key" }, () => {
        for (const k of probe) map.set(latin1(k), value.slice());
      });
    }
    globalThis.addEventListener?.("unload", () => sink);
  }
}

// Through the contract, as `openStore("htab", ...)` opens it (the package's backend; htab cannot
// import @kvkit/backends): getInto vs the copying get vs iteration, per entry.
benchContract(htabBackend.create({ keySize: 8, valueSize: 8, maxEntries: 10_000 }));
