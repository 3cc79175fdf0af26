/**
 * Test helper: runs tools/cli/main.ts in a child process of the runtime running the tests
 * (`deno run` with the explorer's permissions, `node --import tsx`, or `bun`).
 *
 * @module
 */

import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";

/** The repository root (the child's working directory). */
export const ROOT: string = fileURLToPath(new URL("../../", import.meta.url));
/** tools/cli/main.ts. */
export const MAIN: string = fileURLToPath(new URL("./main.ts", import.meta.url));

/** What a child run gave. */
export interface ChildResult {
  /** The exit code. */
  readonly code: number | null;
  /** Everything written to stdout. */
  readonly stdout: string;
  /** Everything written to stderr. */
  readonly stderr: string;
}

/**
 * The permission flags of the root deno.json `explore` task, so the end-to-end tests run the
 * explorer exactly as `deno task explore` does (a permission missing there fails a test here).
 *
 * @returns The flags between `deno run` and `tools/cli/main.ts`.
 */
export function taskPermissions(): string[] {
  const config = JSON.parse(readFileSync(join(ROOT, "deno.json"), "utf8")) as {
    tasks?: Record<string, string>;
  };
  const words = (config.tasks?.explore ?? "").split(/\s+/);
  const run = words.indexOf("run");
  const main = words.indexOf("tools/cli/main.ts");
  if (run < 0 || main < run) throw new Error(`no 'deno run ... tools/cli/main.ts' explore task`);
  return words.slice(run + 1, main);
}

/**
 * The command line that runs main.ts under the current runtime.
 *
 * @returns The program and its arguments before the explorer's own.
 */
export function mainCommand(): { program: string; args: string[] } {
  const g = globalThis as { Deno?: unknown; Bun?: unknown };
  if (g.Deno !== undefined) {
    return { program: process.execPath, args: ["run", ...taskPermissions(), MAIN] };
  }
  if (g.Bun !== undefined) return { program: process.execPath, args: [MAIN] };
  return { program: process.execPath, args: ["--import", "tsx", MAIN] };
}

/**
 * Runs the explorer with arguments and stdin text.
 *
 * @param argv The explorer's arguments.
 * @param stdin Text piped to stdin (closed after).
 * @returns Exit code and output.
 */
export function runMain(argv: readonly string[], stdin = ""): Promise<ChildResult> {
  const { program, args } = mainCommand();
  return new Promise((resolve, reject) => {
    const child = spawn(program, [...args, ...argv], {
      cwd: ROOT,
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => stdout += d);
    child.stderr.on("data", (d) => stderr += d);
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

/**
 * A new empty temporary directory. Under Deno, `Deno.makeTempDir` needs only --allow-write
 * (`os.tmpdir()` would need --allow-env for TMPDIR).
 *
 * @returns Its path.
 */
export async function tempDir(): Promise<string> {
  const deno = (globalThis as { Deno?: { makeTempDir(o: { prefix: string }): Promise<string> } })
    .Deno;
  const dir = deno !== undefined
    ? await deno.makeTempDir({ prefix: "kvkit-cli-" })
    : await mkdtemp(join(tmpdir(), "kvkit-cli-"));
  made.push(dir);
  return dir;
}

const made: string[] = [];

/**
 * Removes every directory {@linkcode tempDir} made.
 *
 * @returns When they are gone.
 */
export async function removeTempDirs(): Promise<void> {
  for (const dir of made.splice(0)) await rm(dir, { recursive: true, force: true });
}
