/**
 * The data commands: read and write entries (`set`, `get`, `del`, `has`), list and walk them
 * (`keys`, `iter`, `next`, `batch`), the longest-prefix query (`lpm`) and `clear`.
 *
 * @module
 */

import { ANY, EXIST, F_LOCK, NOEXIST, type Store, StoreError } from "@kvkit/store";
import { formatBytes, hex } from "../format.ts";
import type { Token } from "../tokenize.ts";
import { walkKeys } from "../walk_keys.ts";
import {
  bytesOf,
  type Command,
  type CommandContext,
  type CommandResult,
  DEFAULT_LIMIT,
  einval,
  entryLine,
  keyJson,
  more,
  oneKey,
  showKey,
  split,
} from "./_command.ts";

/** The words `set` takes after the key and value, and their flag bits. */
const SET_FLAGS: Readonly<Record<string, number>> = {
  any: ANY,
  noexist: NOEXIST,
  exist: EXIST,
  lock: F_LOCK,
};
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

// A key of the wrong length would make has() throw; set() reports that with its own order.
function safeHas(store: Store, key: Uint8Array): boolean {
  try {
    return store.has(key);
  } catch {
    return false;
  }
}

/** The data commands, in `help` order. */
export const DATA_COMMANDS: readonly Command[] = [
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
      const { store, key } = oneKey(ctx, "get", args, this.usage);
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
      const { store, key } = oneKey(ctx, "del", args, this.usage);
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
      const { store, key } = oneKey(ctx, "has", args, this.usage);
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
      const store = ctx.session.store;
      if (store.longestPrefixOf === undefined) {
        throw new StoreError(
          "EOPNOTSUPP",
          `'${store.backend}' has no longestPrefixOf(); prefix queries: keys prefix P`,
        );
      }
      // The contract's optional method: the longest stored key that is a prefix, or undefined.
      const key = store.longestPrefixOf(bytesOf(ctx, pos[0]!, "prefix", false));
      if (key === undefined) {
        return { json: { found: false }, text: ctx.paint("dim", "(no stored key is a prefix)") };
      }
      const value = store.get(key);
      return {
        json: { found: true, ...keyJson(store, key), ...(value ? { value: hex(value) } : {}) },
        text: value ? entryLine(ctx, key, value) : showKey(ctx, key),
      };
    },
  },
  {
    name: "clear",
    aliases: ["clear!"],
    usage: "clear | clear!",
    summary: "remove every entry (a store with entries needs 'clear!': there is no undo)",
    run(ctx, args, typed) {
      split("clear", args, 0, [], this.usage);
      const store = ctx.session.store;
      const removed = store.size;
      // One word too easily typed to lose a store by: with entries it asks for the `!`.
      if (removed > 0 && typed !== "clear!") {
        throw einval(
          `clear would remove ${removed} entr${removed === 1 ? "y" : "ies"}; ` +
            `type 'clear!' to remove them (there is no undo)`,
        );
      }
      store.clear();
      ctx.session.cursor = undefined;
      return { json: { removed }, text: `${ctx.paint("ok", "cleared")} ${removed} entries` };
    },
  },
];
