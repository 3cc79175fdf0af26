// What the tests of @kvkit/bpf share: the one skip line, an fd census, stores that are closed
// when a suite ends, and a private bpffs mount.

import { mkdtempSync, rmdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import type { AnyBackend, Store } from "@kvkit/store";
import { probeBpf } from "../mod.ts";
import { loadFfi } from "../_ffi.ts";

const why = probeBpf();

/** `false` where kernel maps can be opened, else the one line every skipped suite shows. */
export const SKIP: string | false = why === undefined ? false : `bpf(2) not available: ${why}`;
// Deno reports a skipped suite as "ignored" without its reason: say it once.
if (SKIP !== false && "Deno" in globalThis) console.log(SKIP);

// fcntl(2) on x86_64, and its "get fd flags" command: fails with EBADF on a closed fd.
const NR_FCNTL = 72;
const F_GETFD = 1;
const FD_SCAN = 4096;

/**
 * The number of open fds of this process below 4096, asked of the kernel with fcntl(F_GETFD)
 * through the FFI (Deno lets no test list /proc/self/fd short of --allow-all).
 */
export function fdCount(): number {
  const ffi = loadFfi();
  let n = 0;
  for (let fd = 0; fd < FD_SCAN; fd++) if (ffi.syscall(NR_FCNTL, fd, F_GETFD, 0, 0, 0) >= 0) n++;
  return n;
}

/** A backend whose stores are remembered, so a suite can close every one it opened. */
export function tracked(backend: AnyBackend): { backend: AnyBackend; closeAll: () => void } {
  const opened: Store[] = [];
  return {
    backend: {
      name: backend.name,
      summary: backend.summary,
      create: (options?: unknown): Store => {
        const store = backend.create(options as never);
        opened.push(store);
        return store;
      },
    },
    closeAll: () => {
      for (const store of opened.splice(0)) store.close();
    },
  };
}

// mount(2) and umount2(2) on x86_64.
const NR_MOUNT = 165;
const NR_UMOUNT2 = 166;

// A NUL-terminated string the kernel reads, and its address (kept alive by the caller).
function cString(text: string): Uint8Array {
  return new TextEncoder().encode(`${text}\0`);
}

// mount(2) / umount2(2) through the FFI: no child process (Bun keeps fds from one).
function sys(nr: number, what: string, ...args: Uint8Array[]): void {
  const ffi = loadFfi();
  const at = args.map((a) => ffi.addressOf(a));
  const r = ffi.syscall(nr, at[0] ?? 0, at[1] ?? 0, at[2] ?? 0, 0, 0);
  if (r < 0) throw new Error(`${what}: errno ${ffi.errno()}`);
}

/**
 * Mounts a bpffs of its own on a new temporary directory (a bpffs mount is a fresh instance:
 * nothing pinned elsewhere is visible or touched), runs `fn` with the directory, then unmounts
 * and removes it, whatever `fn` did.
 */
export function withBpffs<T>(fn: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), "kvkit-bpffs-"));
  try {
    const target = cString(dir);
    sys(NR_MOUNT, `mount bpffs on ${dir}`, cString("bpf"), target, cString("bpf"));
    try {
      return fn(dir);
    } finally {
      sys(NR_UMOUNT2, `umount ${dir}`, target);
    }
  } finally {
    rmdirSync(dir);
  }
}

/** fast-check runs: `KVKIT_DIFF_RUNS` from the environment when set, else `fallback`. */
export function runs(fallback: number): number {
  const n = Number(process.env.KVKIT_DIFF_RUNS);
  return Number.isSafeInteger(n) && n > 0 ? n : fallback;
}
