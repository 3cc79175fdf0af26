// A plugin outside packages/, loaded by file path, passes the same suite as the built-ins.

import { runConformance } from "@kvkit/conformance";
import { loadBackend } from "@kvkit/backends";

const plugin = await loadBackend(
  "../../examples/plugins/sorted_array_store.ts",
  import.meta.url,
);
runConformance(plugin, { options: { maxKeyLength: 6, valueSize: 2, maxEntries: 10 } });
