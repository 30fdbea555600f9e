#!/usr/bin/env node
/**
 * The `npm test` script: finds every `*.test.ts` under `src/` and `test/` and runs them
 * with Node's built-in test runner, loading TypeScript through tsx.
 *
 * Usage: `node scripts/run-tests.mjs [path ...]`. Each path (a folder or a test file,
 * relative to the directory `npm test` was started from) narrows the run to the test
 * files under it.
 *
 * Node 20's `--test` does not expand globs, so the files are listed explicitly. The spec
 * reporter prints to the terminal and ends with the runner's summary (`ℹ tests N`,
 * `ℹ pass N`, `ℹ fail N`). A TAP copy goes to a temporary file and is read afterwards,
 * so that under `CI=true` a run exits non-zero when no test ran or when a test file
 * declares no test, instead of passing vacuously.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const SEARCH_DIRS = ["src", "test"];
const SKIP_DIRS = new Set(["node_modules", "dist"]);
const TEST_FILE = /\.test\.ts$/;

/**
 * Lists the test files under `dir`, recursively, skipping `node_modules`, `dist` and
 * hidden folders. Returns absolute paths.
 */
function findTestFiles(dir) {
  if (!existsSync(dir)) return [];
  if (statSync(dir).isFile()) return TEST_FILE.test(dir) ? [dir] : [];
  const found = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) {
      if (SKIP_DIRS.has(entry.name) || entry.name.startsWith(".")) continue;
      found.push(...findTestFiles(path.join(dir, entry.name)));
    } else if (entry.isFile() && TEST_FILE.test(entry.name)) {
      found.push(path.join(dir, entry.name));
    }
  }
  return found;
}

/** True when `file` is `filter` itself or lies inside the folder `filter`. */
function isUnder(file, filter) {
  const rel = path.relative(filter, file);
  return rel === "" || (!rel.startsWith("..") && !path.isAbsolute(rel));
}

/** Reads a TAP summary line such as `# pass 12`; `undefined` if it is missing. */
function tapCount(tap, name) {
  const match = tap.match(new RegExp(`^# ${name} (\\d+)$`, "m"));
  return match ? Number(match[1]) : undefined;
}

/**
 * The files among `files` (absolute paths) that declare no test: Node 20 reports such a
 * file as a passing top-level test named after its path.
 */
function filesWithoutTests(tap, files) {
  const topLevelPasses = new Set(
    (tap.match(/^ok \d+ - .*$/gm) ?? []).map((line) => line.replace(/^ok \d+ - /, "")),
  );
  return files.filter((file) => topLevelPasses.has(file));
}

function main(args) {
  const ci = process.env.CI === "true" || process.env.CI === "1";
  const base = process.env.INIT_CWD ?? process.cwd();
  const filters = args.map((arg) => path.resolve(base, arg));
  for (const [i, filter] of filters.entries()) {
    if (!existsSync(filter)) {
      console.error(`run-tests: no such file or folder: ${args[i]}`);
      return 1;
    }
  }

  const all = SEARCH_DIRS.flatMap((dir) => findTestFiles(path.join(ROOT, dir))).sort();
  const files =
    filters.length === 0 ? all : all.filter((file) => filters.some((f) => isUnder(file, f)));

  if (files.length === 0) {
    const where = args.length > 0 ? args.join(", ") : `${SEARCH_DIRS.join("/, ")}/`;
    console.error(`run-tests: no *.test.ts files found under ${where}`);
    return ci ? 1 : 0;
  }

  const tapDir = mkdtempSync(path.join(tmpdir(), "millstream-tests-"));
  const tapFile = path.join(tapDir, "report.tap");
  const nodeArgs = [
    "--import",
    "tsx",
    "--test",
    "--test-reporter=spec",
    "--test-reporter-destination=stdout",
    "--test-reporter=tap",
    `--test-reporter-destination=${tapFile}`,
    ...files.map((file) => path.relative(ROOT, file)),
  ];
  const child = spawn(process.execPath, nodeArgs, { cwd: ROOT, stdio: "inherit" });

  return new Promise((resolve) => {
    const forward = (signal) => child.kill(signal);
    process.on("SIGINT", forward);
    process.on("SIGTERM", forward);
    child.on("error", (err) => {
      console.error(`run-tests: could not start node: ${err.message}`);
      resolve(1);
    });
    child.on("exit", (code, signal) => {
      const tap = existsSync(tapFile) ? readFileSync(tapFile, "utf8") : "";
      rmSync(tapDir, { recursive: true, force: true });
      if (signal) {
        console.error(`run-tests: test runner killed by ${signal}`);
        resolve(1);
        return;
      }
      const empty = filesWithoutTests(tap, files);
      for (const file of empty) {
        console.error(`run-tests: ${path.relative(ROOT, file)} declares no test`);
      }
      const ran = (tapCount(tap, "pass") ?? 0) + (tapCount(tap, "fail") ?? 0) - empty.length;
      if (ci && code === 0 && (ran <= 0 || empty.length > 0)) {
        const why = ran <= 0 ? "no test ran" : "a test file declares no test";
        console.error(`run-tests: failing because CI=true and ${why}`);
        resolve(1);
        return;
      }
      resolve(code ?? 1);
    });
  });
}

process.exitCode = await main(process.argv.slice(2));
