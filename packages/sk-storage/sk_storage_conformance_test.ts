import { runConformance } from "@kvkit/conformance";
import { skStorageBackend } from "@kvkit/sk-storage";

// Small tables so every key of the range gets used; "full" is every owner holding a value.
runConformance(skStorageBackend, {
  name: "sk-storage inline",
  options: { owners: 8, valueSize: 8 },
});
runConformance(skStorageBackend, {
  name: "sk-storage fallback (inlineBytes 0)",
  options: { owners: 8, valueSize: 8, inlineBytes: 0 },
});
runConformance(skStorageBackend, {
  name: "sk-storage interned",
  options: { owners: 8, valueSize: 4, interned: true },
});
runConformance(skStorageBackend, {
  name: "sk-storage interned fallback",
  options: { owners: 5, valueSize: 3, interned: true, inlineBytes: 0 },
});
