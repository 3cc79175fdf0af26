/**
 * {@linkcode BpfMap}: a kernel BPF map (HASH, LRU_HASH, LPM_TRIE, ARRAY) as a kvkit `Store`,
 * every method one bpf(2) command.
 *
 * @module
 */

import {
  allocBytes,
  type Batch,
  type BatchOptions,
  type Capabilities,
  checkBatchCount,
  checkKey,
  checkLookup,
  checkOptions,
  checkValue,
  copyBytes,
  ERRNO,
  intOption,
  type IterateOptions,
  type Store,
  StoreBase,
  StoreError,
} from "@kvkit/store";
import { fitsKey, fitsLookup } from "@kvkit/internal";
import { closeFd, type Ffi, loadFfi, readText } from "./_ffi.ts";
import {
  BpfClient,
  F_NO_PREALLOC,
  F_ZERO_SEED,
  MapInfo,
  MapTypeId,
  OBJ_NAME_LEN,
} from "./_client.ts";
import { kernelError } from "./_errno.ts";
import { describe } from "./_describe.ts";

/** The kernel map types a {@linkcode BpfMap} opens (`BPF_MAP_TYPE_*`, lowercased). */
export type BpfMapType = "hash" | "lru_hash" | "lpm_trie" | "array";

/** Options of {@linkcode BpfMap} (BPF_MAP_CREATE's attributes, camelCased), or `pinned`. */
export interface BpfOptions {
  /** The map type (default `"hash"`). */
  mapType: BpfMapType;
  /**
   * Key bytes (default 4; 8 for `lpm_trie`: a u32 prefix length, host order, then the address).
   * The kernel sets the limits (an `array` takes only 4).
   */
  keySize: number;
  /** Value bytes (default 8). */
  valueSize: number;
  /** `max_entries` (default 1024). */
  maxEntries: number;
  /**
   * `BPF_F_NO_PREALLOC`: allocate elements on update instead of up front (default `false`;
   * `true` for `lpm_trie`, which requires it).
   */
  noPrealloc: boolean;
  /** `BPF_F_ZERO_SEED`: hash with seed 0, a reproducible layout (hash maps; default `false`). */
  zeroSeed: boolean;
  /** The map's name as `bpftool map` shows it: at most 15 of `[A-Za-z0-9_.]`. */
  name: string;
  /**
   * Open the map pinned at this bpffs path instead of creating one; its type and sizes come
   * from the kernel (BPF_OBJ_GET, then BPF_OBJ_GET_INFO_BY_FD). No other option goes with it.
   */
  pinned: string;
}

/** What BPF_OBJ_GET_INFO_BY_FD says about a map. */
export interface BpfMapInfo {
  /** `BPF_MAP_TYPE_*` number. */
  readonly type: number;
  /** The map's id, unique while it lives (`bpftool map show id N`). */
  readonly id: number;
  /** Key bytes. */
  readonly keySize: number;
  /** Value bytes. */
  readonly valueSize: number;
  /** `max_entries`. */
  readonly maxEntries: number;
  /** `map_flags` (`BPF_F_NO_PREALLOC` 1, `BPF_F_ZERO_SEED` 64, ...). */
  readonly mapFlags: number;
  /** The map's name. */
  readonly name: string;
  /** The id of the map's BTF, 0 for none. */
  readonly btfId: number;
}

/** A batch as the kernel answered it (see {@linkcode BpfMap.kernelBatch}). */
export interface KernelBatch {
  /** The keys copied, copies. */
  readonly keys: Uint8Array[];
  /** The values copied, in the order of `keys`. */
  readonly values: Uint8Array[];
  /**
   * What the kernel wrote to `out_batch` (zeros when it wrote nothing, as for `count` 0): a
   * u32 bucket index for hash maps, the last key for the others.
   */
  readonly cursor: Uint8Array;
  /** Whether the kernel answered `ENOENT`: the walk is complete. */
  readonly done: boolean;
}

// Every option name the constructor reads.
const OPTION_NAMES: readonly (keyof BpfOptions)[] = [
  "mapType",
  "keySize",
  "valueSize",
  "maxEntries",
  "noPrealloc",
  "zeroSeed",
  "name",
  "pinned",
];
const TYPE_NAMES = new Map<number, BpfMapType>(
  Object.entries(MapTypeId).map(([name, id]) => [id, name as BpfMapType]),
);
const ENOENT = -ERRNO.ENOENT;
const ENOSPC = -ERRNO.ENOSPC;
const EAGAIN = -ERRNO.EAGAIN;
// How often a whole-map walk starts over on the kernel's EAGAIN before it gives up.
const WALK_RETRIES = 8;
// Keys and values up to this length are copied by a byte loop (no temporary view).
const SMALL_COPY = 64;
// Entries a walk (size, entries, clear) asks for per batch call.
const WALK_CHUNK = 256;
// The batch cursor of hash maps: a u32 bucket index.
const BUCKET_CURSOR = 4;

// Closes the fd of a map that was dropped without close().
const finalizer: FinalizationRegistry<{ ffi: Ffi; fd: number }> | undefined =
  typeof FinalizationRegistry === "function"
    ? new FinalizationRegistry(({ ffi, fd }) => void closeFd(ffi, fd))
    : undefined;

function roundUpPow2(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

function boolOption(name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== "boolean") {
    throw new StoreError("EINVAL", `${name} ${String(value)} is not a boolean`);
  }
  return value;
}

