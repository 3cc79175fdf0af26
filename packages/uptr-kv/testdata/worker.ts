// A Worker for the tests: attaches to a store's regions and runs commands on the program side.
// Runs as a web Worker (Deno, Bun) or under node:worker_threads, through serveWorker.

import { serveWorker } from "@kvkit/conformance/testing";
import { isStoreError } from "@kvkit/store";
import { UptrKvProgram } from "../mod.ts";

export type Command =
  | { cmd: "attach"; regions: UptrKvProgram["regions"] }
  | { cmd: "get"; key: number }
  | { cmd: "put"; key: number; bytes: number[] }
  | { cmd: "delete"; key: number }
  | { cmd: "write"; key: number; fill: number; ms: number }
  | { cmd: "read"; key: number; ms: number }
  | { cmd: "watch"; keys: number[]; ms: number }
  | { cmd: "churn"; keys: number[]; ms: number };

let kv: UptrKvProgram | undefined;

function run(c: Command): unknown {
  if (c.cmd === "attach") {
    kv = UptrKvProgram.attach(c.regions);
    return { consistent: kv.consistent, keys: [...kv.keys()] };
  }
  const p = kv!;
  switch (c.cmd) {
    case "get":
      return [...p.get(c.key)];
    case "put":
      p.put(c.key, Uint8Array.from(c.bytes));
      return null;
    case "delete":
      p.delete(c.key);
      return null;
    case "write": {
      // Fill the whole value with one byte per write, alternating two fills, as fast as possible.
      const value = new Uint8Array(p.sizeOf(c.key)!);
      const end = Date.now() + c.ms;
      let writes = 0;
      while (Date.now() < end) {
        for (let i = 0; i < 64; i++) {
          value.fill((c.fill + (writes & 1)) & 0xff);
          p.put(c.key, value);
          writes++;
        }
      }
      return { writes };
    }
    case "read": {
      // Every value written is one byte repeated: a read mixing two writes is torn.
      const out = new Uint8Array(4096);
      const end = Date.now() + c.ms;
      let reads = 0;
      let torn = 0;
      const seen = new Set<number>();
      while (Date.now() < end) {
        for (let i = 0; i < 64; i++) {
          const n = p.getInto(c.key, out);
          const first = out[0]!;
          for (let j = 1; j < n; j++) {
            if (out[j] !== first) {
              torn++;
              break;
            }
          }
          seen.add(first);
          reads++;
        }
      }
      return { reads, torn, distinct: seen.size };
    }
    case "watch": {
      // Reads the keys over and over during a migration; records every distinct
      // (key, version, value) it saw so the test can check each was a whole old or new value.
      const end = Date.now() + c.ms;
      const seen = new Set<string>();
      while (Date.now() < end) {
        for (const key of c.keys) {
          let text: string;
          try {
            text = p.get(key).join(",");
          } catch (err) {
            if (!isStoreError(err, "ENOENT")) throw err;
            text = "absent";
          }
          seen.add(`${key}:${text}`);
        }
      }
      return [...seen];
    }
    case "churn": {
      // Deletes every third present key it visits and overwrites the others in place with
      // (key + 100) & 0xff, as fast as possible, while the owner plans and moves values.
      const end = Date.now() + c.ms;
      let deletes = 0;
      let puts = 0;
      let n = 0;
      while (Date.now() < end) {
        for (const key of c.keys) {
          const size = p.sizeOf(key);
          if (size === undefined) continue;
          try {
            if (n++ % 3 === 0) {
              p.delete(key);
              deletes++;
            } else {
              p.put(key, new Uint8Array(size).fill((key + 100) & 0xff));
              puts++;
            }
          } catch (err) {
            // Deleted or re-sized by the owner meanwhile.
            if (!isStoreError(err, "ENOENT") && !isStoreError(err, "EINVAL")) throw err;
          }
        }
      }
      return { deletes, puts };
    }
  }
}

serveWorker(run);
