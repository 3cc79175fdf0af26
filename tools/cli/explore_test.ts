import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdir, readFile, truncate, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { fileURLToPath } from "node:url";
import { listBackends } from "@kvkit/backends";
import { runLine } from "./commands.ts";
import { explore } from "./explore.ts";
import { encodeImage } from "./image.ts";
import { MAX_BENCH_ENTRIES, MAX_IMAGE_FILE_BYTES, MAX_SCRIPT_FILE_BYTES } from "./limits.ts";
import { openSession } from "./session.ts";
import { complete } from "./repl.ts";
import { removeTempDirs, tempDir } from "./_spawn_main.ts";

const PLUGIN = fileURLToPath(new URL("./testdata/sorted_plugin.ts", import.meta.url));
// Admits a new key only before every key present: re-inserting its entries in iteration order
// fails, as a rollback would.
const DESCENDING = fileURLToPath(
  new URL("./testdata/descending_plugin.ts", import.meta.url),
);

async function run(
  argv: string[],
  input: string,
): Promise<{ code: number; out: string; err: string }> {
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = "";
  let err = "";
  stdout.on("data", (d) => out += d);
  stderr.on("data", (d) => err += d);
  stdin.end(input);
  const code = await explore(argv, { stdin, stdout, stderr });
  return { code, out, err };
}

const json = (out: string): Record<string, unknown>[] =>
  out.trim().split("\n").map((l) => JSON.parse(l));

