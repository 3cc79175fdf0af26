/**
 * The inspection commands: `size`, `stats`, `mem`, `dump` (the store's own layout) and `bench`
 * (the harness on fresh stores like the session's).
 *
 * @module
 */

import Table from "cli-table3";
import { benchSession } from "../bench.ts";
import { formatBytes, formatSize, hex, intKey } from "../format.ts";
import {
  type Command,
  type CommandContext,
  COMPACT,
  DEFAULT_LIMIT,
  einval,
  more,
  plainTable,
  split,
} from "./_command.ts";

function sizes(range: { min: number; max: number }, list?: readonly number[]): string {
  if (list !== undefined) return list.join("/");
  return range.min === range.max ? `${range.min}` : `${range.min}..${range.max}`;
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
/** The inspection commands, in `help` order. */
export const INSPECT_COMMANDS: readonly Command[] = [
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
    name: "bench",
    aliases: [],
    usage: "bench [N] [vs NAME|none] [ms T]",
    summary:
      "the harness's workloads on fresh stores like this one (N entries, T ms samples; tools/bench)",
    async run(ctx, args) {
      let entries = 10_000;
      let sampleMs = 20;
      const { session } = ctx;
      let peers = session.store.backend === "map" ? [] : ["map"];
      for (let i = 0; i < args.length; i++) {
        const t = args[i]!.text;
        const next = args[i + 1]?.text;
        if (/^\d+$/.test(t)) entries = Number(t);
        else if (t === "ms" && next !== undefined && /^\d+$/.test(next)) {
          sampleMs = Number(args[++i]!.text);
        } else if (t === "vs" && next !== undefined) {
          peers = args[++i]!.text === "none" ? [] : [next];
        } else throw einval(`unexpected '${t}' for bench: ${this.usage}`);
      }
      const { text, report } = await benchSession(session, { entries, sampleMs, peers });
      return { json: { entries, sampleMs, peers, report }, text };
    },
  },
];
