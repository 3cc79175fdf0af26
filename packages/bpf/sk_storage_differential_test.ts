// The kernel as the oracle of @kvkit/sk-storage: random sequences of get (with and without
// F_CREATE), update with every flag, delete, and socket close/reopen, applied to a kernel
// BPF_MAP_TYPE_SK_STORAGE map keyed by real sockets (connected TCP to 127.0.0.1, UDP, Unix)
// and to an SkStorageMap over an OwnerTable side by side; every result, errno and the values
// held after every op must agree. A mismatch fails with fast-check's shrunk counterexample.
//
// The two models differ in kind, so each side's terms are mapped explicitly (MAPPING below):
//
// | kernel (user space, bpf(2))                          | SkStorageMap                         |
// | ---------------------------------------------------- | ------------------------------------ |
// | an open socket's fd                                  | a live owner id                      |
// | close(2) of the socket (frees its storage)           | destroyOwner (frees its values)      |
// | a new socket (at the same fd number, by dup2)        | createOwner (a new id)               |
// | the closed fd: EBADF                                 | the stale id: ENOENT                 |
// | a fd that is no socket (the map's own): ENOTSOCK     | an id of no table (-1): EINVAL       |
// | LOOKUP_ELEM, flags 0                                 | get(owner)                           |
// | bpf_sk_storage_get(F_CREATE), a BPF helper: lookup,  | get(owner, F_CREATE, init)           |
// |   on ENOENT UPDATE_ELEM(init, NOEXIST), then lookup  |                                      |
// | LOOKUP_ELEM with other flags (2, F_LOCK): EINVAL     | get with other flags: EINVAL         |
// | UPDATE_ELEM(flags), DELETE_ELEM (ENOENT when none)   | set(flags), delete (false when none) |
//
// Where the two are known to differ, KNOWN_DIVERGENCES says so, and each entry is checked to
// still hold (an entry that stops diverging fails, so the list only shrinks).

import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { F_CREATE, OwnerTable, SkStorageMap } from "@kvkit/sk-storage";
import { isStoreError, StoreError } from "@kvkit/store";
import { KernelSkStorage } from "./_sk_storage.ts";
import { loadFfi } from "./_ffi.ts";
import { fdCount, runs, SKIP } from "./testdata/support.ts";

const RUNS = runs(300);
const VALUE_SIZE = 8;

/** The sockets of a run, by kind; a slot past the last is the non-socket fd. */
const KINDS = ["tcp", "tcp", "udp", "unix"] as const;
const SLOTS = KINDS.length;
const NOT_A_SOCKET = SLOTS;

/** One generated operation on slot `s` (0..SLOTS-1 a socket, SLOTS the non-socket). */
type Op =
  | { op: "get"; s: number; flags: number; v: number }
  | { op: "set"; s: number; v: number; flags: number }
  | { op: "delete"; s: number }
  | { op: "close"; s: number }
  | { op: "open"; s: number };

/** The part of SkStorageMap the differential drives (a wrong model replaces some of it). */
interface Model {
  get(owner: number, flags?: number, init?: Uint8Array): Uint8Array | undefined;
  set(owner: number, value: Uint8Array, flags?: number): void;
  delete(owner: number): boolean;
  readonly size: number;
}

/**
 * Where the model and the kernel are known to differ: the ops each entry covers and the
 * outcome each side gives there (in the common terms of `MAPPING`).
 */
const KNOWN_DIVERGENCES: readonly {
  id: string;
  covers: (op: Op, target: Target) => boolean;
  kernel: RegExp;
  model: RegExp;
}[] = [
  {
    // The kernel looks the socket up (sockfd_lookup) before bpf_local_storage_update checks the
    // flags; SkStorageMap.set checks the flags first, as every kvkit store does (checkFlags).
    id: "update flags 3 on a closed or non-socket fd: the kernel judges the fd first",
    covers: (op, target) => op.op === "set" && op.flags === 3 && target !== "open",
    kernel: /^error (ENOENT\/closed|EINVAL\/not-a-socket)$/,
    model: /^error EINVAL$/,
  },
];

/** What a slot is when an op runs. */
type Target = "open" | "closed" | "not-a-socket";

// The kernel's errnos seen here, by number.
const ERRNO_NAMES: Record<number, string> = {
  2: "ENOENT",
  7: "E2BIG",
  9: "EBADF",
  12: "ENOMEM",
  17: "EEXIST",
  22: "EINVAL",
  88: "ENOTSOCK",
  524: "ENOTSUPP",
};

