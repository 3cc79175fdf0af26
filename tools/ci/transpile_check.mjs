#!/usr/bin/env node
// Proves the packages survive being handed out as JavaScript, the way JSR serves them to Node:
// every package is transpiled with TypeScript from npm (Node 20 target, `.ts` import paths
// rewritten to `.js`) into a temporary folder, with `.d.ts` beside each file, and there the
// conformance suite (on a store of each package that has one) and one example run under plain
// `node`, no tsx, with `@kvkit/*` resolved to the built packages through node_modules.
//
// Run: `node tools/ci/transpile_check.mjs` (`--keep` keeps the folder and prints its path).

import { spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));
const keep = process.argv.includes("--keep");
const tmp = mkdtempSync(join(tmpdir(), "kvkit-transpiled-"));
const out = join(tmp, "out");

// The conformance runs and the example: the Deno-only ones are left out (bpf needs FFI).
const SUITES = [
  "packages/conformance/conformance_test.ts",
  "packages/backends/map_store_conformance_test.ts",
  "packages/htab/htab_conformance_test.ts",
  "packages/qptrie/qptrie_conformance_test.ts",
  "packages/rhash/rhash_conformance_test.ts",
  "packages/sk-storage/sk_storage_conformance_test.ts",
  "packages/traits/traits_conformance_test.ts",
  "packages/uptr-kv/uptr_kv_conformance_test.ts",
];
const EXAMPLE = {
  file: "examples/qptrie_routes.ts",
  expect: /^\d+ lookups agree with a brute-force scan/m,
};

function packages() {
  return readdirSync(join(root, "packages"), { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(root, "packages", d.name, "deno.json")))
    .map((d) => {
      const dir = join(root, "packages", d.name);
      const denoJson = JSON.parse(readFileSync(join(dir, "deno.json"), "utf8"));
      const exports = typeof denoJson.exports === "string"
        ? { ".": denoJson.exports }
        : denoJson.exports;
      return { dir: d.name, name: denoJson.name, exports };
    });
}

const pkgs = packages();

// One program over every package's public entry points plus the suites and the example; `paths`
// lets tsc type-check `@kvkit/*` against the sources while the emitted imports stay bare.
const paths = {};
const files = [...SUITES, EXAMPLE.file];
for (const p of pkgs) {
  for (const [sub, file] of Object.entries(p.exports)) {
    const src = `./packages/${p.dir}/${file.replace(/^\.\//, "")}`;
    paths[sub === "." ? p.name : `${p.name}/${sub.replace(/^\.\//, "")}`] = [join(root, src)];
    files.push(src);
  }
}
const tsconfig = {
  compilerOptions: {
    target: "ES2023", // Node 20
    // Node 20 also has resizable ArrayBuffer and growable SharedArrayBuffer (uptr-kv uses them).
    lib: ["ES2023", "ES2024.ArrayBuffer", "ES2024.SharedMemory"],
    module: "NodeNext",
    moduleResolution: "NodeNext",
    types: ["node"],
    typeRoots: [join(root, "node_modules/@types")],
    rewriteRelativeImportExtensions: true,
    allowImportingTsExtensions: true,
    declaration: true,
    strict: true,
    noUncheckedIndexedAccess: true,
    exactOptionalPropertyTypes: true,
    noImplicitOverride: true,
    noFallthroughCasesInSwitch: true,
    erasableSyntaxOnly: true,
    skipLibCheck: true,
    rootDir: root,
    outDir: out,
    paths,
  },
  files: files.map((f) => join(root, f)),
};
const tsconfigPath = join(tmp, "tsconfig.json");
writeFileSync(tsconfigPath, JSON.stringify(tsconfig, null, 2));

const tsc = join(root, "node_modules/typescript/bin/tsc");
console.log(`transpiling ${pkgs.length} packages into ${out}`);
const built = spawnSync(process.execPath, [tsc, "-p", tsconfigPath], { stdio: "inherit" });
if (built.status !== 0) fail("tsc reported errors");

