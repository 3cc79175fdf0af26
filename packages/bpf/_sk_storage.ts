/**
 * A kernel `BPF_MAP_TYPE_SK_STORAGE` map driven from user space: the BTF it needs (built by
 * hand, ~130 bytes), its creation, and the three element commands keyed by a socket fd. It is
 * the oracle of `@kvkit/sk-storage`'s flag and errno semantics, not a `Store` (no key walk:
 * GET_NEXT_KEY is `ENOTSUPP`), so the package does not export it.
 *
 * @module
 */

import { closeFd, loadFfi } from "./_ffi.ts";
import { BpfClient, F_NO_PREALLOC, MAP_TYPE_SK_STORAGE } from "./_client.ts";
import { btfBlob, btfInfo, btfNameOffsets, KIND_ARRAY, KIND_INT, KIND_STRUCT } from "./_btf.ts";
import { kernelError } from "./_errno.ts";
import { KernelElements } from "./_kernel_elements.ts";

// The type ids of the blob below (id 0 is void).
/** The BTF type id of the key: `int`, what SK_STORAGE requires (a 4-byte, 32-bit int). */
export const BTF_KEY_TYPE_ID = 1;
/** The BTF type id of the value: `struct value { unsigned char data[valueSize]; }`. */
export const BTF_VALUE_TYPE_ID = 4;

/**
 * The raw BTF of an SK_STORAGE map whose values are `valueSize` bytes: `[1] int`,
 * `[2] unsigned char`, `[3] unsigned char[valueSize]` and `[4] struct value { data }`.
 *
 * @param valueSize Value bytes.
 * @returns The blob, as BTF_LOAD takes it.
 */
export function skStorageBtf(valueSize: number): Uint8Array {
  const strings = ["", "int", "unsigned char", "value", "data"];
  const offsets = btfNameOffsets(strings);
  const [, intName, charName, valueName, dataName] = offsets as [number, ...number[]];
  const types = [
    // int: name, info, size 4; encoding SIGNED (1 << 24), offset 0, 32 bits.
    intName!,
    btfInfo(KIND_INT, 0),
    4,
    (1 << 24) | 32,
    // unsigned char: size 1, no encoding, 8 bits.
    charName!,
    btfInfo(KIND_INT, 0),
    1,
    8,
    // unsigned char[valueSize]: anonymous; element type 2, index type 1, nelems.
    0,
    btfInfo(KIND_ARRAY, 0),
    0,
    2,
    1,
    valueSize,
    // struct value (size valueSize) with one member: data, type 3, bit offset 0.
    valueName!,
    btfInfo(KIND_STRUCT, 1),
    valueSize,
    dataName!,
    3,
    0,
  ];
  return btfBlob(types, strings);
}

/**
 * A kernel SK_STORAGE map (`max_entries` 0, `BPF_F_NO_PREALLOC`, key `int`, value `valueSize`
 * bytes of BTF). The element commands take a socket fd as the key and answer `0` or `-errno`
 * as the kernel does: no check of ours comes first, so every answer is the kernel's.
 */
export class KernelSkStorage extends KernelElements<number> {
  readonly #i32: Int32Array;

  /**
   * Loads the BTF, creates the map, and closes the BTF's fd (the map keeps its own reference).
   *
   * @param valueSize Value bytes.
   * @throws {StoreError} The kernel's errno, as `BpfMap` does (`EOPNOTSUPP` / `EPERM` without
   * FFI or privilege).
   */
  constructor(valueSize: number) {
    const [client, fd] = KernelSkStorage.#create(valueSize);
    super(client, fd, valueSize, "SK_STORAGE map");
    this.#i32 = new Int32Array(client.bytes.buffer, client.key, 1);
  }

  static #create(valueSize: number): [BpfClient, number] {
    const client = new BpfClient(loadFfi(), 4, valueSize);
    const btf = client.loadBtf(skStorageBtf(valueSize));
    if (btf < 0) throw kernelError(-btf, `BPF_BTF_LOAD of an SK_STORAGE value of ${valueSize} B`);
    const fd = client.create(
      MAP_TYPE_SK_STORAGE,
      4,
      valueSize,
      0,
      F_NO_PREALLOC,
      new Uint8Array(0),
      { fd: btf, keyTypeId: BTF_KEY_TYPE_ID, valueTypeId: BTF_VALUE_TYPE_ID },
    );
    closeFd(client.ffi, btf);
    if (fd < 0) {
      throw kernelError(-fd, `BPF_MAP_CREATE sk_storage value_size ${valueSize}`);
    }
    return [client, fd];
  }

  /**
   * The socket's fd as the key (`int`).
   *
   * @param socket The socket's fd.
   */
  protected loadKey(socket: number): void {
    this.#i32[0] = socket;
  }

  /**
   * BPF_MAP_GET_NEXT_KEY from the start (the kernel has no walk of socket storage).
   *
   * @returns `-errno` (`-ENOTSUPP`, 524).
   */
  firstKey(): number {
    this.checkOpen();
    return this.client.getNextKey(this.fd, true);
  }
}