/**
 * A kernel BPF map as a `Store`: `get`/`getInto`/`has` are BPF_MAP_LOOKUP_ELEM, `set` is
 * BPF_MAP_UPDATE_ELEM with your flags, `delete` BPF_MAP_DELETE_ELEM, `nextKey`
 * BPF_MAP_GET_NEXT_KEY, `lookupBatch` BPF_MAP_LOOKUP_(AND_DELETE_)BATCH with the kernel's own
 * cursor, and every error the kernel's errno. Needs root (CAP_BPF) and Deno with `--allow-ffi`
 * or Bun; elsewhere the constructor throws `EOPNOTSUPP` or `EPERM` saying why.
 *
 * What the contract checks in JavaScript, before any syscall: key and value lengths (the
 * kernel reads `key_size` bytes from wherever it is pointed), flags that are not u32 integers,
 * `getInto`'s room and flags, and a batch `count` below 1 (the kernel answers 0 with an empty
 * batch: {@linkcode BpfMap.kernelBatch} passes it through). Everything else is the kernel's
 * answer. The kernel keeps no count a user can read, so `size` walks the map (one batch call
 * per 256 entries).
 *
 * | operation | cost |
 * | --- | --- |
 * | get / getInto / has / set / delete / nextKey | one syscall (~1.5-2 µs) |
 * | lookupBatch | one syscall |
 * | size / clear | one syscall per 256 entries (`array`: size is free) |
 * | entries | one syscall per entry, plus one per 256 to list the keys |
 *
 * @example A kernel hash map, where root and FFI allow it
 * ```ts
 * import { BpfMap, probeBpf } from "@kvkit/bpf";
 * import { NOEXIST } from "@kvkit/store";
 * import assert from "node:assert/strict";
 *
 * if (probeBpf() === undefined) {
 *   using map = new BpfMap({ mapType: "hash", keySize: 4, valueSize: 4, maxEntries: 2 });
 *   map.set(new Uint8Array([1, 0, 0, 0]), new Uint8Array([7, 7, 7, 7]));
 *   assert.throws(() => map.set(new Uint8Array([1, 0, 0, 0]), new Uint8Array(4), NOEXIST), {
 *     code: "EEXIST",
 *   });
 *   const out = new Uint8Array(4);
 *   assert.equal(map.getInto(new Uint8Array([1, 0, 0, 0]), out), true);
 *   assert.deepEqual(out, new Uint8Array([7, 7, 7, 7]));
 * } else {
 *   assert.throws(() => new BpfMap(), { code: /EPERM|EOPNOTSUPP/ });
 * }
 * ```
 */
export class BpfMap extends StoreBase implements Store {
  /** The catalog name. */
  readonly backend = "bpf";
  /** What this map accepts. */
  readonly capabilities: Capabilities;
  /** The map type. */
  readonly mapType: BpfMapType;
  /** `map_flags` as created (or as the kernel reports them for a pinned map). */
  readonly mapFlags: number;
  readonly #keySize: number;
  readonly #valueSize: number;
  readonly #maxEntries: number;
  // The batch cursor's length: a u32 bucket for hash maps, a key for the generic batch.
  readonly #cursorSize: number;
  readonly #client: BpfClient;
  #fd: number;

  /**
   * Creates a kernel map, or opens a pinned one.
   *
   * @param options The map's type, sizes and flags, or `{ pinned: path }`.
   * @throws {StoreError} `EINVAL` for bad options (or what the kernel refuses), `EOPNOTSUPP`
   * with no FFI (Node), `EPERM` without privilege or `--allow-ffi`, `ENOENT` for a pinned path
   * that does not exist, the kernel's errno otherwise.
   */
  constructor(options?: Partial<BpfOptions>) {
    super();
    const opts = checkOptions("bpf", options, OPTION_NAMES);
    let type: BpfMapType;
    let keySize: number;
    let valueSize: number;
    let maxEntries: number;
    let flags: number;
    let fd: number;
    if (opts.pinned !== undefined) {
      const others = Object.keys(opts).filter((k) => k !== "pinned");
      if (others.length > 0) {
        throw new StoreError(
          "EINVAL",
          `bpf: a pinned map brings its own type and sizes; drop ${others.join(", ")}`,
        );
      }
      if (typeof opts.pinned !== "string" || opts.pinned === "") {
        throw new StoreError("EINVAL", `pinned ${String(opts.pinned)} is not a path`);
      }
      const boot = new BpfClient(loadFfi(), 4, 8);
      fd = boot.objGet(opts.pinned);
      if (fd < 0) throw kernelError(-fd, `BPF_OBJ_GET ${opts.pinned}`);
      const r = boot.mapInfo(fd);
      const id = boot.u32At(boot.info + MapInfo.TYPE);
      const known = TYPE_NAMES.get(id);
      if (r < 0 || known === undefined) {
        closeFd(boot.ffi, fd);
        throw r < 0 ? kernelError(-r, `BPF_OBJ_GET_INFO_BY_FD of ${opts.pinned}`) : new StoreError(
          "EOPNOTSUPP",
          `${opts.pinned} is a map of type ${id}, not one of ${
            [...TYPE_NAMES.values()].join(", ")
          }`,
        );
      }
      type = known;
      keySize = boot.u32At(boot.info + MapInfo.KEY_SIZE);
      valueSize = boot.u32At(boot.info + MapInfo.VALUE_SIZE);
      maxEntries = boot.u32At(boot.info + MapInfo.MAX_ENTRIES);
      flags = boot.u32At(boot.info + MapInfo.MAP_FLAGS);
    } else {
      type = opts.mapType ?? "hash";
      if (!TYPE_NAMES.has(MapTypeId[type])) {
        throw new StoreError(
          "EINVAL",
          `mapType ${String(type)} is not one of ${[...TYPE_NAMES.values()].join(", ")}`,
        );
      }
      const lpm = type === "lpm_trie";
      keySize = intOption("keySize", opts.keySize, lpm ? 8 : 4, 1, 0xffff_ffff);
      valueSize = intOption("valueSize", opts.valueSize, 8, 1, 0xffff_ffff);
      maxEntries = intOption("maxEntries", opts.maxEntries, 1024, 1, 0xffff_ffff);
      flags = (boolOption("noPrealloc", opts.noPrealloc, lpm) ? F_NO_PREALLOC : 0) |
        (boolOption("zeroSeed", opts.zeroSeed, false) ? F_ZERO_SEED : 0);
      let name = new Uint8Array(0);
      if (opts.name !== undefined) {
        if (typeof opts.name !== "string") throw new StoreError("EINVAL", "name is not a string");
        name = new TextEncoder().encode(opts.name);
        if (name.length >= OBJ_NAME_LEN) {
          throw new StoreError("EINVAL", `name '${opts.name}' is longer than 15 bytes`);
        }
      }
      // The scratch is laid out once the kernel has accepted the sizes (it may refuse 4 MiB keys).
      const boot = new BpfClient(loadFfi(), 4, 8);
      fd = boot.create(MapTypeId[type], keySize, valueSize, maxEntries, flags, name);
      if (fd < 0) {
        throw kernelError(
          -fd,
          `BPF_MAP_CREATE ${type} key_size ${keySize} value_size ${valueSize} max_entries ${maxEntries} map_flags ${flags}`,
        );
      }
    }
    const ffi = loadFfi();
    try {
      this.#client = new BpfClient(ffi, keySize, valueSize);
    } catch (err) {
      closeFd(ffi, fd);
      throw new StoreError(
        "ENOMEM",
        `cannot allocate the scratch of a ${keySize}/${valueSize} map: ${err}`,
      );
    }
    this.#fd = fd;
    finalizer?.register(this, { ffi, fd }, this);
    this.mapType = type;
    this.mapFlags = flags;
    this.#keySize = keySize;
    this.#valueSize = valueSize;
    this.#maxEntries = maxEntries;
    this.#cursorSize = type === "hash" || type === "lru_hash" ? BUCKET_CURSOR : keySize;
    this.capabilities = {
      keySize: { min: keySize, max: keySize },
      valueSize: { min: valueSize, max: valueSize },
      maxEntries,
      ordered: false,
      fullError: type === "lpm_trie" ? "ENOSPC" : "E2BIG",
      valueTooBig: "EINVAL",
      lock: false,
    };
  }

