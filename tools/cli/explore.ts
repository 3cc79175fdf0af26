/**
 * The explorer as a function: parses arguments, opens the store (by catalog name or plugin, or
 * from an image with `--load`), then runs a script (`--script FILE`, or stdin when it is not a
 * terminal) or the REPL. Streams are passed in, so tests drive it in process.
 *
 * @module
 */

import { createInterface } from "node:readline";
import type { Readable, Writable } from "node:stream";
import { listBackends } from "@kvkit/backends";
import { StoreError } from "@kvkit/store";
import { parseExploreArgs } from "./args.ts";
import { painter, useColor } from "./color.ts";
import type { CommandContext } from "./commands.ts";
import { readImageFile } from "./image_file.ts";
import { checkImageStoreSize, MAX_SCRIPT_FILE_BYTES, readLimitedFile } from "./limits.ts";
import { describeError } from "./render.ts";
import { runRepl } from "./repl.ts";
import { fillStore } from "./restore.ts";
import { runScript } from "./script.ts";
import { defaultBackend, defaultOptions, openSession, type Session } from "./session.ts";

/** The streams the explorer talks to. */
export interface ExploreIO {
  /** Commands in (a terminal for the REPL, else a script). */
  readonly stdin: Readable & { readonly isTTY?: boolean };
  /** Results out. */
  readonly stdout: Writable & { readonly isTTY?: boolean };
  /** Errors out. */
  readonly stderr: Writable;
}

/** Exit code: every command succeeded. */
export const EXIT_OK = 0;
/** Exit code: at least one script command failed. */
export const EXIT_FAILED = 1;
/** Exit code: bad arguments, or the store could not be opened or loaded. */
export const EXIT_USAGE = 2;

/** The `--help` text. */
export const USAGE =
  `kvkit explorer: open any kvkit store and work with it, interactively or from a script.

usage: deno task explore [BACKEND|PLUGIN] [--backend-option VALUE ...] [flags]

  BACKEND              a catalog name (see --list); default: qptrie --max-key-length 64
                       --value-size 16 (text keys, text values zero-filled to 16 bytes)
  PLUGIN               a file path or module specifier whose module exports 'backend'
  --kebab-case VALUE   any backend option: --key-size 8 -> { keySize: 8 }
                       (numbers parsed, true/false booleans, else strings; --flag alone = true)
  -s, --script FILE    run the commands in FILE (one per line, # comments)
      --load FILE      start from a store image: its backend (catalog names only) and options
                       unless given here; for a plugin: open the plugin, then 'load FILE'
      --json           one JSON object per command result
  -i, --interactive    the REPL even when stdin is not a terminal
      --color, --no-color   force colour on/off (default: on for a terminal without NO_COLOR)
  -l, --list           list the catalog and exit
  -h, --help           this text

With stdin not a terminal (a pipe or file) and no --script, commands are read from stdin.
Script mode exits 1 when any command failed, 2 when the store could not be opened.
Type 'help' at the prompt for the commands.`;

function lines(text: string): string[] {
  const all = text.split(/\r?\n/);
  if (all.at(-1) === "") all.pop();
  return all;
}

async function open(args: ReturnType<typeof parseExploreArgs>): Promise<Session> {
  if (args.load === undefined) {
    if (args.backend !== undefined) {
      return await openSession(args.backend, args.options, args.flags);
    }
    const backend = defaultBackend();
    return await openSession(backend, { ...defaultOptions(backend), ...args.options }, args.flags);
  }
  const { image, bytes } = await readImageFile(args.load);
  if (args.backend !== undefined) {
    const session = await openSession(args.backend, args.options, args.flags);
    // A new session's store is not the user's yet: on failure the explorer exits.
    fillStore(session.store, image);
    return session;
  }
  // The image is data from outside: its backend name must never become a module to import
  // (a path or specifier there would run the image author's code). Catalog names only.
  if (!listBackends().some((b) => b.name === image.backend)) {
    throw new StoreError(
      "EINVAL",
      `image '${args.load}' names backend '${image.backend}', which is not a catalog backend; ` +
        `--load opens catalog backends only: open the plugin first, then \`load FILE\``,
    );
  }
  const options = { ...image.options, ...args.options };
  const session = await openSession(image.backend, options, args.flags);
  // Nor may its options make a store far bigger than the image could fill.
  try {
    checkImageStoreSize(
      session.store.memoryUsage(),
      bytes,
      `${image.backend} ${JSON.stringify(options)}`,
    );
  } catch (err) {
    session.store.close();
    throw err;
  }
  fillStore(session.store, image);
  return session;
}

