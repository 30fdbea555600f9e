/**
 * Tests for the `millstream` command line, run as a user would: a child process on
 * src/cli/main.ts through tsx.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const pkg = JSON.parse(readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")) as {
  version: string;
};

function millstream(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const result = spawnSync(
    process.execPath,
    ["--import", "tsx", path.join("src", "cli", "main.ts"), ...args],
    { cwd: REPO_ROOT, encoding: "utf8" },
  );
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe("millstream command line", () => {
  test("--help lists the commands with their summaries", () => {
    const { code, stdout, stderr } = millstream("--help");
    assert.equal(code, 0);
    assert.equal(stderr, "");
    assert.match(stdout, /Usage:\n {2}millstream <command>/);
    assert.match(stdout, /^ {2}example +Run a small engine example that prints windowed results$/m);
  });

  test("--version prints the package.json version", () => {
    const { code, stdout } = millstream("--version");
    assert.equal(code, 0);
    assert.equal(stdout.trim(), pkg.version);
  });

  test("an unknown command exits with 2 and names the command on stderr", () => {
    const { code, stdout, stderr } = millstream("frobnicate");
    assert.equal(code, 2);
    assert.equal(stdout, "");
    const lines = stderr.trim().split("\n");
    assert.equal(lines.length, 2);
    assert.match(lines[0]!, /unknown command "frobnicate"/);
    assert.match(lines[1]!, /millstream --help/);
    assert.doesNotMatch(stderr, /\bat .*:\d+:\d+/);
  });

  test("an unknown option exits with 2 and names the option", () => {
    const { code, stderr } = millstream("--frobnicate");
    assert.equal(code, 2);
    assert.match(stderr, /unknown option "--frobnicate"/);
  });

  test("help example and example --help print the command's help", () => {
    const viaHelp = millstream("help", "example");
    assert.equal(viaHelp.code, 0);
    assert.match(viaHelp.stdout, /millstream example/);
    const viaFlag = millstream("example", "--help");
    assert.equal(viaFlag.code, 0);
    assert.equal(viaFlag.stdout, viaHelp.stdout);
  });
  test("example prints one window per sensor and names the late reading", () => {
    const { code, stdout, stderr } = millstream("example", "--duration", "20");
    assert.equal(code, 0, stderr);
    const rows = stdout.split("\n").filter((line) => /^\d\d:\d\d:\d\d {2}oven-\d/.test(line));
    // 20 s of readings in 10 s windows, 3 sensors: 6 windows.
    assert.equal(rows.length, 6);
    assert.match(rows[0]!, /^06:00:00 {2}oven-1 +10 +180\.\d/);
    assert.match(stdout, /^late: +oven-2 +reading at 06:00:03 arrived after the watermark/m);
  });

  test("example rejects a window that is not a positive whole number", () => {
    const { code, stderr } = millstream("example", "--window", "0");
    assert.equal(code, 2);
    assert.match(stderr, /--window expects a positive whole number of seconds, got "0"/);
  });
});
