/**
 * Tests of the file name patterns: `*`, `?`, `**`, dot files, literal names, sorting
 * and the error for a pattern that matches nothing.
 */
import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { FileSourceError } from "./errors.js";
import { expandFileGlobs, isGlob } from "./file-glob.js";

let root: string;

before(async () => {
  root = await mkdtemp(path.join(tmpdir(), "millstream-glob-"));
  for (const name of [
    "a.jsonl",
    "b.jsonl",
    "c.csv",
    ".hidden.jsonl",
    "line-1/x.jsonl",
    "line-1/deep/y.jsonl",
    "line-2/z.jsonl",
    "line-22/w.jsonl",
    "line-2/.dot/v.jsonl",
  ]) {
    const full = path.join(root, name);
    await mkdir(path.dirname(full), { recursive: true });
    await writeFile(full, "{}\n");
  }
  await mkdir(path.join(root, "dir.jsonl"));
  await symlink(path.join(root, "a.jsonl"), path.join(root, "link.jsonl"));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

const rel = (files: string[]) => files.map((f) => path.relative(root, f));

describe("expandFileGlobs", () => {
  it("matches * within one segment, skipping dot files, folders, and following symlinks", async () => {
    assert.deepEqual(rel(await expandFileGlobs([path.join(root, "*.jsonl")])), [
      "a.jsonl",
      "b.jsonl",
      "link.jsonl",
    ]);
  });

  it("matches ? as one character, and a dot file when the pattern starts with a dot", async () => {
    assert.deepEqual(rel(await expandFileGlobs([path.join(root, "line-?/*.jsonl")])), [
      "line-1/x.jsonl",
      "line-2/z.jsonl",
    ]);
    assert.deepEqual(rel(await expandFileGlobs([path.join(root, ".*.jsonl")])), [".hidden.jsonl"]);
  });

  it("matches ** as any number of folders, none included", async () => {
    assert.deepEqual(rel(await expandFileGlobs([path.join(root, "**/*.jsonl")])), [
      "a.jsonl",
      "b.jsonl",
      "line-1/deep/y.jsonl",
      "line-1/x.jsonl",
      "line-2/z.jsonl",
      "line-22/w.jsonl",
      "link.jsonl",
    ]);
    assert.deepEqual(rel(await expandFileGlobs([path.join(root, "line-1/**")])), [
      "line-1/deep/y.jsonl",
      "line-1/x.jsonl",
    ]);
  });

  it("keeps literal names as given, merges patterns, sorts and removes repeats", async () => {
    const literal = path.join(root, "not-there.jsonl");
    assert.deepEqual(
      await expandFileGlobs([path.join(root, "b.jsonl"), literal, path.join(root, "?.jsonl")]),
      [path.join(root, "a.jsonl"), path.join(root, "b.jsonl"), literal].sort(),
    );
  });

  it("resolves relative patterns against the working directory", async () => {
    const relative = path.relative(process.cwd(), path.join(root, "*.csv"));
    assert.deepEqual(await expandFileGlobs([relative]), [path.join(root, "c.csv")]);
  });

  it("fails naming a pattern that matches no file", async () => {
    const pattern = path.join(root, "missing-folder", "**", "*.jsonl");
    await assert.rejects(expandFileGlobs([pattern]), (error: unknown) => {
      assert.ok(error instanceof FileSourceError);
      assert.equal(error.message, `${pattern}: matches no file`);
      return true;
    });
  });

  it("tells patterns from names", () => {
    assert.equal(isGlob("a/*.jsonl"), true);
    assert.equal(isGlob("a/b?.csv"), true);
    assert.equal(isGlob("a/b.csv"), false);
  });
});
