// Starts testdata/worker.ts as a real Worker: a web Worker on Deno and Bun, a
// node:worker_threads Worker (with tsx loaded for TypeScript) on Node, which has no global
// Worker.

import type { Command } from "./worker.ts";

export interface TestWorker {
  /** Sends one command and resolves with its result (rejects with the error code). */
  request(command: Command): Promise<unknown>;
  /** Terminates the worker. */
  close(): Promise<void>;
}

const WORKER_URL = new URL("./worker.ts", import.meta.url);

/** Why Worker tests cannot run here, or `undefined` when they can. */
export function workerSkipReason(): string | undefined {
  const deno =
    (globalThis as { Deno?: { permissions: { querySync(d: unknown): { state: string } } } })
      .Deno;
  if (deno !== undefined) {
    const state = deno.permissions.querySync({ name: "read", path: WORKER_URL }).state;
    if (state !== "granted") {
      return "Deno loads Worker modules from disk only with --allow-read " +
        "(run: deno test --allow-read packages/uptr-kv/)";
    }
  }
  return undefined;
}

export async function spawn(): Promise<TestWorker> {
  let send: (m: Command) => void;
  let onReply: (f: (m: { ok?: unknown; error?: string }) => void) => void;
  let close: () => Promise<void>;
  if (typeof Worker === "function") {
    const w = new Worker(WORKER_URL, { type: "module" });
    send = (m) => w.postMessage(m);
    onReply = (f) => (w.onmessage = (e: MessageEvent) => f(e.data));
    close = () => Promise.resolve(w.terminate());
  } else {
    const { Worker: NodeWorker } = await import("node:worker_threads");
    const tsx = import.meta.resolve("tsx/esm/api");
    const code = `import { register } from ${JSON.stringify(tsx)};
import { parentPort } from "node:worker_threads";
register();
globalThis.__uptrKvPort = parentPort;
await import(${JSON.stringify(WORKER_URL.href)});`;
    const w = new NodeWorker(new URL("data:text/javascript," + encodeURIComponent(code)));
    send = (m) => w.postMessage(m);
    onReply = (f) => w.on("message", f);
    close = async () => void await w.terminate();
  }
  // One request at a time, answered in order.
  const waiting: { resolve(v: unknown): void; reject(e: Error): void }[] = [];
  onReply((m) => {
    const next = waiting.shift()!;
    if (m.error !== undefined) next.reject(Object.assign(new Error(m.error), { code: m.error }));
    else next.resolve(m.ok);
  });
  return {
    request: (command) =>
      new Promise((resolve, reject) => {
        waiting.push({ resolve, reject });
        send(command);
      }),
    close,
  };
}
