// Starts testdata/worker.ts as a real Worker through @kvkit/conformance/testing's spawnWorker
// (a web Worker on Deno and Bun, node:worker_threads with tsx on Node).

import {
  spawnWorker,
  type WorkerClient,
  workerSkipReason as skipReason,
} from "@kvkit/conformance/testing";
import type { Command } from "./worker.ts";

/** A Worker running testdata/worker.ts. */
export type TestWorker = WorkerClient<Command, unknown>;

const WORKER_URL = new URL("./worker.ts", import.meta.url);

/** Why Worker tests cannot run here, or `undefined` when they can. */
export function workerSkipReason(): string | undefined {
  const reason = skipReason(WORKER_URL);
  return reason && `${reason}; run: deno test --allow-read packages/uptr-kv/`;
}

/** Starts one Worker. */
export function spawn(): Promise<TestWorker> {
  return spawnWorker<Command, unknown>(WORKER_URL);
}
