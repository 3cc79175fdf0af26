/**
 * The interactive explorer: a `node:readline` prompt with in-memory history (up/down arrows),
 * tab completion of commands, flag words, backend names and file paths, and `help`. A failing command
 * prints its error and the prompt comes back.
 *
 * @module
 */

import { type Dirent, readdirSync } from "node:fs";
import { createInterface } from "node:readline";
import type { Readable, Writable } from "node:stream";
import { listBackends } from "@kvkit/backends";
import { type CommandContext, COMMANDS, findCommand, runLine } from "./commands.ts";
import { render } from "./render.ts";

/** The streams of a REPL. */
export interface ReplStreams {
  /** Where lines come from. */
  readonly input: Readable;
  /** Where the prompt and results go. */
  readonly output: Writable;
  /** Where errors go. */
  readonly error: Writable;
  /** Whether `input`/`output` are a terminal (enables line editing, history and completion). */
  readonly terminal: boolean;
  /** Print each result as one JSON object instead of text; the prompt then goes to `error`. */
  readonly json?: boolean;
}

// Words each command takes after its arguments, offered by tab completion.
const FLAG_WORDS: Readonly<Record<string, readonly string[]>> = {
  set: ["any", "noexist", "exist", "lock", "pad"],
  get: ["pad"],
  del: ["pad"],
  has: ["pad"],
  next: ["pad"],
  keys: ["prefix", "from", "limit", "all", "pad"],
  iter: ["prefix", "from", "limit", "all", "pad"],
  batch: ["continue", "cursor", "delete"],
  dump: ["limit", "all"],
  bench: ["ms"],
};

/**
 * File names that complete a path being typed: the entries of its folder (`.` when it names
 * none) that start with its last part, folders with a trailing `/`; hidden ones only when the
 * part starts with `.`. An unreadable folder completes to nothing.
 *
 * @param word The path typed so far.
 * @returns The completed paths, folder part kept as typed.
 *
 * @example Completing a folder of this repository
 * ```ts
 * import { completePath } from "./repl.ts";
 * import assert from "node:assert/strict";
 *
 * assert.ok(completePath("tools/cl").includes("tools/cli/"));
 * assert.deepEqual(completePath("no/such/folder/x"), []);
 * ```
 */
export function completePath(word: string): string[] {
  const cut = word.lastIndexOf("/") + 1;
  const folder = word.slice(0, cut);
  const part = word.slice(cut);
  let entries: Dirent[];
  try {
    entries = readdirSync(folder === "" ? "." : folder, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries
    .filter((e) => e.name.startsWith(part) && (part.startsWith(".") || !e.name.startsWith(".")))
    .map((e) => folder + e.name + (e.isDirectory() ? "/" : ""))
    .sort();
}

// Commands whose first argument is a file.
const PATH_COMMANDS = new Set(["load", "save"]);

/**
 * Tab completion for a line: the command at the start, then its flag words, backend names after
 * `open` (and plugin paths once the word looks like a path), file paths after `load` and `save`,
 * command names after `help`.
 *
 * @param line The line up to the cursor.
 * @returns The candidates and the word they complete, as `node:readline` wants.
 *
 * @example Completing a command name
 * ```ts
 * import { complete } from "./repl.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(complete("st"), [["stats"], "st"]);
 * assert.deepEqual(complete("set 1 2 no"), [["noexist"], "no"]);
 * assert.ok(complete("open ")[0].includes("map"));
 * ```
 */
export function complete(line: string): [string[], string] {
  const words = line.split(/\s+/);
  const word = words.at(-1) ?? "";
  let candidates: readonly string[];
  if (words.length <= 1) {
    candidates = COMMANDS.map((c) => c.name);
  } else {
    const command = findCommand(words[0]!)?.name ?? "";
    if (command === "open" && words.length === 2) {
      const names = listBackends().map((b) => b.name);
      candidates = /^(\.|\/)|\//.test(word) ? [...names, ...completePath(word)] : names;
    } else if (PATH_COMMANDS.has(command) && words.length === 2) candidates = completePath(word);
    else if (command === "help" && words.length === 2) candidates = COMMANDS.map((c) => c.name);
    else candidates = FLAG_WORDS[command] ?? [];
  }
  return [candidates.filter((c) => c.startsWith(word)), word];
}

/**
 * Runs the REPL until `quit` or end of input.
 *
 * @param ctx The session and painter.
 * @param streams Input, output, error streams and whether they are a terminal.
 * @returns The number of commands that failed.
 *
 * @example Commands from a stream
 * ```ts
 * import { PassThrough } from "node:stream";
 * import { runRepl } from "./repl.ts";
 * import { openSession } from "./session.ts";
 * import assert from "node:assert/strict";
 *
 * const input = new PassThrough();
 * const output = new PassThrough();
 * let text = "";
 * output.on("data", (d) => text += d);
 * input.end("set 1 u64:9\nget 1\nquit\n");
 * const ctx = { session: await openSession("map", {}), paint: (_: string, t: string) => t };
 * assert.equal(await runRepl(ctx, { input, output, error: output, terminal: false }), 0);
 * assert.match(text, /0x0900000000000000/);
 * ```
 */
export async function runRepl(ctx: CommandContext, streams: ReplStreams): Promise<number> {
  const { input, output, error, terminal, json = false } = streams;
  // With json, `output` carries one JSON object per line and nothing else: the prompt, echo and
  // notices go to `error`.
  const chatter = json ? error : output;
  const rl = createInterface({
    input,
    output: chatter,
    terminal,
    completer: complete,
    historySize: 1000,
    removeHistoryDuplicates: true,
    tabSize: 2,
  });
  // Piped input may end (closing the interface) while buffered lines are still being run.
  let closed = false;
  rl.on("close", () => closed = true);
  const prompt = (): void => {
    if (closed) return;
    rl.setPrompt(ctx.paint("prompt", `kvkit:${ctx.session.store.backend}> `));
    rl.prompt();
  };
  let interrupted = false;
  rl.on("SIGINT", () => {
    if (interrupted || rl.line === "") {
      rl.close();
      return;
    }
    interrupted = true;
    chatter.write(ctx.paint("dim", "\n(Ctrl+C again, Ctrl+D or 'quit' to leave)\n"));
    rl.write(null, { ctrl: true, name: "u" });
    prompt();
  });
  let failed = 0;
  prompt();
  for await (const line of rl) {
    interrupted = false;
    const outcome = await runLine(ctx, line);
    if (outcome.kind === "error") failed++;
    const { out, err } = render(outcome, { json, paint: ctx.paint });
    if (out !== undefined) output.write(out + "\n");
    if (err !== undefined) error.write(err + "\n");
    if (outcome.kind === "ok" && outcome.result.quit) break;
    prompt();
  }
  rl.close();
  return failed;
}
