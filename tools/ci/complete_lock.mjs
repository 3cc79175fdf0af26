#!/usr/bin/env node
// Completes package-lock.json with the other platforms' optional binary packages.
//
// Why: the registry mirror of our build machines serves only the linux-x64 builds of packages
// such as @deno/*, so `npm install` leaves the other platforms' optional dependencies out of
// the lock, and `npm ci` then refuses the lock as out of sync. A lock written against the full
// registry lists them; this adds the same entries (name, version, os, cpu, libc; optional), so
// `npm ci` skips them by platform. Run it after any `npm install`: `node tools/ci/complete_lock.mjs`.

import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";

const lockPath = new URL("../../package-lock.json", import.meta.url);

function missingPackages() {
  try {
    execFileSync("npm", ["ci", "--dry-run", "--ignore-scripts"], { stdio: "pipe" });
    return [];
  } catch (err) {
    const out = `${err.stdout ?? ""}${err.stderr ?? ""}`;
    return [...out.matchAll(/Missing: (.+?)@\S* from lock file/g)].map((m) => m[1]);
  }
}

const lock = JSON.parse(readFileSync(lockPath, "utf8"));
const added = [];
for (const name of missingPackages()) {
  const platform = /(darwin|linux|win32|freebsd)-(x64|arm64|arm|ia32)(?:-(glibc|musl))?$/.exec(
    name,
  );
  const parent = Object.values(lock.packages).find((p) => p.optionalDependencies?.[name]);
  if (platform === null || parent === undefined) {
    throw new Error(`${name} is missing from the lock and is not a platform build`);
  }
  const [, os, cpu, libc] = platform;
  lock.packages[`node_modules/${name}`] = {
    version: parent.optionalDependencies[name].replace(/^[\^~=]/, ""),
    cpu: [cpu],
    dev: parent.dev === true ? true : undefined,
    ...(libc === undefined ? {} : { libc: [libc] }),
    optional: true,
    os: [os],
  };
  added.push(name);
}
lock.packages = Object.fromEntries(
  Object.entries(lock.packages).sort(([a], [b]) => (a === "" ? -1 : b === "" ? 1 : a < b ? -1 : 1)),
);
writeFileSync(lockPath, `${JSON.stringify(lock, null, 2)}\n`);
console.log(added.length === 0 ? "lock complete" : `added ${added.length}: ${added.join(", ")}`);
