/**
 * `millstream replay` end to end, as a user runs it: metadata folder and JSONL
 * input on disk, the command in a child process, outputs read back (the archive
 * with DuckDB).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { DuckDBInstance } from "@duckdb/node-api";
import { writeMetadataFolder } from "../../iot/metadata/test-metadata.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const work = mkdtempSync(path.join(os.tmpdir(), "millstream-replay-"));
after(() => rmSync(work, { recursive: true, force: true }));

const START = Date.UTC(2026, 10, 2, 8, 0, 0);

function writeInput(file: string): { valid: number; spikeAt: number } {
  const lines: string[] = [];
  let valid = 0;
  const spikeAt = START + 600_000;
  for (let s = 0; s < 1200; s++) {
    const t = START + s * 1000;
    const celsius = t === spikeAt ? 140 : 60 + Math.sin(s / 30) * 0.5 + ((s * 7919) % 11) / 20;
    lines.push(
      JSON.stringify({
        sensor_id: "TEMP-001",
        timestamp: new Date(t).toISOString(),
        facility_id: "FAC-BER",
        sensor_type: "temperature",
        quality_score: 0.98,
        temperature_celsius: celsius,
        humidity: 40,
      }),
    );
    lines.push(
      JSON.stringify({
        sensor_id: "PWR-003",
        timestamp: t,
        facility_id: "FAC-NYC",
        sensor_type: "power",
        quality_score: 0.97,
        voltage: 230,
        current: 10 + ((s * 31) % 7) / 10,
      }),
    );
    valid += 2;
  }
  lines.splice(100, 0, "{not json");
  lines.splice(
    200,
    0,
    JSON.stringify({
      sensor_id: "X-1",
      facility_id: "FAC-BER",
      sensor_type: "generic",
      quality_score: 1,
      value: 1,
    }),
  );
  lines.push(
    JSON.stringify({
      sensor_id: "GHOST-9",
      timestamp: START + 5000,
      facility_id: "FAC-BER",
      sensor_type: "generic",
      quality_score: 0.9,
      value: 3,
    }),
  );
  valid += 1;
  writeFileSync(file, `${lines.join("\n")}\n`);
  return { valid, spikeAt };
}

const readJsonl = (file: string) =>
  readFileSync(file, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);

describe("millstream replay", () => {
  it("writes dashboards, anomalies, dead letters and a Parquet archive", async () => {
    const metadata = await writeMetadataFolder();
    const input = path.join(work, "readings.jsonl");
    const { valid, spikeAt } = writeInput(input);
    const out = path.join(work, "out");
    const run = spawnSync(
      process.execPath,
      [
        "--import",
        "tsx",
        "src/cli/main.ts",
        "replay",
        "--input",
        input,
        "--metadata",
        metadata,
        "--out",
        out,
      ],
      { cwd: ROOT, encoding: "utf8" },
    );
    rmSync(metadata, { recursive: true, force: true });
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, new RegExp(`replayed ${(valid + 2).toLocaleString("en")} readings`));
    assert.match(run.stdout, /unknown sensors: 1 \(1 readings\)/);
    // One checkpoint, at the end of input: one file per partition, nothing to merge.
    assert.match(run.stdout, /archive\/ +\S+ \((\d+) files; \1 before compaction, [\d.]+ s\)/);

    const dead = readJsonl(path.join(out, "dead_letters.jsonl"));
    assert.deepEqual(
      dead.map((d) => [d.reason, d.path]),
      [
        ["not-json", ""],
        ["missing-field", "timestamp"],
      ],
    );
    assert.equal(dead[0]!.payload, "{not json");

    const anomalies = readJsonl(path.join(out, "anomalies.jsonl"));
    const spike = anomalies.filter((a) => a.detector === "z-score" && a.event_time_ms === spikeAt);
    assert.equal(spike.length, 1, JSON.stringify(anomalies.slice(0, 5)));
    assert.equal(spike[0]!.sensor_id, "TEMP-001");
    assert.equal(spike[0]!.severity, "critical");
    const threshold = anomalies.filter(
      (a) => a.detector === "threshold" && a.event_time_ms === spikeAt,
    );
    assert.equal(threshold.length, 1);

    const facility = readJsonl(path.join(out, "facility_metrics.jsonl"));
    const berlin = facility.filter(
      (f) =>
        f.facility_id === "FAC-BER" && f.window_start === new Date(START + 300_000).toISOString(),
    );
    assert.equal(berlin.length, 1);
    assert.equal(berlin[0]!.readings, 60);
    assert.ok(readJsonl(path.join(out, "equipment_health.jsonl")).length > 0);
    assert.ok(readJsonl(path.join(out, "production_efficiency.jsonl")).length > 0);
    assert.ok(readJsonl(path.join(out, "equipment_state.jsonl")).length > 0);

    const db = await DuckDBInstance.create(":memory:");
    const connection = await db.connect();
    const reader = await connection.runAndReadAll(
      `SELECT facility_id, sensor_type, count(*)::INTEGER AS n FROM read_parquet('${path.join(out, "archive")}/**/*.parquet', hive_partitioning = true) GROUP BY ALL ORDER BY ALL`,
    );
    assert.deepEqual(reader.getRowObjectsJS(), [
      { facility_id: "FAC-BER", sensor_type: "generic", n: 1 },
      { facility_id: "FAC-BER", sensor_type: "temperature", n: 1200 },
      { facility_id: "FAC-NYC", sensor_type: "power", n: 1200 },
    ]);
    connection.closeSync();
  });

  it("takes pipeline settings and the metadata folder from --config", async () => {
    const metadata = await writeMetadataFolder();
    const input = path.join(work, "readings-config.jsonl");
    const { spikeAt } = writeInput(input);
    const out = path.join(work, "out-config");
    const config = path.join(work, "plant.yaml");
    writeFileSync(
      config,
      `metadata: { folder: ${JSON.stringify(metadata)} }\npipeline:\n  detectors:\n    threshold: { enabled: false }\n`,
    );
    const run = spawnSync(
      process.execPath,
      [
        "--import",
        "tsx",
        "src/cli/main.ts",
        "replay",
        "--input",
        input,
        "--out",
        out,
        "--config",
        config,
        "--no-archive",
      ],
      { cwd: ROOT, encoding: "utf8" },
    );
    rmSync(metadata, { recursive: true, force: true });
    assert.equal(run.status, 0, run.stderr);
    const anomalies = readJsonl(path.join(out, "anomalies.jsonl"));
    assert.ok(anomalies.some((a) => a.detector === "z-score" && a.event_time_ms === spikeAt));
    assert.equal(anomalies.filter((a) => a.detector === "threshold").length, 0);
    const dead = readJsonl(path.join(out, "dead_letters.jsonl"));
    assert.equal(dead[0]!.reason, "not-json");
  });

  it("refuses a bad --config naming the file and the field", () => {
    const config = path.join(work, "bad.yaml");
    writeFileSync(config, "pipeline:\n  maxOutOfOrderness: -5\n");
    const run = spawnSync(
      process.execPath,
      [
        "--import",
        "tsx",
        "src/cli/main.ts",
        "replay",
        "--input",
        config,
        "--out",
        work,
        "--config",
        config,
      ],
      { cwd: ROOT, encoding: "utf8" },
    );
    assert.equal(run.status, 1);
    assert.match(
      run.stderr,
      new RegExp(
        `${config.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: pipeline\\.maxOutOfOrderness: .*\\(got -5\\)`,
      ),
    );
  });
});
