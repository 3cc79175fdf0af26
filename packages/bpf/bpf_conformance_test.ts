// The conformance suite on kernel maps: HASH (preallocated, BPF_F_NO_PREALLOC, zero seed, odd
// key sizes). Skipped, with one line saying why, where bpf(2) is out of reach (Node: always).
// Every map the suite opens is closed when it ends, and the fd count is back where it began.

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { runConformance } from "@kvkit/conformance";
import { bpfBackend } from "./mod.ts";
import { fdCount, SKIP, tracked } from "./testdata/support.ts";

const { backend, closeAll } = tracked(bpfBackend);

describe("bpf conformance", { skip: SKIP }, () => {
  let fds = 0;
  before(() => void (fds = fdCount()));
  after(() => {
    closeAll();
    assert.equal(fdCount(), fds, "every map the suite opened was closed");
  });
  it("opens kernel maps", () => assert.equal(backend.create({ maxEntries: 1 }).backend, "bpf"));
  if (SKIP !== false) return;
  runConformance(backend, {
    options: { mapType: "hash", keySize: 8, valueSize: 8, maxEntries: 64 },
  });
  runConformance(backend, {
    options: { mapType: "hash", keySize: 8, valueSize: 8, maxEntries: 64, noPrealloc: true },
  });
  runConformance(backend, {
    options: { mapType: "hash", keySize: 13, valueSize: 3, maxEntries: 5, zeroSeed: true },
  });
  runConformance(backend, {
    options: { mapType: "hash", keySize: 3, valueSize: 1, maxEntries: 1 },
  });
});
