/**
 * The bpf(2) client: `union bpf_attr` laid out in one long-lived scratch buffer (attr, key,
 * value, next key and batch cursors at fixed addresses), one method per command. Each method
 * returns the syscall's result (`>= 0`) or `-errno`, and allocates nothing; the caller reads
 * what the kernel wrote from {@linkcode BpfClient.bytes} at the offsets below.
 *
 * Field offsets follow include/uapi/linux/bpf.h (x86_64, little-endian).
 *
 * @module
 */

import type { Ffi } from "./_ffi.ts";

/** `__NR_bpf` on x86_64. */
export const NR_BPF = 321;

/** bpf(2) commands (`enum bpf_cmd`). */
export const Cmd = {
  MAP_CREATE: 0,
  MAP_LOOKUP_ELEM: 1,
  MAP_UPDATE_ELEM: 2,
  MAP_DELETE_ELEM: 3,
  MAP_GET_NEXT_KEY: 4,
  OBJ_PIN: 6,
  OBJ_GET: 7,
  OBJ_GET_INFO_BY_FD: 15,
  BTF_LOAD: 18,
  MAP_LOOKUP_AND_DELETE_ELEM: 21,
  MAP_LOOKUP_BATCH: 24,
  MAP_LOOKUP_AND_DELETE_BATCH: 25,
} as const;

/** Map types (`enum bpf_map_type`) this package opens. */
export const MapTypeId = {
  hash: 1,
  array: 2,
  lru_hash: 9,
  lpm_trie: 11,
} as const;

/**
 * `BPF_MAP_TYPE_SK_STORAGE`: per-socket storage, keyed by a socket fd from user space. Not in
 * {@linkcode MapTypeId}: it needs BTF and is no `Store` (see `_sk_storage.ts`).
 */
export const MAP_TYPE_SK_STORAGE = 24;

/** `BPF_F_NO_PREALLOC`: allocate elements on update (required by LPM_TRIE). */
export const F_NO_PREALLOC = 1;
/** `BPF_F_ZERO_SEED`: hash with seed 0, so the layout is reproducible. */
export const F_ZERO_SEED = 1 << 6;
/** `BPF_OBJ_NAME_LEN`: map names are at most 15 bytes and a NUL. */
export const OBJ_NAME_LEN = 16;

// The bytes of `union bpf_attr` passed to every command; the kernel reads min(this, its size)
// and requires every byte past the command's last field to be zero.
const ATTR_SIZE = 128;

// MAP_CREATE
const CREATE_MAP_TYPE = 0;
const CREATE_KEY_SIZE = 4;
const CREATE_VALUE_SIZE = 8;
const CREATE_MAX_ENTRIES = 12;
const CREATE_MAP_FLAGS = 16;
const CREATE_MAP_NAME = 28;
const CREATE_BTF_FD = 48;
const CREATE_BTF_KEY_TYPE_ID = 52;
const CREATE_BTF_VALUE_TYPE_ID = 56;
// Through btf_vmlinux_value_type_id (zero), so a map with BTF is laid out whole.
const CREATE_END = 64;
// BTF_LOAD: btf u64, btf_log_buf u64, btf_size u32, btf_log_size u32, btf_log_level u32.
const BTF_DATA = 0;
const BTF_SIZE = 16;
const BTF_END = 28;
// *_ELEM and GET_NEXT_KEY: map_fd u32, key u64, value (or next_key) u64, flags u64.
const ELEM_MAP_FD = 0;
const ELEM_KEY = 8;
const ELEM_VALUE = 16;
const ELEM_FLAGS = 24;
const ELEM_END = 32;
// *_BATCH: in_batch u64, out_batch u64, keys u64, values u64, count u32, map_fd u32,
// elem_flags u64, flags u64.
const BATCH_IN = 0;
const BATCH_OUT = 8;
const BATCH_KEYS = 16;
const BATCH_VALUES = 24;
/** Offset in the attr of the batch `count`, in entries asked for and entries copied out. */
export const BATCH_COUNT = 32;
const BATCH_MAP_FD = 36;
const BATCH_ELEM_FLAGS = 40;
const BATCH_FLAGS = 48;
const BATCH_END = 56;
// OBJ_PIN / OBJ_GET: pathname u64, bpf_fd u32, file_flags u32.
const OBJ_PATHNAME = 0;
const OBJ_BPF_FD = 8;
const OBJ_FILE_FLAGS = 12;
const OBJ_END = 16;
// OBJ_GET_INFO_BY_FD: bpf_fd u32, info_len u32, info u64.
const INFO_BPF_FD = 0;
const INFO_LEN = 4;
const INFO_PTR = 8;
const INFO_END = 16;

