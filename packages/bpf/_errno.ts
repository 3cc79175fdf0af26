/**
 * The kernel's errno as a {@linkcode StoreError}.
 *
 * @module
 */

import { ERRNO, type ErrorCode, StoreError } from "@kvkit/store";

// errno -> code, for every code the contract has.
const CODES = new Map<number, ErrorCode>(
  Object.entries(ERRNO).map(([code, errno]) => [-errno, code as ErrorCode]),
);

// errnos the contract has no code for, with the closest code it has and the kernel's name.
const CLOSEST: ReadonlyMap<number, [ErrorCode, string]> = new Map([
  [13, ["EPERM", "EACCES"]],
  [14, ["EINVAL", "EFAULT"]],
  [20, ["EINVAL", "ENOTDIR"]],
  [36, ["EINVAL", "ENAMETOOLONG"]],
  [40, ["EINVAL", "ELOOP"]],
  [77, ["EBADF", "EBADFD"]],
]);

/**
 * The error of a failed bpf(2) command.
 *
 * @param errno The positive errno the kernel returned.
 * @param what The command and its arguments, for the message.
 * @returns A `StoreError` whose `errno` is the kernel's (or the closest code's, named in the
 * message).
 */
export function kernelError(errno: number, what: string): StoreError {
  const code = CODES.get(errno);
  if (code !== undefined) return new StoreError(code, `${what} (kernel errno ${errno})`);
  const [closest, name] = CLOSEST.get(errno) ?? ["EINVAL", `errno ${errno}`];
  return new StoreError(closest, `${what}: the kernel answered ${name} (${errno})`);
}
