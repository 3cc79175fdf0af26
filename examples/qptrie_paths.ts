/**
 * A file index on `@kvkit/qptrie`: a few thousand paths (string keys with long shared
 * prefixes) map to their sizes. The trie answers what a directory listing needs - every path
 * under a prefix, in order, without scanning the rest - plus "which mount point holds this
 * file" (the longest stored prefix of a path) and paging with `nextKey`.
 *
 * Run: `deno run examples/qptrie_paths.ts`
 *
 * @module
 */

import { QpTrie } from "@kvkit/qptrie";

const te = new TextEncoder();
const td = new TextDecoder();

// Values: the file size as a little-endian u32.
const files = new QpTrie({ maxKeyLength: 255, valueSize: 4 });
const size = new Uint8Array(4);
const sizeView = new DataView(size.buffer);

let seed = 11;
const int = (n: number): number =>
  Math.floor((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32 * n);
const apps = ["billing", "search", "auth", "media"];
const dirs = ["src", "src/handlers", "src/db", "test", "docs", "assets/img"];
const exts = ["ts", "json", "md", "png"];
let pathBytes = 0;
while (files.size < 5000) {
  const path = `/srv/${apps[int(4)]}/${dirs[int(dirs.length)]}/file_${int(400)}.${exts[int(4)]}`;
  sizeView.setUint32(0, 100 + int(100_000), true);
  const key = te.encode(path);
  if (!files.has(key)) pathBytes += key.length;
  files.set(key, size);
}
console.log(
  `${files.size} paths (${pathBytes} bytes of path text), trie holds ${files.memoryUsage()} bytes`,
);

// A directory listing: everything under a prefix, in order, with a total size.
const dir = "/srv/auth/src/db/";
let total = 0;
const listed: string[] = [];
for (const [key, value] of files.entriesWithPrefix(te.encode(dir))) {
  listed.push(td.decode(key));
  // A returned copy may be a region of a shared slab: read it at its own byteOffset.
  total += new DataView(value.buffer, value.byteOffset, value.length).getUint32(0, true);
}
console.log(
  `${dir}: ${listed.length} files, ${total} bytes; first: ${listed.slice(0, 3).join(", ")}`,
);

// The same walk without allocating per entry, counting files per extension under /srv/media/.
const perExt = new Map<string, number>();
files.scan((key, length) => {
  const path = td.decode(key.subarray(0, length));
  const ext = path.slice(path.lastIndexOf(".") + 1);
  perExt.set(ext, (perExt.get(ext) ?? 0) + 1);
}, { prefix: te.encode("/srv/media/") });
console.log(`/srv/media/ by extension: ${[...perExt].map(([e, n]) => `${e}=${n}`).join(" ")}`);

// Mount points: the longest stored prefix of a path is the mount that holds it.
const mounts = new QpTrie({ valueSize: 1 });
for (const [i, m] of ["/", "/srv", "/srv/media", "/srv/media/assets"].entries()) {
  mounts.set(te.encode(m), new Uint8Array([i]));
}
for (
  const path of [
    "/srv/media/assets/img/a.png",
    "/srv/media/src/x.ts",
    "/srv/auth/docs/r.md",
    "/etc/hosts",
  ]
) {
  console.log(`  ${path.padEnd(30)} is on ${td.decode(mounts.longestPrefixOf(te.encode(path))!)}`);
}

// Paging: nextKey continues from any key, present or not - here from a directory name.
let cursor: Uint8Array | undefined = te.encode("/srv/search/test/");
const page: string[] = [];
for (let i = 0; i < 3 && cursor !== undefined; i++) {
  cursor = files.nextKey(cursor);
  if (cursor !== undefined) page.push(td.decode(cursor));
}
console.log(`after /srv/search/test/: ${page.join(", ")}`);

// The tree itself, truncated: branches test one nibble of the path.
console.log(files.describe({ maxLines: 8 }));