/**
 * Runs the explorer.
 *
 * @param argv The arguments after the script name.
 * @param io The standard streams.
 * @returns The exit code: {@linkcode EXIT_OK}, {@linkcode EXIT_FAILED} or {@linkcode EXIT_USAGE}.
 *
 * @example A piped script with JSON output
 * ```ts
 * import { PassThrough } from "node:stream";
 * import { explore } from "./explore.ts";
 * import assert from "node:assert/strict";
 *
 * const stdin = new PassThrough();
 * const stdout = new PassThrough();
 * let out = "";
 * stdout.on("data", (d) => out += d);
 * stdin.end("set u32:1 0x0102030405060708\nsize\n");
 * assert.equal(await explore(["map", "--json"], { stdin, stdout, stderr: stdout }), 0);
 * assert.equal(JSON.parse(out.trim().split("\n")[1]!).size, 1);
 * ```
 */
export async function explore(argv: readonly string[], io: ExploreIO): Promise<number> {
  const writeErr = (text: string): void => void io.stderr.write(text + "\n");
  const writeOut = (text: string): void => void io.stdout.write(text + "\n");
  let args: ReturnType<typeof parseExploreArgs>;
  try {
    args = parseExploreArgs(argv);
  } catch (err) {
    writeErr(`error: ${describeError(err).message}\n\n${USAGE}`);
    return EXIT_USAGE;
  }
  const paint = painter(useColor(io.stdout.isTTY === true, args.color));
  if (args.help) {
    writeOut(USAGE);
    return EXIT_OK;
  }
  if (args.list) {
    const list = listBackends();
    if (args.json) writeOut(JSON.stringify({ backends: list }));
    else {
      // Aligned like the REPL's `backends`: names padded to the longest.
      const width = Math.max(...list.map((b) => b.name.length));
      for (const b of list) writeOut(`${paint("title", b.name.padEnd(width))}  ${b.summary}`);
    }
    return EXIT_OK;
  }
  let session: Session;
  try {
    session = await open(args);
  } catch (err) {
    const { code, errno, message } = describeError(err);
    if (args.json) writeOut(JSON.stringify({ command: null, ok: false, code, errno, message }));
    writeErr(`${paint("error", code === null ? "error" : `error ${code} (${errno})`)}: ${message}`);
    return EXIT_USAGE;
  }
  const ctx: CommandContext = { session, paint };
  const output = { out: writeOut, err: args.json ? writeOut : writeErr };
  if (args.script !== undefined) {
    let text: string;
    try {
      const bytes = await readLimitedFile(args.script, MAX_SCRIPT_FILE_BYTES, "script");
      text = new TextDecoder().decode(bytes);
    } catch (err) {
      const { code, errno, message } = describeError(err);
      if (args.json) writeOut(JSON.stringify({ command: null, ok: false, code, errno, message }));
      writeErr(`${paint("error", `error ${code} (${errno})`)}: ${message}`);
      return EXIT_USAGE;
    }
    const summary = await runScript(ctx, lines(text), output, args.json);
    return summary.failed > 0 ? EXIT_FAILED : EXIT_OK;
  }
  if (!args.interactive && io.stdin.isTTY !== true) {
    const rl = createInterface({ input: io.stdin, crlfDelay: Infinity, terminal: false });
    const summary = await runScript(ctx, rl, output, args.json);
    rl.close();
    return summary.failed > 0 ? EXIT_FAILED : EXIT_OK;
  }
  const terminal = io.stdin.isTTY === true && io.stdout.isTTY === true;
  if (terminal || args.interactive) {
    const caps = session.store.capabilities;
    // With --json stdout carries only JSON objects, one a line: the banner goes to stderr.
    (args.json ? writeErr : writeOut)(
      `${paint("title", "kvkit explorer")}: ${session.store.backend} ${
        JSON.stringify(session.options)
      }` +
        ` - ${session.store.size} entries, keys ${caps.keySize.min}..${caps.keySize.max} B, ` +
        `values ${caps.valueSize.min}..${caps.valueSize.max} B. ` +
        (args.backend === undefined && args.load === undefined
          ? `Try: set "hello" "world", then get "hello". Type 'help' for more.`
          : "Type 'help'."),
    );
  }
  await runRepl(ctx, {
    input: io.stdin,
    output: io.stdout,
    error: io.stderr,
    terminal,
    json: args.json,
  });
  return EXIT_OK;
}