/**
 * Each side's answers in common terms: a kernel errno, or a model error, becomes one text.
 * EBADF (a closed fd) is the model's ENOENT for a stale owner id, ENOTSOCK (not a socket) its
 * EINVAL for an id of no table; both say so ("/closed", "/not-a-socket"), so neither is
 * mistaken for the plain ENOENT of an absent value or EINVAL of bad flags.
 */
const MAPPING = {
  kernel(errno: number): string {
    if (errno === 9) return "error ENOENT/closed";
    if (errno === 88) return "error EINVAL/not-a-socket";
    return `error ${ERRNO_NAMES[errno] ?? `errno ${errno}`}`;
  },
  model(err: unknown): string {
    if (!isStoreError(err)) throw err;
    if (err.code === "ENOENT" && /stale id/.test(err.message)) return "error ENOENT/closed";
    if (err.code === "EINVAL" && /is not an id of this table/.test(err.message)) {
      return "error EINVAL/not-a-socket";
    }
    return `error ${err.code}`;
  },
};

const hex = (b: Uint8Array): string =>
  Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
const poolValue = (v: number): Uint8Array =>
  new Uint8Array(VALUE_SIZE).map((_, i) => v * 16 + i + 1);

// x86_64 syscall numbers and constants for the sockets.
const NR = { close: 3, dup2: 33, socket: 41, connect: 42, accept4: 288, bind: 49, listen: 50 };
const NR_GETSOCKNAME = 51;
const NR_FCNTL = 72;
const AF_UNIX = 1;
const AF_INET = 2;
const SOCK_STREAM = 1;
const SOCK_DGRAM = 2;
const SOCK_NONBLOCK = 0o4000;
const SOCK_CLOEXEC = 0o2000000;
const EAGAIN = 11;

/**
 * Real sockets at fixed fd numbers: slot i is always fd `base + i`, so a closed slot's fd is
 * closed (EBADF) rather than reused by the next socket the kernel hands out (it takes the
 * lowest free number). TCP slots connect to a listener on 127.0.0.1, which accepts and closes
 * its end at once (so its queue never fills).
 */
class Sockets {
  readonly base: number;
  readonly #ffi = loadFfi();
  // struct sockaddr_in (16 bytes) and a socklen_t after it.
  readonly #addr = new Uint8Array(new ArrayBuffer(24));
  readonly #listener: number;
  readonly open: boolean[] = new Array(SLOTS).fill(false);

  constructor() {
    const ffi = this.#ffi;
    this.base = Sockets.#freeRange();
    this.#listener = this.#check(
      ffi.syscall(NR.socket, AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, 0, 0),
      "socket",
    );
    try {
      const a = this.#addr;
      a.set([AF_INET, 0, 0, 0, 127, 0, 0, 1]);
      const at = ffi.addressOf(a);
      this.#check(ffi.syscall(NR.bind, this.#listener, at, 16, 0, 0), "bind 127.0.0.1:0");
      this.#check(ffi.syscall(NR.listen, this.#listener, 8, 0, 0, 0), "listen");
      new DataView(a.buffer).setUint32(16, 16, true);
      this.#check(ffi.syscall(NR_GETSOCKNAME, this.#listener, at, at + 16, 0, 0), "getsockname");
    } catch (err) {
      ffi.syscall(NR.close, this.#listener, 0, 0, 0, 0);
      throw err;
    }
  }

