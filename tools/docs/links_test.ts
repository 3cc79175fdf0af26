// Every relative link in the docs a user reads first (every README.md, BENCHMARKS.md,
// CHANGELOG.md) resolves to a file or folder of the repository, and a `#anchor` into a Markdown
// file names one of its headings. External links are not fetched (no network in tests).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));
const SKIP_DIRS = new Set(["node_modules", "bench-results", "test-results", ".git"]);

function docs(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) {
      if (!SKIP_DIRS.has(entry.name)) docs(join(dir, entry.name), out);
    } else if (entry.name === "README.md") out.push(join(dir, entry.name));
  }
  return out;
}

/** Markdown without fenced code blocks and inline code, where `[a](b)` is not a link. */
export function withoutCode(markdown: string): string {
  return withoutFences(markdown).replace(/`[^`\n]*`/g, "");
}

function withoutFences(markdown: string): string {
  return markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, "");
}

/** The targets of inline links and images, `[text](target "title")`. */
export function linkTargets(markdown: string): string[] {
  const targets: string[] = [];
  for (const m of withoutCode(markdown).matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
    targets.push(m[1]!);
  }
  return targets;
}

/** GitHub's anchors for a Markdown file's headings (lowercase, punctuation dropped, `-1` for repeats). */
export function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const m of withoutFences(markdown).matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const base = m[1]!.toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, "").replace(/\s/g, "-");
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

/** The broken relative links of one file, as `target: reason`. */
function brokenLinks(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const broken: string[] = [];
  for (const target of linkTargets(text)) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:, jsr:, ...
    const [pathPart, anchor] = target.split("#", 2) as [string, string | undefined];
    const path = pathPart === "" ? file : join(dirname(file), decodeURIComponent(pathPart));
    if (!existsSync(path)) {
      broken.push(`${target}: no such file`);
      continue;
    }
    if (anchor !== undefined && path.endsWith(".md") && statSync(path).isFile()) {
      if (!anchors(readFileSync(path, "utf8")).has(decodeURIComponent(anchor).toLowerCase())) {
        broken.push(`${target}: no heading #${anchor}`);
      }
    }
  }
  return broken;
}

describe("documentation links", () => {
  const files = [
    ...docs(root),
    join(root, "BENCHMARKS.md"),
    join(root, "CHANGELOG.md"),
  ];

  it("BENCHMARKS.md and CHANGELOG.md exist, and the README links both", () => {
    assert.ok(existsSync(join(root, "BENCHMARKS.md")));
    assert.ok(existsSync(join(root, "CHANGELOG.md")));
    const readme = linkTargets(readFileSync(join(root, "README.md"), "utf8"));
    assert.ok(readme.includes("BENCHMARKS.md"));
    assert.ok(readme.includes("CHANGELOG.md"));
  });

  for (const file of files) {
    it(`relative links of ${relative(root, file)} resolve`, () => {
      assert.deepEqual(brokenLinks(file), []);
    });
  }

  it("finds links, skips code and computes GitHub anchors", () => {
    const md = "# A title, with `code`!\n## A title, with code\n[x](a.md#b) `[y](c.md)`\n" +
      '```\n[z](d.md)\n```\n![img](e.svg "t")\n';
    assert.deepEqual(linkTargets(md), ["a.md#b", "e.svg"]);
    assert.deepEqual([...anchors(md)], ["a-title-with-code", "a-title-with-code-1"]);
    assert.deepEqual([...anchors("## Hash flooding\n## Hash flooding")], [
      "hash-flooding",
      "hash-flooding-1",
    ]);
  });
});