describe("explorer script mode", () => {
  it("runs every line, reports errors with line numbers, exits 1 when one failed", async () => {
    const r = await run(
      ["map", "--value-size", "2"],
      "set 1 0x0102\n# c\nget 1\nset 1 0x01\nget 2\n",
    );
    assert.equal(r.code, 1);
    assert.equal(r.out, "created 0x01000000 |....| => 0x0102 |..|\n0x0102 |..|\n(not found)\n");
    assert.match(r.err, /^line 4: set: error EINVAL \(-22\): value '0x01' is 1 byte .* 'pad'/);
  });

  it("exits 0 when every command succeeded, and stops at quit", async () => {
    const r = await run(["map"], "set 1 u64:1\nquit\nget nonsense\n");
    assert.equal(r.code, 0);
    assert.equal(r.err, "");
  });

  it("prints one JSON object per command, errors included, with the StoreError code", async () => {
    const r = await run(
      ["map", "--json", "--key-size", "8", "--value-size", "4", "--max-entries", "1"],
      "set 1 u32:7 noexist\nset 1 u32:8 noexist\nset 2 u32:9\nget 1\nkeys\nsize\n",
    );
    const [a, b, c, d, e, f] = json(r.out);
    assert.deepEqual(a, {
      command: "set",
      ok: true,
      key: "0x0100000000000000",
      value: "0x07000000",
      flags: 1,
      result: "created",
    });
    assert.deepEqual(b, {
      command: "set",
      ok: false,
      code: "EEXIST",
      errno: -17,
      message: "key exists (NOEXIST)",
      line: 2,
    });
    assert.equal(c!.code, "E2BIG");
    assert.equal(d!.value, "0x07000000");
    assert.deepEqual(e!.keys, [{ key: "0x0100000000000000" }]);
    assert.equal(f!.size, 1);
    assert.equal(r.code, 1);
  });

  it("walks batches with a cursor and deletes with them", async () => {
    const r = await run(
      ["map", "--json"],
      "set 1 u64:1\nset 2 u64:2\nset 3 u64:3\nbatch 2\nbatch 2 continue\nbatch 5 --delete\nsize\n",
    );
    const out = json(r.out);
    const first = out[3] as { entries: unknown[]; cursor: string };
    const second = out[4] as { entries: unknown[]; cursor: null };
    assert.equal(first.entries.length, 2);
    assert.equal(typeof first.cursor, "string");
    assert.equal(second.entries.length, 1);
    assert.equal(second.cursor, null);
    assert.equal((out[5] as { entries: unknown[] }).entries.length, 3);
    assert.equal(out[6]!.size, 0);
  });

  it("reports unknown backends and bad options with exit code 2", async () => {
    const r = await run(["nope"], "");
    assert.equal(r.code, 2);
    assert.match(r.err, /unknown backend 'nope'; known backends: .*map/);
    assert.equal((await run(["map", "--key-size", "0"], "")).code, 2);
  });

  it("gives the backend's EINVAL for an unknown option, naming the flag, on open too", async () => {
    const r = await run(["htab", "--json", "--key-size", "4", "--max-entrie", "4"], "");
    assert.equal(r.code, 2);
    const [failed] = json(r.out);
    assert.equal(failed!.code, "EINVAL");
    assert.equal(failed!.errno, -22);
    assert.match(
      failed!.message as string,
      /^htab: unknown option 'maxEntrie' \(did you mean 'maxEntries'\?\); known: .* \(--max-entrie on the command line; did you mean --max-entries\?\)$/,
    );
    // `open` inside a session: the same error, and the session keeps its store.
    const o = await run(["map", "--json"], "set 1 u64:1\nopen htab --no-lru\nsize\n");
    const [, opened, size] = json(o.out);
    assert.equal(opened!.code, "EINVAL");
    assert.match(
      opened!.message as string,
      /unknown option 'lru'.*\(--no-lru on the command line\)$/,
    );
    assert.equal(size!.size, 1);
    // A known option with a bad value is the backend's error as it is.
    const v = await run(["htab", "--json", "--max-entries", "0"], "");
    assert.equal(v.code, 2);
    assert.doesNotMatch(json(v.out)[0]!.message as string, /on the command line/);
  });

  it("opens the default backend when none is named", async () => {
    const r = await run(["--json"], "stats\n");
    const want = listBackends().some((b) => b.name === "qptrie") ? "qptrie" : "map";
    assert.equal(json(r.out)[0]!.backend, want);
  });

  it("takes the first thing people type on the default store", async () => {
    const r = await run([], 'set "hello" "world"\nget "hello"\n');
    assert.equal(r.err, "");
    assert.equal(r.code, 0);
    assert.match(r.out, /^created 0x68656c6c6f \|hello\| => 0x776f726c64(00)+ \|world\.+\|\n/);
    assert.match(r.out, /\n0x776f726c64(00)+ \|world\.+\|\n$/);
  });

  it("says so in the banner of the default store", async () => {
    const r = await run(["-i"], "quit\n");
    assert.match(r.out, /kvkit explorer: qptrie .*Try: set "hello" "world"/);
    const m = await run(["map", "-i"], "quit\n");
    assert.doesNotMatch(m.out, /Try:/);
  });

  it("gives over-long keys and values the same helpful message as short ones", async () => {
    const r = await run(
      ["map", "--key-size", "4"],
      'set "hello" u64:1\nset 1 0x010203040506070809\n',
    );
    assert.equal(r.code, 1);
    assert.match(
      r.err,
      /line 1: set: error EINVAL \(-22\): key 'hello' is 5 bytes but this store's keys take 4; give at most 4/,
    );
    assert.match(
      r.err,
      /line 2: set: error \w+ \(-\d+\): value '0x0102030405060708 ?09' is 9 bytes .*take 8/,
    );
    assert.equal(json((await run(["map", "--json"], "size\n")).out)[0]!.size, 0);
  });

  it("reads --max-entries -1 as the value -1, which the backend rejects with EINVAL", async () => {
    const r = await run(["map", "--max-entries", "-1", "--json"], "");
    assert.equal(r.code, 2);
    const e = json(r.out)[0]!;
    assert.equal(e.code, "EINVAL");
    assert.match(e.message as string, /maxEntries -1/);
  });

  it("asks for 'clear!' before clearing a store with entries", async () => {
    const r = await run(["map", "--json"], "clear\nset 1 u64:1\nclear\nsize\nclear!\nsize\n");
    const out = json(r.out);
    assert.equal(out[0]!.ok, true);
    assert.equal(out[2]!.ok, false);
    assert.match(out[2]!.message as string, /clear would remove 1 entry; type 'clear!'/);
    assert.equal(out[3]!.size, 1);
    assert.equal(out[4]!.removed, 1);
    assert.equal(out[5]!.size, 0);
  });

  it("aligns --list like backends", async () => {
    const r = await run(["--list"], "");
    const rows = r.out.trim().split("\n");
    const starts = rows.map((l) => /^\S+\s+/.exec(l)![0].length);
    assert.equal(new Set(starts).size, 1);
    const b = await run(["map"], "backends\n");
    assert.equal(b.out.trim(), r.out.trim());
  });
});

