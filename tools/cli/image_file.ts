/**
 * Store image files on disk: written atomically (a temporary file in the same directory, synced,
 * then renamed over the target, so a crash leaves the old file or the new one, never half of
 * one) and read with full validation.
 *
 * @module
 */

import { open, rename, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { StoreError } from "@kvkit/store";
import { decodeImage, encodeImage, type StoreImage } from "./image.ts";
import { fsError, MAX_IMAGE_FILE_BYTES, readLimitedFile } from "./limits.ts";

/** An image read from a file, with the file's size. */
export interface ImageFile {
  /** The decoded image. */
  readonly image: StoreImage;
  /** The file's size in bytes. */
  readonly bytes: number;
}

/**
 * Writes an image file atomically.
 *
 * @param path The file to write (replaced if it exists).
 * @param image Backend, options, entries.
 * @returns The number of bytes written.
 * @throws {StoreError} When the file cannot be written; the target is then untouched.
 *
 * @example Saving a store's entries
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
 * Reads and validates an image file: a regular file of at most `MAX_IMAGE_FILE_BYTES`, checked
 * before it is read.
 *
 * @param path The file.
 * @returns The decoded image and the file's size.
 * @throws {StoreError} `ENOENT` when missing, `EPERM` when not readable, `E2BIG` when too large,
 * `EINVAL` when not a regular file or not a valid image (see {@linkcode decodeImage}).
 *
 * @example Reading an image back
 * ```ts ignore
 * import { readImageFile } from "./image_file.ts";
 *
 * const { image, bytes } = await readImageFile("store.kvimg");
 * console.log(image.backend, image.entries.length, bytes);
 * ```
 */
export async function readImageFile(path: string): Promise<ImageFile> {
  const bytes = await readLimitedFile(path, MAX_IMAGE_FILE_BYTES, "image");
  try {
    return { image: decodeImage(bytes), bytes: bytes.length };
  } catch (err) {
    if (err instanceof StoreError) {
      throw new StoreError(err.code, `'${path}': ${err.message.slice(err.code.length + 2)}`);
    }
    throw err;
  }
}