  /** The map's file descriptor, `-1` once closed. */
  get fd(): number {
    return this.#fd;
  }

  /**
   * For hash maps, the number of buckets (`max_entries` rounded up to a power of two): the
   * batch cursor runs over `0..bucketCount`. `undefined` for the other types.
   */
  get bucketCount(): number | undefined {
    return this.mapType === "hash" || this.mapType === "lru_hash"
      ? roundUpPow2(this.#maxEntries)
      : undefined;
  }

  /**
   * The number of entries, counted in the kernel (which keeps no count a user can read): one
   * BPF_MAP_LOOKUP_BATCH per 256 entries; an `array` always holds `maxEntries`.
   *
   * @throws {StoreError} `EBADF` once closed.
   */
  get size(): number {
    if (this.mapType === "array") return this.#maxEntries;
    let n = 0;
    this.#walkBatches(false, () => void (n += this.#client.batchCount), () => void (n = 0));
    return n;
  }

  // Runs batches from the start to the end (ENOSPC: a larger count), calling `each` after every
  // call that copied entries. The kernel may answer EAGAIN (seen rarely here, under load): the
  // walk then starts over, after `restart` (a lookup-and-delete walk just goes on from the start:
  // what it deleted is gone), a few times at most.
  #walkBatches(remove: boolean, each: () => void, restart: () => void = () => {}): void {
    const c = this.#client;
    let count = Math.min(this.#maxEntries, WALK_CHUNK);
    let first = true;
    let again = 0;
    for (;;) {
      c.reserveBatch(count);
      const r = c.batch(this.#fd, remove, first, count);
      if (r === -ENOSPC && count < this.#maxEntries) {
        count = Math.min(count * 2, this.#maxEntries);
        continue;
      }
      if (r === -EAGAIN && again++ < WALK_RETRIES) {
        restart();
        first = true;
        continue;
      }
      if (r < 0 && r !== -ENOENT) throw kernelError(-r, "BPF_MAP_LOOKUP_BATCH walk");
      if (c.batchCount > 0) each();
      if (r === -ENOENT) return;
      c.bytes.copyWithin(c.inBatch, c.outBatch, c.outBatch + this.#cursorSize);
      first = false;
    }
  }

  // For the calls whose command answers a closed fd with something else than EBADF (the hot
  // paths leave it to the kernel, which says EBADF).
  #checkOpen(): void {
    if (this.#fd < 0) throw new StoreError("EBADF", "the map is closed");
  }

  // Copies `key` into the scratch key.
  #loadKey(key: Uint8Array): void {
    const b = this.#client.bytes;
    const at = this.#client.key;
    const ks = this.#keySize;
    if (ks <= SMALL_COPY) {
      for (let i = 0; i < ks; i++) b[at + i] = key[i]!;
    } else {
      b.set(key, at);
    }
  }

  // Validates a key on the read paths: the cheap test, the full check (which throws) on failure.
  #checkKey(key: Uint8Array): void {
    if (!fitsKey(key, this.#keySize)) checkKey(this.capabilities, key);
  }

  // Copies the scratch value into `out` at `offset`.
  #readValue(out: Uint8Array, offset: number): Uint8Array {
    const b = this.#client.bytes;
    const at = this.#client.value;
    const vs = this.#valueSize;
    if (vs <= SMALL_COPY) {
      for (let i = 0; i < vs; i++) out[offset + i] = b[at + i]!;
    } else {
      out.set(b.subarray(at, at + vs), offset);
    }
    return out;
  }

  // LOOKUP_ELEM of the scratch key: whether it is present; throws what is not ENOENT.
  #lookup(): boolean {
    const r = this.#client.lookup(this.#fd, 0);
    if (r === 0) return true;
    if (r === -ENOENT) return false;
    throw kernelError(-r, "BPF_MAP_LOOKUP_ELEM");
  }

  /**
   * A copy of the value of `key` (BPF_MAP_LOOKUP_ELEM). An `lpm_trie` looks up the longest
   * prefix that matches, bounded by the key's own prefix length.
   *
   * @param key The key.
   * @returns A copy of the value, or `undefined` when absent (`ENOENT`).
   * @throws {StoreError} `EINVAL` for a wrong key length, `EBADF` once closed.
   *
   * @example Reading a value
   * ```ts
   * import { BpfMap, probeBpf } from "@kvkit/bpf";
   * import assert from "node:assert/strict";
   *
   * if (probeBpf() === undefined) {
   *   using map = new BpfMap({ keySize: 4, valueSize: 1, maxEntries: 4 });
   *   map.set(new Uint8Array(4), new Uint8Array([5]));
   *   assert.deepEqual(map.get(new Uint8Array(4)), new Uint8Array([5]));
   *   assert.equal(map.get(new Uint8Array([1, 0, 0, 0])), undefined);
   * }
   * ```
   */
  get(key: Uint8Array): Uint8Array | undefined {
    this.#checkKey(key);
    this.#loadKey(key);
    return this.#lookup() ? this.#readValue(allocBytes(this.#valueSize), 0) : undefined;
  }

  /**
   * Copies the value of `key` into `out` at `offset` (BPF_MAP_LOOKUP_ELEM into the scratch,
   * then into `out`), allocating nothing.
   *
   * @param key The key.
   * @param out Where the value goes.
   * @param offset Where in `out` it starts (default 0).
   * @param flags `0` (these maps have no spin lock: `F_LOCK` is `EINVAL`, as in the kernel).
   * @returns `true` with the value copied, `false` (`out` untouched) when absent.
   * @throws {StoreError} `EINVAL` for bad flags, a wrong key length or no room in `out`.
   *
   * @example Reading into a buffer you own
   * ```ts
   * import { BpfMap, probeBpf } from "@kvkit/bpf";
   * import assert from "node:assert/strict";
   *
   * if (probeBpf() === undefined) {
   *   using map = new BpfMap({ keySize: 4, valueSize: 2, maxEntries: 4 });
   *   map.set(new Uint8Array(4), new Uint8Array([1, 2]));
   *   const out = new Uint8Array(3);
   *   assert.equal(map.getInto(new Uint8Array(4), out, 1), true);
   *   assert.deepEqual(out, new Uint8Array([0, 1, 2]));
   * }
   * ```
   */
  override getInto(key: Uint8Array, out: Uint8Array, offset?: number, flags?: number): boolean;
  override getInto(key: Uint8Array, out: Uint8Array): boolean {
    // `offset` and `flags` from `arguments`, as in htab: declared parameters cost every
    // two-argument call V8's argument-count adaptation.
    let offset = 0;
    let flags = 0;
    if (arguments.length > 2) {
      offset = arguments[2] ?? 0;
      flags = arguments[3] ?? 0;
    }
    if (!fitsLookup(key, this.#keySize, out, offset, this.#valueSize, flags)) {
      checkLookup(this.capabilities, key, out, offset, flags);
    }
    this.#loadKey(key);
    if (!this.#lookup()) return false;
    this.#readValue(out, offset);
    return true;
  }

  /**
   * Whether `key` is present (BPF_MAP_LOOKUP_ELEM).
   *
   * @param key The key.
   * @returns `true` when present.
   * @throws {StoreError} `EINVAL` for a wrong key length.
   *
   * @example Checking for a key
   * ```ts
   * import { BpfMap, probeBpf } from "@kvkit/bpf";
   * import assert from "node:assert/strict";
   *
   * if (probeBpf() === undefined) {
   *   using map = new BpfMap({ keySize: 4, valueSize: 1, maxEntries: 4 });
   *   assert.equal(map.has(new Uint8Array(4)), false);
   * }
   * ```
   */
  has(key: Uint8Array): boolean {
    this.#checkKey(key);
    this.#loadKey(key);
    return this.#lookup();
  }

  /**
   * Creates or updates `key` (BPF_MAP_UPDATE_ELEM): the kernel judges the flags and fullness.
   *
   * @param key The key.
   * @param value The value, exactly `valueSize` bytes.
   * @param flags `ANY` (default), `NOEXIST`, `EXIST`; anything else is the kernel's `EINVAL`.
   * @throws {StoreError} `EINVAL` for a wrong length or bad flags, `EEXIST`/`ENOENT` for
   * NOEXIST/EXIST, `E2BIG` (hash, array) or `ENOSPC` (lpm_trie) when full or out of range.
   *
   * @example A full hash map refuses new keys, not updates
   * ```ts
   * import { BpfMap, probeBpf } from "@kvkit/bpf";
   * import { EXIST } from "@kvkit/store";
   * import assert from "node:assert/strict";
   *
   * if (probeBpf() === undefined) {
   *   using map = new BpfMap({ keySize: 4, valueSize: 1, maxEntries: 1 });
   *   map.set(new Uint8Array(4), new Uint8Array([1]));
   *   assert.throws(() => map.set(new Uint8Array([1, 0, 0, 0]), new Uint8Array(1)), { code: "E2BIG" });
   *   map.set(new Uint8Array(4), new Uint8Array([2]), EXIST);
   * }
   * ```
   */
  set(key: Uint8Array, value: Uint8Array, flags = 0): void {
    if (!Number.isInteger(flags) || flags < 0 || flags > 0xffff_ffff) {
      throw new StoreError("EINVAL", `bad update flags ${String(flags)}`);
    }
    if (!fitsKey(key, this.#keySize) || !fitsKey(value, this.#valueSize)) {
      checkKey(this.capabilities, key);
      checkValue(this.capabilities, value);
    }
    this.#loadKey(key);
    const c = this.#client;
    const vs = this.#valueSize;
    if (vs <= SMALL_COPY) {
      const b = c.bytes;
      const at = c.value;
      for (let i = 0; i < vs; i++) b[at + i] = value[i]!;
    } else {
      c.bytes.set(value, c.value);
    }
    const r = c.update(this.#fd, flags);
    if (r < 0) throw kernelError(-r, `BPF_MAP_UPDATE_ELEM flags ${flags}`);
  }

  /**
   * Removes `key` (BPF_MAP_DELETE_ELEM). An `array` never deletes (`EINVAL`).
   *
   * @param key The key.
   * @returns `false` when it was absent (`ENOENT`).
   * @throws {StoreError} `EINVAL` for a wrong key length, or on an `array`.
   *
   * @example Deleting twice
   * ```ts
   * import { BpfMap, probeBpf } from "@kvkit/bpf";
   * import assert from "node:assert/strict";
   *
   * if (probeBpf() === undefined) {
   *   using map = new BpfMap({ keySize: 4, valueSize: 1, maxEntries: 4 });
   *   map.set(new Uint8Array(4), new Uint8Array(1));
   *   assert.equal(map.delete(new Uint8Array(4)), true);
   *   assert.equal(map.delete(new Uint8Array(4)), false);
   * }
   * ```
   */
  delete(key: Uint8Array): boolean {
    this.#checkKey(key);
    this.#loadKey(key);
    const r = this.#client.delete(this.#fd);
    if (r === 0) return true;
    if (r === -ENOENT) return false;
    throw kernelError(-r, "BPF_MAP_DELETE_ELEM");
  }

  /**
   * Removes `key` and returns its value in one command (BPF_MAP_LOOKUP_AND_DELETE_ELEM).
   *
   * @param key The key.
   * @returns A copy of the value it had, or `undefined` when absent.
   * @throws {StoreError} `EINVAL` for a wrong key length; `ENOTSUPP` on an `lpm_trie` or
   * `array`, which the kernel does not do it for.
   *
   * @example Taking a value
   * ```ts
   * import { BpfMap, probeBpf } from "@kvkit/bpf";
   * import assert from "node:assert/strict";
   *
   * if (probeBpf() === undefined) {
   *   using map = new BpfMap({ keySize: 4, valueSize: 1, maxEntries: 4 });
   *   map.set(new Uint8Array(4), new Uint8Array([9]));
   *   assert.deepEqual(map.lookupAndDelete(new Uint8Array(4)), new Uint8Array([9]));
   *   assert.equal(map.size, 0);
   * }
   * ```
   */
  lookupAndDelete(key: Uint8Array): Uint8Array | undefined {
    this.#checkKey(key);
    this.#loadKey(key);
    const r = this.#client.lookupAndDelete(this.#fd, 0);
    if (r === -ENOENT) return undefined;
    if (r < 0) throw kernelError(-r, "BPF_MAP_LOOKUP_AND_DELETE_ELEM");
    return this.#readValue(allocBytes(this.#valueSize), 0);
  }

  /**
   * Removes every entry: LOOKUP_AND_DELETE_BATCH from the start for hash maps, GET_NEXT_KEY and
   * DELETE_ELEM for an `lpm_trie`, and for an `array` (which never deletes) zeroes every slot.
   *
   * @throws {StoreError} `EBADF` once closed.
   *
   * @example Emptying a map
   * ```ts
   * import { BpfMap, probeBpf } from "@kvkit/bpf";
   * import assert from "node:assert/strict";
   *
   * if (probeBpf() === undefined) {
   *   using map = new BpfMap({ keySize: 4, valueSize: 1, maxEntries: 4 });
   *   map.set(new Uint8Array(4), new Uint8Array(1));
   *   map.clear();
   *   assert.equal(map.size, 0);
   * }
   * ```
   */
  clear(): void {
    const c = this.#client;
    if (this.mapType === "array") {
      const b = c.bytes;
      b.fill(0, c.value, c.value + this.#valueSize);
      for (let i = 0; i < this.#maxEntries; i++) {
        b[c.key] = i & 0xff;
        b[c.key + 1] = (i >>> 8) & 0xff;
        b[c.key + 2] = (i >>> 16) & 0xff;
        b[c.key + 3] = i >>> 24;
        const r = c.update(this.#fd, 0);
        if (r < 0) throw kernelError(-r, `BPF_MAP_UPDATE_ELEM of slot ${i}`);
      }
      return;
    }
    if (this.mapType === "lpm_trie") {
      for (;;) {
        const r = c.getNextKey(this.#fd, true);
        if (r === -ENOENT) return;
        if (r < 0) throw kernelError(-r, "BPF_MAP_GET_NEXT_KEY");
        c.bytes.copyWithin(c.key, c.nextKey, c.nextKey + this.#keySize);
        const d = c.delete(this.#fd);
        if (d < 0 && d !== -ENOENT) throw kernelError(-d, "BPF_MAP_DELETE_ELEM");
      }
    }
    // From the start every time: what was deleted leaves its buckets empty.
    let count = Math.min(this.#maxEntries, WALK_CHUNK);
    for (;;) {
      c.reserveBatch(count);
      const r = c.batch(this.#fd, true, true, count);
      if (r === -ENOENT) return;
      if (r === -ENOSPC && count < this.#maxEntries) count = Math.min(count * 2, this.#maxEntries);
      else if (r < 0) throw kernelError(-r, "BPF_MAP_LOOKUP_AND_DELETE_BATCH");
    }
  }

  /**
   * The key after `key` (BPF_MAP_GET_NEXT_KEY): the first key for `undefined` or a key that is
   * not present, `undefined` after the last. Hash maps walk bucket by bucket; an `lpm_trie`
   * walks post-order (more specific prefixes first).
   *
   * @param key The previous key, or `undefined` for the first.
   * @returns A copy of the next key, or `undefined` after the last (`ENOENT`).
   * @throws {StoreError} `EINVAL` for a wrong key length.
   *
   * @example Walking every key
   * ```ts
   * import { BpfMap, probeBpf } from "@kvkit/bpf";
   * import assert from "node:assert/strict";
   *
   * if (probeBpf() === undefined) {
   *   using map = new BpfMap({ keySize: 4, valueSize: 1, maxEntries: 8 });
   *   for (let i = 0; i < 3; i++) map.set(new Uint8Array([i, 0, 0, 0]), new Uint8Array(1));
   *   let n = 0;
   *   for (let k = map.nextKey(); k !== undefined; k = map.nextKey(k)) n++;
   *   assert.equal(n, 3);
   * }
   * ```
   */
  nextKey(key?: Uint8Array): Uint8Array | undefined {
    if (key !== undefined) {
      this.#checkKey(key);
      this.#loadKey(key);
    }
    const c = this.#client;
    const r = c.getNextKey(this.#fd, key === undefined);
    if (r === -ENOENT) return undefined;
    if (r < 0) throw kernelError(-r, "BPF_MAP_GET_NEXT_KEY");
    return copyBytes(c.bytes, c.nextKey, c.nextKey + this.#keySize);
  }

  /**
   * Every entry: the keys are listed first (batches), then each is looked up as it is reached,
   * so a key deleted before its turn is not yielded and every key present throughout comes
   * exactly once, whatever the consumer deletes. Copies, or with `{ reuse: true }` one
   * `[key, value]` tuple overwritten at every step.
   *
   * @param options `reuse: true` yields the same arrays at every step.
   * @returns An iterator of `[key, value]`.
   *
   * @example Deleting while walking
   * ```ts
   * import { BpfMap, probeBpf } from "@kvkit/bpf";
   * import assert from "node:assert/strict";
   *
   * if (probeBpf() === undefined) {
   *   using map = new BpfMap({ keySize: 4, valueSize: 1, maxEntries: 8 });
   *   for (let i = 0; i < 4; i++) map.set(new Uint8Array([i, 0, 0, 0]), new Uint8Array([i]));
   *   let sum = 0;
   *   for (const [key, value] of map.entries()) sum += value[0]!, map.delete(key);
   *   assert.equal(sum, 6);
   *   assert.equal(map.size, 0);
   * }
   * ```
   */
  *entries(options?: IterateOptions): IterableIterator<[Uint8Array, Uint8Array]> {
    const ks = this.#keySize;
    const vs = this.#valueSize;
    const reuse = options?.reuse === true;
    const key = reuse ? allocBytes(ks) : undefined;
    const value = reuse ? allocBytes(vs) : undefined;
    const tuple: [Uint8Array, Uint8Array] | undefined = reuse ? [key!, value!] : undefined;
    const c = this.#client;
    let listed: Uint8Array;
    let n: number;
    if (this.mapType === "array") {
      n = this.#maxEntries;
      listed = new Uint8Array(0);
    } else {
      // The keys, listed before the first yield: the consumer's deletes cannot move the walk.
      listed = new Uint8Array(Math.min(this.#maxEntries, WALK_CHUNK) * ks);
      n = 0;
      this.#walkBatches(false, () => {
        const got = c.batchCount;
        if ((n + got) * ks > listed.length) {
          const grown = new Uint8Array(Math.max(listed.length * 2, (n + got) * ks));
          grown.set(listed.subarray(0, n * ks));
          listed = grown;
        }
        listed.set(c.batchKeys.subarray(0, got * ks), n * ks);
        n += got;
      }, () => void (n = 0));
    }
    const b = c.bytes;
    for (let i = 0; i < n; i++) {
      if (this.mapType === "array") {
        b[c.key] = i & 0xff;
        b[c.key + 1] = (i >>> 8) & 0xff;
        b[c.key + 2] = (i >>> 16) & 0xff;
        b[c.key + 3] = i >>> 24;
      } else {
        b.set(listed.subarray(i * ks, i * ks + ks), c.key);
      }
      if (!this.#lookup()) continue;
      if (tuple !== undefined) {
        for (let j = 0; j < ks; j++) key![j] = b[c.key + j]!;
        this.#readValue(value!, 0);
        yield tuple;
      } else {
        yield [copyBytes(b, c.key, c.key + ks), this.#readValue(allocBytes(vs), 0)];
      }
    }
  }

  /**
   * Up to `count` entries after `cursor` (BPF_MAP_LOOKUP_BATCH, or LOOKUP_AND_DELETE_BATCH
   * with `delete: true`), in the contract's shape: the kernel's `ENOENT` is the end (`cursor`
   * `undefined`). Hash maps copy whole buckets (cursor: a u32 bucket index); a bucket larger
   * than `count` with nothing copied yet is `ENOSPC`. `lpm_trie` and `array` use the kernel's
   * generic batch (cursor: the last key) and do not delete in batches (`ENOTSUPP`).
   *
   * @param cursor `undefined` to start, else the previous batch's cursor.
   * @param count The most entries, a positive integer (the contract's rule; see
   * {@linkcode BpfMap.kernelBatch} for the kernel's answer to 0).
   * @param options `delete: true` removes the returned entries.
   * @returns The entries and the cursor, `undefined` once the walk is complete.
   * @throws {StoreError} `EINVAL` for a bad count or cursor length, `ENOSPC` as above.
   *
   * @example Draining a map in batches
   * ```ts
   * import { BpfMap, probeBpf } from "@kvkit/bpf";
   * import assert from "node:assert/strict";
   *
   * if (probeBpf() === undefined) {
   *   using map = new BpfMap({ keySize: 4, valueSize: 1, maxEntries: 64 });
   *   for (let i = 0; i < 40; i++) map.set(new Uint8Array([i, 0, 0, 0]), new Uint8Array([i]));
   *   let cursor: Uint8Array | undefined;
   *   let seen = 0;
   *   do {
   *     const batch = map.lookupBatch(cursor, 16, { delete: true });
   *     seen += batch.keys.length;
   *     cursor = batch.cursor;
   *   } while (cursor !== undefined);
   *   assert.equal(seen, 40);
   *   assert.equal(map.size, 0);
   * }
   * ```
   */
  override lookupBatch(
    cursor: Uint8Array | undefined,
    count: number,
    options?: BatchOptions,
  ): Batch {
    checkBatchCount(count);
    const got = this.kernelBatch(cursor, count, options);
    return { keys: got.keys, values: got.values, cursor: got.done ? undefined : got.cursor };
  }

  /**
   * One batch command exactly as the kernel answers it, without the contract's checks: `count`
   * 0 is an empty batch, a hash cursor at or past the last bucket is the end, `done` tells the
   * end (`ENOENT`, entries possibly copied) from a batch that stopped early.
   *
   * @param cursor `undefined` (a NULL `in_batch`), or the cursor (4 bytes for hash maps, a key
   * for the others).
   * @param count Entries asked for, a u32.
   * @param options `delete: true` for BPF_MAP_LOOKUP_AND_DELETE_BATCH.
   * @returns What the kernel copied, wrote to `out_batch`, and whether it said `ENOENT`.
   * @throws {StoreError} `EINVAL` for a count that is not a u32 or a cursor of the wrong
   * length; the kernel's errno (`ENOSPC`, `ENOTSUPP`, ...) otherwise.
   *
   * @example Counting 0 is fine for the kernel
   * ```ts
   * import { BpfMap, probeBpf } from "@kvkit/bpf";
   * import assert from "node:assert/strict";
   *
   * if (probeBpf() === undefined) {
   *   using map = new BpfMap({ keySize: 4, valueSize: 1, maxEntries: 4 });
   *   map.set(new Uint8Array(4), new Uint8Array(1));
   *   const batch = map.kernelBatch(undefined, 0);
   *   assert.equal(batch.keys.length, 0);
   *   assert.equal(batch.done, false);
   *   assert.throws(() => map.lookupBatch(undefined, 0), { code: "EINVAL" });
   * }
   * ```
   */
  kernelBatch(
    cursor: Uint8Array | undefined,
    count: number,
    options?: BatchOptions,
  ): KernelBatch {
    if (!Number.isInteger(count) || count < 0 || count > 0xffff_ffff) {
      throw new StoreError("EINVAL", `batch count ${String(count)} is not a u32`);
    }
    const cs = this.#cursorSize;
    if (cursor !== undefined && (!(cursor instanceof Uint8Array) || cursor.length !== cs)) {
      throw new StoreError(
        "EINVAL",
        `batch cursor of length ${(cursor as Uint8Array)?.length} is not ${cs} bytes`,
      );
    }
    const remove = options?.delete === true;
    const c = this.#client;
    // The kernel never copies more than the map holds: a larger count needs no larger buffers.
    const n = Math.min(count, this.#maxEntries);
    c.reserveBatch(n);
    if (cursor !== undefined) c.bytes.set(cursor, c.inBatch);
    c.bytes.fill(0, c.outBatch, c.outBatch + cs);
    const r = c.batch(this.#fd, remove, cursor === undefined, n);
    if (r < 0 && r !== -ENOENT) {
      throw kernelError(-r, `BPF_MAP_LOOKUP${remove ? "_AND_DELETE" : ""}_BATCH count ${count}`);
    }
    const got = c.batchCount;
    const keys: Uint8Array[] = [];
    const values: Uint8Array[] = [];
    const ks = this.#keySize;
    const vs = this.#valueSize;
    for (let i = 0; i < got; i++) {
      keys.push(copyBytes(c.batchKeys, i * ks, i * ks + ks));
      values.push(copyBytes(c.batchValues, i * vs, i * vs + vs));
    }
    return {
      keys,
      values,
      cursor: copyBytes(c.bytes, c.outBatch, c.outBatch + cs),
      done: r === -ENOENT,
    };
  }

  /**
   * Pins the map at a path on a mounted bpffs (BPF_OBJ_PIN), so it outlives this process and
   * `new BpfMap({ pinned: path })` opens it again. Remove the pin by unlinking the path.
   *
   * @param path A path on a bpffs, e.g. `/sys/fs/bpf/my_map`.
   * @throws {StoreError} `EEXIST` when the path exists, `EPERM` off a bpffs, `ENOENT` for a
   * missing directory.
   *
   * @example Pinning needs a bpffs
   * ```ts
   * import { BpfMap, probeBpf } from "@kvkit/bpf";
   * import assert from "node:assert/strict";
   *
   * if (probeBpf() === undefined) {
   *   using map = new BpfMap({ keySize: 4, valueSize: 1, maxEntries: 4 });
   *   assert.throws(() => map.pin("/nonexistent-dir/map"), { code: "ENOENT" });
   * }
   * ```
   */
  pin(path: string): void {
    this.#checkOpen();
    if (typeof path !== "string" || path === "") {
      throw new StoreError("EINVAL", `pin path ${String(path)} is not a path`);
    }
    const r = this.#client.pin(this.#fd, path);
    if (r < 0) throw kernelError(-r, `BPF_OBJ_PIN ${path}`);
  }

  /**
   * What the kernel says about the map (BPF_OBJ_GET_INFO_BY_FD).
   *
   * @returns Type, id, sizes, flags, name.
   * @throws {StoreError} `EBADF` once closed.
   *
   * @example The kernel's view of a map
   * ```ts
   * import { BpfMap, probeBpf } from "@kvkit/bpf";
   * import assert from "node:assert/strict";
   *
   * if (probeBpf() === undefined) {
   *   using map = new BpfMap({ keySize: 8, valueSize: 16, maxEntries: 32, name: "demo" });
   *   const info = map.info();
   *   assert.equal(info.type, 1); // BPF_MAP_TYPE_HASH
   *   assert.deepEqual([info.keySize, info.valueSize, info.maxEntries], [8, 16, 32]);
   *   assert.equal(info.name, "demo");
   * }
   * ```
   */
  info(): BpfMapInfo {
    this.#checkOpen();
    const c = this.#client;
    const r = c.mapInfo(this.#fd);
    if (r < 0) throw kernelError(-r, "BPF_OBJ_GET_INFO_BY_FD");
    const at = c.info;
    const nameBytes = c.bytes.subarray(at + MapInfo.NAME, at + MapInfo.NAME + OBJ_NAME_LEN);
    const end = nameBytes.indexOf(0);
    return {
      type: c.u32At(at + MapInfo.TYPE),
      id: c.u32At(at + MapInfo.ID),
      keySize: c.u32At(at + MapInfo.KEY_SIZE),
      valueSize: c.u32At(at + MapInfo.VALUE_SIZE),
      maxEntries: c.u32At(at + MapInfo.MAX_ENTRIES),
      mapFlags: c.u32At(at + MapInfo.MAP_FLAGS),
      name: new TextDecoder().decode(nameBytes.subarray(0, end < 0 ? OBJ_NAME_LEN : end)),
      btfId: c.u32At(at + MapInfo.BTF_ID),
    };
  }

  /**
   * The kernel's `/proc/self/fdinfo/<fd>` of the map as name/value pairs (`memlock`,
   * `map_id`, `frozen`, ...); empty once closed.
   *
   * @returns The fields.
   *
   * @example The kernel's memory accounting
   * ```ts
   * import { BpfMap, probeBpf } from "@kvkit/bpf";
   * import assert from "node:assert/strict";
   *
   * if (probeBpf() === undefined) {
   *   using map = new BpfMap({ keySize: 4, valueSize: 4, maxEntries: 16 });
   *   const memlock = map.fdinfo().get("memlock");
   *   assert.ok(memlock === undefined || Number(memlock) > 0);
   * }
   * ```
   */
  fdinfo(): Map<string, string> {
    const out = new Map<string, string>();
    if (this.#fd < 0) return out;
    const text = readText(this.#client.ffi, `/proc/self/fdinfo/${this.#fd}`) ?? "";
    for (const line of text.split("\n")) {
      const colon = line.indexOf(":");
      if (colon > 0) out.set(line.slice(0, colon), line.slice(colon + 1).trim());
    }
    return out;
  }

  /**
   * The kernel's accounting of the map (`memlock` of its fdinfo) plus this side's scratch
   * (an estimate from the sizes if fdinfo cannot be read).
   *
   * @returns Bytes.
   *
   * @example Bytes held in the kernel and here
   * ```ts
   * import { BpfMap, probeBpf } from "@kvkit/bpf";
   * import assert from "node:assert/strict";
   *
   * if (probeBpf() === undefined) {
   *   using map = new BpfMap({ keySize: 4, valueSize: 4, maxEntries: 16 });
   *   assert.ok(map.memoryUsage() > 16 * 8);
   * }
   * ```
   */
  memoryUsage(): number {
    const c = this.#client;
    const scratch = c.bytes.byteLength + c.batchKeys.byteLength + c.batchValues.byteLength;
    const memlock = Number(this.fdinfo().get("memlock"));
    return scratch +
      (Number.isSafeInteger(memlock) && memlock > 0
        ? memlock
        : this.#maxEntries * (this.#keySize + this.#valueSize));
  }

  /**
   * Draws what the kernel says about the map (type, sizes, flags, id, memlock, buckets).
   *
   * @returns Annotated text for the explorer's `dump`.
   *
   * @example Describing a map
   * ```ts
   * import { BpfMap, probeBpf } from "@kvkit/bpf";
   * import assert from "node:assert/strict";
   *
   * if (probeBpf() === undefined) {
   *   using map = new BpfMap({ keySize: 4, valueSize: 4, maxEntries: 16 });
   *   assert.match(map.describe(), /BPF_MAP_TYPE_HASH/);
   * }
   * ```
   */
  describe(): string {
    return describe(this);
  }

  /**
   * Closes the map's fd. The map lives on while another fd or a pin holds it; this object
   * answers `EBADF` from then on. Closing twice is a no-op.
   *
   * @example Closing a map
   * ```ts
   * import { BpfMap, probeBpf } from "@kvkit/bpf";
   * import assert from "node:assert/strict";
   *
   * if (probeBpf() === undefined) {
   *   const map = new BpfMap({ keySize: 4, valueSize: 4, maxEntries: 16 });
   *   map.close();
   *   assert.throws(() => map.get(new Uint8Array(4)), { code: "EBADF" });
   * }
   * ```
   */
  override close(): void {
    if (this.#fd < 0) return;
    finalizer?.unregister(this);
    closeFd(this.#client.ffi, this.#fd);
    this.#fd = -1;
  }
}
