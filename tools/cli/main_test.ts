import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import process from "node:process";
import { mainCommand, removeTempDirs, ROOT, runMain, tempDir } from "./_spawn_main.ts";

// End to end: tools/cli/main.ts in a child process of this runtime, as a user runs it.
describe("explorer main.ts", () => {
  it("runs a script from stdin: results on stdout, errors on stderr, exit 1 on a failure", async () => {
    const r = await runMain(
      ["map", "--key-size", "8", "--value-size", "4"],
      [
        "set 10.0.0.1 0x01020304 pad",
        "get 1",
        "get 0x0a00000100000000",
        "del 0x0a00000100000000",
        "size",
      ].join("\n"),
    );
    assert.equal(
      r.stdout,
      [
        "created 0x0a00000100000000 |........| => 0x01020304 |....|",
        "(not found)",
        "0x01020304 |....|",
        "deleted",
        "0",
        "",
      ].join("\n"),
    );
    assert.equal(r.stderr, "");
    assert.equal(r.code, 0);
    const bad = await runMain(["map"], "set 1 2 3\nsize\n");
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^line 1: set: error EINVAL \(-22\): unexpected '3' for set/);
    assert.equal(bad.stdout, "0\n");
  });

  it("reports a --kebab-option the backend does not know with the backend's EINVAL, exit 2", async () => {
    const r = await runMain(["htab", "--max-entrie", "4"], "size\n");
    assert.equal(r.code, 2);
    assert.equal(r.stdout, "");
    // The backend's own message, then the flag as the user typed it.
    assert.match(
      r.stderr,
      /^error EINVAL \(-22\): htab: unknown option 'maxEntrie' \(did you mean 'maxEntries'\?\); known: .*maxEntries.* \(--max-entrie on the command line; did you mean --max-entries\?\)\n$/,
    );
  });

  it("runs --script FILE on a plugin loaded by path", async () => {
    const r = await runMain([
      "./tools/cli/testdata/sorted_plugin.ts",
      "--script",
      "tools/cli/testdata/demo.kvs",
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      /0x6170706c65 \|apple\|\n0x61707269636f74 \|apricot\|\n0x62616e616e61 \|banana\|/,
    );
    assert.match(r.stdout, /sorted-fixture: 3 keys in one sorted array/);
  });

  it("saves an image in one process and starts another from it with --load", async () => {
    const dir = await tempDir();
    const file = join(dir, "s.kvimg");
    const save = await runMain(["map", "--value-size", "3"], `set u32:7 "abc"\nsave ${file}\n`);
    assert.equal(save.code, 0, save.stderr);
    const load = await runMain(["--load", file, "--json"], "get u32:7\nstats\n");
    assert.equal(load.code, 0, load.stderr);
    const [get, stats] = load.stdout.trim().split("\n").map((l) => JSON.parse(l));
    assert.equal(get.value, "0x616263");
    assert.deepEqual(stats.options, { valueSize: 3 });
  });

  it("refuses a corrupt image at startup with exit code 2 and a clear message", async () => {
    const dir = await tempDir();
    const file = join(dir, "bad.kvimg");
    await writeFile(file, "KVKITIMG this is not a store image");
    const r = await runMain(["--load", file]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /error EINVAL \(-22\): '.*bad\.kvimg': bad store image: /);
  });

  it("runs `bench vs thing-hashmap` with the explore task's permissions (the peer reads NODE_ENV)", async () => {
    const r = await runMain(["map", "--json"], "bench 32 vs thing-hashmap\n");
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const { report } = JSON.parse(r.stdout) as {
      report: { groups: { results: { backend: string; skipped?: string }[] }[] };
    };
    const peer = report.groups[0]!.results.find((x) => x.backend === "thing-hashmap");
    assert.equal(peer?.skipped, undefined);
  });

  it("prints usage with --help and the catalog with --list", async () => {
    const help = await runMain(["--help"]);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /usage: deno task explore/);
    const list = await runMain(["--list"]);
    assert.match(list.stdout, /^map +plain Map/m);
  });

  const script = "/usr/bin/script";
  const pty = process.platform === "linux" && existsSync(script);
  it("drives the REPL in a pseudo-terminal: prompt, tab completion, colour off by NO_COLOR", {
    skip: pty ? false : "needs util-linux script(1)",
  }, async () => {
    const { program, args } = mainCommand();
    const quote = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;
    const command = `NO_COLOR=1 ${[program, ...args, "map"].map(quote).join(" ")}`;
    const child = spawn(script, ["-qec", command, "/dev/null"], { cwd: ROOT });
    let out = "";
    const waiters: { re: RegExp; from: number; done: () => void }[] = [];
    child.stdout.on("data", (d) => {
      out += d;
      for (const w of waiters.splice(0)) {
        if (w.re.test(out.slice(w.from))) w.done();
        else waiters.push(w);
      }
    });
    const waitFor = (re: RegExp, from: number): Promise<void> =>
      new Promise((done, fail) => {
        if (re.test(out.slice(from))) return done();
        const timer = setTimeout(
          () => fail(new Error(`timed out waiting for ${re} in:\n${out}`)),
          8000,
        );
        waiters.push({ re, from, done: () => (clearTimeout(timer), done()) });
      });
    const closed = new Promise<number | null>((done) => child.on("close", done));
    const send = async (text: string, expect: RegExp): Promise<void> => {
      const from = out.length;
      child.stdin.write(text);
      await waitFor(expect, from);
    };
    await waitFor(/kvkit:map> /, 0);
    await send("set 1 u64:5\r", /created[^\n]*\n[\s\S]*kvkit:map> /);
    // Tab must arrive on its own: readline does not complete inside a pasted chunk.
    await send("sta", /sta/);
    await send("\t", /ts/); // readline writes only the completed rest of the word
    await send("\r", /maxEntries[\s\S]*kvkit:map> /);
    await send("get 1\r", /0x0500000000000000[\s\S]*kvkit:map> /);
    await send("quit\r", /quit/);
    assert.equal(await closed, 0);
    assert.match(out, /kvkit:map> \S*stats/);
    // No colour codes (ESC [ 3x m, ESC [ 38;5;n m) under NO_COLOR; readline's cursor moves
    // (ESC [ 3x G, at columns 30-39) are not colour.
    assert.doesNotMatch(out, new RegExp(String.raw`\x1b\[3\d(;\d+)*m`));
  });
});

after(removeTempDirs);
