/**
 * The adapter over Deno's FFI (`Deno.dlopen` of libc). The only file of the package, with
 * `_ffi_bun.ts`, that names a runtime API; it runs nothing until {@linkcode openDenoFfi}.
 *
 * @module
 */

import { StoreError } from "@kvkit/store";
import type { Ffi } from "./_ffi.ts";

// The part of the Deno namespace this adapter uses, typed here so the package type-checks (and
// publishes) without depending on Deno's global types.
interface DenoFfiApi {
  dlopen(
    path: string,
    symbols: Record<string, { parameters: string[]; result: string }>,
  ): { symbols: Record<string, (...args: unknown[]) => unknown> };
  UnsafePointer: {
    of(buffer: Uint8Array): unknown;
    value(pointer: unknown): number | bigint;
  };
  UnsafePointerView: { getArrayBuffer(pointer: unknown, length: number): ArrayBuffer };
  errors: { NotCapable?: new () => Error; PermissionDenied: new () => Error };
}

/**
 * Opens libc through `Deno.dlopen`.
 *
 * @returns The adapter.
 * @throws {StoreError} `EPERM` without `--allow-ffi`.
 */
export function openDenoFfi(): Ffi {
  const deno = (globalThis as unknown as { Deno: DenoFfiApi }).Deno;
  let lib;
  try {
    lib = deno.dlopen("libc.so.6", {
      // syscall(long nr, ...): every argument a 64-bit integer, addresses passed as numbers;
      // five after nr, as mount(2) takes (bpf(2) takes three, the rest are zeros).
      syscall: { parameters: ["i64", "i64", "u64", "u64", "u64", "u64"], result: "i32" },
      __errno_location: { parameters: [], result: "pointer" },
    });
  } catch (err) {
    const denied = err instanceof deno.errors.PermissionDenied ||
      (deno.errors.NotCapable !== undefined && err instanceof deno.errors.NotCapable);
    throw new StoreError(
      denied ? "EPERM" : "EOPNOTSUPP",
      denied
        ? "FFI is not allowed: run Deno with --allow-ffi to open kernel maps"
        : `cannot open libc.so.6: ${(err as Error)?.message}`,
    );
  }
  const s = lib.symbols as unknown as {
    syscall: (nr: number, a: number, b: number, c: number, d: number, e: number) => number;
    __errno_location: () => unknown;
  };
  // errno is thread-local; FFI calls run synchronously on this thread, so one view serves.
  const errno = new Int32Array(deno.UnsafePointerView.getArrayBuffer(s.__errno_location(), 4));
  return {
    runtime: "deno",
    syscall: s.syscall,
    errno: () => errno[0]!,
    addressOf: (bytes) => Number(deno.UnsafePointer.value(deno.UnsafePointer.of(bytes))),
  };
}
