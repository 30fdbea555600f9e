/**
 * `millstream compact` as a user runs it: an archive written by the Parquet sink, the
 * command in a child process, the archive read back with DuckDB.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { DuckDBInstance } from "@duckdb/node-api";
import { ParquetArchiveSink } from "../../connectors/parquet/index.js";
import { listFiles } from "../../connectors/parquet/staging.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
let work: string;

/** An archive of `epochs` checkpoints of 100 rows each, over two partition folders. */
async function archive(name: string, epochs: number): Promise<string> {
  const directory = path.join(work, name);
  const sink = new ParquetArchiveSink<number>({
    directory,
    columns: [
      { name: "site", type: "VARCHAR" },
      { name: "n", type: "BIGINT" },
    ],
    row: (n) => [n % 2 === 0 ? "even" : "odd", n],
    partitionBy: ["site"],
  });
  const writer = await sink.open({ step: "archive" });
  for (let id = 1; id <= epochs; id++) {
    const values = Array.from({ length: 100 }, (_, k) => (id - 1) * 100 + k);
    writer.write({ values, times: values.map(() => 0), channel: 0 });
    await writer.commit!(id, await writer.prepareCommit!(id));
  }
  await writer.close();
  return directory;
}

function millstream(...args: string[]) {
  return spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], {
    cwd: ROOT,
    encoding: "utf8",
  });
}

async function rows(directory: string): Promise<number[]> {
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  try {
    const glob = path.join(directory, "**", "*.parquet").replaceAll("'", "''");
    const result = await connection.runAndReadAll(
      `SELECT n FROM read_parquet('${glob}') ORDER BY n`,
    );
    return result.getRowsJS().map(([n]) => Number(n));
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

describe("millstream compact", () => {
  before(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), "millstream-compact-"));
  });
  after(() => rm(work, { recursive: true, force: true }));

  it("merges each folder's files and prints what it did", async () => {
    const directory = await archive("once", 6);
    const run = millstream("compact", "--archive", directory, "--min-files", "3");
    assert.equal(run.status, 0, run.stderr);
    assert.match(
      run.stdout,
      /^site=even: 6 file\(s\) of [\d.]+ MiB → 1 of [\d.]+ MiB, 300 rows, \d+ ms$/m,
    );
    assert.match(run.stdout, /^site=odd: 6 file\(s\)/m);
    assert.match(run.stdout, /^compacted 2 folder\(s\), 12 files → 2 in [\d.]+ s$/m);
    const files = (await listFiles(directory, "", true)).sort();
    assert.equal(files.length, 2);
    assert.ok(
      files.every((f) => /\/compacted-1-6-[0-9a-f]+-0\.parquet$/.test(f)),
      files.join(),
    );
    assert.deepEqual(
      await rows(directory),
      Array.from({ length: 600 }, (_, n) => n),
    );

    const again = millstream("compact", "--archive", directory, "--min-files", "3", "--json");
    assert.equal(again.status, 0, again.stderr);
    const report = JSON.parse(again.stdout.trim());
    assert.deepEqual([report.filesBefore, report.filesAfter, report.folders], [2, 2, []]);
  });

  it("compacts every --every until stopped, then exits 0", async () => {
    const directory = await archive("every", 10);
    const child = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        "src/cli/main.ts",
        "compact",
        "--archive",
        directory,
        "--every",
        "1h",
        "--json",
      ],
      { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] },
    );
    let stdout = "";
    let stderr = "";
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    const firstLine = new Promise<string>((resolve) => {
      child.stdout.on("data", (chunk) => {
        stdout += chunk;
        if (stdout.includes("\n")) resolve(stdout.split("\n")[0] as string);
      });
    });
    const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
    const line = await Promise.race([
      firstLine,
      exited.then((code) => assert.fail(`exited ${code} before reporting: ${stderr}`)),
    ]);
    assert.deepEqual([JSON.parse(line).filesBefore, JSON.parse(line).filesAfter], [20, 2]);
    child.kill("SIGINT");
    assert.equal(await exited, 0, stderr);
  });

  it("refuses a missing folder and bad options with a message", () => {
    const missing = millstream("compact", "--archive", path.join(work, "nowhere"));
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /nowhere: no such archive folder/);
    const noArchive = millstream("compact");
    assert.equal(noArchive.status, 2);
    assert.match(noArchive.stderr, /--archive <folder> is required/);
    const codec = millstream("compact", "--archive", work, "--compression", "lzma");
    assert.equal(codec.status, 2);
    assert.match(codec.stderr, /--compression: expected one of zstd, snappy/);
    const files = millstream("compact", "--archive", work, "--min-files", "1");
    assert.equal(files.status, 2);
    assert.match(files.stderr, /--min-files: expected an integer ≥ 2/);
  });
});
