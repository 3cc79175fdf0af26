import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { getBackend, listBackends, loadBackend, openStore } from "@kvkit/backends";
import { StoreError } from "@kvkit/store";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

describe("catalog", () => {
  it("lists every built-in with a one-line summary, sorted by name", () => {
    const list = listBackends();
    assert.ok(list.some((b) => b.name === "map"));
    for (const b of list) assert.ok(b.summary.length > 0 && !b.summary.includes("\n"), b.name);
    assert.deepEqual(list.map((b) => b.name), list.map((b) => b.name).sort());
  });

  it("opens a built-in by name with options; bad options are EINVAL", () => {
    const store = openStore("map", { keySize: 2, valueSize: 3, maxEntries: 5 });
    assert.equal(store.backend, "map");
    assert.equal(store.capabilities.maxEntries, 5);
    assert.throws(() => openStore("map", { keySize: 0 }), { code: "EINVAL" });
  });

  it("rejects an unknown name with the list of known names", () => {
    assert.throws(() => getBackend("nope"), (err: unknown) => {
      assert.ok(err instanceof StoreError);
      assert.equal(err.code, "EINVAL");
      for (const { name } of listBackends()) assert.match(err.message, new RegExp(name));
      return true;
    });
  });

  it("loads built-ins and plugins by path, relative to a base or the working directory", async () => {
    assert.equal(await loadBackend("map"), getBackend("map"));
    const byBase = await loadBackend(
      "../../examples/plugins/sorted_array_store.ts",
      import.meta.url,
    );
    assert.equal(byBase.name, "sorted-array");
    const byCwd = await loadBackend("./examples/plugins/sorted_array_store.ts");
    assert.equal(byCwd, byBase);
    const byUrl = await loadBackend(
      new URL("../../examples/plugins/sorted_array_store.ts", import.meta.url).href,
    );
    assert.equal(byUrl, byBase);
  });

  it("loads every store package by its name as a plugin: its `backend` is the catalog's", async () => {
    for (const name of ["htab", "rhash", "qptrie", "traits", "uptr-kv", "sk-storage"]) {
      assert.equal(await loadBackend(`@kvkit/${name}`), getBackend(name), name);
    }
  });

  it("rejects unknown names, missing modules and modules without a backend", async () => {
    await assert.rejects(loadBackend("no-such-backend"), /known backends/);
    await assert.rejects(loadBackend("./no/such/file.ts"), { code: "EINVAL" });
    await assert.rejects(
      loadBackend("./testdata/not_a_plugin.ts", import.meta.url),
      /does not export a 'backend'/,
    );
  });

  it("takes a directory path as base, and paths with URL-special characters", async () => {
    const dir = fileURLToPath(new URL("../../examples/plugins", import.meta.url));
    assert.equal((await loadBackend("./sorted_array_store.ts", dir)).name, "sorted-array");
    const odd = mkdtempSync(join(tmpdir(), "kvkit # "));
    try {
      const file = join(odd, "plugin.ts");
      writeFileSync(file, `export const backend = { name: "odd", summary: "s", create() {} };`);
      assert.equal((await loadBackend(file)).name, "odd");
      assert.equal((await loadBackend("./plugin.ts", odd)).name, "odd");
    } finally {
      rmSync(odd, { recursive: true });
    }
  });

  it("reads a Windows absolute path as a file, not as a URL scheme", async () => {
    await assert.rejects(loadBackend("C:\\plugins\\store.ts"), (err: Error) => {
      assert.match(err.message, /cannot load plugin/);
      assert.doesNotMatch(err.message, /Unsupported scheme "c"/i);
      return true;
    });
  });
});
