/**
 * The explorer's commands, shared by the REPL and script mode. Each command reads its words,
 * acts on the session's store and returns a result both as text for a human and as a JSON
 * object for scripts.
 *
 * @module
 */

import Table from "cli-table3";
import { listBackends } from "@kvkit/backends";
import { ANY, EXIST, F_LOCK, NOEXIST, type Store, StoreError } from "@kvkit/store";
import { parseExploreArgs } from "./args.ts";
import { quickBench } from "./bench.ts";
import { harnessBench } from "./harness_bench.ts";
import type { Painter } from "./color.ts";
import { formatBytes, formatKey, formatSize, hex, intKey } from "./format.ts";
import { readImageFile, saveImageFile } from "./image_file.ts";
import { type ByteRole, parseBytes } from "./parse_bytes.ts";
import { restoreImage } from "./restore.ts";
import { openSession, type Session } from "./session.ts";
import { type Token, tokenize } from "./tokenize.ts";
import { walkKeys } from "./walk_keys.ts";

/** What a command works with. */
export interface CommandContext {
  /** The session; `open` replaces its store. */
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
  /** Runs it. */
  run(ctx: CommandContext, args: readonly Token[]): CommandResult | Promise<CommandResult>;
}

/** Entries shown by `keys`, `iter` and `dump` unless `limit N` or `limit all` says otherwise. */
export const DEFAULT_LIMIT = 100;

/** The words `set` takes after the key and value, and their flag bits. */
const SET_FLAGS: Readonly<Record<string, number>> = {
  any: ANY,
  noexist: NOEXIST,
  exist: EXIST,
  lock: F_LOCK,
};

function einval(detail: string): StoreError {
  return new StoreError("EINVAL", detail);
}

