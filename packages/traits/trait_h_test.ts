// Replays the RFC reference traces (shared/vectors/traits/trait_h.jsonl): every return code
// and every byte of the used region after every operation must match.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { hex } from "@kvkit/internal";
import { ERRNO, isStoreError } from "@kvkit/store";
import { Traits } from "./traits.ts";

// CI clones the repository with shared/ beside its root (/work/shared next to /work/main).
const TRACES = new URL("../../../shared/vectors/traits/trait_h.jsonl", import.meta.url);

interface Line {
  op: "init" | "set" | "get" | "del";
  seed?: number;
  capacity?: number;
  key?: number;
  value?: string;
  rc: number;
  size?: number;
  bytes?: string;
}

const unhex = (s: string): Uint8Array =>
  Uint8Array.from(s.match(/../g) ?? [], (h) => parseInt(h, 16));

// The C return value of a call: 0 / a length, or the negative errno it threw.
function rc(call: () => number | void): number {
  try {
    return call() ?? 0;
  } catch (err) {
    if (!isStoreError(err)) throw err;
    return err.errno;
  }
}

describe("trait.h reference traces", () => {
  it("reproduces every return code and used region byte for byte", () => {
    // Fails (does not skip) when the vectors are missing.
    const lines = readFileSync(TRACES, "utf8").split("\n").filter((l) => l.trim() !== "")
      .map((l) => JSON.parse(l) as Line);
    assert.ok(lines.length > 1000, `only ${lines.length} trace lines`);
    let traits: Traits | undefined;
    let traces = 0, ops = 0;
    for (const [n, line] of lines.entries()) {
      const where = `line ${n + 1} (${JSON.stringify(line)})`;
      if (line.op === "init") {
        traces++;
        const area = new Uint8Array(line.capacity!).fill(0xa5); // stale bytes must not leak
        assert.equal(rc(() => void (traits = Traits.init(area))), line.rc, where);
        if (line.rc !== 0) traits = undefined;
        assert.equal(line.rc === ERRNO.ENOMEM, line.capacity! < 16, where);
        continue;
      }
      assert.ok(traits !== undefined, `${where}: operation without a store`);
      const t = traits;
      ops++;
      if (line.op === "set") {
        assert.equal(rc(() => t.set(line.key!, unhex(line.value!))), line.rc, where);
      } else if (line.op === "get") {
        const out = new Uint8Array(line.capacity!);
        const got = rc(() => t.get(line.key!, out));
        assert.equal(got, line.rc, where);
        assert.equal(got > 0 ? hex(out.subarray(0, got)) : "", line.value, where);
      } else {
        assert.equal(rc(() => t.delete(line.key!)), line.rc, where);
      }
      assert.equal(t.usedSize, line.size, where);
      assert.equal(hex(t.bytes()), line.bytes, where);
    }
    assert.ok(traces >= 40 && ops > 5000, `${traces} traces, ${ops} operations`);
  });
});
