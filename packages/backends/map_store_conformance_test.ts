import { runConformance } from "@kvkit/conformance";
import { mapBackend } from "./map_store_backend.ts";

runConformance(mapBackend, { options: { keySize: 4, valueSize: 8, maxEntries: 8 } });
runConformance(mapBackend, { options: { keySize: 13, valueSize: 1, maxEntries: 16 } });
runConformance(mapBackend, { options: { keySize: 2, valueSize: 40, maxEntries: 6 } });
