/**
 * Entry point of the kvkit explorer: `deno task explore [backend] [options]`
 * (or `node --import tsx tools/cli/main.ts`, `bun tools/cli/main.ts`). See README.md.
 *
 * @module
 */

import process from "node:process";
import { explore } from "./explore.ts";

process.exitCode = await explore(process.argv.slice(2), {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
});
// A REPL or piped stdin may keep the event loop alive after the last command.
process.stdin.pause();
