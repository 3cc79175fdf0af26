/**
 * The adapter over Bun's FFI (`bun:ffi`). The only file of the package, with `_ffi_deno.ts`,
 * that names a runtime API; `bun:ffi` is required only in {@linkcode openBunFfi}, so importing
 * this module under Deno or Node is harmless.
 *
 * @module
 */

import type { Ffi } from "./_ffi.ts";

// The part of `bun:ffi` this adapter uses.
interface BunFfiApi {
  dlopen(
    path: string,
    symbols: Record<string, { args: string[]; returns: string }>,
  ): { symbols: Record<string, (...args: unknown[]) => unknown> };
  ptr(bytes: Uint8Array): number;
  toArrayBuffer(pointer: number, offset: number, length: number): ArrayBuffer;
}

/**
 * Opens libc through `bun:ffi` (required synchronously: `Backend.create` is synchronous).
 *
 * @returns The adapter.
 */
export function openBunFfi(): Ffi {
  const req = (import.meta as unknown as { require: (id: string) => unknown }).require;
  const ffi = req("bun:ffi") as BunFfiApi;
  const lib = ffi.dlopen("libc.so.6", {
    syscall: { args: ["i64", "i64", "u64", "u64", "u64", "u64"], returns: "i32" },
    __errno_location: { args: [], returns: "ptr" },
  });
  const s = lib.symbols as unknown as {
    syscall: (nr: number, a: number, b: number, c: number, d: number, e: number) => number;
    __errno_location: () => number;
  };
  const errno = new Int32Array(ffi.toArrayBuffer(s.__errno_location(), 0, 4));
  return {
    runtime: "bun",
    syscall: s.syscall,
    errno: () => errno[0]!,
    // A small typed array's bytes live in the GC heap until something asks for its `.buffer`
    // (a `subarray` does), when JavaScriptCore moves them to an ArrayBuffer of their own: ask
    // first, so the address stays the address.
    addressOf: (bytes) => (bytes.buffer, ffi.ptr(bytes)),
  };
}
