/**
 * The runtime adapter: the few libc calls `@kvkit/bpf` needs, through Deno's FFI or Bun's, and
 * a clear {@linkcode StoreError} everywhere else. Nothing here runs at import time: the adapter
 * is loaded the first time a kernel map is opened (or {@linkcode probeBpf} asks), so importing
 * the package never touches FFI.
 *
 * @module
 */

import { StoreError } from "@kvkit/store";
import { openDenoFfi } from "./_ffi_deno.ts";
import { openBunFfi } from "./_ffi_bun.ts";

/**
 * What an adapter provides: libc's `syscall` and `errno`, and the address of a buffer. Numbers
 * in, numbers out, no allocation per call; everything else is built on `syscall` here.
 */
export interface Ffi {
  /** The runtime the calls go through. */
  readonly runtime: "deno" | "bun";
  /** `syscall(nr, a, b, c, d, e)` of libc: its result, `-1` with errno set on failure. */
  syscall(nr: number, a: number, b: number, c: number, d: number, e: number): number;
  /** The calling thread's `errno`, read right after a call that returned `-1`. */
  errno(): number;
  /**
   * The address of the first byte of `bytes`, stable for its lifetime (the bytes are, or are
   * first moved, outside the JS heap).
   */
  addressOf(bytes: Uint8Array): number;
}

// x86_64 syscall numbers and flags of the few file calls made besides bpf(2).
const NR_READ = 0;
const NR_OPEN = 2;
const NR_CLOSE = 3;
const O_RDONLY_CLOEXEC = 0o2000000;
// fdinfo of a map is ~200 bytes; one page is plenty.
const READ_MAX = 4096;

/**
 * `close(fd)`.
 *
 * @param ffi The adapter.
 * @param fd The fd.
 * @returns 0, or -errno.
 */
export function closeFd(ffi: Ffi, fd: number): number {
  return ffi.syscall(NR_CLOSE, fd, 0, 0, 0, 0) < 0 ? -ffi.errno() : 0;
}

/**
 * The text of a small file such as `/proc/self/fdinfo/<fd>`, read with open(2)/read(2) through
 * the FFI (Deno refuses /proc/self to its own file APIs short of `--allow-all`).
 *
 * @param ffi The adapter.
 * @param path The file.
 * @returns Its first 4 KiB as text, or `undefined` when it cannot be read.
 */
export function readText(ffi: Ffi, path: string): string | undefined {
  const name = new TextEncoder().encode(`${path}\0`);
  const fd = ffi.syscall(NR_OPEN, ffi.addressOf(name), O_RDONLY_CLOEXEC, 0, 0, 0);
  if (fd < 0) return undefined;
  const buf = new Uint8Array(READ_MAX);
  const n = ffi.syscall(NR_READ, fd, ffi.addressOf(buf), READ_MAX, 0, 0);
  closeFd(ffi, fd);
  return n < 0 ? undefined : new TextDecoder().decode(buf.subarray(0, n));
}

let ffi: Ffi | undefined;
let failure: StoreError | undefined;

/**
 * The adapter of this runtime, loaded once.
 *
 * @returns The adapter.
 * @throws {StoreError} `EOPNOTSUPP` where the runtime has no FFI (Node), `EPERM` where FFI is not
 * allowed (Deno without `--allow-ffi`).
 */
export function loadFfi(): Ffi {
  if (ffi !== undefined) return ffi;
  if (failure !== undefined) throw failure;
  try {
    const g = globalThis as { Deno?: unknown; Bun?: unknown };
    if (g.Bun !== undefined) ffi = openBunFfi();
    else if (g.Deno !== undefined) ffi = openDenoFfi();
    else {
      throw new StoreError(
        "EOPNOTSUPP",
        "no FFI in this runtime (Node has none): open kernel maps from Deno (--allow-ffi) or Bun",
      );
    }
    return ffi;
  } catch (err) {
    failure = err instanceof StoreError
      ? err
      : new StoreError("EOPNOTSUPP", `cannot load libc through FFI: ${(err as Error)?.message}`);
    throw failure;
  }
}