describe("explorer plugins", () => {
  it("loads a plugin by path, seeks ordered keys by prefix and from, and dumps describe()", async () => {
    const r = await run(
      [PLUGIN, "--value-size", "1", "--json"],
      [
        'set "apple" u8:1',
        'set "apricot" u8:2',
        'set "banana" u8:3',
        'set "b" u8:4',
        'keys prefix "ap"',
        'keys from "ba"',
        "iter prefix str:b limit 1",
        "dump",
        "stats",
        'lpm "applesauce"',
        'lpm "cherry"',
      ].join("\n"),
    );
    assert.equal(r.code, 0, r.err);
    const out = json(r.out);
    const keys = (i: number) =>
      (out[i]!.keys as { key: string }[]).map((k) => Buffer.from(k.key.slice(2), "hex").toString());
    assert.deepEqual(keys(4), ["apple", "apricot"]);
    assert.deepEqual(keys(5), ["banana"]);
    assert.equal((out[6]!.entries as unknown[]).length, 1);
    assert.equal(out[6]!.total, 2);
    assert.match(out[7]!.layout as string, /^sorted-fixture: 4 keys in one sorted array/);
    assert.equal(out[8]!.backend, "sorted-fixture");
    assert.deepEqual(out[9], {
      command: "lpm",
      ok: true,
      found: true,
      key: "0x6170706c65",
      value: "0x01",
    });
    assert.equal(out[10]!.found, false);
  });

  it("lpm asks the contract's longestPrefixOf: the key and its value, or not found", async () => {
    const r = await run(
      ["qptrie", "--value-size", "1", "--json"],
      'set "app" u8:1\nset "apple" u8:2\nlpm "applesauce"\nlpm "appetite"\nlpm "b"\n',
    );
    assert.equal(r.code, 0, r.err);
    const [, , long, short, none] = json(r.out);
    assert.deepEqual(long, {
      command: "lpm",
      ok: true,
      found: true,
      key: "0x6170706c65",
      value: "0x02",
    });
    assert.deepEqual(short, {
      command: "lpm",
      ok: true,
      found: true,
      key: "0x617070",
      value: "0x01",
    });
    assert.deepEqual(none, { command: "lpm", ok: true, found: false });
    const m = await run(["map", "--json"], "lpm 1\n");
    assert.equal(json(m.out)[0]!.code, "EOPNOTSUPP");
  });

  it("refuses 'from' on an unordered store with EOPNOTSUPP", async () => {
    const r = await run(["map", "--json"], "keys from 1\n");
    assert.equal(json(r.out)[0]!.code, "EOPNOTSUPP");
  });

  it("switches stores with open, by name or path", async () => {
    const r = await run(
      ["map", "--json"],
      `set 1 u64:1\nopen ${PLUGIN} --max-entries 2\nsize\nstats\n`,
    );
    const out = json(r.out);
    assert.equal(out[1]!.dropped, 1);
    assert.equal(out[2]!.size, 0);
    assert.equal((out[3]!.capabilities as { maxEntries: number }).maxEntries, 2);
  });
});