/** Offsets in `struct bpf_map_info`, as OBJ_GET_INFO_BY_FD fills it. */
export const MapInfo = {
  TYPE: 0,
  ID: 4,
  KEY_SIZE: 8,
  VALUE_SIZE: 12,
  MAX_ENTRIES: 16,
  MAP_FLAGS: 20,
  NAME: 24,
  IFINDEX: 40,
  BTF_ID: 64,
  MAP_EXTRA: 80,
  /** The bytes asked for: up to `map_extra`, which every kernel since 5.16 fills. */
  SIZE: 88,
} as const;

// Rounds up to 8 so every area (and every u64 field) is aligned.
const align8 = (n: number): number => (n + 7) & ~7;
const TWO_32 = 2 ** 32;

/**
 * One map's scratch and commands. The scratch holds, at fixed offsets: the attr, the key, the
 * value, the next key of GET_NEXT_KEY, the batch cursors, and the map info; batch keys and
 * values live in a second buffer that grows to the largest `count` asked for.
 */
export class BpfClient {
  /** The adapter calls go through. */
  readonly ffi: Ffi;
  /** The scratch: attr, key, value, next key, cursors, info. */
  readonly bytes: Uint8Array;
  /** Offset of the key the element commands read. */
  readonly key: number;
  /** Offset of the value the element commands read or write. */
  readonly value: number;
  /** Offset of the key GET_NEXT_KEY writes. */
  readonly nextKey: number;
  /** Offset of the batch cursor passed in (`in_batch`). */
  readonly inBatch: number;
  /** Offset of the batch cursor the kernel writes (`out_batch`). */
  readonly outBatch: number;
  /** Offset of `struct bpf_map_info`. */
  readonly info: number;
  /** Batch keys, `batchCapacity` × key size bytes. */
  batchKeys: Uint8Array = new Uint8Array(0);
  /** Batch values, `batchCapacity` × value size bytes. */
  batchValues: Uint8Array = new Uint8Array(0);
  /** The most entries the batch buffers hold. */
  batchCapacity = 0;
  readonly #u32: Uint32Array;
  readonly #base: number;
  readonly #keySize: number;
  readonly #valueSize: number;
  #batchKeysAt = 0;
  #batchValuesAt = 0;
  // The highest attr byte the last command wrote: the next one zeroes what it does not write.
  #dirty = ATTR_SIZE;

  /**
   * Lays out the scratch of a map with these sizes.
   *
   * @param ffi The runtime adapter.
   * @param keySize The map's key size (at least the 4 bytes of a hash batch cursor are kept).
   * @param valueSize The map's value size.
   */
  constructor(ffi: Ffi, keySize: number, valueSize: number) {
    this.ffi = ffi;
    this.#keySize = keySize;
    this.#valueSize = valueSize;
    const k = align8(Math.max(keySize, 4));
    this.key = ATTR_SIZE;
    this.value = this.key + k;
    this.nextKey = this.value + align8(valueSize);
    this.inBatch = this.nextKey + k;
    this.outBatch = this.inBatch + k;
    this.info = this.outBatch + k;
    // Buffers the kernel writes to are ArrayBuffers of their own, never bytes in the GC heap.
    this.bytes = new Uint8Array(new ArrayBuffer(this.info + MapInfo.SIZE));
    this.#u32 = new Uint32Array(this.bytes.buffer);
    this.#base = ffi.addressOf(this.bytes);
  }

  /** The batch `count` the kernel wrote back: entries copied by the last batch command. */
  get batchCount(): number {
    return this.#u32[BATCH_COUNT >>> 2]!;
  }