  // The lowest 8 consecutive closed fds from 512 (fcntl F_GETFD fails with EBADF on each).
  static #freeRange(): number {
    const ffi = loadFfi();
    for (let base = 512; base < 4000; base += 8) {
      let free = true;
      for (let fd = base; fd < base + 8 && free; fd++) {
        free = ffi.syscall(NR_FCNTL, fd, 1, 0, 0, 0) < 0;
      }
      if (free) return base;
    }
    throw new Error("no free fd range below 4000");
  }

  #check(r: number, what: string): number {
    if (r < 0) throw new Error(`${what}: errno ${this.#ffi.errno()}`);
    return r;
  }

  /** A new socket of slot `s`'s kind at fd `base + s`. */
  openSlot(s: number): void {
    const ffi = this.#ffi;
    const kind = KINDS[s]!;
    const fd = this.#check(
      ffi.syscall(
        NR.socket,
        kind === "unix" ? AF_UNIX : AF_INET,
        (kind === "udp" ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC,
        0,
        0,
        0,
      ),
      `socket (${kind})`,
    );
    try {
      if (kind === "tcp") {
        const at = ffi.addressOf(this.#addr);
        this.#check(ffi.syscall(NR.connect, fd, at, 16, 0, 0), "connect to 127.0.0.1");
        // Loopback completes the handshake within connect; a few retries cover the rest.
        for (let tries = 0; tries < 1000; tries++) {
          const peer = ffi.syscall(NR.accept4, this.#listener, 0, 0, SOCK_CLOEXEC, 0);
          if (peer >= 0) {
            ffi.syscall(NR.close, peer, 0, 0, 0, 0);
            break;
          }
          if (ffi.errno() !== EAGAIN) throw new Error(`accept4: errno ${ffi.errno()}`);
        }
      }
      this.#check(ffi.syscall(NR.dup2, fd, this.base + s, 0, 0, 0), "dup2");
    } finally {
      ffi.syscall(NR.close, fd, 0, 0, 0, 0);
    }
    this.open[s] = true;
  }

  /** Closes slot `s`'s socket (its fd number stays closed). */
  closeSlot(s: number): void {
    this.#check(this.#ffi.syscall(NR.close, this.base + s, 0, 0, 0, 0), "close");
    this.open[s] = false;
  }

  /** Closes every socket and the listener. */
  closeAll(): void {
    for (let s = 0; s < SLOTS; s++) if (this.open[s]) this.closeSlot(s);
    this.#ffi.syscall(NR.close, this.#listener, 0, 0, 0, 0);
  }
}

// One side's answer: f's text, or its error in common terms.
function modelOutcome(f: () => string): string {
  try {
    return f();
  } catch (err) {
    return MAPPING.model(err);
  }
}

/** Results compared, over every run of this file (for the report). */
const compared = { results: 0, maps: 0 };

/**
 * Applies `ops` to a kernel SK_STORAGE map over real sockets and to `makeModel(table)` side by
 * side, and throws, with a readable repro, at the first difference. Every slot starts open.
 */
function runSequence(
  ops: readonly Op[],
  makeModel: (table: OwnerTable) => Model = (table) =>
    new SkStorageMap(table, { valueSize: VALUE_SIZE }),
): void {
  const map = new KernelSkStorage(VALUE_SIZE);
  const sockets = new Sockets();
  compared.maps++;
  try {
    const table = new OwnerTable({ owners: SLOTS, inlineBytes: VALUE_SIZE });
    const model = makeModel(table);
    const owners: number[] = [];
    for (let s = 0; s < SLOTS; s++) {
      sockets.openSlot(s);
      owners.push(table.createOwner());
    }
    const fdOf = (s: number): number => (s === NOT_A_SOCKET ? map.fd : sockets.base + s);
    const ownerOf = (s: number): number => (s === NOT_A_SOCKET ? -1 : owners[s]!);
    const out = new Uint8Array(VALUE_SIZE);
    const lookup = (fd: number, flags: number): string => {
      const r = map.lookup(fd, out, flags);
      return r === 0 ? hex(out) : r === -2 ? "absent" : MAPPING.kernel(-r);
    };
    const done: string[] = [];
    const fail = (what: string, k: string, m: string): never => {
      throw new Error(
        `SkStorageMap differs from the kernel's SK_STORAGE at ${what}\n  kernel: ${k}\n` +
          `  model:  ${m}\nrepro (every socket slot open at the start):\n  ${
            [...done, what].join("\n  ")
          }`,
      );
    };
    for (const op of ops) {
      const what = JSON.stringify(op);
      const target: Target = op.s === NOT_A_SOCKET
        ? "not-a-socket"
        : sockets.open[op.s]
        ? "open"
        : "closed";
      const fd = fdOf(op.s);
      const owner = ownerOf(op.s);
      let k: string;
      let m: string;
      switch (op.op) {
        case "get": {
          const init = poolValue(op.v);
          if (op.flags === F_CREATE) {
            // bpf_sk_storage_get(F_CREATE) as the helper does it: a miss creates with NOEXIST.
            k = lookup(fd, 0);
            if (k === "absent") {
              const r = map.update(fd, init, 1);
              k = r === 0 ? lookup(fd, 0) : MAPPING.kernel(-r);
            }
          } else {
            k = lookup(fd, op.flags);
          }
          m = modelOutcome(() => {
            const v = op.flags === F_CREATE
              ? model.get(owner, op.flags, init)
              : model.get(owner, op.flags);
            return v === undefined ? "absent" : hex(v);
          });
          break;
        }
        case "set": {
          const r = map.update(fd, poolValue(op.v), op.flags);
          k = r === 0 ? "ok" : MAPPING.kernel(-r);
          m = modelOutcome(() => (model.set(owner, poolValue(op.v), op.flags), "ok"));
          break;
        }
        case "delete": {
          const r = map.delete(fd);
          k = r === 0 ? "true" : r === -2 ? "false" : MAPPING.kernel(-r);
          m = modelOutcome(() => String(model.delete(owner)));
          break;
        }
        case "close":
        case "open": {
          // Lifecycle, not a map op: the same on both sides by construction (a socket closed
          // is an owner destroyed), its effect checked by the contents below.
          if (op.s === NOT_A_SOCKET || (op.op === "open") === (target === "open")) {
            k = m = "nothing to do";
          } else if (op.op === "close") {
            sockets.closeSlot(op.s);
            table.destroyOwner(owner);
            k = m = "closed";
          } else {
            sockets.openSlot(op.s);
            owners[op.s] = table.createOwner();
            k = m = "opened";
          }
          break;
        }
      }
      compared.results++;
      const known = KNOWN_DIVERGENCES.find((d) => d.covers(op, target));
      if (known !== undefined) {
        if (!known.kernel.test(k) || !known.model.test(m)) {
          fail(`${what} (known divergence "${known.id}" no longer as listed)`, k, m);
        }
      } else if (k !== m) {
        fail(`${what} (slot ${target})`, k, m);
      }
      done.push(what);
      // The values held: every open socket's, and how many there are.
      const held = (get: (s: number) => string) =>
        Array.from({ length: SLOTS }, (_, s) => (sockets.open[s] ? get(s) : "closed")).join(" ");
      const kc = held((s) => lookup(fdOf(s), 0));
      const mc = held((s) =>
        modelOutcome(() => {
          const v = model.get(ownerOf(s));
          return v === undefined ? "absent" : hex(v);
        })
      );
      if (kc !== mc) fail(`${what}, then the values held`, kc, mc);
      const present = kc.split(" ").filter((x) => x !== "closed" && x !== "absent").length;
      if (model.size !== present) {
        fail(`${what}, then the model's size`, `${present}`, `${model.size}`);
      }
    }
  } finally {
    sockets.closeAll();
    map.close();
  }
}

/** The op sequences fast-check draws: a few sockets, so values collide and fds close. */
function sequences(): fc.Arbitrary<Op[]> {
  const s = fc.oneof(
    { weight: 6, arbitrary: fc.integer({ min: 0, max: SLOTS - 1 }) },
    { weight: 1, arbitrary: fc.constant(NOT_A_SOCKET) },
  );
  const v = fc.integer({ min: 0, max: 3 });
  const op: fc.Arbitrary<Op> = fc.oneof(
    {
      weight: 4,
      arbitrary: fc.record({
        op: fc.constant("get" as const),
        s,
        flags: fc.constantFrom(0, 0, F_CREATE, F_CREATE, 2, 4),
        v,
      }),
    },
    {
      weight: 5,
      arbitrary: fc.record({
        op: fc.constant("set" as const),
        s,
        v,
        flags: fc.constantFrom(0, 0, 1, 1, 2, 2, 3, 4, 5),
      }),
    },
    { weight: 3, arbitrary: fc.record({ op: fc.constant("delete" as const), s }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant("close" as const), s }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant("open" as const), s }) },
  );
  return fc.array(op, { minLength: 1, maxLength: 60, size: "max" });
}

