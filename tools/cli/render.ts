/**
 * Turns a command line's outcome into output: text for a human (errors as
 * `error CODE (errno): detail`) or one JSON object per line for scripts.
 *
 * @module
 */

import { StoreError } from "@kvkit/store";
import type { Painter } from "./color.ts";
import type { LineOutcome } from "./commands.ts";

/** How to render. */
export interface RenderOptions {
  /** One JSON object per result instead of text. */
  readonly json: boolean;
  /** Colours for text. */
  readonly paint: Painter;
  /** The script line number, shown with errors in script mode. */
  readonly line?: number | undefined;
}

/** What to write: `out` to stdout, `err` to stderr; each without its final newline. */
export interface Rendered {
  /** For stdout. */
  readonly out?: string;
  /** For stderr. */
  readonly err?: string;
}

/**
 * The code, errno and detail of anything a command threw.
 *
 * @param error What was thrown.
 * @returns `code`/`errno` (`null` for errors that are not a `StoreError`) and the detail.
 *
 * @example A StoreError split into code and detail
 * ```ts
 * import { StoreError } from "@kvkit/store";
 * import { describeError } from "./render.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(describeError(new StoreError("ENOENT", "key not found")), {
 *   code: "ENOENT", errno: -2, message: "key not found",
 * });
 * ```
 */
export function describeError(
  error: unknown,
): { code: string | null; errno: number | null; message: string } {
  if (error instanceof StoreError) {
    const prefix = `${error.code}: `;
    const message = error.message.startsWith(prefix)
      ? error.message.slice(prefix.length)
      : error.message;
    return { code: error.code, errno: error.errno, message };
  }
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return { code: null, errno: null, message };
}

/**
 * Renders one outcome.
 *
 * @param outcome What {@linkcode runLine} returned.
 * @param options JSON or text, painter, line number.
 * @returns The text for stdout and/or stderr.
 *
 * @example An error line in script mode
 * ```ts
 * import { StoreError } from "@kvkit/store";
 * import { render } from "./render.ts";
 * import assert from "node:assert/strict";
 *
 * const paint = (_: string, t: string) => t;
 * const error = { kind: "error", command: "get", error: new StoreError("EINVAL", "key length 3 not in 4") } as const;
 * assert.deepEqual(render(error, { json: false, paint, line: 2 }), { err: "line 2: get: error EINVAL (-22): key length 3 not in 4" });
 * assert.equal(JSON.parse(render(error, { json: true, paint }).out!).code, "EINVAL");
 * ```
 */
export function render(outcome: LineOutcome, options: RenderOptions): Rendered {
  if (outcome.kind === "empty") return {};
  const { json, paint, line } = options;
  if (outcome.kind === "ok") {
    if (json) {
      return {
        out: JSON.stringify({ command: outcome.command, ok: true, ...outcome.result.json }),
      };
    }
    return outcome.result.text === "" ? {} : { out: outcome.result.text };
  }
  const { code, errno, message } = describeError(outcome.error);
  if (json) {
    return {
      out: JSON.stringify({
        command: outcome.command ?? null,
        ok: false,
        code,
        errno,
        message,
        ...(line === undefined ? {} : { line }),
      }),
    };
  }
  const where = (line === undefined ? "" : `line ${line}: `) +
    (outcome.command === undefined ? "" : `${outcome.command}: `);
  const what = code === null ? "error" : `error ${code} (${errno})`;
  return { err: `${where}${paint("error", what)}: ${message}` };
}
