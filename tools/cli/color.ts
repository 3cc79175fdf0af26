/**
 * Terminal colour for the explorer: on only when the output is a terminal and `NO_COLOR` is not
 * set (or when forced by `--color`), drawn with `node:util` `styleText`.
 *
 * @module
 */

import { styleText } from "node:util";

/** The styles the explorer uses. */
export type Style = "key" | "value" | "dim" | "error" | "ok" | "title" | "prompt";

/** Paints text in a style; the identity when colour is off. */
export type Painter = (style: Style, text: string) => string;

// deno-lint-ignore no-explicit-any
type StyleFormat = any;
const FORMATS: Readonly<Record<Style, StyleFormat>> = {
  key: "cyan",
  value: "green",
  dim: "gray",
  error: ["bold", "red"],
  ok: "green",
  title: "bold",
  prompt: ["bold", "blue"],
};

// Deno exposes NO_COLOR without an --allow-env permission; Node and Bun read the environment.
function noColorEnv(): boolean {
  const deno = (globalThis as { Deno?: { noColor?: boolean } }).Deno;
  if (deno !== undefined) return deno.noColor === true;
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process
    ?.env;
  return env?.NO_COLOR !== undefined && env.NO_COLOR !== "";
}

/**
 * Decides whether to colour output.
 *
 * @param isTTY Whether the output stream is a terminal.
 * @param force `true` for `--color`, `false` for `--no-color`, `undefined` to decide.
 * @returns Whether to colour.
 *
 * @example Colour only on a terminal
 * ```ts
 * import { useColor } from "./color.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(useColor(false, undefined), false);
 * assert.equal(useColor(false, true), true);
 * assert.equal(useColor(true, false), false);
 * ```
 */
export function useColor(isTTY: boolean, force: boolean | undefined): boolean {
  if (force !== undefined) return force;
  return isTTY && !noColorEnv();
}

/**
 * Makes a painter.
 *
 * @param enabled Whether to colour; `false` gives the identity.
 * @returns The painter.
 *
 * @example A painter without colour
 * ```ts
 * import { painter } from "./color.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(painter(false)("error", "boom"), "boom");
 * assert.match(painter(true)("error", "boom"), /\x1b\[/);
 * ```
 */
export function painter(enabled: boolean): Painter {
  if (!enabled) return (_style, text) => text;
  // validateStream: false because the caller already decided; older runtimes ignore the option.
  const paint = styleText as unknown as (f: StyleFormat, t: string, o: object) => string;
  return (style, text) => paint(FORMATS[style], text, { validateStream: false });
}
