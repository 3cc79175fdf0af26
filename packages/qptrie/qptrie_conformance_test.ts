import { runConformance } from "@kvkit/conformance";
import { qptrieBackend } from "./mod.ts";

// Small limits so "full" is reached: short keys make nested keys (a key and its extensions)
// and shared prefixes common; a 1-byte key limit and a zero value size are the edges.
runConformance(qptrieBackend, { options: { maxKeyLength: 4, valueSize: 2, maxEntries: 8 } });
runConformance(qptrieBackend, { options: { maxKeyLength: 40, valueSize: 9, maxEntries: 6 } });
runConformance(qptrieBackend, { options: { maxKeyLength: 1, valueSize: 1, maxEntries: 3 } });
runConformance(qptrieBackend, { options: { maxKeyLength: 255, valueSize: 0, maxEntries: 5 } });
