/**
 * What every explorer command is made of: the command shape, its context and result, and the
 * helpers the command groups share (argument splitting, key parsing, entry lines, tables).
 *
 * @module
 */

import Table from "cli-table3";
import { type Store, StoreError } from "@kvkit/store";
import type { Painter } from "../color.ts";
import { formatBytes, formatKey, hex, intKey } from "../format.ts";
import { type ByteRole, parseBytes } from "../parse_bytes.ts";
import type { Session } from "../session.ts";
import type { Token } from "../tokenize.ts";

/** What a command works with. */
export interface CommandContext {
  /** The session; `open` and `load` replace its store. */
  readonly session: Session;
  /** Colours for text output. */
  readonly paint: Painter;
}

/** A command's result. */
export interface CommandResult {
  /** The result as JSON fields (`command` and `ok` are added by the caller). */
  readonly json: Record<string, unknown>;
  /** The result for a human; may span lines, may be empty. */
  readonly text: string;
  /** Set by `quit`: stop reading commands. */
  readonly quit?: boolean;
}

/** One explorer command. */
export interface Command {
  /** The name typed. */
  readonly name: string;
  /** Other names for it. */
  readonly aliases: readonly string[];
  /** Its syntax, for `help`. */
  readonly usage: string;
  /** One line saying what it does. */
  readonly summary: string;
  /** Runs it; `typed` is the name as typed (lowercase), for `clear` against `clear!`. */
  run(
    ctx: CommandContext,
    args: readonly Token[],
    typed?: string,
  ): CommandResult | Promise<CommandResult>;
}

/** Entries shown by `keys`, `iter` and `dump` unless `limit N` or `limit all` says otherwise. */
export const DEFAULT_LIMIT = 100;

/**
 * A bad-argument error.
 *
 * @param detail What is wrong.
 * @returns `EINVAL` with the detail.
 */
export function einval(detail: string): StoreError {
  return new StoreError("EINVAL", detail);
}

/**
 * Splits words into `n` positionals and the flag words after them, checked against `allowed`.
 *
 * @param name The command, for messages.
 * @param args Its words.
 * @param n The positionals it takes.
 * @param allowed The flag words it takes.
 * @param usage Its syntax, for messages.
 * @returns The positionals and the flags (lowercase, `--` dropped).
 * @throws {StoreError} `EINVAL` for too few words or a word it does not take.
 */
export function split(
  name: string,
  args: readonly Token[],
  n: number,
  allowed: readonly string[],
  usage: string,
): { pos: Token[]; flags: Set<string> } {
  if (args.length < n) throw einval(`${name} needs ${n} argument${n === 1 ? "" : "s"}: ${usage}`);
  const flags = new Set<string>();
  for (const t of args.slice(n)) {
    const word = t.text.toLowerCase().replace(/^--/, "");
    if (t.quoted || !allowed.includes(word)) {
      throw einval(
        `unexpected '${t.text}' for ${name}${
          allowed.length ? `; expected ${allowed.join("|")}` : ""
        }: ${usage}`,
      );
    }
    flags.add(word);
  }
  return { pos: args.slice(0, n), flags };
}

/**
 * A word as bytes for the session's store.
 *
 * @param ctx The session.
 * @param t The word.
 * @param role Key, value or prefix.
 * @param pad Zero-fill to the store's length.
 * @returns The bytes.
 */
export function bytesOf(ctx: CommandContext, t: Token, role: ByteRole, pad: boolean): Uint8Array {
  return parseBytes(t, role, ctx.session.store.capabilities, pad);
}

/**
 * The words of a one-key command (`get`, `del`, `has`): the key and the `pad` word.
 *
 * @param ctx The session.
 * @param name The command.
 * @param args Its words.
 * @param usage Its syntax.
 * @returns The store and the key.
 */
export function oneKey(
  ctx: CommandContext,
  name: string,
  args: readonly Token[],
  usage: string,
): { store: Store; key: Uint8Array } {
  const { pos, flags } = split(name, args, 1, ["pad"], usage);
  return { store: ctx.session.store, key: bytesOf(ctx, pos[0]!, "key", flags.has("pad")) };
}

/**
 * A key's JSON fields: its hex and, for integer keys, the number.
 *
 * @param store The store (for its key range).
 * @param key The key.
 * @returns `{ key }` or `{ key, int }`.
 */
export function keyJson(store: Store, key: Uint8Array): Record<string, unknown> {
  const n = intKey(key, store.capabilities);
  return n === undefined ? { key: hex(key) } : { key: hex(key), int: n };
}

/**
 * A key for a human.
 *
 * @param ctx The session and painter.
 * @param key The key.
 * @returns Hex, preview and, for integer keys, the number.
 */
export function showKey(ctx: CommandContext, key: Uint8Array): string {
  return formatKey(key, ctx.session.store.capabilities, ctx.paint);
}

/**
 * An entry for a human: `key => value`.
 *
 * @param ctx The session and painter.
 * @param key The key.
 * @param value The value.
 * @returns One line.
 */
export function entryLine(ctx: CommandContext, key: Uint8Array, value: Uint8Array): string {
  return `${showKey(ctx, key)} ${ctx.paint("dim", "=>")} ${formatBytes(value, ctx.paint, "value")}`;
}

/** Table characters with no rule between rows: entry tables stay one line per entry. */
export const COMPACT = { "mid": "", "left-mid": "", "mid-mid": "", "right-mid": "" };

/**
 * A table without colours or row rules.
 *
 * @param head The column heads.
 * @returns The table to push rows to.
 */
export function plainTable(head: string[]): Table.Table {
  return new Table({ head, chars: COMPACT, style: { head: [], border: [] } });
}

/**
 * The "… N more" line after a listing cut at its limit.
 *
 * @param ctx The painter.
 * @param shown Entries shown.
 * @param total Entries there are.
 * @returns The line with its newline, or `""` when nothing was cut.
 */
export function more(ctx: CommandContext, shown: number, total: number): string {
  return total > shown
    ? "\n" + ctx.paint("dim", `… ${total - shown} more (shown ${shown}; add 'limit all')`)
    : "";
}
