/**
 * `millstream run` from a YAML file, as a user runs it: configuration errors that
 * name the file and field, and a run that resumes from its checkpoint without
 * writing anything twice.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { writeMetadataFolder } from "../../iot/metadata/test-metadata.js";
import { spikeReadings } from "./spike-readings.fixture.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const work = mkdtempSync(path.join(os.tmpdir(), "millstream-run-"));
after(() => rmSync(work, { recursive: true, force: true }));

const millstream = (...args: string[]) =>
  spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], {
    cwd: ROOT,
    encoding: "utf8",
  });

/** Every published line of an output folder. */
const published = (dir: string) =>
  readdirSync(dir)
    .filter((n) => n.startsWith("part-"))
    .sort()
    .flatMap((n) => readFileSync(path.join(dir, n), "utf8").split("\n").filter(Boolean));

describe("millstream run", () => {
  it("names the file, the field and the expectation of a bad configuration", () => {
    const file = path.join(work, "bad.yaml");
    writeFileSync(
      file,
      "input:\n  files: [readings.jsonl]\nmetadata:\n  folder: plant\noutputs:\n  folder: out\npipeline:\n  maxOutOfOrderness: ten\n",
    );
    const run = millstream("run", "--config", file);
    assert.equal(run.status, 1);
    assert.match(
      run.stderr,
      new RegExp(
        `${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: pipeline\\.maxOutOfOrderness: .*number.*\\(got "ten"\\)`,
      ),
    );
  });

  it("runs from the configuration and, started again, resumes without duplicates", async () => {
    const metadata = await writeMetadataFolder();
    const start = Date.UTC(2026, 10, 2, 8, 0, 0);
    const lines = spikeReadings(start, 900, 600);
    writeFileSync(path.join(work, "readings.jsonl"), `${lines.join("\n")}\n`);
    const file = path.join(work, "plant.yaml");
    writeFileSync(
      file,
      [
        "name: line-1",
        "input:",
        "  files: [readings.jsonl]",
        "  batchSize: 100",
        "metadata:",
        `  folder: ${metadata}`,
        "outputs:",
        "  folder: out",
        "checkpoint:",
        "  intervalMs: 100",
        "pipeline:",
        "  advanceWhenQuiet: false",
      ].join("\n"),
    );
    const first = millstream("run", "--config", file);
    assert.equal(first.status, 0, first.stderr);
    assert.match(first.stdout, /line-1: finished; 900 readings read/);
    const out = path.join(work, "out");
    const anomalies = published(path.join(out, "anomalies")).map(
      (l) => JSON.parse(l) as { detector: string; event_time_ms: number },
    );
    assert.ok(
      anomalies.some((a) => a.detector === "z-score" && a.event_time_ms === start + 600_000),
    );
    const facility = published(path.join(out, "facility_metrics"));
    assert.ok(facility.length > 0);

    const second = millstream("run", "--config", file);
    assert.equal(second.status, 0, second.stderr);
    assert.match(second.stdout, /line-1: finished; 0 readings read/);
    assert.equal(published(path.join(out, "anomalies")).length, anomalies.length);
    assert.deepEqual(published(path.join(out, "facility_metrics")), facility);
    rmSync(metadata, { recursive: true, force: true });
  });
});
