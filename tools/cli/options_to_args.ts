/**
 * Writes backend options back as command-line flags (`{ keySize: 8 }` to ` --key-size 8`), the
 * inverse of the explorer's option parsing, for messages that suggest a command.
 *
 * @module
 */

/**
 * Backend options as flags.
 *
 * @param options camelCase options.
 * @returns The flags, each preceded by a space; empty for no options.
 *
 * @example Options back to flags
 * ```ts
 * import { optionsToArgs } from "./options_to_args.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(optionsToArgs({ keySize: 8, shared: true, mode: "fast" }), " --key-size 8 --shared true --mode fast");
 * ```
 */
export function optionsToArgs(options: Readonly<Record<string, unknown>>): string {
  return Object.entries(options)
    .map(([k, v]) => ` --${k.replace(/[A-Z]/g, (c) => "-" + c.toLowerCase())} ${String(v)}`)
    .join("");
}
