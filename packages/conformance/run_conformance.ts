/**
 * One call that runs the whole conformance suite as `node:test` tests.
 *
 * @module
 */

import { describe, it } from "node:test";
import type { AnyBackend } from "@kvkit/store";
import { conformanceChecks } from "./checks.ts";
import type { ConformanceConfig } from "./config.ts";

/**
 * Registers the conformance suite for a backend as a `node:test` `describe` block, so the same
 * test file runs under `deno test`, `node --test` and `bun test`. Call it at the top level of a
 * `*_test.ts` file, once per configuration worth covering.
 *
 * @param backend The backend under test: a built-in from the catalog or a plugin.
 * @param config Options for `create`, the store's admission rule and run counts.
 *
 * @example A plugin's test file
 * ```ts ignore
 * import { runConformance } from "@kvkit/conformance";
 * import { backend } from "./my_store.ts";
 *
 * runConformance(backend, { options: { maxEntries: 8 } });
 * ```
 */
export function runConformance(
  backend: AnyBackend,
  config: ConformanceConfig = {},
): void {
  const label = config.name ?? `${backend.name} ${JSON.stringify(config.options ?? {})}`;
  describe(`conformance: ${label}`, () => {
    for (const check of conformanceChecks(backend, config)) it(check.name, check.run);
  });
}
