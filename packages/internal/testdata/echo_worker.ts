// A Worker for the tests of spawnWorker/serveWorker themselves: echoes, throws, waits, spins.

import { serveWorker } from "@kvkit/conformance/testing";
import { StoreError } from "@kvkit/store";

export type EchoCommand =
  | { cmd: "echo"; value: unknown }
  | { cmd: "storeError"; code: "EBUSY" | "EINVAL" }
  | { cmd: "plainError"; message: string }
  | { cmd: "later"; ms: number; value: unknown }
  | { cmd: "add"; cells: Int32Array; n: number }
  | { cmd: "block"; cells: Int32Array };

serveWorker(async (c: EchoCommand): Promise<unknown> => {
  switch (c.cmd) {
    case "echo":
      return c.value;
    case "storeError":
      throw new StoreError(c.code, "thrown in the Worker");
    case "plainError":
      throw new TypeError(c.message);
    case "later":
      // An asynchronous handler: commands sent after this one may be answered first.
      await new Promise((resolve) => setTimeout(resolve, c.ms));
      return c.value;
    case "add":
      for (let i = 0; i < c.n; i++) Atomics.add(c.cells, 0, 1);
      return c.n;
    case "block":
      // Never returns: short waits in a loop, as a Worker stuck inside a write would.
      Atomics.store(c.cells, 1, 1);
      for (;;) Atomics.wait(c.cells, 2, 0, 20);
  }
});