describe("explorer save and load", () => {
  it("round-trips a store through an image, also into a new session with --load", async () => {
    const dir = await tempDir();
    const file = join(dir, "a.kvimg");
    const save = await run(
      ["map", "--value-size", "4"],
      `set 1 "abcd"\nset 2 u32:2\nsave ${file}\nclear!\nload ${file}\niter\n`,
    );
    assert.equal(save.code, 0, save.err);
    assert.match(save.out, /saved 2 entries to .*a\.kvimg/);
    assert.match(save.out, /loaded 2 entries/);
    const again = await run(["--load", file, "--json"], "stats\niter\n");
    const [stats, iter] = json(again.out);
    assert.equal(stats!.backend, "map");
    assert.deepEqual(stats!.options, { valueSize: 4 });
    assert.deepEqual(iter!.entries, [
      { key: "0x01000000", value: "0x61626364" },
      { key: "0x02000000", value: "0x02000000" },
    ]);
  });

  it("loads into another backend entry by entry when sizes fit, else loads nothing", async () => {
    const dir = await tempDir();
    const file = join(dir, "b.kvimg");
    await run(["map", "--value-size", "1"], `set 1 u8:1\nset 2 u8:2\nsave ${file}\n`);
    const ok = await run([PLUGIN, "--value-size", "1", "--json"], `load ${file}\nsize\n`);
    assert.equal(json(ok.out)[0]!.imageBackend, "map");
    assert.equal(json(ok.out)[1]!.size, 2);
    const tooMany = await run(
      [PLUGIN, "--value-size", "1", "--max-entries", "1", "--json"],
      `set "x" u8:9\nload ${file}\niter\n`,
    );
    const [, failed, iter] = json(tooMany.out);
    assert.equal(failed!.code, "ENOSPC");
    assert.match(failed!.message as string, /nothing loaded.*open map --value-size 1/);
    assert.deepEqual(iter!.entries, [{ key: "0x78", value: "0x09" }]);
    const wrongSize = await run([PLUGIN, "--value-size", "2", "--json"], `load ${file}\nsize\n`);
    assert.equal(json(wrongSize.out)[0]!.code, "EINVAL");
    assert.equal(json(wrongSize.out)[1]!.size, 0);
  });

  it("--load never imports a module an image names: catalog backends only, exit 2", async () => {
    const dir = await tempDir();
    const marker = join(dir, "ran");
    const plugin = join(dir, "evil.mjs");
    await writeFile(
      plugin,
      `import { writeFileSync } from "node:fs";\nwriteFileSync(${JSON.stringify(marker)}, "x");\n` +
        `export const backend = { name: "evil", summary: "", create() { return {}; } };\n`,
    );
    const file = join(dir, "evil.kvimg");
    await writeFile(file, encodeImage({ backend: plugin, options: {}, entries: [] }));
    const r = await run(["--load", file], "");
    assert.equal(r.code, 2);
    assert.equal(existsSync(marker), false, "the image's plugin ran");
    assert.match(r.err, /not a catalog backend.*open the plugin first, then `load FILE`/);
    // Naming the plugin yourself still loads the image into it.
    const named = await run([PLUGIN, "--load", file, "--json"], "size\n");
    assert.equal(named.code, 0, named.err);
    assert.equal(json(named.out)[0]!.size, 0);
  });

  it("rejects corrupt, truncated and wrong-version images and keeps the store as it was", async () => {
    const dir = await tempDir();
    const file = join(dir, "c.kvimg");
    await run(["map"], `set 1 u64:1\nset 2 u64:2\nsave ${file}\n`);
    const good = new Uint8Array(await readFile(file));
    const cases: [string, Uint8Array, RegExp][] = [
      ["corrupt", good.map((b, i) => i === good.length - 10 ? b ^ 1 : b), /checksum mismatch/],
      ["truncated", good.subarray(0, good.length - 7), /truncated/],
      ["version", good.map((b, i) => i === 8 ? 9 : b), /format version 9/],
      ["junk", new TextEncoder().encode("not an image"), /not a kvkit store image/],
    ];
    for (const [name, bytes, message] of cases) {
      const bad = join(dir, `${name}.kvimg`);
      await writeFile(bad, bytes);
      const r = await run(["map", "--json"], `set 9 u64:9\nload ${bad}\niter\n`);
      const [, load, iter] = json(r.out);
      assert.equal(load!.ok, false, name);
      assert.match(load!.message as string, message, name);
      assert.deepEqual(iter!.entries, [{ key: "0x09000000", value: "0x0900000000000000" }], name);
      assert.equal(r.code, 1);
      const start = await run(["--load", bad], "");
      assert.equal(start.code, 2, name);
    }
  });
});

