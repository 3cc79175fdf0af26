/**
 * Real Workers for tests, the same on Deno, Node and Bun: {@linkcode spawnWorker} starts a
 * module as a Worker and sends it commands, {@linkcode serveWorker} answers them inside it, and
 * {@linkcode workerSkipReason} says when Workers cannot start here.
 *
 * Deno and Bun have web Workers; Node has `node:worker_threads`, whose Workers cannot load
 * TypeScript by themselves, so there a `.ts` module is loaded through tsx (a dev dependency of
 * the test run, resolved when the Worker starts).
 *
 * @module
 */

import { ERRNO, type ErrorCode, StoreError } from "@kvkit/store";

/** A running Worker, as {@linkcode spawnWorker} returns it. */
export interface WorkerClient<Command = unknown, Result = unknown> {
  /**
   * Sends one command; several may be in flight at once, each answered on its own.
   *
   * @param command A structured-cloneable command (SharedArrayBuffers stay shared).
   * @returns What the Worker's handler returned; rejects with a {@linkcode StoreError} of the
   * same code when the handler threw one, with an `Error` otherwise, and when the Worker exits.
   */
  request(command: Command): Promise<Result>;
  /**
   * Ends the Worker once the requests in flight are answered.
   *
   * @returns When it has ended.
   */
  close(): Promise<void>;
  /**
   * Ends the Worker now, wherever it is (even inside a synchronous loop or `Atomics.wait`);
   * requests in flight reject with an `Error` whose `code` is `"TERMINATED"`. On Node the
   * promise resolves once the thread has exited; a web Worker gives no such signal, and Deno
   * stops one busy in synchronous code only seconds later (it kills the isolate after a grace
   * period, denoland/deno#12831), so a test that needs the Worker gone (before recovering what
   * it held) first has it park, or watches its writes stop.
   *
   * @returns When it has ended.
   */
  terminate(): Promise<void>;
}

/** One request as it crosses to the Worker. */
interface Envelope {
  readonly id: number;
  readonly command: unknown;
}

/** One answer as it crosses back. */
interface Reply {
  readonly id: number;
  readonly ok?: unknown;
  readonly error?: { readonly message: string; readonly code?: string; readonly stack?: string };
}

/** The port a Node Worker's bootstrap leaves for {@linkcode serveWorker}. */
const NODE_PORT = "__kvkitWorkerPort";

interface NodeWorkerLike {
  postMessage(m: unknown): void;
  on(event: string, f: (x: unknown) => void): void;
  terminate(): Promise<number>;
}

interface WebWorkerLike {
  postMessage(m: unknown): void;
  onmessage: ((e: { data: unknown }) => void) | null;
  onerror: ((e: { message?: string; preventDefault?(): void }) => void) | null;
  terminate(): void;
}

type WebWorkerClass = new (url: URL | string, options: { type: "module" }) => WebWorkerLike;

/**
 * Why Workers cannot start `moduleUrl` here, or `undefined` when they can: Deno loads a
 * Worker's module only with read permission for it (`deno test --allow-read`).
 *
 * @param moduleUrl The Worker module the tests start.
 * @returns A one-line reason to skip, for `describe(..., { skip })`, or `undefined`.
 *
 * @example Skipping Worker tests where they cannot run
 * ```ts
 * import { workerSkipReason } from "@kvkit/conformance/testing";
 * import assert from "node:assert/strict";
 *
 * const skip = workerSkipReason(new URL("./testdata/worker.ts", import.meta.url));
 * assert.ok(skip === undefined || skip.includes("--allow-read"));
 * ```
 */
export function workerSkipReason(moduleUrl: URL): string | undefined {
  const deno = (globalThis as {
    Deno?: { permissions: { querySync(d: { name: "read"; path: URL }): { state: string } } };
  }).Deno;
  if (deno !== undefined) {
    const state = deno.permissions.querySync({ name: "read", path: moduleUrl }).state;
    if (state !== "granted") {
      return `Deno loads Worker modules from disk only with --allow-read (${moduleUrl.href})`;
    }
  }
  return undefined;
}

/**
 * Starts `moduleUrl` as a real Worker - a web Worker on Deno and Bun, a `node:worker_threads`
 * Worker on Node (through tsx for a `.ts` module) - whose module calls {@linkcode serveWorker}.
 *
 * (The example is not run by `deno test --doc`: a Worker needs a module file on disk, and a
 * doc test has none beside it.)
 *
 * @param moduleUrl The Worker module.
 * @returns The running Worker.
 *
 * @example Two Workers on one SharedArrayBuffer
 * ```ts ignore
 * // testdata/adder.ts:
 * //   import { serveWorker } from "@kvkit/conformance/testing";
 * //   serveWorker((c: { cells: Int32Array; n: number }) => {
 * //     for (let i = 0; i < c.n; i++) Atomics.add(c.cells, 0, 1);
 * //     return c.n;
 * //   });
 * import { spawnWorker } from "@kvkit/conformance/testing";
 * import assert from "node:assert/strict";
 *
 * const url = new URL("./testdata/adder.ts", import.meta.url);
 * const cells = new Int32Array(new SharedArrayBuffer(4));
 * const workers = [await spawnWorker(url), await spawnWorker(url)];
 * await Promise.all(workers.map((w) => w.request({ cells, n: 100_000 })));
 * assert.equal(cells[0], 200_000);
 * for (const w of workers) await w.close();
 * ```
 */
