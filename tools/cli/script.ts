/**
 * Script mode: commands one per line (from a file or piped stdin), `#` comments, every line run
 * even after a failure; the caller exits non-zero when any line failed.
 *
 * @module
 */

import type { CommandContext } from "./commands.ts";
import { runLine } from "./commands.ts";
import { render } from "./render.ts";

/** Where script output goes. */
export interface ScriptOutput {
  /** Writes one result (a newline is added). */
  out(text: string): void;
  /** Writes one error (a newline is added). */
  err(text: string): void;
}

/** What a script run did. */
export interface ScriptSummary {
  /** Commands run (blank and comment lines not counted). */
  readonly ran: number;
  /** Commands that failed. */
  readonly failed: number;
  /** Whether `quit` ended it early. */
  readonly quit: boolean;
}

/**
 * Runs script lines in order.
 *
 * @param ctx The session and painter.
 * @param lines The lines, e.g. a `node:readline` interface over stdin.
 * @param output Where results and errors go.
 * @param json One JSON object per command (errors included, on `out`) instead of text.
 * @returns How many commands ran and failed.
 *
 * @example Every line runs, failures counted
 * ```ts
 * import { runScript } from "./script.ts";
 * import { openSession } from "./session.ts";
 * import assert from "node:assert/strict";
 *
 * const ctx = { session: await openSession("map", {}), paint: (_: string, t: string) => t };
 * const out: string[] = [];
 * const summary = await runScript(ctx, ["set 1 u64:2", "# note", "get 1", "get x"], {
 *   out: (t) => out.push(t), err: (t) => out.push(t),
 * }, false);
 * assert.deepEqual(summary, { ran: 3, failed: 1, quit: false });
 * assert.match(out.at(-1)!, /^line 4: get: error EINVAL/);
 * ```
 */
export async function runScript(
  ctx: CommandContext,
  lines: Iterable<string> | AsyncIterable<string>,
  output: ScriptOutput,
  json: boolean,
): Promise<ScriptSummary> {
  let ran = 0;
  let failed = 0;
  let n = 0;
  for await (const line of lines) {
    n++;
    const outcome = await runLine(ctx, line);
    if (outcome.kind === "empty") continue;
    ran++;
    if (outcome.kind === "error") failed++;
    const { out, err } = render(outcome, { json, paint: ctx.paint, line: n });
    if (out !== undefined) output.out(out);
    if (err !== undefined) output.err(err);
    if (outcome.kind === "ok" && outcome.result.quit) return { ran, failed, quit: true };
  }
  return { ran, failed, quit: false };
}
