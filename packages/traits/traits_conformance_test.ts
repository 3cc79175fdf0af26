// The shared conformance suite on every size profile, with capacities small enough that
// ENOSPC is reached.
import { runConformance } from "@kvkit/conformance";
import type { ErrorCode } from "@kvkit/store";
import { traitsBackend } from "./traits_backend.ts";

const HEADER = 16;

// The store's own admission rule, from the RFC: a present key keeps its length (EBUSY
// otherwise); a new key must fit the capacity (ENOSPC otherwise).
function admitFor(capacity: number) {
  return ({ entries, value, present }: {
    entries: ReadonlyArray<readonly [Uint8Array, Uint8Array]>;
    value: Uint8Array;
    present: Uint8Array | undefined;
  }): ErrorCode | undefined => {
    if (present !== undefined) return present.length === value.length ? undefined : "EBUSY";
    const used = entries.reduce((n, [, v]) => n + v.length, HEADER);
    return used + value.length > capacity ? "ENOSPC" : undefined;
  };
}

// Roughly a handful of values of each profile before the area is full.
const PROFILES = [
  { profile: "2/4/8", capacity: 40 },
  { profile: "4/8/16", capacity: 64 },
  { profile: "0/4/16", capacity: 56 },
  { profile: "0/4/8", capacity: 40 },
] as const;

for (const { profile, capacity } of PROFILES) {
  runConformance(traitsBackend, {
    name: `traits ${profile}, capacity ${capacity}`,
    options: { profile, capacity },
    admit: admitFor(capacity),
  });
}