export async function spawnWorker<Command = unknown, Result = unknown>(
  moduleUrl: URL,
): Promise<WorkerClient<Command, Result>> {
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  let nextId = 0;
  let ended: Error | undefined;
  const settle = (m: Reply): void => {
    const p = pending.get(m.id);
    if (p === undefined) return;
    pending.delete(m.id);
    if (m.error === undefined) p.resolve(m.ok);
    else p.reject(toError(m.error));
  };
  const fail = (err: Error): void => {
    ended ??= err;
    for (const p of pending.values()) p.reject(err);
    pending.clear();
  };

  let send: (e: Envelope) => void;
  let kill: () => Promise<void>;
  const WebWorker = (globalThis as { Worker?: WebWorkerClass }).Worker;
  if (typeof WebWorker === "function") {
    const w = new WebWorker(moduleUrl, { type: "module" });
    w.onmessage = (e) => settle(e.data as Reply);
    w.onerror = (e) => {
      e.preventDefault?.();
      fail(new Error(`the Worker ${moduleUrl.href} failed: ${e.message ?? "an error"}`));
    };
    send = (e) => w.postMessage(e);
    kill = () => Promise.resolve(w.terminate());
  } else {
    const { Worker } = await import("node:worker_threads");
    // Node Workers load JavaScript only: register tsx in the Worker before the module loads.
    const loader = /\.[cm]?tsx?$/.test(moduleUrl.pathname)
      ? `import { register } from ${JSON.stringify(import.meta.resolve("tsx/esm/api"))};
register();`
      : "";
    const code = `${loader}
import { parentPort } from "node:worker_threads";
globalThis.${NODE_PORT} = parentPort;
await import(${JSON.stringify(moduleUrl.href)});`;
    const w = new Worker(new URL("data:text/javascript," + encodeURIComponent(code))) as
      & NodeWorkerLike
      & object;
    w.on("message", (m) => settle(m as Reply));
    w.on("error", (e) => fail(e instanceof Error ? e : new Error(String(e))));
    w.on("exit", (c) => fail(new Error(`the Worker ${moduleUrl.href} exited (${c})`)));
    send = (e) => w.postMessage(e);
    kill = async () => void await w.terminate();
  }

  let killed = false;
  const end = async (): Promise<void> => {
    fail(Object.assign(new Error("TERMINATED: the Worker was terminated"), { code: "TERMINATED" }));
    if (killed) return;
    killed = true;
    await kill();
  };
  const inflight = new Set<Promise<unknown>>();
  return {
    request(command: Command): Promise<Result> {
      if (ended !== undefined) return Promise.reject(ended);
      const id = nextId++;
      const answer = new Promise<Result>((resolve, reject) => {
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
        send({ id, command });
      });
      const settled = answer.then(() => {}, () => {});
      inflight.add(settled);
      void settled.then(() => inflight.delete(settled));
      return answer;
    },
    async close(): Promise<void> {
      await Promise.all(inflight);
      await end();
    },
    terminate: end,
  };
}

/** The error a request rejects with, rebuilt from what the Worker sent. */
function toError(e: NonNullable<Reply["error"]>): Error {
  if (e.code !== undefined && Object.hasOwn(ERRNO, e.code)) {
    const prefix = `${e.code}: `;
    const detail = e.message.startsWith(prefix) ? e.message.slice(prefix.length) : e.message;
    return new StoreError(e.code as ErrorCode, detail);
  }
  const err = new Error(`in the Worker: ${e.message}${e.stack ? `\n${e.stack}` : ""}`);
  return e.code === undefined ? err : Object.assign(err, { code: e.code });
}

/**
 * Answers {@linkcode spawnWorker}'s requests inside a Worker: each command goes to `handler`,
 * and what it returns (or resolves to) goes back; what it throws goes back as an error with the
 * thrown error's `code` (a {@linkcode StoreError} arrives as a `StoreError` of the same code).
 * Commands are handled as they arrive: a synchronous handler runs them one at a time, an
 * asynchronous one may interleave them.
 *
 * (The example is not run by `deno test --doc`: it only works inside a Worker.)
 *
 * @param handler Runs one command.
 *
 * @example A Worker module that runs store commands
 * ```ts ignore
 * import { serveWorker } from "@kvkit/conformance/testing";
 * import { openStore } from "@kvkit/backends";
 * import type { Store } from "@kvkit/store";
 *
 * let store: Store | undefined;
 * serveWorker((c: { cmd: "attach"; handle: unknown } | { cmd: "size" }) => {
 *   if (c.cmd === "attach") store = openStore("htab", { attach: c.handle });
 *   return store!.size; // a StoreError thrown here rejects the request with its code
 * });
 * ```
 */
export function serveWorker<Command = unknown>(
  handler: (command: Command) => unknown,
): void {
  const g = globalThis as unknown as {
    [NODE_PORT]?: {
      postMessage(m: unknown): void;
      on(e: "message", f: (m: Envelope) => void): void;
    };
    postMessage(m: unknown): void;
    onmessage: ((e: { data: Envelope }) => void) | null;
  };
  const node = g[NODE_PORT];
  const post = node !== undefined
    ? (m: Reply) => node.postMessage(m)
    : (m: Reply) => g.postMessage(m);
  const run = async ({ id, command }: Envelope): Promise<void> => {
    try {
      post({ id, ok: await handler(command as Command) });
    } catch (err) {
      const e = err as { message?: unknown; code?: unknown; stack?: unknown } | null;
      post({
        id,
        error: {
          message: typeof e?.message === "string" ? e.message : String(err),
          ...(typeof e?.code === "string" ? { code: e.code } : {}),
          ...(typeof e?.stack === "string" ? { stack: e.stack } : {}),
        },
      });
    }
  };
  if (node !== undefined) node.on("message", (m) => void run(m));
  else g.onmessage = (e) => void run(e.data);
}
