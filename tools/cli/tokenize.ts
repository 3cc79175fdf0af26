/**
 * Splits one explorer command line into words, shell-style: whitespace separates words, double
 * or single quotes group, an unquoted `#` at the start of a word begins a comment.
 *
 * @module
 */

import { StoreError } from "@kvkit/store";

/** One word of a command line. */
export interface Token {
  /** The word with its quotes removed and escapes resolved. */
  readonly text: string;
  /** Whether the whole word was one quoted string (`"a b"`), so it reads as UTF-8 text. */
  readonly quoted: boolean;
}

// The last Unicode code point; `\u{...}` above it is an error, not a RangeError.
const MAX_CODE_POINT = 0x10ffff;

// Escapes understood inside double quotes; single quotes take everything literally.
const ESCAPES: Readonly<Record<string, string>> = {
  "n": "\n",
  "t": "\t",
  "r": "\r",
  "0": "\0",
  "\\": "\\",
  '"': '"',
  "'": "'",
};

/**
 * Splits a command line into tokens.
 *
 * @param line One line of input.
 * @returns The words; empty for a blank line or a comment.
 * @throws {StoreError} `EINVAL` for an unterminated quote or a bad escape (including
 * `\u{N}` above U+10FFFF).
 *
 * @example Quotes and comments
 * ```ts
 * import { tokenize } from "./tokenize.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(tokenize('set "a b" 0x01 # note'), [
 *   { text: "set", quoted: false },
 *   { text: "a b", quoted: true },
 *   { text: "0x01", quoted: false },
 * ]);
 * assert.deepEqual(tokenize("  # only a comment"), []);
 * ```
 */
export function tokenize(line: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < line.length) {
    while (i < line.length && /\s/.test(line[i]!)) i++;
    if (i >= line.length || line[i] === "#") break;
    let text = "";
    let quotedParts = 0;
    let bareParts = 0;
    while (i < line.length && !/\s/.test(line[i]!)) {
      const c = line[i]!;
      if (c === '"' || c === "'") {
        const close = c;
        i++;
        let part = "";
        for (;;) {
          if (i >= line.length) {
            throw new StoreError("EINVAL", `unterminated ${close} quote in: ${line}`);
          }
          const d = line[i]!;
          if (d === close) break;
          if (d === "\\" && close === '"') {
            const e = line[i + 1];
            if (e === "x" || e === "u") {
              const m = e === "x"
                ? /^x([0-9a-fA-F]{2})/.exec(line.slice(i + 1))
                : /^u\{([0-9a-fA-F]{1,6})\}/.exec(line.slice(i + 1));
              if (m === null) throw new StoreError("EINVAL", `bad escape at: ${line.slice(i)}`);
              const point = parseInt(m[1]!, 16);
              if (point > MAX_CODE_POINT) {
                throw new StoreError(
                  "EINVAL",
                  `escape \\u{${m[1]}} is above U+10FFFF, the last Unicode code point, in: ${line}`,
                );
              }
              part += String.fromCodePoint(point);
              i += 1 + m[0].length;
              continue;
            }
            const mapped = e === undefined ? undefined : ESCAPES[e];
            if (mapped === undefined) {
              throw new StoreError("EINVAL", `bad escape \\${e ?? ""} in: ${line}`);
            }
            part += mapped;
            i += 2;
            continue;
          }
          part += d;
          i++;
        }
        i++;
        text += part;
        quotedParts++;
      } else {
        text += c;
        bareParts++;
        i++;
      }
    }
    tokens.push({ text, quoted: quotedParts === 1 && bareParts === 0 });
  }
  return tokens;
}
