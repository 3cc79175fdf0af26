/**
 * A kernel `BPF_MAP_TYPE_HASH` whose value type, in the map's BTF, holds a `struct
 * bpf_spin_lock` (the one thing that makes the kernel accept `BPF_F_LOCK` on it): the BTF, built
 * by hand, its creation, and the element commands answering `0` or `-errno` as the kernel does.
 * It is the oracle of the shared maps' `F_LOCK`, not a `Store` (`BpfMap` creates maps without
 * BTF), so the package does not export it.
 *
 * @module
 */

import { StoreError } from "@kvkit/store";
import { closeFd, loadFfi } from "./_ffi.ts";
import { BpfClient, F_NO_PREALLOC, MapTypeId } from "./_client.ts";
import { btfBlob, btfInfo, btfNameOffsets, KIND_ARRAY, KIND_INT, KIND_STRUCT } from "./_btf.ts";
import { kernelError } from "./_errno.ts";
import { KernelElements } from "./_kernel_elements.ts";

/** Bytes of `struct bpf_spin_lock` (one `__u32`), at offset 0 of the value. */
export const SPIN_LOCK_SIZE = 4;

// The type ids of the blob below (id 0 is void).
/** The BTF type id of the key: `unsigned char[keySize]`. */
export const LOCKED_KEY_TYPE_ID = 3;
/**
 * The BTF type id of the value: `struct value { struct bpf_spin_lock l; unsigned int
 * data[n]; }`, or, without the lock, `struct value { unsigned int head; unsigned int data[n];
 * }` (the same bytes, no lock).
 */
export const LOCKED_VALUE_TYPE_ID = 6;

/**
 * The raw BTF of a HASH map with `keySize`-byte keys and `valueSize`-byte values:
 * `[1] unsigned int`, `[2] unsigned char`, `[3] unsigned char[keySize]`,
 * `[4] struct bpf_spin_lock { unsigned int val; }`, `[5] unsigned int[n]` and
 * `[6] struct value` (see {@linkcode LOCKED_VALUE_TYPE_ID}), `n = (valueSize - 4) / 4`.
 *
 * @param keySize Key bytes.
 * @param valueSize Value bytes: 4 (the lock, or `head`) and 4 per data word, at least 8.
 * @param spinLock Whether the value's first member is a `struct bpf_spin_lock` (else a plain
 * `unsigned int head`, for the kernel's answer to `BPF_F_LOCK` without a lock).
 * @returns The blob, as BTF_LOAD takes it.
 */
export function lockedHashBtf(keySize: number, valueSize: number, spinLock = true): Uint8Array {
  if (valueSize < 8 || valueSize % 4 !== 0) {
    throw new StoreError("EINVAL", `value size ${valueSize} is not 4 + 4n bytes (n >= 1)`);
  }
  const strings = [
    "",
    "unsigned int",
    "unsigned char",
    "bpf_spin_lock",
    "val",
    "value",
    spinLock ? "l" : "head",
    "data",
  ];
  const offsets = btfNameOffsets(strings);
  const [, uintName, ucharName, lockName, valName, valueName, headName, dataName] = offsets as [
    number,
    ...number[],
  ];
  const words = (valueSize - SPIN_LOCK_SIZE) / 4;
  const types = [
    // [1] unsigned int: size 4, no encoding, offset 0, 32 bits.
    uintName!,
    btfInfo(KIND_INT, 0),
    4,
    32,
    // [2] unsigned char: size 1, 8 bits.
    ucharName!,
    btfInfo(KIND_INT, 0),
    1,
    8,
    // [3] unsigned char[keySize]: element type 2, index type 1.
    0,
    btfInfo(KIND_ARRAY, 0),
    0,
    2,
    1,
    keySize,
    // [4] struct bpf_spin_lock (size 4) { val: type 1, bit offset 0 }: the kernel knows the
    // lock by this name and size.
    lockName!,
    btfInfo(KIND_STRUCT, 1),
    SPIN_LOCK_SIZE,
    valName!,
    1,
    0,
    // [5] unsigned int[words].
    0,
    btfInfo(KIND_ARRAY, 0),
    0,
    1,
    1,
    words,
    // [6] struct value (size valueSize) { l (type 4) or head (type 1) at bit 0; data (type 5)
    // at bit 32 }.
    valueName!,
    btfInfo(KIND_STRUCT, 2),
    valueSize,
    headName!,
    spinLock ? 4 : 1,
    0,
    dataName!,
    5,
    SPIN_LOCK_SIZE * 8,
  ];
  return btfBlob(types, strings);
}