// node_modules of the temporary folder: each @kvkit package is its built folder with a
// package.json whose exports point at the .js files; npm dependencies link to the repository's.
const modules = join(tmp, "node_modules");
mkdirSync(join(modules, "@kvkit"), { recursive: true });
for (const p of pkgs) {
  const dir = join(out, "packages", p.dir);
  const exports = Object.fromEntries(
    Object.entries(p.exports).map(([sub, file]) => {
      const js = file.replace(/\.ts$/, ".js");
      return [sub, { types: js.replace(/\.js$/, ".d.ts"), default: js }];
    }),
  );
  writeFileSync(
    join(dir, "package.json"),
    JSON.stringify({ name: p.name, version: "0.0.0", type: "module", exports }, null, 2),
  );
  symlinkSync(dir, join(modules, p.name), "dir");
}
for (const dep of ["fast-check"]) symlinkSync(join(root, "node_modules", dep), join(modules, dep));
writeFileSync(join(tmp, "package.json"), JSON.stringify({ type: "module", private: true }));

// A consumer's view: every export loads under plain node, and type-checks through the .d.ts files
// alone (a program that only sees node_modules, not the sources).
const specifiers = pkgs.flatMap((p) =>
  Object.keys(p.exports).map((sub) => (sub === "." ? p.name : `${p.name}/${sub.slice(2)}`))
);
const consumer = join(tmp, "consumer.ts");
writeFileSync(
  consumer,
  specifiers.map((s, i) => `import * as m${i} from "${s}";\nvoid m${i};\n`).join(""),
);
const consumerConfig = join(tmp, "tsconfig.consumer.json");
writeFileSync(
  consumerConfig,
  JSON.stringify({
    compilerOptions: {
      ...tsconfig.compilerOptions,
      paths: undefined,
      rootDir: undefined,
      outDir: undefined,
      declaration: false,
      skipLibCheck: false,
      allowImportingTsExtensions: false,
      noEmit: true,
    },
    files: [consumer],
  }),
);
const typed = spawnSync(process.execPath, [tsc, "-p", consumerConfig], { stdio: "inherit" });
if (typed.status !== 0) fail("the .d.ts files do not type-check for a consumer");
const loaded = spawnSync(process.execPath, [
  "--input-type=module",
  "-e",
  specifiers.map((s) => `await import(${JSON.stringify(s)});`).join("\n"),
], { cwd: tmp, stdio: "inherit" });
if (loaded.status !== 0) fail("an export does not load under plain node");
console.log(`${specifiers.length} exports load under plain node and type-check from their .d.ts`);

const js = (f) => join(out, f.replace(/\.ts$/, ".js"));
const suites = spawnSync(process.execPath, ["--test", ...SUITES.map(js)], {
  stdio: ["ignore", "pipe", "inherit"],
  encoding: "utf8",
});
const summary = suites.stdout.split("\n").filter((l) => /^# (tests|pass|fail|skipped) /.test(l));
console.log(`conformance under plain node: ${summary.map((l) => l.slice(2)).join(", ")}`);
if (suites.status !== 0) {
  console.log(suites.stdout);
  fail("the conformance suite failed on the transpiled packages");
}

const example = spawnSync(process.execPath, [js(EXAMPLE.file)], { encoding: "utf8" });
if (example.status !== 0 || !EXAMPLE.expect.test(example.stdout)) {
  console.log(example.stdout, example.stderr);
  fail(`${EXAMPLE.file} failed on the transpiled packages`);
}
console.log(`${EXAMPLE.file} under plain node: ${EXAMPLE.expect.exec(example.stdout)[0]}`);

done(0);

function fail(message) {
  console.error(`transpile check: ${message}`);
  done(1);
}

function done(code) {
  if (keep) console.log(`kept ${tmp}`);
  else rmSync(tmp, { recursive: true, force: true });
  process.exit(code);
}
