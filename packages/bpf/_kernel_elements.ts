/**
 * {@linkcode KernelElements}: a kernel map driven one element command at a time, every answer
 * `0` or `-errno` straight from the kernel - the oracle the differential tests of the
 * BTF-created maps (SK_STORAGE, a HASH with a spin lock) ask.
 *
 * @module
 */

import { StoreError } from "@kvkit/store";
import { closeFd } from "./_ffi.ts";
import type { BpfClient } from "./_client.ts";

/** A map's fd and its client; `K` is what names an element (a socket fd, key bytes). */
export abstract class KernelElements<K> {
  /** Value bytes. */
  readonly valueSize: number;
  /** The map's fd. */
  readonly fd: number;
  /** The client whose scratch holds the key and value of each command. */
  protected readonly client: BpfClient;
  /** What the map is, for messages. */
  readonly #what: string;
  #open = true;

  /**
   * Takes over a created map.
   *
   * @param client The client that created it.
   * @param fd The map's fd.
   * @param valueSize Value bytes.
   * @param what What the map is, for messages.
   */
  constructor(client: BpfClient, fd: number, valueSize: number, what: string) {
    this.client = client;
    this.fd = fd;
    this.valueSize = valueSize;
    this.#what = what;
  }

  /**
   * Writes the element's name into the client's key scratch.
   *
   * @param key The element's name.
   */
  protected abstract loadKey(key: K): void;

  /** Throws once closed. */
  protected checkOpen(): void {
    if (!this.#open) throw new StoreError("EINVAL", `the ${this.#what} is closed`);
  }

  /**
   * BPF_MAP_LOOKUP_ELEM into `out`.
   *
   * @param key The element.
   * @param out Where the value goes (`valueSize` bytes), written only on success.
   * @param flags The command's flags (the kernel takes 0 or `BPF_F_LOCK`).
   * @returns 0, or `-errno`.
   */
  lookup(key: K, out: Uint8Array, flags = 0): number {
    this.checkOpen();
    this.loadKey(key);
    const r = this.client.lookup(this.fd, flags);
    if (r === 0) {
      const at = this.client.value;
      out.set(this.client.bytes.subarray(at, at + this.valueSize));
    }
    return r;
  }

  /**
   * BPF_MAP_UPDATE_ELEM.
   *
   * @param key The element.
   * @param value `valueSize` bytes.
   * @param flags `BPF_ANY`, `BPF_NOEXIST`, `BPF_EXIST`, `| BPF_F_LOCK`, or anything (the kernel
   * judges).
   * @returns 0, or `-errno`.
   */
  update(key: K, value: Uint8Array, flags = 0): number {
    this.checkOpen();
    this.loadKey(key);
    this.client.bytes.set(value.subarray(0, this.valueSize), this.client.value);
    return this.client.update(this.fd, flags);
  }

  /**
   * BPF_MAP_DELETE_ELEM.
   *
   * @param key The element.
   * @returns 0, or `-errno` (`-ENOENT` when absent).
   */
  delete(key: K): number {
    this.checkOpen();
    this.loadKey(key);
    return this.client.delete(this.fd);
  }

  /** Closes the map's fd; the kernel frees the map once nothing else holds it. */
  close(): void {
    if (!this.#open) return;
    this.#open = false;
    closeFd(this.client.ffi, this.fd);
  }
}