describe("explorer REPL", () => {
  it("runs commands from piped input with -i, prompting, and goes on after errors", async () => {
    const r = await run(["map", "-i"], "set 1 u64:3\nget x\nhelp get\nget 1\nexit\n");
    assert.equal(r.code, 0);
    assert.match(r.out, /kvkit explorer: map/);
    assert.match(r.out, /kvkit:map> /);
    assert.match(r.out, /get KEY \[pad\]/);
    assert.match(r.out, /0x0300000000000000 \|\.{8}\|/);
    assert.match(r.err, /get: error EINVAL \(-22\): cannot read 'x'/);
  });

  it("with --json writes only JSON objects to stdout, one a line; banner and prompt to stderr", async () => {
    const r = await run(["map", "-i", "--json"], "set 1 u64:3\nget x\nget 1\nquit\n");
    assert.equal(r.code, 0);
    const out = json(r.out);
    assert.deepEqual(out.map((o) => o.command), ["set", "get", "get", "quit"]);
    assert.equal(out[1]!.code, "EINVAL");
    assert.equal(out[2]!.value, "0x0300000000000000");
    assert.match(r.err, /kvkit explorer: map/);
    assert.match(r.err, /kvkit:map> /);
  });

  it("completes commands, flag words and backend names", () => {
    assert.deepEqual(complete("ba"), [["batch", "backends"], "ba"]);
    assert.deepEqual(complete("batch 10 c"), [["continue", "cursor"], "c"]);
    assert.deepEqual(complete("open ma"), [["map"], "ma"]);
    assert.deepEqual(complete("get 1 "), [["pad"], ""]);
  });

  it("completes file paths after open, load and save", async () => {
    const dir = await tempDir();
    await mkdir(join(dir, "images"));
    await writeFile(join(dir, "store.kvimg"), "");
    await writeFile(join(dir, ".hidden"), "");
    assert.deepEqual(complete(`load ${dir}/`), [
      [`${dir}/images/`, `${dir}/store.kvimg`],
      `${dir}/`,
    ]);
    assert.deepEqual(complete(`save ${dir}/st`), [[`${dir}/store.kvimg`], `${dir}/st`]);
    assert.deepEqual(complete(`load ${dir}/.h`), [[`${dir}/.hidden`], `${dir}/.h`]);
    assert.deepEqual(complete(`open ${dir}/i`), [[`${dir}/images/`], `${dir}/i`]);
    assert.ok(complete("open m")[0].includes("map"));
    assert.deepEqual(complete(`load ${dir}/nothing/x`), [[], `${dir}/nothing/x`]);
  });
});

describe("explorer bench", () => {
  it("runs the harness's workloads on a fresh store like this one, leaving the store alone", async () => {
    const r = await run(
      ["map", "--json"],
      "set 1 u64:1\nbench 64 vs none ms 2\nsize\n",
    );
    assert.equal(r.code, 0, r.out);
    const [, harness, size] = json(r.out);
    const report = harness!.report as {
      groups: { workload: string; results: { opsPerSec?: number }[] }[];
    };
    assert.deepEqual([harness!.entries, harness!.sampleMs, harness!.peers], [64, 2, []]);
    assert.deepEqual(
      report.groups.map((g) => g.workload),
      ["lookup-hit", "lookup-miss", "insert", "update", "delete", "iterate", "batch", "memory"],
    );
    assert.ok(report.groups[0]!.results[0]!.opsPerSec! > 0);
    assert.equal(size!.size, 1);
  });
});

describe("explorer bench errors", () => {
  it("reports an unknown peer as a StoreError EINVAL naming the known ones", async () => {
    const r = await run(["map", "--json"], "bench 8 vs nosuch\n");
    const [out] = json(r.out);
    assert.equal(out!.code, "EINVAL");
    assert.match(out!.message as string, /^unknown backend 'nosuch'; known backends: .*peers: /);
    assert.equal(r.code, 1);
  });
});

describe("explorer on every catalog backend", () => {
  for (const { name } of listBackends()) {
    // Kernel maps go through FFI, which Node does not have (bpf says so with EOPNOTSUPP).
    const noFfi = name === "bpf" && !("Deno" in globalThis) && !("Bun" in globalThis);
    it(`${name}: stats, set/get, dump, keys and size through the generic commands`, {
      skip: noFfi ? "no FFI under Node" : false,
    }, async () => {
      const probe = await run([name, "--json"], "stats\n");
      assert.equal(probe.code, 0, probe.err);
      const caps = json(probe.out)[0]!.capabilities as {
        keySize: { min: number };
        valueSize: { min: number };
        valueSizes?: number[];
        keyRange?: { min: number };
      };
      const key = caps.keyRange !== undefined
        ? `u32:${caps.keyRange.min}`
        : "0x" + "ab".repeat(caps.keySize.min);
      const valueLength = caps.valueSizes?.[0] ?? Math.max(caps.valueSize.min, 1);
      const value = "0x" + "cd".repeat(valueLength);
      const r = await run(
        [name, "--json"],
        `set ${key} ${value}\nget ${key}\ndump\nkeys\nsize\nmem\n`,
      );
      const out = json(r.out);
      assert.equal(r.code, 0, r.out);
      assert.equal(out[1]!.value, value);
      assert.equal(out[4]!.size, 1);
      assert.ok((out[5]!.memory as number) > 0);
    });
  }
});

