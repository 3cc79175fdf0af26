/**
 * What one explorer command may read, allocate or run for. A session holds the user's store: a
 * command that ran out of memory would lose it, and one that never ended would hang it, so every
 * size that comes from a command line, a file or an image is bounded here and refused with a
 * message (never an engine `RangeError` or an out-of-memory crash). The README's "Limits"
 * section lists the same numbers.
 *
 * @module
 */

import { open, stat } from "node:fs/promises";
import type { Stats } from "node:fs";
import { StoreError } from "@kvkit/store";
import { formatSize } from "./format.ts";

/** The most entries `bench N` runs with (a bigger run belongs to `deno task bench`). */
export const MAX_BENCH_ENTRIES = 1 << 18;
/** The longest `bench ... ms T` sample, in milliseconds (3 samples a row). */
export const MAX_BENCH_SAMPLE_MS = 250;
/** The largest image file `load` and `--load` read. */
export const MAX_IMAGE_FILE_BYTES = 256 * 1024 * 1024;
/** The largest script file `--script` reads. */
export const MAX_SCRIPT_FILE_BYTES = 16 * 1024 * 1024;
/**
 * The most memory (`memoryUsage()`) a store opened from an image's own options may take, unless
 * the image itself is bigger: then {@linkcode IMAGE_STORE_FACTOR} times its size.
 */
export const MAX_IMAGE_STORE_BYTES = 256 * 1024 * 1024;
/** How much bigger than its image a store opened from the image's options may be. */
export const IMAGE_STORE_FACTOR = 4;

// Reads go in chunks, so a file that grows after its size was checked is caught at the limit.
const CHUNK = 1 << 16;

function kind(info: Stats): string {
  if (info.isDirectory()) return "a directory";
  if (info.isCharacterDevice()) return "a character device";
  if (info.isBlockDevice()) return "a block device";
  if (info.isFIFO()) return "a FIFO";
  if (info.isSocket()) return "a socket";
  return "not a file";
}

/**
 * A file-system error as a `StoreError` with the code that says what happened: `ENOENT` only for
 * a missing file, `EPERM` for one the process may not read, `EINVAL` for anything else.
 *
 * @param err What `node:fs` (or Deno's permission check) threw.
 * @param action What was being done, e.g. `read image`.
 * @param path The file.
 * @returns The error to throw.
 *
 * @example Missing vs forbidden
 * ```ts
 * import { fsError } from "./limits.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(fsError({ code: "ENOENT" }, "read image", "a").code, "ENOENT");
 * assert.equal(fsError({ code: "EACCES", message: "denied" }, "read image", "a").code, "EPERM");
 * ```
 */
export function fsError(err: unknown, action: string, path: string): StoreError {
  const code = (err as { code?: string } | null)?.code;
  const name = (err as { name?: string } | null)?.name;
  const reason = (err as Error | null)?.message ?? String(err);
  if (code === "ENOENT") {
    return new StoreError("ENOENT", `cannot ${action} '${path}': no such file`);
  }
  if (
    code === "EACCES" || code === "EPERM" || name === "NotCapable" || name === "PermissionDenied"
  ) {
    return new StoreError("EPERM", `cannot ${action} '${path}': ${reason}`);
  }
  return new StoreError("EINVAL", `cannot ${action} '${path}': ${reason}`);
}

/**
 * Reads a whole regular file of at most `limit` bytes. The size and type are checked before a
 * byte is read (so `/dev/zero` or a 2 GB file is refused at once, and a FIFO is never opened),
 * and again while reading (a file that grows past the limit meanwhile is refused too).
 *
 * @param path The file.
 * @param limit The most bytes to accept.
 * @param what What the file is, for messages (`image`, `script`).
 * @returns The file's bytes.
 * @throws {StoreError} `ENOENT` when missing, `EPERM` when not readable, `EINVAL` when not a
 * regular file, `E2BIG` when larger than `limit`.
 *
 * @example Refusing what is not a regular file
 * ```ts
 * import { readLimitedFile } from "./limits.ts";
 * import assert from "node:assert/strict";
 *
 * await assert.rejects(readLimitedFile(".", 1024, "image"), { code: "EINVAL", message: /not a regular file \(a directory\)/ });
 * ```
 */
export async function readLimitedFile(
  path: string,
  limit: number,
  what: string,
): Promise<Uint8Array> {
  const check = (info: Stats): void => {
    if (!info.isFile()) {
      throw new StoreError(
        "EINVAL",
        `cannot read ${what} '${path}': not a regular file (${kind(info)})`,
      );
    }
    if (info.size > limit) throw tooBig(path, what, info.size, limit);
  };
  let info: Stats;
  try {
    info = await stat(path);
  } catch (err) {
    throw fsError(err, `read ${what}`, path);
  }
  check(info);
  let file: Awaited<ReturnType<typeof open>>;
  try {
    file = await open(path, "r");
  } catch (err) {
    throw fsError(err, `read ${what}`, path);
  }
  try {
    // The path may have been replaced between stat and open: check what was opened.
    check(await file.stat());
    const chunks: Uint8Array[] = [];
    let total = 0;
    for (;;) {
      const chunk = new Uint8Array(CHUNK);
      const { bytesRead } = await file.read(chunk, 0, CHUNK, null);
      if (bytesRead === 0) break;
      total += bytesRead;
      if (total > limit) throw tooBig(path, what, total, limit, true);
      chunks.push(chunk.subarray(0, bytesRead));
    }
    const out = new Uint8Array(total);
    let at = 0;
    for (const c of chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  } catch (err) {
    if (err instanceof StoreError) throw err;
    throw fsError(err, `read ${what}`, path);
  } finally {
    await file.close();
  }
}

function tooBig(path: string, what: string, size: number, limit: number, more = false): StoreError {
  return new StoreError(
    "E2BIG",
    `cannot read ${what} '${path}': ${formatSize(size)}${more ? " or more" : ""} is more ` +
      `than the ${formatSize(limit)} the explorer reads`,
  );
}

/**
 * Checks that a store opened from an image's own options is no bigger than the image can use:
 * {@linkcode MAX_IMAGE_STORE_BYTES}, or {@linkcode IMAGE_STORE_FACTOR} times the image's size
 * when that is more. An image is data from outside; 112 bytes of it must not open a 4 GiB store.
 *
 * @param memory The new store's `memoryUsage()`.
 * @param imageBytes The image file's size.
 * @param describe The backend and options, for the message.
 * @throws {StoreError} `E2BIG` naming both sizes and how to open such a store on purpose.
 *
 * @example A 4 GiB store from a tiny image
 * ```ts
 * import { checkImageStoreSize } from "./limits.ts";
 * import assert from "node:assert/strict";
 *
 * checkImageStoreSize(1 << 20, 112, "map {}");
 * assert.throws(() => checkImageStoreSize(2 ** 32, 112, "sk-storage {}"), { code: "E2BIG" });
 * ```
 */
export function checkImageStoreSize(memory: number, imageBytes: number, describe: string): void {
  const allowed = Math.max(MAX_IMAGE_STORE_BYTES, IMAGE_STORE_FACTOR * imageBytes);
  if (memory <= allowed) return;
  throw new StoreError(
    "E2BIG",
    `the image's options open a store of ${formatSize(memory)} (${describe}); a store opened ` +
      `from an image of ${formatSize(imageBytes)} may take at most ${formatSize(allowed)}. To ` +
      `open it anyway, name the backend and its options on the command line before --load`,
  );
}
