import { runConformance } from "@kvkit/conformance";
import { rhashBackend } from "./rhash_backend.ts";

// Small limits make "full" reachable. The suite's key pool is ~24 keys, so the other two
// configurations start from the smallest table (nelemHint 1..3 -> 4 buckets): every check
// then crosses grows (4 -> 8 -> 16 -> 32 ...) and shrinks, and filling maxEntries 200 reaches
// 256 buckets.
runConformance(rhashBackend, { options: { keySize: 4, valueSize: 8, maxEntries: 8 } });
runConformance(rhashBackend, {
  name: "rhash across resizes",
  options: { keySize: 8, valueSize: 4, maxEntries: 200, nelemHint: 1 },
  maxOps: 200,
});
runConformance(rhashBackend, {
  name: "rhash 13-byte keys across resizes",
  options: { keySize: 13, valueSize: 3, maxEntries: 40, nelemHint: 3 },
});

// The shared map, from one agent, across resizes (its Worker tests are
// packages/internal/shared_table_workers_test.ts).
runConformance(rhashBackend, {
  name: "shared rhash",
  options: { shared: true, keySize: 4, valueSize: 8, maxEntries: 8 },
});
runConformance(rhashBackend, {
  name: "shared rhash across resizes",
  options: { shared: true, keySize: 8, valueSize: 4, maxEntries: 200, nelemHint: 1 },
  maxOps: 200,
});
runConformance(rhashBackend, {
  name: "shared rhash, 13-byte keys across resizes",
  options: { shared: true, keySize: 13, valueSize: 3, maxEntries: 40, nelemHint: 3 },
});