describe("explorer load is all or nothing (the new store is built aside)", () => {
  const u8 = (n: number): Uint8Array => new Uint8Array([n]);

  it("keeps the store when a store whose admission depends on order refuses an entry", async () => {
    const dir = await tempDir();
    const file = join(dir, "descending.kvimg");
    // 9 and 8 go in (each before every key present); 10 does not.
    const entries: [Uint8Array, Uint8Array][] = [[u8(9), u8(9)], [u8(8), u8(8)], [u8(10), u8(10)]];
    await writeFile(file, encodeImage({ backend: "descending-fixture", options: {}, entries }));
    const r = await run(
      [DESCENDING, "--json"],
      `set 0x03 u8:3\nset 0x02 u8:2\nset 0x01 u8:1\nload ${file}\niter\n`,
    );
    const [, , , load, iter] = json(r.out);
    assert.equal(load!.code, "ENOSPC", JSON.stringify(load));
    assert.match(load!.message as string, /refused image entry 2 .*nothing loaded/);
    assert.deepEqual(iter!.entries, [
      { key: "0x01", value: "0x01" },
      { key: "0x02", value: "0x02" },
      { key: "0x03", value: "0x03" },
    ]);
    // An image the store admits in its order loads, replacing the entries.
    const good = join(dir, "good.kvimg");
    await writeFile(
      good,
      encodeImage({ backend: "descending-fixture", options: {}, entries: entries.slice(0, 2) }),
    );
    const ok = await run([DESCENDING, "--json"], `set 0x01 u8:1\nload ${good}\niter\n`);
    const [, loaded, after] = json(ok.out);
    assert.deepEqual([loaded!.loaded, loaded!.replaced], [2, 1]);
    assert.deepEqual((after!.entries as { key: string }[]).map((e) => e.key), ["0x08", "0x09"]);
  });

  it("a real store that runs out of room midway is the very same object, layout and all", async () => {
    const dir = await tempDir();
    const file = join(dir, "qptrie.kvimg");
    const te = new TextEncoder();
    const entries: [Uint8Array, Uint8Array][] = [];
    for (let i = 0; i < 100; i++) {
      entries.push([te.encode(`k${String(i).padStart(7, "0")}`), u8(i)]);
    }
    await writeFile(file, encodeImage({ backend: "qptrie", options: {}, entries }));
    const session = await openSession("qptrie", { valueSize: 1, maxHeapBytes: 1024 });
    const ctx = { session, paint: (_: string, t: string) => t };
    for (const line of ['set "aaaa" u8:1', 'set "bbbb" u8:2', 'del "aaaa"']) {
      assert.equal((await runLine(ctx, line)).kind, "ok", line);
    }
    const store = session.store;
    const layout = store.describe!();
    const outcome = await runLine(ctx, `load ${file}`);
    assert.equal(outcome.kind, "error");
    assert.match(String((outcome as { error: unknown }).error), /ENOMEM|ENOSPC/);
    assert.equal(session.store, store);
    // Not rebuilt by re-insertion: the same nodes, the same heap offsets, the same garbage.
    assert.equal(store.describe!(), layout);
    // A load that fits swaps in a new store and closes nothing the session still uses.
    const small = join(dir, "small.kvimg");
    await writeFile(
      small,
      encodeImage({ backend: "qptrie", options: {}, entries: entries.slice(0, 3) }),
    );
    assert.equal((await runLine(ctx, `load ${small}`)).kind, "ok");
    assert.notEqual(session.store, store);
    assert.equal(session.store.size, 3);
    assert.equal(session.store.capabilities.maxEntries, store.capabilities.maxEntries);
  });
});

