import { type Admit, runConformance } from "@kvkit/conformance";
import { readU32Key } from "@kvkit/store";
import { uptrKvBackend } from "./uptr_kv_store.ts";

// The Store view's admission rule, written independently of the store: a set keeping a
// present key's length is in place and always fits; otherwise the entries after the set must
// fit the canonical packing (keys ascending, 8-byte rounded slots, first page with room).
function admitFor(maxPages: number): Admit {
  return ({ entries, key, value, present }) => {
    if (present !== undefined && present.length === value.length) return undefined;
    const sizes = new Map(entries.map(([k, v]) => [readU32Key(k), v.length]));
    sizes.set(readU32Key(key), value.length);
    const fill = new Array<number>(maxPages).fill(0);
    for (const k of [...sizes.keys()].sort((a, b) => a - b)) {
      const need = Math.ceil(sizes.get(k)! / 8) * 8;
      const page = fill.findIndex((used) => used + need <= 4096);
      if (page < 0) return "ENOSPC";
      fill[page] = fill[page]! + need;
    }
    return undefined;
  };
}

runConformance(uptrKvBackend, { options: { maxPages: 2 }, admit: admitFor(2) });
runConformance(uptrKvBackend, {
  options: { maxPages: 3, consistent: false, shared: false },
  admit: admitFor(3),
  runs: 30,
});
