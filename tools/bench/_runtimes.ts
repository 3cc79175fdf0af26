/**
 * Running one bench file under each runtime in turn (`--runtimes deno,node,bun`), and the bits
 * of their command lines both tables share.
 *
 * @module
 */

import { spawnSync } from "node:child_process";
import process from "node:process";
import { fileURLToPath } from "node:url";

/** The repository's root (the toolchain is in its node_modules). */
export const ROOT: string = fileURLToPath(new URL("../../", import.meta.url));

/**
 * The name and version of the runtime this runs on.
 *
 * @returns e.g. `deno 2.9.6`.
 */
export function runtimeName(): string {
  const g = globalThis as {
    Deno?: { version?: { deno?: string } };
    Bun?: { version?: string };
  };
  if (g.Deno?.version?.deno !== undefined) return `deno ${g.Deno.version.deno}`;
  if (g.Bun?.version !== undefined) return `bun ${g.Bun.version}`;
  return `node ${process.versions.node}`;
}

/** How to run a file under each runtime (from the repository's toolchain). */
function commands(file: string): Readonly<Record<string, readonly string[]>> {
  return {
    deno: [`${ROOT}node_modules/.bin/deno`, "run", "--allow-read", "--allow-env", file],
    node: ["node", "--import", "tsx", file],
    bun: [`${ROOT}node_modules/.bin/bun`, file],
  };
}

/**
 * Runs `file` under each runtime in turn, one after the other (the machine is shared), and parses
 * the JSON each prints.
 *
 * @param file The bench file (its `import.meta.url` as a path).
 * @param runtimes `deno`, `node`, `bun`, in column order.
 * @param args Its arguments (including the one that makes it print JSON).
 * @param stderr `"pipe"`: a failed run's stderr goes into the error; `"inherit"`: shown live.
 * @returns One parsed result per runtime.
 * @throws {Error} An unknown runtime (before any run), or a run that failed.
 */
export function runEachRuntime<T>(
  file: string,
  runtimes: readonly string[],
  args: readonly string[],
  stderr: "pipe" | "inherit" = "pipe",
): T[] {
  const known = commands(file);
  // Every name is checked before anything runs: a typo must not cost a whole run first.
  const bad = runtimes.find((name) => !Object.hasOwn(known, name));
  if (bad !== undefined) {
    throw new Error(`unknown runtime '${bad}'; known: ${Object.keys(known).join(", ")}`);
  }
  return runtimes.map((name) => {
    const cmd = known[name]!;
    const r = spawnSync(cmd[0]!, [...cmd.slice(1), ...args], {
      cwd: ROOT,
      encoding: "utf8",
      maxBuffer: 1 << 26,
      stdio: ["ignore", "pipe", stderr],
    });
    if (r.status !== 0) {
      throw new Error(`${name} failed (${r.status ?? r.error?.message}): ${r.stderr ?? ""}`);
    }
    return JSON.parse(r.stdout) as T;
  });
}

/**
 * A whole-number command-line value.
 *
 * @param name The flag, for the message.
 * @param s Its text, or `undefined` when absent.
 * @param min The least allowed.
 * @returns The number, or `undefined` when absent.
 * @throws {Error} Not an integer at least `min`.
 */
export function count(name: string, s: string | undefined, min: number): number | undefined {
  if (s === undefined) return undefined;
  const n = Number(s);
  if (!Number.isInteger(n) || n < min) {
    throw new Error(`--${name} ${s} is not an integer >= ${min}`);
  }
  return n;
}
