/**
 * `millstream run` compacting its own archive while it runs: readings appended to a
 * followed file over many checkpoints, `outputs.archiveCompaction` every 300 ms, the
 * archive read back with DuckDB after a stop.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { appendFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { DuckDBInstance } from "@duckdb/node-api";
import { listFiles } from "../../connectors/parquet/staging.js";
import { writeMetadataFolder } from "../../iot/metadata/test-metadata.js";
import { spikeReadings } from "./spike-readings.fixture.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const work = mkdtempSync(path.join(os.tmpdir(), "millstream-run-compaction-"));
after(() => rmSync(work, { recursive: true, force: true }));

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("millstream run with archive compaction", () => {
  it("merges the archive's small files while it runs, every row kept once", async () => {
    const metadata = await writeMetadataFolder();
    const input = path.join(work, "readings.jsonl");
    writeFileSync(input, "");
    const config = path.join(work, "plant.yaml");
    writeFileSync(
      config,
      [
        "name: compacting",
        "input: { files: [readings.jsonl], follow: true, pollIntervalMs: 20 }",
        `metadata: { folder: ${JSON.stringify(metadata)} }`,
        "outputs: { folder: out, archiveCompaction: { everyMs: 300, minFiles: 3 } }",
        "checkpoint: { intervalMs: 100 }",
      ].join("\n"),
    );
    const child = spawn(
      process.execPath,
      ["--import", "tsx", "src/cli/main.ts", "run", "--config", config],
      { cwd: ROOT },
    );
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    let ended = false;
    const closed = new Promise<number | null>((resolve) =>
      child.on("close", (code) => {
        ended = true;
        resolve(code);
      }),
    );
    const archive = path.join(work, "out", "archive");
    const start = Date.UTC(2026, 10, 2, 8, 0, 0);
    const lines = spikeReadings(start, 2000, -1);
    const compacted = async () =>
      (await listFiles(archive, "", true)).filter((f) => /\/compacted-\d+-\d+-/.test(f));
    let written = 0;
    try {
      // The job must be reading before the slices come, or it reads them in one
      // checkpoint (a cold start compiles for seconds).
      const ready = Date.now() + 60_000;
      while (!stderr.includes("running compacting") && !ended && Date.now() < ready) {
        await sleep(50);
      }
      // Readings in slices of 50, a slice every 60 ms: many checkpoints, a file each.
      const until = Date.now() + 60_000;
      while (Date.now() < until && !ended) {
        if (written < lines.length) {
          appendFileSync(input, `${lines.slice(written, written + 50).join("\n")}\n`);
          written += 50;
        }
        await sleep(60);
        if (written >= 600 && (await compacted()).length > 0) break;
      }
      await sleep(500); // the last slice checkpointed
    } finally {
      child.kill("SIGINT");
    }
    const status = await closed;
    rmSync(metadata, { recursive: true, force: true });
    assert.equal(status, 0, stderr);
    assert.ok((await compacted()).length > 0, `no compacted file in the archive\n${stderr}`);
    assert.match(stderr, /archive compaction: 1 folder\(s\), [\d,]+ files → [\d,]+ in/);
    const instance = await DuckDBInstance.create(":memory:");
    const connection = await instance.connect();
    try {
      const glob = path.join(archive, "**", "*.parquet").replaceAll("'", "''");
      const rows = (
        await connection.runAndReadAll(
          `SELECT count(*)::INTEGER, count(DISTINCT timestamp)::INTEGER FROM read_parquet('${glob}')`,
        )
      ).getRowsJS()[0];
      assert.deepEqual(rows, [written, written], "every reading written is archived once");
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
    assert.deepEqual(readdirSync(path.join(archive, ".compaction")), []);
  });
});
