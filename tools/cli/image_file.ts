/**
 * Store image files on disk: written atomically (a temporary file in the same directory, synced,
 * then renamed over the target, so a crash leaves the old file or the new one, never half of
 * one) and read with full validation.
 *
 * @module
 */

import { open, readFile, rename, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { StoreError } from "@kvkit/store";
import { decodeImage, encodeImage, type StoreImage } from "./image.ts";

function fsError(err: unknown, action: string, path: string): StoreError {
  const code = (err as { code?: string }).code;
  const reason = (err as Error).message ?? String(err);
  if (code === "ENOENT") {
    return new StoreError("ENOENT", `cannot ${action} '${path}': no such file`);
  }
  return new StoreError("EINVAL", `cannot ${action} '${path}': ${reason}`);
}

/**
 * Writes an image file atomically.
 *
 * @param path The file to write (replaced if it exists).
 * @param image Backend, options, entries.
 * @returns The number of bytes written.
 * @throws {StoreError} When the file cannot be written; the target is then untouched.
 *
 * @example
 * ```ts ignore
 * import { saveImageFile } from "./image_file.ts";
 *
 * await saveImageFile("store.kvimg", { backend: "map", options: {}, entries: [] });
 * ```
 */
export async function saveImageFile(path: string, image: StoreImage): Promise<number> {
  const bytes = encodeImage(image);
  const tmp = join(
    dirname(path),
    `.${basename(path)}.${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}.tmp`,
  );
  try {
    const file = await open(tmp, "wx");
    try {
      await file.writeFile(bytes);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => {});
    throw fsError(err, "write", path);
  }
  return bytes.length;
}

/**
 * Reads and validates an image file.
 *
 * @param path The file.
 * @returns The decoded image.
 * @throws {StoreError} `ENOENT` when missing, `EINVAL` when unreadable or not a valid image
 * (see {@linkcode decodeImage}).
 *
 * @example
 * ```ts ignore
 * import { readImageFile } from "./image_file.ts";
 *
 * const image = await readImageFile("store.kvimg");
 * console.log(image.backend, image.entries.length);
 * ```
 */
export async function readImageFile(path: string): Promise<StoreImage> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(path));
  } catch (err) {
    throw fsError(err, "read", path);
  }
  try {
    return decodeImage(bytes);
  } catch (err) {
    if (err instanceof StoreError) {
      throw new StoreError(err.code, `'${path}': ${err.message.slice(err.code.length + 2)}`);
    }
    throw err;
  }
}
