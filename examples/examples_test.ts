// Every example runs here at a small size, so an example in a README can never rot: each must
// exit 0 and print the line that shows its story worked. Deno only (the examples are
// `deno run` scripts).

import { describe, it } from "node:test";
import assert from "node:assert/strict";

const here = new URL(".", import.meta.url);

interface Example {
  /** The script, relative to examples/. */
  readonly file: string;
  /** Arguments after the script (a smaller size). */
  readonly args?: readonly string[];
  /** Permissions it needs. */
  readonly allow?: readonly string[];
  /** Lines its output must hold. */
  readonly expect: readonly (string | RegExp)[];
}

const EXAMPLES: readonly Example[] = [
  { file: "traits_packet_metadata.ts", expect: ["flow hashes: ", /cannot shrink .*ENOSPC/] },
  {
    file: "qptrie_paths.ts",
    // The sizes are read from pooled copies: a wrong total means a copy was read at offset 0.
    expect: ["/srv/auth/src/db/: 212 files, 10726351 bytes", "is on /srv/media/assets"],
  },
  { file: "qptrie_routes.ts", expect: [/^\d+ lookups agree with a brute-force scan/m] },
  { file: "rhash_flow_table.ts", args: ["1000"], expect: [/ idle +0 +4 /, "done in"] },
  {
    file: "sk_storage_connections.ts",
    allow: ["--allow-net=127.0.0.1"],
    expect: ["STATS bytes=92 msgs=5 name=client-7", "after disconnect: 0 owners"],
  },
  {
    file: "uptr_kv_workers.ts",
    allow: ["--allow-read"],
    expect: ["ok: counters kept, old keys gone, new keys live"],
  },
  {
    file: "shared_flow_table.ts",
    args: ["500"],
    allow: ["--allow-read"],
    expect: [
      /reads of the tunnel's counters, 0 torn;/,
      "ok: 7610 flows, 32000 packets, counts exact",
    ],
  },
];

const deno = (globalThis as { Deno?: typeof Deno }).Deno;

describe("examples run and tell their story", { skip: deno === undefined }, () => {
  for (const ex of EXAMPLES) {
    it(`${ex.file} ${ex.args?.join(" ") ?? ""}`, async () => {
      const path = new URL(ex.file, here).pathname;
      const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
        args: ["run", ...(ex.allow ?? []), path, ...(ex.args ?? [])],
        stdout: "piped",
        stderr: "piped",
      }).output();
      const out = new TextDecoder().decode(stdout);
      assert.equal(code, 0, `exit code; stderr:\n${new TextDecoder().decode(stderr)}`);
      for (const line of ex.expect) {
        if (typeof line === "string") assert.ok(out.includes(line), `output lacks '${line}'`);
        else assert.match(out, line);
      }
    });
  }
});