/** Options of a {@linkcode KernelLockedHash}. */
export interface KernelLockedHashOptions {
  /** Key bytes. */
  keySize: number;
  /** Value bytes, 4 + 4n: the lock (or a plain word, see `spinLock`) and n data words. */
  valueSize: number;
  /** `max_entries`. */
  maxEntries: number;
  /** `BPF_F_NO_PREALLOC` (default `false`). */
  noPrealloc?: boolean;
  /**
   * Whether the value's BTF holds the `struct bpf_spin_lock` (default `true`); `false` gives the
   * same bytes as a plain struct, a map the kernel refuses `BPF_F_LOCK` on.
   */
  spinLock?: boolean;
}

/**
 * A kernel HASH map created with BTF (key `unsigned char[keySize]`, value `struct value`, see
 * {@linkcode lockedHashBtf}). The element commands answer `0` or `-errno` as the kernel does:
 * no check of ours comes first, so every answer is the kernel's.
 */
export class KernelLockedHash extends KernelElements<Uint8Array> {
  /** Key bytes. */
  readonly keySize: number;

  /**
   * Loads the BTF, creates the map, and closes the BTF's fd (the map keeps its own reference).
   *
   * @param options Sizes, `max_entries`, preallocation, and whether the value has the lock.
   * @throws {StoreError} The kernel's errno, as `BpfMap` does (`EOPNOTSUPP` / `EPERM` without
   * FFI or privilege).
   */
  constructor(options: KernelLockedHashOptions) {
    const [client, fd] = KernelLockedHash.#create(options);
    super(client, fd, options.valueSize, "locked hash map");
    this.keySize = options.keySize;
  }

  static #create(options: KernelLockedHashOptions): [BpfClient, number] {
    const { keySize, valueSize, maxEntries } = options;
    const blob = lockedHashBtf(keySize, valueSize, options.spinLock ?? true);
    const client = new BpfClient(loadFfi(), keySize, valueSize);
    const btf = client.loadBtf(blob);
    if (btf < 0) {
      throw kernelError(-btf, `BPF_BTF_LOAD of a ${keySize}/${valueSize} B locked hash value`);
    }
    const fd = client.create(
      MapTypeId.hash,
      keySize,
      valueSize,
      maxEntries,
      options.noPrealloc === true ? F_NO_PREALLOC : 0,
      new Uint8Array(0),
      { fd: btf, keyTypeId: LOCKED_KEY_TYPE_ID, valueTypeId: LOCKED_VALUE_TYPE_ID },
    );
    closeFd(client.ffi, btf);
    if (fd < 0) {
      throw kernelError(
        -fd,
        `BPF_MAP_CREATE hash with BTF key_size ${keySize} value_size ${valueSize} ` +
          `max_entries ${maxEntries}`,
      );
    }
    return [client, fd];
  }

  /**
   * The key's bytes.
   *
   * @param key `keySize` bytes.
   */
  protected loadKey(key: Uint8Array): void {
    if (key.length !== this.keySize) {
      throw new StoreError("EINVAL", `key of ${key.length} B, the map's are ${this.keySize} B`);
    }
    this.client.bytes.set(key, this.client.key);
  }

  /**
   * Every key, by BPF_MAP_GET_NEXT_KEY from the start (nothing writes the map during the
   * walk, so it sees every key once).
   *
   * @returns Copies of the keys, in the kernel's order.
   * @throws {StoreError} The kernel's errno, for any answer but the `ENOENT` that ends the walk.
   */
  keys(): Uint8Array[] {
    this.checkOpen();
    const c = this.client;
    const keys: Uint8Array[] = [];
    let r = c.getNextKey(this.fd, true);
    for (; r === 0; r = c.getNextKey(this.fd, false)) {
      const next = c.bytes.slice(c.nextKey, c.nextKey + this.keySize);
      keys.push(next);
      c.bytes.set(next, c.key);
    }
    if (r !== -2) throw kernelError(-r, "BPF_MAP_GET_NEXT_KEY of a locked hash map");
    return keys;
  }
}
