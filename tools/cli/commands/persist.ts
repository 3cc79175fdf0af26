/**
 * The persistence commands: `save` writes a store image atomically, `load` builds a new store
 * from one aside and swaps it in only when complete.
 *
 * @module
 */

import { formatSize } from "../format.ts";
import { readImageFile, saveImageFile } from "../image_file.ts";
import { restoreImage } from "../restore.ts";
import { replaceStore } from "../session.ts";
import { type Command, split } from "./_command.ts";

/** The persistence commands, in `help` order. */
export const PERSIST_COMMANDS: readonly Command[] = [
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
      const { image } = await readImageFile(path);
      // Built aside and swapped in only when complete: a failure leaves the session's store
      // the very same object, untouched, whatever order its admission depends on.
      const fresh = restoreImage(ctx.session.backend, ctx.session.options, image);
      const loaded = fresh.size;
      const replaced = replaceStore(ctx.session, fresh);
      const from = image.backend === fresh.backend
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
];
