/**
 * Starts `_workers_agent.ts` as a real Worker: a web Worker on Deno and Bun, a
 * `node:worker_threads` Worker on Node (which has no global `Worker`), with tsx registered in
 * it so it loads TypeScript (as packages/uptr-kv/testdata/spawn.ts does).
 *
 * @module
 */

import type { Command, Reply } from "./_workers_protocol.ts";

/** A started agent: messages in order, one handler for the replies. */
export interface Agent {
  /** Sends a command (structured clone). */
  send(command: Command): void;
  /** The next reply; replies are queued until taken, so none is lost. */
  next(): Promise<Reply>;
  /** Sends and waits for the reply (an `error` reply rejects). */
  request(command: Command): Promise<Reply>;
  /** Terminates the Worker. */
  terminate(): Promise<void>;
}

const AGENT_URL = new URL("./_workers_agent.ts", import.meta.url);

/**
 * Starts one agent Worker.
 *
 * @returns The agent.
 */
export async function spawnAgent(): Promise<Agent> {
  let send: (m: Command) => void;
  let terminate: () => Promise<void>;
  const queue: Reply[] = [];
  const waiting: { resolve(r: Reply): void; reject(e: Error): void }[] = [];
  const deliver = (r: Reply): void => {
    const w = waiting.shift();
    if (w === undefined) queue.push(r);
    else if (r.type === "error") w.reject(new Error(`agent: ${r.message}`));
    else w.resolve(r);
  };
  const fail = (message: string): void => {
    for (const w of waiting.splice(0)) w.reject(new Error(`agent Worker failed: ${message}`));
    queue.push({ type: "error", message });
  };
  if (typeof Worker === "function") {
    const w = new Worker(AGENT_URL, { type: "module" });
    send = (m) => w.postMessage(m);
    w.onmessage = (e: MessageEvent) => deliver(e.data as Reply);
    w.onerror = (e: ErrorEvent) => {
      e.preventDefault();
      fail(e.message);
    };
    terminate = () => Promise.resolve(w.terminate());
  } else {
    const { Worker: NodeWorker } = await import("node:worker_threads");
    const tsx = import.meta.resolve("tsx/esm/api");
    const code = `import { register } from ${JSON.stringify(tsx)};
import { parentPort } from "node:worker_threads";
register();
globalThis.__kvkitBenchPort = parentPort;
await import(${JSON.stringify(AGENT_URL.href)});`;
    const w = new NodeWorker(new URL("data:text/javascript," + encodeURIComponent(code)));
    send = (m) => w.postMessage(m);
    w.on("message", (m: Reply) => deliver(m));
    w.on("error", (e: Error) => fail(e.message));
    terminate = async () => void await w.terminate();
  }
  const next = (): Promise<Reply> => {
    const r = queue.shift();
    if (r === undefined) return new Promise((resolve, reject) => waiting.push({ resolve, reject }));
    return r.type === "error"
      ? Promise.reject(new Error(`agent: ${r.message}`))
      : Promise.resolve(r);
  };
  return {
    send,
    next,
    request: (command) => {
      send(command);
      return next();
    },
    terminate,
  };
}
