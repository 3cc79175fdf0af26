/**
 * Runs test commands, keeps their full output in a log file and prints only the failures and one
 * closing line per command, e.g. `deno: 475 passed, 0 failed, 1 skipped`.
 *
 * ```sh
 * deno run --allow-run --allow-read --allow-write=test-results --allow-env tools/docs/summarize.ts \
 *   deno -- deno task test:deno --- node -- deno task test:node --- bun -- deno task test:bun
 * ```
 *
 * Each run is `NAME -- COMMAND ARGS...`; runs are separated by `---` and all of them run, one after
 * the other, so a failure under Deno still shows the Node and Bun lines. The full output of run
 * NAME (stdout and stderr, interleaved as they came) goes to `test-results/NAME.log`
 * (`--log-dir DIR` to change). The exit code is the first non-zero exit code of the runs, else 0.
 * A command `deno` runs this Deno (`Deno.execPath()`), so no `deno` on the PATH is needed.
 *
 * The three runners print different closings (`deno test`: `ok | 5 passed (3 steps) | 0 failed |
 * 1 ignored`; node:test TAP: `# pass 5` / `# fail 0` / `# skipped 1`; spec: `ℹ pass 5`; `bun
 * test`: ` 5 pass` / ` 1 skip` / ` 0 fail`); {@link parseSummary} reads each. Deno counts top-level
 * tests (a `describe` is one test, its `it`s are steps), so its numbers are smaller than Node's and
 * Bun's, which count every `it`; skipped steps are added to Deno's skipped count.
 *
 * @module
 */

/** Passed, failed and skipped counts of one test run. */
export interface Counts {
  /** Tests that passed. */
  passed: number;
  /** Tests that failed (node:test's cancelled ones included). */
  failed: number;
  /** Tests skipped, ignored or todo. */
  skipped: number;
}

// deno test's colours would defeat the parsers; the log is easier to read without them too.
// deno-lint-ignore no-control-regex
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/g;

/**
 * Removes terminal colour codes.
 *
 * @param text output of a command
 * @returns the text without ANSI escape sequences
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { stripAnsi } from "./summarize.ts";
 * assert.equal(stripAnsi("\x1b[32mok\x1b[0m"), "ok");
 * ```
 */
export function stripAnsi(text: string): string {
  return text.replace(ANSI, "");
}

function lastMatch(text: string, re: RegExp): RegExpMatchArray | undefined {
  let found: RegExpMatchArray | undefined;
  for (const m of text.matchAll(re)) found = m;
  return found;
}

function sumOf(text: string, re: RegExp): number | undefined {
  let sum: number | undefined;
  for (const m of text.matchAll(re)) sum = (sum ?? 0) + Number(m[1]);
  return sum;
}

/**
 * Reads the counts from the closing lines of `deno test`, `node --test` (TAP or spec reporter) or
 * `bun test`, whichever the output holds.
 *
 * @param output the whole output of the run (colour codes are removed first)
 * @returns the counts, or `undefined` when no known closing was found (the command died early)
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseSummary } from "./summarize.ts";
 * assert.deepEqual(
 *   parseSummary("ok | 7 passed (12 steps) | 0 failed | 1 ignored (1 step) (3s)"),
 *   { passed: 7, failed: 0, skipped: 2 },
 * );
 * assert.deepEqual(parseSummary(" 9 pass\n 1 skip\n 0 fail\nRan 10 tests across 2 files."), {
 *   passed: 9,
 *   failed: 0,
 *   skipped: 1,
 * });
 * assert.equal(parseSummary("Segmentation fault"), undefined);
 * ```
 */
