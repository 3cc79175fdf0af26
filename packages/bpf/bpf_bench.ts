/**
 * What a syscall costs next to an in-process store: the same lookups (`getInto`, 8-byte keys
 * and values, 10K entries, shuffled) on a kernel BPF_MAP_TYPE_HASH through `@kvkit/bpf` and on
 * `htab`, side by side, plus the contract's read paths on the kernel map. Needs root and FFI:
 * `deno bench --allow-ffi packages/bpf/bpf_bench.ts`; registers nothing where bpf(2) is out of
 * reach.
 */
import { benchContract } from "../internal/contract_bench.ts";
import { Htab } from "@kvkit/htab";
import { BpfMap, probeBpf } from "./mod.ts";

const N = 10_000;
// Lookups per iteration, so each row is per-lookup cost × OPS.
const OPS = 1024;

const why = probeBpf();
if (why !== undefined) {
  console.log(`bpf_bench: nothing to measure: ${why}`);
} else {
  const kernel = new BpfMap({ mapType: "hash", keySize: 8, valueSize: 8, maxEntries: N });
  const htab = new Htab({ keySize: 8, valueSize: 8, maxEntries: N });
  const keys = Array.from({ length: N }, (_, i) => {
    const key = new Uint8Array(8);
    new DataView(key.buffer).setUint32(0, Math.imul(i, 2654435761) >>> 0, true);
    new DataView(key.buffer).setUint32(4, i, true);
    return key;
  });
  for (const key of keys) {
    kernel.set(key, key);
    htab.set(key, key);
  }
  const probe = Array.from({ length: OPS }, (_, i) => keys[(Math.imul(i, 40503) >>> 0) % N]!);
  const out = new Uint8Array(8);
  const group = "lookup 8 B keys, 10K entries (getInto, per 1024 lookups)";
  let sink = 0;
  Deno.bench({ group, name: "htab.getInto (in process)", baseline: true }, () => {
    for (const k of probe) if (htab.getInto(k, out)) sink = (sink + out[0]!) | 0;
  });
  Deno.bench({ group, name: "bpf HASH getInto (BPF_MAP_LOOKUP_ELEM)" }, () => {
    for (const k of probe) if (kernel.getInto(k, out)) sink = (sink + out[0]!) | 0;
  });
  Deno.bench({ group, name: "bpf HASH lookupBatch 1024 (one syscall)" }, () => {
    sink = (sink + kernel.lookupBatch(undefined, OPS).keys.length) | 0;
  });
  globalThis.addEventListener?.("unload", () => {
    kernel.close();
    return sink;
  });
  // The contract's read paths on the kernel map: getInto vs get vs iteration, per entry.
  benchContract(new BpfMap({ mapType: "hash", keySize: 8, valueSize: 8, maxEntries: N }));
}
