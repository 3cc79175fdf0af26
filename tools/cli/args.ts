/**
 * The explorer's command line: its own flags, the backend (a catalog name or a plugin path or
 * specifier) and any number of generic backend options (`--kebab-case VALUE` becomes
 * `camelCase: value`), so a backend registered later needs no change here.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { StoreError } from "@kvkit/store";

/** The parsed command line. */
export interface ExploreArgs {
  /** The backend name or plugin specifier; `undefined` for the default. */
  readonly backend: string | undefined;
  /** Backend options, camelCase. */
  readonly options: Record<string, unknown>;
  /**
   * The flag each option came from, as typed (`maxEntries` → `--max-entries`), so an error
   * about an option can name the flag the user wrote.
   */
  readonly flags: Readonly<Record<string, string>>;
  /** `--script FILE`: run the commands of a file. */
  readonly script: string | undefined;
  /** `--load FILE`: open a store of the image's backend and options, filled from it. */
  readonly load: string | undefined;
  /** `--json`: one JSON object per command result. */
  readonly json: boolean;
  /** `--interactive` / `-i`: the REPL even when stdin is not a terminal. */
  readonly interactive: boolean;
  /** `--color` / `--no-color`; `undefined` to decide from the terminal and `NO_COLOR`. */
  readonly color: boolean | undefined;
  /** `--help` / `-h`. */
  readonly help: boolean;
  /** `--list` / `-l`: list the catalog and exit. */
  readonly list: boolean;
}

// The explorer's own flags; every other --flag is a backend option.
const OWN = {
  script: { type: "string", short: "s" },
  load: { type: "string" },
  json: { type: "boolean" },
  interactive: { type: "boolean", short: "i" },
  color: { type: "boolean" },
  "no-color": { type: "boolean" },
  help: { type: "boolean", short: "h" },
  list: { type: "boolean", short: "l" },
} as const;

/**
 * Reads an option value: decimal or `0x` numbers become numbers, `true`/`false` booleans,
 * anything else stays a string.
 *
 * @param text The value as typed.
 * @returns The typed value.
 *
 * @example Numbers, booleans and strings
 * ```ts
 * import { optionValue } from "./args.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(optionValue("1024"), 1024);
 * assert.equal(optionValue("0x10"), 16);
 * assert.equal(optionValue("false"), false);
 * assert.equal(optionValue("lru"), "lru");
 * ```
 */
export function optionValue(text: string): number | boolean | string {
  if (/^-?\d+(\.\d+)?(e\d+)?$/i.test(text) || /^0x[0-9a-f]+$/i.test(text)) return Number(text);
  if (text === "true") return true;
  if (text === "false") return false;
  return text;
}

// A negative number after a long flag that takes a value (`--max-entries -1`) is that value,
// not a short flag `-1`: joined as `--max-entries=-1` so `parseArgs` sees it so, and the backend
// gets -1 to reject with its own EINVAL.
function joinNegativeValues(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const next = argv[i + 1];
    if (arg === "--") {
      out.push(...argv.slice(i));
      break;
    }
    const name = arg.slice(2);
    const own = OWN[name as keyof typeof OWN] as { type: string } | undefined;
    if (
      arg.startsWith("--") && !arg.includes("=") && own?.type !== "boolean" &&
      next !== undefined && /^-(\d|\.\d|0x)/i.test(next)
    ) {
      out.push(`${arg}=${next}`);
      i++;
    } else {
      out.push(arg);
    }
  }
  return out;
}

function camel(name: string): string {
  return name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/**
 * Parses the explorer's arguments.
 *
 * @param argv The arguments after the script name.
 * @returns The parsed arguments.
 * @throws {StoreError} `EINVAL` for a second backend, a short flag that is not the explorer's,
 * or an explorer flag missing its value.
 *
 * @example A backend with its options
 * ```ts
 * import { parseExploreArgs } from "./args.ts";
 * import assert from "node:assert/strict";
 *
 * const args = parseExploreArgs(["rhash", "--key-size", "8", "--max-entries=1024", "--json", "--lru"]);
 * assert.equal(args.backend, "rhash");
 * assert.deepEqual(args.options, { keySize: 8, maxEntries: 1024, lru: true });
 * assert.equal(args.flags.maxEntries, "--max-entries");
 * assert.equal(args.json, true);
 * ```
 */
export function parseExploreArgs(argv: readonly string[]): ExploreArgs {
  const { tokens } = parseArgs({
    args: joinNegativeValues(argv),
    options: OWN,
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const own: Record<string, string | boolean> = {};
  const options: Record<string, unknown> = {};
  const flags: Record<string, string> = {};
  const positionals: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.kind === "option-terminator") continue;
    if (t.kind === "positional") {
      positionals.push(t.value);
      continue;
    }
    if (t.name in OWN) {
      const spec = OWN[t.name as keyof typeof OWN];
      if (spec.type === "string" && typeof t.value !== "string") {
        throw new StoreError("EINVAL", `${t.rawName} needs a value`);
      }
      own[t.name] = t.value ?? true;
      continue;
    }
    if (!t.rawName.startsWith("--")) {
      throw new StoreError(
        "EINVAL",
        `unknown flag ${t.rawName}; backend options are written --kebab-case VALUE`,
      );
    }
    let value: unknown;
    if (t.value !== undefined) {
      value = optionValue(t.value);
    } else {
      // strict:false leaves the value of an unknown flag as the next positional.
      const next = tokens[i + 1];
      if (next?.kind === "positional" && next.index === t.index + 1) {
        value = optionValue(next.value);
        i++;
      } else {
        value = true;
      }
    }
    const noFlag = /^no-(.+)$/.exec(t.name);
    const name = noFlag !== null && value === true ? camel(noFlag[1]!) : camel(t.name);
    options[name] = noFlag !== null && value === true ? false : value;
    flags[name] = `--${t.name}`;
  }
  if (positionals.length > 1) {
    throw new StoreError(
      "EINVAL",
      `one backend only, got ${positionals.map((p) => `'${p}'`).join(" and ")}`,
    );
  }
  const color = own["no-color"] === true ? false : own.color === true ? true : undefined;
  return {
    backend: positionals[0],
    options,
    flags,
    script: typeof own.script === "string" ? own.script : undefined,
    load: typeof own.load === "string" ? own.load : undefined,
    json: own.json === true,
    interactive: own.interactive === true,
    color,
    help: own.help === true,
    list: own.list === true,
  };
}