describe("explorer limits", () => {
  it("bounds bench: entries (E2BIG) and sample time (EINVAL), answered at once", async () => {
    const r = await run(
      ["map", "--json"],
      `set 1 u64:1\nbench 16777216 vs none\nbench ${MAX_BENCH_ENTRIES + 1}\n` +
        "bench 100 vs none ms 99999999999\nbench 0\nsize\n",
    );
    const [, huge, over, slow, zero, size] = json(r.out);
    assert.equal(huge!.code, "E2BIG");
    assert.match(huge!.message as string, /16777216 entries is more than the explorer's limit/);
    assert.equal(over!.code, "E2BIG");
    assert.equal(slow!.code, "EINVAL");
    assert.match(slow!.message as string, /ms 99999999999 is not a sample time in 1\.\.\d+ ms/);
    assert.equal(zero!.code, "EINVAL");
    assert.equal(size!.size, 1);
  });

  it("checks an image's size and type before reading it, with the right code", async () => {
    const dir = await tempDir();
    const big = join(dir, "big.kvimg");
    await writeFile(big, "");
    await truncate(big, MAX_IMAGE_FILE_BYTES + 1); // sparse: nothing to read if it is refused
    const sub = join(dir, "sub");
    await mkdir(sub);
    const lines = [`load ${big}`, `load ${sub}`, `load ${join(dir, "missing")}`];
    if (existsSync("/dev/zero")) lines.push("load /dev/zero");
    const r = await run(["map", "--json"], `set 1 u64:1\n${lines.join("\n")}\nsize\n`);
    const out = json(r.out);
    const [, tooBig, directory, missing] = out;
    assert.equal(tooBig!.code, "E2BIG");
    assert.match(tooBig!.message as string, /is more than the 256 MiB .* the explorer reads/);
    assert.equal(directory!.code, "EINVAL");
    assert.match(directory!.message as string, /not a regular file \(a directory\)/);
    assert.equal(missing!.code, "ENOENT");
    if (existsSync("/dev/zero")) {
      assert.equal(out[4]!.code, "EINVAL");
      assert.match(out[4]!.message as string, /not a regular file \(a character device\)/);
    }
    assert.equal(out.at(-1)!.size, 1);
    for (const path of [big, sub, ...(existsSync("/dev/zero") ? ["/dev/zero"] : [])]) {
      const start = await run(["--load", path, "--json"], "");
      assert.equal(start.code, 2, path);
      assert.match(json(start.out)[0]!.code as string, /^(E2BIG|EINVAL)$/, path);
    }
  });

  it("checks a script's size and type before reading it: EINVAL/E2BIG, ENOENT only when missing", async () => {
    const dir = await tempDir();
    const big = join(dir, "big.kvs");
    await writeFile(big, "");
    await truncate(big, MAX_SCRIPT_FILE_BYTES + 1);
    const cases: [string, string][] = [[big, "E2BIG"], [dir, "EINVAL"], [
      join(dir, "no.kvs"),
      "ENOENT",
    ]];
    if (existsSync("/dev/zero")) cases.push(["/dev/zero", "EINVAL"]);
    for (const [path, code] of cases) {
      const r = await run(["map", "--script", path], "");
      assert.equal(r.code, 2, path);
      assert.match(r.err, new RegExp(`^error ${code} \\(-\\d+\\): cannot read script`), path);
    }
  });

  it("--load refuses an image whose options ask for a store far bigger than the image", async () => {
    const dir = await tempDir();
    const file = join(dir, "huge.kvimg");
    // 270 MB of inline storage declared by a file of about a hundred bytes.
    const options = { owners: 65536, inlineBytes: 4096 };
    await writeFile(file, encodeImage({ backend: "sk-storage", options, entries: [] }));
    const r = await run(["--load", file, "--json"], "size\n");
    assert.equal(r.code, 2);
    const [failed] = json(r.out);
    assert.equal(failed!.code, "E2BIG");
    assert.match(
      failed!.message as string,
      /the image's options open a store of .* may take at most 256 MiB.*name the backend/,
    );
    // Named on the command line, the same store is the user's choice, and opens.
    const named = await run(
      ["sk-storage", "--owners", "65536", "--inline-bytes", "4096", "--load", file, "--json"],
      "size\n",
    );
    assert.equal(named.code, 0, named.err);
  });
});

after(removeTempDirs);
