/**
 * The error every kvkit store throws, modelled on Node's system errors: a symbolic `code`
 * and the negative Linux `errno` the kernel would return for the same failure.
 *
 * @module
 */

/**
 * The negative Linux errno of each error code kvkit uses.
 *
 * @example
 * ```ts
 * import { ERRNO } from "@kvkit/store";
 * import assert from "node:assert/strict";
 *
 * assert.equal(ERRNO.ENOENT, -2);
 * assert.equal(ERRNO.E2BIG, -7);
 * ```
 */
export const ERRNO = {
  EPERM: -1,
  ENOENT: -2,
  E2BIG: -7,
  EBADF: -9,
  EAGAIN: -11,
  ENOMEM: -12,
  EBUSY: -16,
  EEXIST: -17,
  EINVAL: -22,
  ENOSPC: -28,
  ENOTSOCK: -88,
  EOPNOTSUPP: -95,
  // The kernel's internal "operation not supported" (include/linux/errno.h), which bpf(2)
  // returns to user space for, e.g., LOOKUP_AND_DELETE on an LPM trie.
  ENOTSUPP: -524,
} as const;

/** A symbolic error code, one of the keys of {@linkcode ERRNO}. */
export type ErrorCode = keyof typeof ERRNO;

/**
 * A rejected store operation. A call that throws a `StoreError` leaves the store exactly as it
 * was before the call.
 *
 * @example Catching by code
 * ```ts
 * import { StoreError } from "@kvkit/store";
 * import assert from "node:assert/strict";
 *
 * const err = new StoreError("EEXIST", "key 7 exists");
 * assert.equal(err.code, "EEXIST");
 * assert.equal(err.errno, -17);
 * assert.ok(err instanceof Error);
 * assert.equal(err.message, "EEXIST: key 7 exists");
 * ```
 */
export class StoreError extends Error {
  /** The symbolic code, e.g. `"ENOENT"`. */
  readonly code: ErrorCode;
  /** The negative Linux errno for {@linkcode StoreError.code}, e.g. `-2`. */
  readonly errno: number;

  /**
   * Makes an error whose message is `"<code>: <detail>"`.
   *
   * @param code The symbolic error code.
   * @param detail What was wrong, and with which value.
   */
  constructor(code: ErrorCode, detail: string) {
    super(`${code}: ${detail}`);
    this.name = "StoreError";
    this.code = code;
    this.errno = ERRNO[code];
  }

  /**
   * `instanceof StoreError` also holds for errors thrown by another copy of `@kvkit/store`
   * (a plugin that bundles its own), recognised by name, code and errno.
   *
   * @param x Anything.
   * @returns Whether `x` is a StoreError from any copy of this module.
   */
  static override [Symbol.hasInstance](x: unknown): boolean {
    return isStoreErrorShape(x);
  }
}

/**
 * Whether `err` is a {@linkcode StoreError}, optionally with the given code.
 *
 * @param err Anything caught.
 * @param code The code to match; any code when omitted.
 * @returns `true` when `err` is a `StoreError` (with that code).
 *
 * @example
 * ```ts
 * import { isStoreError, StoreError } from "@kvkit/store";
 * import assert from "node:assert/strict";
 *
 * assert.ok(isStoreError(new StoreError("ENOSPC", "full"), "ENOSPC"));
 * assert.ok(!isStoreError(new Error("x")));
 *
 * // An error from a plugin's own copy of @kvkit/store is recognised too.
 * const foreign = Object.assign(new Error("EBUSY: x"), { name: "StoreError", code: "EBUSY", errno: -16 });
 * assert.ok(isStoreError(foreign, "EBUSY"));
 * ```
 */
export function isStoreError(err: unknown, code?: ErrorCode): err is StoreError {
  return err instanceof StoreError && (code === undefined || err.code === code);
}

/** Whether `x` looks like a StoreError made by any copy of this module. */
function isStoreErrorShape(x: unknown): boolean {
  const e = x as { name?: unknown; code?: unknown; errno?: unknown } | null;
  return x instanceof Error && e!.name === "StoreError" && typeof e!.code === "string" &&
    Object.hasOwn(ERRNO, e!.code) && e!.errno === ERRNO[e!.code as ErrorCode];
}
