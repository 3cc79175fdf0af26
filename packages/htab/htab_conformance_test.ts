import { runConformance } from "@kvkit/conformance";
import { htabBackend } from "./mod.ts";

// Small tables so "full" is reached; 4 and 8 take the word fast paths, 3 and 13 the generic
// path with a zero-padded tail word.
runConformance(htabBackend, { options: { keySize: 4, valueSize: 8, maxEntries: 8 } });
runConformance(htabBackend, { options: { keySize: 8, valueSize: 3, maxEntries: 5 } });
runConformance(htabBackend, { options: { keySize: 13, valueSize: 100, maxEntries: 8 } });
runConformance(htabBackend, { options: { keySize: 3, valueSize: 1, maxEntries: 1 } });

// The shared map, from one agent (its Worker tests are packages/internal/shared_table_workers_test.ts).
runConformance(htabBackend, {
  name: "shared htab",
  options: { shared: true, keySize: 4, valueSize: 8, maxEntries: 8 },
});
runConformance(htabBackend, {
  name: "shared htab, 13-byte keys",
  options: { shared: true, keySize: 13, valueSize: 100, maxEntries: 8 },
});
