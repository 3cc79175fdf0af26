/**
 * `@kvkit/conformance`: the model-based suite every kvkit store passes - built-ins and plugins
 * alike. fast-check generates sequences of valid and invalid operations, and every outcome
 * (value, error code, size, order, unchanged state after an error) must equal what a reference
 * model predicts from the store's capabilities.
 *
 * @example Checking a backend by hand (in a test file, use `runConformance`)
 * ```ts
 * import { conformanceChecks } from "@kvkit/conformance";
 * import { mapBackend } from "@kvkit/backends";
 * import assert from "node:assert/strict";
 *
 * const checks = conformanceChecks(mapBackend, { options: { maxEntries: 4 }, runs: 5 });
 * assert.ok(checks.length > 5);
 * for (const check of checks) check.run();
 * ```
 *
 * @module
 */

export * from "./config.ts";
export * from "./checks.ts";
export * from "./run_conformance.ts";