  /**
   * Makes the batch buffers hold at least `count` entries.
   *
   * @param count Entries.
   */
  reserveBatch(count: number): void {
    if (count <= this.batchCapacity) return;
    this.batchKeys = new Uint8Array(new ArrayBuffer(Math.max(count * this.#keySize, 8)));
    this.batchValues = new Uint8Array(new ArrayBuffer(Math.max(count * this.#valueSize, 8)));
    this.#batchKeysAt = this.ffi.addressOf(this.batchKeys);
    this.#batchValuesAt = this.ffi.addressOf(this.batchValues);
    this.batchCapacity = count;
  }

  // Writes a u32 attr field.
  #u(offset: number, v: number): void {
    this.#u32[offset >>> 2] = v;
  }

  // Writes a u64 attr field from a number below 2^53 (addresses, flags).
  #u64(offset: number, v: number): void {
    const i = offset >>> 2;
    this.#u32[i] = v % TWO_32;
    this.#u32[i + 1] = Math.floor(v / TWO_32);
  }

  // Zeroes what the previous command wrote past this one's fields, then calls bpf(2).
  #call(cmd: number, end: number): number {
    if (this.#dirty > end) this.bytes.fill(0, end, this.#dirty);
    this.#dirty = end;
    const r = this.ffi.syscall(NR_BPF, cmd, this.#base, ATTR_SIZE, 0, 0);
    return r < 0 ? -this.ffi.errno() : r;
  }

  /**
   * BPF_MAP_CREATE.
   *
   * @param type The map type id.
   * @param keySize Key bytes.
   * @param valueSize Value bytes.
   * @param maxEntries `max_entries`.
   * @param flags `map_flags`.
   * @param name The map name's bytes (at most 15).
   * @param btf The map's BTF: the fd BTF_LOAD returned and the type ids of key and value
   * (SK_STORAGE requires it); none by default.
   * @returns The new map's fd, or `-errno`.
   */
  create(
    type: number,
    keySize: number,
    valueSize: number,
    maxEntries: number,
    flags: number,
    name: Uint8Array,
    btf?: { fd: number; keyTypeId: number; valueTypeId: number },
  ): number {
    this.bytes.fill(0, 0, CREATE_END);
    this.#u(CREATE_MAP_TYPE, type);
    this.#u(CREATE_KEY_SIZE, keySize);
    this.#u(CREATE_VALUE_SIZE, valueSize);
    this.#u(CREATE_MAX_ENTRIES, maxEntries);
    this.#u(CREATE_MAP_FLAGS, flags);
    this.bytes.set(name.subarray(0, OBJ_NAME_LEN - 1), CREATE_MAP_NAME);
    if (btf !== undefined) {
      this.#u(CREATE_BTF_FD, btf.fd);
      this.#u(CREATE_BTF_KEY_TYPE_ID, btf.keyTypeId);
      this.#u(CREATE_BTF_VALUE_TYPE_ID, btf.valueTypeId);
    }
    return this.#call(Cmd.MAP_CREATE, CREATE_END);
  }

  /**
   * BPF_BTF_LOAD of a raw BTF blob (header, types, strings), without a log.
   *
   * @param blob The blob; the kernel copies it during the call.
   * @returns The BTF object's fd (close it once the maps that need it exist: they hold their
   * own reference), or `-errno`.
   */
  loadBtf(blob: Uint8Array): number {
    // A buffer of its own, so its address is stable under both runtimes.
    const data = new Uint8Array(new ArrayBuffer(blob.length));
    data.set(blob);
    this.bytes.fill(0, 0, BTF_END);
    this.#u64(BTF_DATA, this.ffi.addressOf(data));
    this.#u(BTF_SIZE, data.length);
    const r = this.#call(Cmd.BTF_LOAD, BTF_END);
    data[0] = data[0]!; // keeps `data` alive until the call has returned
    return r;
  }

  // The four fields of every element command.
  #elem(cmd: number, fd: number, key: number, value: number, flags: number): number {
    this.#u(ELEM_MAP_FD, fd);
    this.#u(ELEM_MAP_FD + 4, 0);
    this.#u64(ELEM_KEY, key === 0 ? 0 : this.#base + key);
    this.#u64(ELEM_VALUE, value === 0 ? 0 : this.#base + value);
    this.#u64(ELEM_FLAGS, flags);
    return this.#call(cmd, ELEM_END);
  }

  /**
   * BPF_MAP_LOOKUP_ELEM of the key at {@linkcode BpfClient.key} into
   * {@linkcode BpfClient.value}.
   *
   * @param fd The map fd.
   * @param flags `0` or `BPF_F_LOCK`.
   * @returns 0, or `-errno`.
   */
  lookup(fd: number, flags: number): number {
    return this.#elem(Cmd.MAP_LOOKUP_ELEM, fd, this.key, this.value, flags);
  }

  /**
   * BPF_MAP_UPDATE_ELEM of the key and value in the scratch.
   *
   * @param fd The map fd.
   * @param flags `BPF_ANY`, `BPF_NOEXIST`, `BPF_EXIST`, `BPF_F_LOCK`, or anything (the kernel
   * judges).
   * @returns 0, or `-errno`.
   */
  update(fd: number, flags: number): number {
    return this.#elem(Cmd.MAP_UPDATE_ELEM, fd, this.key, this.value, flags);
  }

  /**
   * BPF_MAP_DELETE_ELEM of the key in the scratch.
   *
   * @param fd The map fd.
   * @returns 0, or `-errno`.
   */
  delete(fd: number): number {
    return this.#elem(Cmd.MAP_DELETE_ELEM, fd, this.key, 0, 0);
  }

  /**
   * BPF_MAP_LOOKUP_AND_DELETE_ELEM of the key in the scratch, the value to the scratch.
   *
   * @param fd The map fd.
   * @param flags `0` or `BPF_F_LOCK`.
   * @returns 0, or `-errno`.
   */
  lookupAndDelete(fd: number, flags: number): number {
    return this.#elem(Cmd.MAP_LOOKUP_AND_DELETE_ELEM, fd, this.key, this.value, flags);
  }

  /**
   * BPF_MAP_GET_NEXT_KEY after the key in the scratch (or from the start), into
   * {@linkcode BpfClient.nextKey}.
   *
   * @param fd The map fd.
   * @param first Start from the first key (a NULL key).
   * @returns 0, or `-errno` (`-ENOENT` after the last key).
   */
  getNextKey(fd: number, first: boolean): number {
    return this.#elem(Cmd.MAP_GET_NEXT_KEY, fd, first ? 0 : this.key, this.nextKey, 0);
  }

  /**
   * BPF_MAP_LOOKUP_BATCH or BPF_MAP_LOOKUP_AND_DELETE_BATCH into the batch buffers; the kernel
   * writes the entries copied to {@linkcode BpfClient.batchCount} and the cursor to
   * {@linkcode BpfClient.outBatch}.
   *
   * @param fd The map fd.
   * @param remove LOOKUP_AND_DELETE_BATCH.
   * @param fromStart A NULL `in_batch` (else the cursor at {@linkcode BpfClient.inBatch}).
   * @param count Entries asked for; at most `batchCapacity` (see `reserveBatch`).
   * @param elemFlags `elem_flags`.
   * @param flags `flags`.
   * @returns 0, or `-errno` (`-ENOENT` at the end, entries possibly copied).
   */
  batch(
    fd: number,
    remove: boolean,
    fromStart: boolean,
    count: number,
    elemFlags = 0,
    flags = 0,
  ): number {
    this.#u64(BATCH_IN, fromStart ? 0 : this.#base + this.inBatch);
    this.#u64(BATCH_OUT, this.#base + this.outBatch);
    this.#u64(BATCH_KEYS, this.#batchKeysAt);
    this.#u64(BATCH_VALUES, this.#batchValuesAt);
    this.#u(BATCH_COUNT, count);
    this.#u(BATCH_MAP_FD, fd);
    this.#u64(BATCH_ELEM_FLAGS, elemFlags);
    this.#u64(BATCH_FLAGS, flags);
    return this.#call(remove ? Cmd.MAP_LOOKUP_AND_DELETE_BATCH : Cmd.MAP_LOOKUP_BATCH, BATCH_END);
  }

  // A NUL-terminated path in a buffer of its own (pins are rare: no scratch kept for them).
  #path(path: string): Uint8Array {
    const utf8 = new TextEncoder().encode(path);
    const out = new Uint8Array(utf8.length + 1);
    out.set(utf8);
    return out;
  }

  /**
   * BPF_OBJ_PIN: pins the map at a bpffs path.
   *
   * @param fd The map fd.
   * @param path A path on a mounted bpffs.
   * @returns 0, or `-errno`.
   */
  pin(fd: number, path: string): number {
    const p = this.#path(path);
    this.#u64(OBJ_PATHNAME, this.ffi.addressOf(p));
    this.#u(OBJ_BPF_FD, fd);
    this.#u(OBJ_FILE_FLAGS, 0);
    const r = this.#call(Cmd.OBJ_PIN, OBJ_END);
    p[0] = 0; // keeps `p` alive until the call has returned
    return r;
  }

  /**
   * BPF_OBJ_GET: opens the object pinned at `path`.
   *
   * @param path The pinned path.
   * @returns A new fd, or `-errno`.
   */
  objGet(path: string): number {
    const p = this.#path(path);
    this.#u64(OBJ_PATHNAME, this.ffi.addressOf(p));
    this.#u(OBJ_BPF_FD, 0);
    this.#u(OBJ_FILE_FLAGS, 0);
    const r = this.#call(Cmd.OBJ_GET, OBJ_END);
    p[0] = 0;
    return r;
  }

  /**
   * BPF_OBJ_GET_INFO_BY_FD into {@linkcode BpfClient.info} (`struct bpf_map_info`).
   *
   * @param fd The map fd.
   * @returns 0, or `-errno`.
   */
  mapInfo(fd: number): number {
    this.bytes.fill(0, this.info, this.info + MapInfo.SIZE);
    this.#u(INFO_BPF_FD, fd);
    this.#u(INFO_LEN, MapInfo.SIZE);
    this.#u64(INFO_PTR, this.#base + this.info);
    return this.#call(Cmd.OBJ_GET_INFO_BY_FD, INFO_END);
  }

  /**
   * A u32 the kernel wrote into the scratch.
   *
   * @param offset Byte offset (a multiple of 4).
   * @returns The value.
   */
  u32At(offset: number): number {
    return this.#u32[offset >>> 2]!;
  }
}
