/**
 * The explorer's command registry, shared by the REPL and script mode: every command of the
 * four groups (./commands/data.ts, inspect.ts, persist.ts, session.ts) and `help`, found by
 * name or alias, and {@linkcode runLine}, which runs one line. Each command reads its words,
 * acts on the session's store and returns a result both as text for a human and as a JSON
 * object for scripts.
 *
 * @module
 */

import {
  type Command,
  type CommandContext,
  type CommandResult,
  einval,
} from "./commands/_command.ts";
import { DATA_COMMANDS } from "./commands/data.ts";
import { INSPECT_COMMANDS } from "./commands/inspect.ts";
import { PERSIST_COMMANDS } from "./commands/persist.ts";
import { SESSION_COMMANDS } from "./commands/session.ts";
import { type Token, tokenize } from "./tokenize.ts";

export type { Command, CommandContext, CommandResult } from "./commands/_command.ts";
export { DEFAULT_LIMIT } from "./commands/_command.ts";

// `help` lists the registry, so it lives beside it.
const HELP: Command = {
  name: "help",
  aliases: ["?"],
  usage: "help [COMMAND]",
  summary: "list the commands, or show one command's syntax",
  run(ctx, args) {
    const want = args[0]?.text;
    if (want !== undefined) {
      const c = findCommand(want);
      if (c === undefined) throw einval(`no command '${want}'; type 'help'`);
      return { json: { usage: c.usage, summary: c.summary }, text: `${c.usage}\n  ${c.summary}` };
    }
    const width = Math.max(...COMMAND_LIST.map((c) => c.usage.length));
    const text =
      COMMAND_LIST.map((c) => `${ctx.paint("title", c.usage.padEnd(width))}  ${c.summary}`).join(
        "\n",
      ) +
      '\n\nkeys and values: 0x0a0b | hex:0a0b | "text" | str:text | u8:/u16:/u32:/u64:N | N ' +
      "(sized per store) | 10.0.0.1 | 2001:db8::1";
    return {
      json: { commands: COMMAND_LIST.map((c) => ({ usage: c.usage, summary: c.summary })) },
      text,
    };
  },
};

const COMMAND_LIST: readonly Command[] = [
  HELP,
  ...DATA_COMMANDS,
  ...INSPECT_COMMANDS,
  ...PERSIST_COMMANDS,
  ...SESSION_COMMANDS,
];

/** Every command, in `help` order. */
export const COMMANDS: readonly Command[] = COMMAND_LIST;

/**
 * Finds a command by name or alias.
 *
 * @param name The first word of a line.
 * @returns The command, or `undefined`.
 *
 * @example By name or alias
 * ```ts
 * import { findCommand } from "./commands.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(findCommand("exit")?.name, "quit");
 * assert.equal(findCommand("nope"), undefined);
 * ```
 */
export function findCommand(name: string): Command | undefined {
  const n = name.toLowerCase();
  return COMMAND_LIST.find((c) => c.name === n || c.aliases.includes(n));
}

/** The outcome of one line. */
export type LineOutcome =
  | { readonly kind: "empty" }
  | { readonly kind: "ok"; readonly command: string; readonly result: CommandResult }
  | { readonly kind: "error"; readonly command: string | undefined; readonly error: unknown };

/**
 * Runs one command line: tokenizes it, finds the command and runs it. Errors are returned,
 * never thrown, so a bad line never stops the REPL.
 *
 * @param ctx The session and painter.
 * @param line One line of input.
 * @returns `empty` for a blank or comment line, `ok` with the result, or `error`.
 *
 * @example Lines that succeed, fail and say nothing
 * ```ts
 * import { runLine } from "./commands.ts";
 * import { openSession } from "./session.ts";
 * import assert from "node:assert/strict";
 *
 * const ctx = { session: await openSession("map", { keySize: 4, valueSize: 2 }), paint: (_: string, t: string) => t };
 * assert.equal((await runLine(ctx, "set 7 0x0102")).kind, "ok");
 * assert.equal((await runLine(ctx, "get 7 0x01")).kind, "error");
 * assert.equal((await runLine(ctx, "# nothing")).kind, "empty");
 * ```
 */
export async function runLine(ctx: CommandContext, line: string): Promise<LineOutcome> {
  let tokens: Token[];
  try {
    tokens = tokenize(line);
  } catch (error) {
    return { kind: "error", command: undefined, error };
  }
  if (tokens.length === 0) return { kind: "empty" };
  const [first, ...args] = tokens;
  const command = findCommand(first!.text);
  if (command === undefined) {
    return {
      kind: "error",
      command: first!.text,
      error: einval(`unknown command '${first!.text}'; type 'help' for the list`),
    };
  }
  try {
    return {
      kind: "ok",
      command: command.name,
      result: await command.run(ctx, args, first!.text.toLowerCase()),
    };
  } catch (error) {
    return { kind: "error", command: command.name, error };
  }
}