describe("sk-storage vs the kernel's BPF_MAP_TYPE_SK_STORAGE", { skip: SKIP }, () => {
  after(() =>
    console.log(
      `sk-storage differential: ${compared.results} results compared on ${compared.maps} ` +
        "kernel SK_STORAGE maps",
    )
  );

  it("random sequences: every result, errno and value held agree; no fd left behind", () => {
    const fds = fdCount();
    fc.assert(fc.property(sequences(), (ops) => runSequence(ops)), {
      numRuns: RUNS,
      includeErrorInReport: true,
    });
    assert.equal(fdCount(), fds);
  });

  it("the kernel's answers, as kernel.md has them, one by one", () => {
    const fds = fdCount();
    const map = new KernelSkStorage(VALUE_SIZE);
    const sockets = new Sockets();
    try {
      const v = poolValue(1);
      const out = new Uint8Array(VALUE_SIZE);
      sockets.openSlot(0);
      const fd = sockets.base;
      assert.equal(map.update(fd, v, 2), -2, "EXIST without storage: ENOENT");
      assert.equal(map.update(fd, v, 1), 0, "NOEXIST without storage: OK");
      assert.equal(map.update(fd, v, 1), -17, "NOEXIST with storage: EEXIST");
      assert.equal(map.lookup(fd, out), 0);
      assert.deepEqual(out, v);
      assert.equal(map.delete(fd), 0, "delete: OK");
      assert.equal(map.delete(fd), -2, "delete again: ENOENT");
      assert.equal(map.update(map.fd, v, 0), -88, "a non-socket fd: ENOTSOCK");
      assert.equal(map.firstKey(), -524, "no walk of socket storage: ENOTSUPP");
      sockets.closeSlot(0);
      assert.equal(map.update(fd, v, 0), -9, "a closed fd: EBADF");
    } finally {
      sockets.closeAll();
      map.close();
    }
    assert.equal(fdCount(), fds, "every socket, the BTF and the map closed");
  });

  it("every known divergence is met, and still diverges", () => {
    runSequence([
      { op: "set", s: NOT_A_SOCKET, v: 0, flags: 3 },
      { op: "close", s: 1 },
      { op: "set", s: 1, v: 0, flags: 3 },
    ]);
  });

  // fast-check's failure message for a model, from a fixed seed.
  const failure = (makeModel: (table: OwnerTable) => Model): string => {
    try {
      fc.assert(fc.property(sequences(), (ops) => runSequence(ops, makeModel)), {
        numRuns: 300,
        seed: 14,
        includeErrorInReport: true,
      });
    } catch (err) {
      return (err as Error).message;
    }
    return "";
  };
  const reproOps = (message: string): string[] =>
    message.slice(message.lastIndexOf("repro")).split("\n").filter((l) => l.startsWith("  {"));

  it("fails, with a minimal repro, on a model whose delete of nothing answers true", () => {
    const message = failure((table) => {
      const map = new SkStorageMap(table, { valueSize: VALUE_SIZE });
      return {
        get: (o, f, i) => (i === undefined ? map.get(o, f) : map.get(o, f, i)),
        set: (o, v, f) => map.set(o, v, f),
        delete: (o) => (map.delete(o), true),
        get size() {
          return map.size;
        },
      };
    });
    assert.match(message, /differs from the kernel's SK_STORAGE at \{"op":"delete","s":\d\}/);
    assert.match(message, /kernel: false\n\s+model:\s+true/);
    assert.equal(reproOps(message).length, 1, message);
  });

  it("fails, with a minimal repro, on a model whose next owner inherits a closed one's value", () => {
    // Closing a socket frees its storage; this model only forgets the closed id (stale, as it
    // should be) and hands its values to the next owner created, as if they were never freed.
    const message = failure((table) => {
      const map = new SkStorageMap(table, { valueSize: VALUE_SIZE });
      const dead = new Set<number>();
      const inherits = new Map<number, number>();
      const orphans: number[] = [];
      let fake = 2 ** 40;
      const real = (o: number): number => {
        if (dead.has(o)) throw new StoreError("ENOENT", `owner ${o} (a stale id)`);
        return inherits.get(o) ?? o;
      };
      const create = table.createOwner.bind(table);
      table.destroyOwner = (o: number) => {
        orphans.push(real(o));
        dead.add(o);
      };
      table.createOwner = () => {
        const orphan = orphans.shift();
        if (orphan === undefined) return create();
        inherits.set(++fake, orphan);
        return fake;
      };
      return {
        get: (o, f, i) => (i === undefined ? map.get(real(o), f) : map.get(real(o), f, i)),
        set: (o, v, f) => map.set(real(o), v, f),
        delete: (o) => map.delete(real(o)),
        get size() {
          return map.size;
        },
      };
    });
    // Seen at the close (the model still counts the value) or the reopen (the new socket has
    // it), after a value was set.
    assert.match(
      message,
      /SK_STORAGE at \{"op":"(close|open)","s":\d\}, then the (values held|model's size)/,
    );
    assert.ok(reproOps(message).length <= 3, message);
  });
});