// Splits words into `n` positionals and the flag words after them, checked against `allowed`.
function split(
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

function bytesOf(ctx: CommandContext, t: Token, role: ByteRole, pad: boolean): Uint8Array {
  return parseBytes(t, role, ctx.session.store.capabilities, pad);
}

function keyJson(store: Store, key: Uint8Array): Record<string, unknown> {
  const n = intKey(key, store.capabilities);
  return n === undefined ? { key: hex(key) } : { key: hex(key), int: n };
}

function showKey(ctx: CommandContext, key: Uint8Array): string {
  return formatKey(key, ctx.session.store.capabilities, ctx.paint);
}

function entryLine(ctx: CommandContext, key: Uint8Array, value: Uint8Array): string {
  return `${showKey(ctx, key)} ${ctx.paint("dim", "=>")} ${formatBytes(value, ctx.paint, "value")}`;
}

// No rule between rows: entry tables stay one line per entry.
const COMPACT = { "mid": "", "left-mid": "", "mid-mid": "", "right-mid": "" };

function plainTable(head: string[]): Table.Table {
  return new Table({ head, chars: COMPACT, style: { head: [], border: [] } });
}

function sizes(range: { min: number; max: number }, list?: readonly number[]): string {
  if (list !== undefined) return list.join("/");
  return range.min === range.max ? `${range.min}` : `${range.min}..${range.max}`;
}

// `keys`/`iter` options: prefix P, from K, limit N|all, pad.
interface ListOptions {
  prefix: Uint8Array | undefined;
  from: Uint8Array | undefined;
  limit: number;
}

function listOptions(ctx: CommandContext, name: string, args: readonly Token[]): ListOptions {
  const usage = `${name} [prefix P] [from K] [limit N|all] [pad]`;
  const pad = args.some((t) => !t.quoted && t.text === "pad");
  const rest = args.filter((t) => t.quoted || t.text !== "pad");
  const out: ListOptions = { prefix: undefined, from: undefined, limit: DEFAULT_LIMIT };
  for (let i = 0; i < rest.length; i += 2) {
    const word = rest[i]!;
    const arg = rest[i + 1];
    if (arg === undefined || word.quoted) throw einval(`bad ${name} arguments: ${usage}`);
    if (word.text === "prefix") out.prefix = bytesOf(ctx, arg, "prefix", false);
    else if (word.text === "from") out.from = bytesOf(ctx, arg, "key", pad);
    else if (word.text === "limit") {
      if (arg.text === "all") out.limit = Infinity;
      else if (/^\d+$/.test(arg.text) && Number(arg.text) > 0) out.limit = Number(arg.text);
      else throw einval(`limit '${arg.text}' is not a positive integer or 'all'`);
    } else throw einval(`unexpected '${word.text}' for ${name}: ${usage}`);
  }
  return out;
}

function more(ctx: CommandContext, shown: number, total: number): string {
  return total > shown
    ? "\n" + ctx.paint("dim", `… ${total - shown} more (shown ${shown}; add 'limit all')`)
    : "";
}

function listKeys(ctx: CommandContext, args: readonly Token[], withValues: boolean): CommandResult {
  const name = withValues ? "iter" : "keys";
  const { prefix, from, limit } = listOptions(ctx, name, args);
  const store = ctx.session.store;
  const lines: string[] = [];
  const items: Record<string, unknown>[] = [];
  let total = 0;
  for (const key of walkKeys(store, { prefix, from })) {
    total++;
    if (total > limit) continue;
    if (withValues) {
      const value = store.get(key) ?? new Uint8Array();
      lines.push(entryLine(ctx, key, value));
      items.push({ ...keyJson(store, key), value: hex(value) });
    } else {
      lines.push(showKey(ctx, key));
      items.push(keyJson(store, key));
    }
  }
  const text = lines.length === 0 ? ctx.paint("dim", "(no keys)") : lines.join("\n");
  return {
    json: { [withValues ? "entries" : "keys"]: items, total },
    text: text + more(ctx, items.length, total),
  };
}

function genericDump(ctx: CommandContext, limit: number): string {
  const store = ctx.session.store;
  const caps = store.capabilities;
  const table = plainTable(["#", "key", "value", "text"]);
  let i = 0;
  for (const [k, v] of store.entries()) {
    if (i >= limit) break;
    table.push([
      String(i++),
      intKey(k, caps) === undefined ? hex(k) : `${intKey(k, caps)} (${hex(k)})`,
      formatBytes(v, (_s, t) => t, "value").replace(/ \|.*\|$/, ""),
      formatBytes(v, (_s, t) => t, "value").replace(/^.* \|(.*)\|$/, "$1"),
    ]);
  }
  const head = `${store.backend}: no describe(); generic entry table, ${store.size} entries, ` +
    `${formatSize(store.memoryUsage())}`;
  return `${ctx.paint("title", head)}\n${table.toString()}${more(ctx, i, store.size)}`;
}

function statsTable(ctx: CommandContext): { text: string; json: Record<string, unknown> } {
  const { session } = ctx;
  const store = session.store;
  const caps = store.capabilities;
  const memory = store.memoryUsage();
  const rows: [string, string][] = [
    ["backend", `${store.backend}${session.spec === store.backend ? "" : ` (${session.spec})`}`],
    ["summary", session.backend.summary],
    ["options", JSON.stringify(session.options)],
    ["size", `${store.size} of ${caps.maxEntries} (maxEntries)`],
    ["key bytes", sizes(caps.keySize)],
    ["key range", caps.keyRange ? `${caps.keyRange.min}..${caps.keyRange.max} (u32 LE)` : "-"],
    ["value bytes", sizes(caps.valueSize, caps.valueSizes)],
    ["ordered", String(caps.ordered)],
    ["full error", caps.fullError],
    ["value too big", caps.valueTooBig],
    ["F_LOCK", String(caps.lock)],
    ["describe()", typeof store.describe === "function" ? "yes" : "no"],
    ["memory", formatSize(memory)],
    ["bytes/entry", store.size ? (memory / store.size).toFixed(1) : "-"],
  ];
  const table = new Table({ chars: COMPACT, style: { head: [], border: [] } });
  for (const [k, v] of rows) table.push({ [k]: v });
  return {
    text: table.toString(),
    json: {
      backend: store.backend,
      spec: session.spec,
      summary: session.backend.summary,
      options: session.options,
      size: store.size,
      memory,
      capabilities: caps,
      describe: typeof store.describe === "function",
    },
  };
}

const COMMAND_LIST: Command[] = [
  {
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
  },
  {
    name: "set",
    aliases: ["put", "update"],
    usage: "set KEY VALUE [any|noexist|exist|lock] [pad]",
    summary: "create or update an entry (flags as BPF_ANY/NOEXIST/EXIST/F_LOCK; pad zero-fills)",
    run(ctx, args) {
      const usage = this.usage;
      const { pos, flags } = split("set", args, 2, [...Object.keys(SET_FLAGS), "pad"], usage);
      const pad = flags.delete("pad");
      let bits = 0;
      for (const f of flags) bits |= SET_FLAGS[f]!;
      const store = ctx.session.store;
      const key = bytesOf(ctx, pos[0]!, "key", pad);
      const value = bytesOf(ctx, pos[1]!, "value", pad);
      const existed = store.capabilities.keySize.min <= key.length &&
          key.length <= store.capabilities.keySize.max
        ? safeHas(store, key)
        : false;
      store.set(key, value, bits);
      const what = existed ? "updated" : "created";
      return {
        json: { ...keyJson(store, key), value: hex(value), flags: bits, result: what },
        text: `${ctx.paint("ok", what)} ${entryLine(ctx, key, value)}`,
      };
    },
  },
  {
    name: "get",
    aliases: ["lookup"],
    usage: "get KEY [pad]",
    summary: "show the value of a key",
    run(ctx, args) {
      const { pos, flags } = split("get", args, 1, ["pad"], this.usage);
      const store = ctx.session.store;
      const key = bytesOf(ctx, pos[0]!, "key", flags.has("pad"));
      const value = store.get(key);
      return value === undefined
        ? { json: { ...keyJson(store, key), found: false }, text: ctx.paint("dim", "(not found)") }
        : {
          json: { ...keyJson(store, key), found: true, value: hex(value) },
          text: formatBytes(value, ctx.paint, "value"),
        };
    },
  },
  {
    name: "del",
    aliases: ["delete", "rm"],
    usage: "del KEY [pad]",
    summary: "delete a key",
    run(ctx, args) {
      const { pos, flags } = split("del", args, 1, ["pad"], this.usage);
      const store = ctx.session.store;
      const key = bytesOf(ctx, pos[0]!, "key", flags.has("pad"));
      const deleted = store.delete(key);
      return {
        json: { ...keyJson(store, key), deleted },
        text: deleted ? ctx.paint("ok", "deleted") : ctx.paint("dim", "(not found)"),
      };
    },
  },
  {
    name: "has",
    aliases: [],
    usage: "has KEY [pad]",
    summary: "whether a key is present",
    run(ctx, args) {
      const { pos, flags } = split("has", args, 1, ["pad"], this.usage);
      const store = ctx.session.store;
      const key = bytesOf(ctx, pos[0]!, "key", flags.has("pad"));
      const present = store.has(key);
      return { json: { ...keyJson(store, key), present }, text: String(present) };
    },
  },
  {
    name: "keys",
    aliases: ["ls"],
    usage: "keys [prefix P] [from K] [limit N|all] [pad]",
    summary: "list keys (prefix: byte prefix of the key; from: ordered stores only)",
    run: (ctx, args) => listKeys(ctx, args, false),
  },
  {
    name: "iter",
    aliases: ["entries", "scan"],
    usage: "iter [prefix P] [from K] [limit N|all] [pad]",
    summary: "list entries, key => value, with the same options as keys",
    run: (ctx, args) => listKeys(ctx, args, true),
  },
  {
    name: "next",
    aliases: [],
    usage: "next [KEY] [pad]",
    summary: "the key after KEY (BPF get_next_key); the first key without one",
    run(ctx, args) {
      const store = ctx.session.store;
      const { pos, flags } = split("next", args, args[0] && args[0].text !== "pad" ? 1 : 0, [
        "pad",
      ], this.usage);
      const key = pos[0] && bytesOf(ctx, pos[0], "key", flags.has("pad"));
      const next = store.nextKey(key);
      return next === undefined
        ? { json: { next: null }, text: ctx.paint("dim", "(end)") }
        : { json: { next: hex(next), ...keyJson(store, next) }, text: showKey(ctx, next) };
    },
  },
  {
    name: "batch",
    aliases: [],
    usage: "batch COUNT [cursor C|continue] [delete]",
    summary:
      "lookupBatch: up to COUNT entries from a cursor (continue: the last one), delete: remove them",
    run(ctx, args) {
      const usage = this.usage;
      const countText = args[0]?.text ?? "";
      if (!/^\d+$/.test(countText)) throw einval(`batch needs a COUNT: ${usage}`);
      let cursor: Uint8Array | undefined;
      let del = false;
      for (let i = 1; i < args.length; i++) {
        const w = args[i]!.text.replace(/^--/, "");
        if (w === "delete") del = true;
        else if (w === "continue") cursor = ctx.session.cursor;
        else if (w === "cursor" && args[i + 1] !== undefined) {
          cursor = bytesOf(ctx, args[++i]!, "prefix", false);
        } else throw einval(`unexpected '${args[i]!.text}' for batch: ${usage}`);
      }
      const store = ctx.session.store;
      const batch = store.lookupBatch(cursor, Number(countText), del ? { delete: true } : {});
      ctx.session.cursor = batch.cursor;
      const lines = batch.keys.map((k, i) => entryLine(ctx, k, batch.values[i]!));
      lines.push(
        ctx.paint(
          "dim",
          `${batch.keys.length} entr${batch.keys.length === 1 ? "y" : "ies"}${
            del ? " deleted" : ""
          }; ` +
            (batch.cursor === undefined
              ? "end of walk"
              : `cursor ${hex(batch.cursor)} ('batch ${countText} continue')`),
        ),
      );
      return {
        json: {
          entries: batch.keys.map((k, i) => ({
            ...keyJson(store, k),
            value: hex(batch.values[i]!),
          })),
          cursor: batch.cursor === undefined ? null : hex(batch.cursor),
          deleted: del,
        },
        text: lines.join("\n"),
      };
    },
  },
  {
    name: "lpm",
    aliases: ["longest"],
    usage: "lpm KEY",
    summary:
      "longest stored key that is a prefix of KEY (stores with longestPrefixOf, e.g. qptrie)",
    run(ctx, args) {
      const { pos } = split("lpm", args, 1, [], this.usage);
      const store = ctx.session.store as Store & { longestPrefixOf?: (key: Uint8Array) => unknown };
      if (typeof store.longestPrefixOf !== "function") {
        throw new StoreError(
          "EOPNOTSUPP",
          `'${store.backend}' has no longestPrefixOf(); prefix queries: keys prefix P`,
        );
      }
      const found = store.longestPrefixOf(bytesOf(ctx, pos[0]!, "prefix", false));
      // Stores may answer with the key, a [key, value] pair or a { key, value } record.
      const pair = found instanceof Uint8Array
        ? [found, store.get(found)]
        : Array.isArray(found)
        ? found
        : found !== null && typeof found === "object"
        ? [(found as { key?: unknown }).key, (found as { value?: unknown }).value]
        : [];
      const [key, value] = pair as [Uint8Array | undefined, Uint8Array | undefined];
      if (!(key instanceof Uint8Array)) {
        return { json: { found: false }, text: ctx.paint("dim", "(no stored key is a prefix)") };
      }
      const v = value instanceof Uint8Array ? value : store.get(key);
      return {
        json: { found: true, ...keyJson(store, key), ...(v ? { value: hex(v) } : {}) },
        text: v ? entryLine(ctx, key, v) : showKey(ctx, key),
      };
    },
  },
  {
    name: "size",
    aliases: ["count"],
    usage: "size",
    summary: "the number of entries",
    run(ctx, args) {
      split("size", args, 0, [], this.usage);
      const store = ctx.session.store;
      return { json: { size: store.size }, text: String(store.size) };
    },
  },
  {
    name: "stats",
    aliases: ["info", "caps"],
    usage: "stats",
    summary: "backend, options, capabilities, size and memory",
    run(ctx, args) {
      split("stats", args, 0, [], this.usage);
      return statsTable(ctx);
    },
  },
  {
    name: "mem",
    aliases: ["memory"],
    usage: "mem",
    summary: "memoryUsage(): bytes held, and bytes per entry",
    run(ctx, args) {
      split("mem", args, 0, [], this.usage);
      const store = ctx.session.store;
      const bytes = store.memoryUsage();
      const per = store.size > 0 ? bytes / store.size : undefined;
      return {
        json: { memory: bytes, size: store.size, perEntry: per ?? null },
        text: `${formatSize(bytes)}${
          per === undefined ? "" : `, ${per.toFixed(1)} B/entry over ${store.size} entries`
        }`,
      };
    },
  },
  {
    name: "clear",
    aliases: [],
    usage: "clear",
    summary: "remove every entry",
    run(ctx, args) {
      split("clear", args, 0, [], this.usage);
      const store = ctx.session.store;
      const removed = store.size;
      store.clear();
      ctx.session.cursor = undefined;
      return { json: { removed }, text: `${ctx.paint("ok", "cleared")} ${removed} entries` };
    },
  },
  {
    name: "dump",
    aliases: ["describe", "layout"],
    usage: "dump [limit N|all]",
    summary: "the store's own memory layout (describe()), or a generic entry table",
    run(ctx, args) {
      let limit = DEFAULT_LIMIT;
      if (args.length > 0) {
        if (args[0]!.text !== "limit" || args[1] === undefined || args.length > 2) {
          throw einval(`bad dump arguments: ${this.usage}`);
        }
        limit = args[1].text === "all" ? Infinity : Number(args[1].text);
        if (!(limit > 0)) {
          throw einval(`limit '${args[1].text}' is not a positive integer or 'all'`);
        }
      }
      const store = ctx.session.store;
      if (typeof store.describe === "function") {
        const layout = store.describe();
        return { json: { describe: true, layout }, text: layout };
      }
      return {
        json: { describe: false, layout: genericDump(ctx, limit) },
        text: genericDump(ctx, limit),
      };
    },
  },
  {
    name: "save",
    aliases: [],
    usage: "save FILE",
    summary: "write a store image (atomic; CRC-32 checked)",
    async run(ctx, args) {
      const { pos } = split("save", args, 1, [], this.usage);
      const { store, options } = ctx.session;
      const path = pos[0]!.text;
      const entries = [...store.entries()];
      const bytes = await saveImageFile(path, { backend: store.backend, options, entries });
      return {
        json: { file: path, entries: entries.length, bytes },
        text: `${ctx.paint("ok", "saved")} ${entries.length} entries to ${path} (${
          formatSize(bytes)
        })`,
      };
    },
  },
  {
    name: "load",
    aliases: ["restore"],
    usage: "load FILE",
    summary: "replace the entries with a store image's (all or nothing)",
    async run(ctx, args) {
      const { pos } = split("load", args, 1, [], this.usage);
      const path = pos[0]!.text;
      const image = await readImageFile(path);
      const { loaded, replaced } = restoreImage(ctx.session.store, image);
      ctx.session.cursor = undefined;
      const from = image.backend === ctx.session.store.backend
        ? ""
        : ` (saved from '${image.backend}', loaded entry by entry)`;
      return {
        json: {
          file: path,
          loaded,
          replaced,
          imageBackend: image.backend,
          imageOptions: image.options,
        },
        text: `${ctx.paint("ok", "loaded")} ${loaded} entries from ${path}${from}` +
          (replaced ? `, replacing ${replaced}` : ""),
      };
    },
  },
  {
    name: "bench",
    aliases: [],
    usage: "bench [N] [vs NAME|none] [local [ms T]]",
    summary: "standard workloads on a fresh store like this one (N entries; tools/bench, or local)",
    async run(ctx, args) {
      let entries = 10_000;
      let budgetMs = 400;
      let local = false;
      const { session } = ctx;
      let peers = session.store.backend === "map" ? [] : ["map"];
      for (let i = 0; i < args.length; i++) {
        const t = args[i]!.text;
        const next = args[i + 1]?.text;
        if (/^\d+$/.test(t) && Number(t) > 0) entries = Number(t);
        else if (t === "local") local = true;
        else if (t === "ms" && next !== undefined && /^\d+$/.test(next)) {
          budgetMs = Number(args[++i]!.text);
        } else if (t === "vs" && next !== undefined) {
          peers = args[++i]!.text === "none" ? [] : [next];
        } else throw einval(`unexpected '${t}' for bench: ${this.usage}`);
      }
      const harness = local ? undefined : await harnessBench(session, entries, peers);
      if (harness !== undefined) {
        return { json: { harness: true, report: harness.report }, text: harness.text };
      }
      const result = quickBench(session.backend, session.options, { entries, budgetMs });
      const table = plainTable(["workload", "ops/s", "ops", "ms"]);
      for (const r of result.rows) {
        table.push([
          r.workload,
          r.ops ? r.opsPerSec.toLocaleString("en-US") : "n/a",
          String(r.ops),
          r.ms.toFixed(1),
        ]);
      }
      const head =
        `${session.store.backend}: ${result.entries} entries, ${result.keyBytes} B keys, ` +
        `${result.valueBytes} B values, ${formatSize(result.memory)} when full ` +
        `(local timing on a fresh store; yours is untouched)`;
      return {
        json: { harness: false, ...result },
        text: `${ctx.paint("title", head)}\n${table.toString()}`,
      };
    },
  },
  {
    name: "backends",
    aliases: ["list"],
    usage: "backends",
    summary: "the catalog: every backend name and what it is",
    run(ctx, args) {
      split("backends", args, 0, [], this.usage);
      const list = listBackends();
      const width = Math.max(...list.map((b) => b.name.length));
      return {
        json: { backends: list },
        text: list.map((b) => `${ctx.paint("title", b.name.padEnd(width))}  ${b.summary}`).join(
          "\n",
        ),
      };
    },
  },
  {
    name: "open",
    aliases: [],
    usage: "open BACKEND|PLUGIN [--kebab-option VALUE ...]",
    summary: "replace the store with a new one (its entries are dropped; save first)",
    async run(ctx, args) {
      const parsed = parseExploreArgs(args.map((t) => t.text));
      if (parsed.backend === undefined) throw einval(`open needs a backend: ${this.usage}`);
      const own = ["script", "load", "json", "interactive", "help", "list"] as const;
      const flag = own.find((f) => parsed[f] === true || typeof parsed[f] === "string");
      if (flag !== undefined || parsed.color !== undefined) {
        throw einval(`--${flag ?? "color"} is a command-line flag of the explorer, not of open`);
      }
      const next = await openSession(parsed.backend, parsed.options);
      const dropped = ctx.session.store.size;
      Object.assign(ctx.session, next);
      return {
        json: { backend: next.store.backend, options: next.options, dropped },
        text: `${ctx.paint("ok", "opened")} ${next.store.backend} ${JSON.stringify(next.options)}` +
          (dropped ? ctx.paint("dim", ` (dropped ${dropped} entries of the previous store)`) : ""),
      };
    },
  },
  {
    name: "quit",
    aliases: ["exit", "q"],
    usage: "quit",
    summary: "leave the explorer",
    run: () => ({ json: {}, text: "", quit: true }),
  },
];

// A key of the wrong length would make has() throw; set() reports that with its own order.
function safeHas(store: Store, key: Uint8Array): boolean {
  try {
    return store.has(key);
  } catch {
    return false;
  }
}

/** Every command, in `help` order. */
export const COMMANDS: readonly Command[] = COMMAND_LIST;

/**
 * Finds a command by name or alias.
 *
 * @param name The first word of a line.
 * @returns The command, or `undefined`.
 *
 * @example
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
 * @example
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
    return { kind: "ok", command: command.name, result: await command.run(ctx, args) };
  } catch (error) {
    return { kind: "error", command: command.name, error };
  }
}
