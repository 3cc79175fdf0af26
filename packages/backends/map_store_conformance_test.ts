import { runConformance } from "@kvkit/conformance";
import { mapBackend } from "@kvkit/backends";

runConformance(mapBackend, { options: { keySize: 4, valueSize: 8, maxEntries: 8 } });
runConformance(mapBackend, { options: { keySize: 13, valueSize: 1, maxEntries: 16 } });