export function parseSummary(output: string): Counts | undefined {
  const text = stripAnsi(output);
  // deno test: `ok | 475 passed (12 steps) | 0 failed | 1 ignored (2 steps) (5s)`; one per run,
  // the last one wins if a nested run printed its own.
  const deno = lastMatch(
    text,
    /^(?:ok|FAILED) \| (\d+) passed(?: \((\d+) steps?\))? \| (\d+) failed(?: \((\d+) steps?\))?(?: \| (\d+) ignored(?: \((\d+) steps?\))?)?/gm,
  );
  if (deno) {
    return {
      passed: Number(deno[1]),
      failed: Number(deno[3]),
      skipped: Number(deno[5] ?? 0) + Number(deno[6] ?? 0),
    };
  }
  // node:test, TAP (`# pass 5`) or spec (`ℹ pass 5`) reporter; one block per process.
  const pass = sumOf(text, /^(?:#|ℹ) pass (\d+)$/gm);
  if (pass !== undefined) {
    return {
      passed: pass,
      failed: (sumOf(text, /^(?:#|ℹ) fail (\d+)$/gm) ?? 0) +
        (sumOf(text, /^(?:#|ℹ) cancelled (\d+)$/gm) ?? 0),
      skipped: (sumOf(text, /^(?:#|ℹ) skipped (\d+)$/gm) ?? 0) +
        (sumOf(text, /^(?:#|ℹ) todo (\d+)$/gm) ?? 0),
    };
  }
  // bun test: ` 5 pass`, ` 1 skip`, ` 1 todo`, ` 0 fail`, then `Ran 7 tests across 2 files.`
  if (/^Ran \d+ tests? across \d+ files?/m.test(text)) {
    const n = (re: RegExp) => Number(lastMatch(text, re)?.[1] ?? 0);
    return {
      passed: n(/^ *(\d+) pass$/gm),
      failed: n(/^ *(\d+) fail$/gm),
      skipped: n(/^ *(\d+) skip$/gm) + n(/^ *(\d+) todo$/gm),
    };
  }
  return undefined;
}

/**
 * Picks out of a run's output what a reader needs when it failed: deno's `ERRORS` section, node's
 * `not ok` blocks (TAP) or `failing tests` section (spec), bun's errors before each `(fail)`; when
 * none is found, the last 40 lines.
 *
 * @param output the whole output of the run
 * @returns the lines to print (empty when nothing failed and the output names no failure)
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { failureExcerpt } from "./summarize.ts";
 * const out = "t ... ok\n\n ERRORS \n\nt2 => a_test.ts:3\nerror: boom\n\nFAILED | 1 passed | 1 failed";
 * assert.ok(failureExcerpt(out, 1).includes("error: boom"));
 * assert.equal(failureExcerpt("ok | 1 passed | 0 failed", 0), "");
 * ```
 */
export function failureExcerpt(output: string, code: number): string {
  const lines = stripAnsi(output).split("\n");
  const picked: string[] = [];
  const errors = lines.findIndex((l) => l.trim() === "ERRORS");
  if (errors >= 0) {
    // deno test: from ERRORS up to the closing line (FAILURES only repeats the names).
    for (let i = errors; i < lines.length && !/^(?:ok|FAILED) \|/.test(lines[i]!); i++) {
      picked.push(lines[i]!);
    }
  }
  const failing = lines.findIndex((l) => /^✖ failing tests:/.test(l));
  if (picked.length === 0 && failing >= 0) {
    for (let i = failing; i < lines.length && !/^ℹ tests \d/.test(lines[i]!); i++) {
      picked.push(lines[i]!);
    }
  }
  if (picked.length === 0) {
    // node TAP: each leaf `not ok` line and its indented YAML block (up to `...`); suites that
    // failed only because a subtest did are left out.
    for (let i = 0; i < lines.length; i++) {
      const m = /^( *)not ok \d+ - /.exec(lines[i]!);
      if (!m) continue;
      const block = [lines[i]!];
      let j = i + 1;
      for (; j < lines.length && lines[j]!.startsWith(m[1] + " "); j++) {
        block.push(lines[j]!);
        if (lines[j]!.trim() === "...") break;
      }
      if (!block.some((l) => l.includes("subtestsFailed"))) picked.push(...block);
      i = j;
    }
  }
  if (picked.length === 0) {
    // bun test: the error is printed before its `(fail)` line, after the previous result line.
    let start = 0;
    for (let i = 0; i < lines.length; i++) {
      const l = lines[i]!;
      if (/^\((?:pass|skip|todo)\) /.test(l) || /^\S.*\.(?:ts|js|tsx|mjs):$/.test(l)) {
        start = i + 1;
      } else if (/^\(fail\) /.test(l)) {
        picked.push(...lines.slice(start, i + 1));
        start = i + 1;
      }
    }
  }
  if (picked.length === 0 && code !== 0) picked.push(...lines.slice(-40));
  return picked.join("\n").trim();
}

/**
 * The closing line CI reads: `NAME: P passed, F failed, S skipped`.
 *
 * @param name the run's name (one word)
 * @param counts the run's counts
 * @returns the line, without a newline
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { summaryLine } from "./summarize.ts";
 * assert.equal(
 *   summaryLine("deno", { passed: 475, failed: 0, skipped: 1 }),
 *   "deno: 475 passed, 0 failed, 1 skipped",
 * );
 * ```
 */
export function summaryLine(name: string, counts: Counts): string {
  return `${name}: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`;
}

/** One command to run, under a name. */
export interface Run {
  /** One word, used for the closing line and the log file name. */
  name: string;
  /** The command and its arguments. */
  cmd: string[];
}

/**
 * Splits `NAME -- CMD ARGS --- NAME -- CMD ARGS` (after options) into runs.
 *
 * @param args the command-line arguments
 * @returns the log folder and the runs; throws on a malformed line
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseArgs } from "./summarize.ts";
 * assert.deepEqual(parseArgs(["a", "--", "x", "-y", "---", "b", "--", "z"]), {
 *   logDir: "test-results",
 *   runs: [{ name: "a", cmd: ["x", "-y"] }, { name: "b", cmd: ["z"] }],
 * });
 * ```
 */
export function parseArgs(args: string[]): { logDir: string; runs: Run[] } {
  let logDir = "test-results";
  let rest = args;
  if (rest[0] === "--log-dir") {
    if (rest[1] === undefined) throw new Error("--log-dir needs a folder");
    logDir = rest[1];
    rest = rest.slice(2);
  }
  const runs: Run[] = [];
  while (rest.length > 0) {
    const end = rest.indexOf("---");
    const part = end < 0 ? rest : rest.slice(0, end);
    rest = end < 0 ? [] : rest.slice(end + 1);
    const [name, sep, ...cmd] = part;
    if (!name || !/^\w[\w.-]*$/.test(name) || sep !== "--" || cmd.length === 0) {
      throw new Error(`expected NAME -- COMMAND ARGS..., got: ${part.join(" ")}`);
    }
    runs.push({ name, cmd });
  }
  if (runs.length === 0) throw new Error("usage: summarize.ts [--log-dir DIR] NAME -- CMD ...");
  return { logDir, runs };
}

async function runOne(run: Run, logDir: string): Promise<number> {
  const logPath = `${logDir}/${run.name}.log`;
  const log = await Deno.open(logPath, { write: true, create: true, truncate: true });
  const [program, ...args] = run.cmd;
  const child = new Deno.Command(program === "deno" ? Deno.execPath() : program!, {
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    // Plain text to parse. Not FORCE_COLOR=0: Deno reads any FORCE_COLOR as "colour on", and the
    // runs' own children (the explorer's pty test) would inherit it.
    env: { NO_COLOR: "1" },
  }).spawn();
  const chunks: string[] = [];
  const decoder = () => new TextDecoderStream();
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    for await (const text of stream.pipeThrough(decoder())) {
      chunks.push(text);
      await log.write(new TextEncoder().encode(text));
    }
  };
  const [status] = await Promise.all([child.status, pump(child.stdout), pump(child.stderr)]);
  log.close();
  const output = chunks.join("");
  const counts = parseSummary(output);
  const excerpt = failureExcerpt(output, status.code);
  if (excerpt && (status.code !== 0 || (counts?.failed ?? 0) > 0)) {
    console.log(`--- ${run.name}: failures (full output in ${logPath}) ---\n${excerpt}\n`);
  }
  if (counts) console.log(summaryLine(run.name, counts));
  else console.log(`${run.name}: no test summary, exit code ${status.code} (see ${logPath})`);
  return status.code;
}

if (import.meta.main) {
  let parsed;
  try {
    parsed = parseArgs(Deno.args);
  } catch (e) {
    console.error((e as Error).message);
    Deno.exit(2);
  }
  await Deno.mkdir(parsed.logDir, { recursive: true });
  let code = 0;
  for (const run of parsed.runs) {
    const c = await runOne(run, parsed.logDir);
    if (code === 0) code = c;
  }
  Deno.exit(code);
}
