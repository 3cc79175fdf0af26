/**
 * The session commands: the catalog (`backends`), a new store (`open`), and `quit`.
 *
 * @module
 */

import { listBackends } from "@kvkit/backends";
import { parseExploreArgs } from "../args.ts";
import { openSession } from "../session.ts";
import { type Command, einval, split } from "./_command.ts";

/** The session commands, in `help` order. */
export const SESSION_COMMANDS: readonly Command[] = [
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
      const next = await openSession(parsed.backend, parsed.options, parsed.flags);
      const old = ctx.session.store;
      const dropped = old.size;
      Object.assign(ctx.session, next);
      old.close();
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
