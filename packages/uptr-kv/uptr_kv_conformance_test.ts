import { type Admit, runConformance } from "@kvkit/conformance";
import { readU32Key } from "@kvkit/store";
import { uptrKvBackend } from "./uptr_kv_backend.ts";

// The Store view's admission rule, written independently of the store: a set keeping a
// present key's length is in place and always fits; otherwise, with each length rounded up to
// a multiple of 8 (a slot) and then to a power of two (a class), the entries after the set
// are admitted when the classes add up to at most maxPages * 4096, or when they do with slots
// of at most 128 bytes counted as themselves plus 120 bytes per page boundary.
function admitFor(maxPages: number): Admit {
  return ({ entries, key, value, present }) => {
    if (present !== undefined && present.length === value.length) return undefined;
    const sizes = new Map(entries.map(([k, v]) => [readU32Key(k), v.length]));
    sizes.set(readU32Key(key), value.length);
    let classes = 0;
    let mixed = (maxPages - 1) * 120;
    for (const n of sizes.values()) {
      const slot = Math.ceil(n / 8) * 8;
      let cls = 8;
      while (cls < slot) cls *= 2;
      classes += cls;
      mixed += slot <= 128 ? slot : cls;
    }
    return classes <= maxPages * 4096 || mixed <= maxPages * 4096 ? undefined : "ENOSPC";
  };
}

runConformance(uptrKvBackend, { options: { maxPages: 2 }, admit: admitFor(2) });
runConformance(uptrKvBackend, {
  options: { maxPages: 3, consistent: false, shared: false },
  admit: admitFor(3),
  runs: 30,
});
