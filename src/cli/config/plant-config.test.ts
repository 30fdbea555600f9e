import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { ConfigError, loadPlantConfig } from "./plant-config.js";

function write(yaml: string): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), "millstream-config-")), "plant.yaml");
  writeFileSync(file, yaml);
  return file;
}

const BASE = `
input: { files: [readings.jsonl] }
metadata: { folder: metadata }
outputs: { folder: out }
`;

describe("loadPlantConfig: pipeline ingest options", () => {
  it("accepts a topic template, its separator and deduplication", () => {
    const file = write(
      `${BASE}pipeline:\n  topicTemplate: "plants/{facility_id}/{sensor_id}"\n  topicSeparator: "/"\n  deduplicate: { retentionMs: 60000 }\n`,
    );
    const config = loadPlantConfig(file);
    assert.equal(config.pipeline.topicTemplate, "plants/{facility_id}/{sensor_id}");
    assert.deepEqual(config.pipeline.deduplicate, { retentionMs: 60000 });
  });

  it("names the file, the field and the problem of a bad topic template", () => {
    const file = write(`${BASE}pipeline:\n  topicTemplate: "plants/{machine}"\n`);
    assert.throws(
      () => loadPlantConfig(file),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.message.includes(file) &&
        error.message.includes("pipeline.topicTemplate") &&
        error.message.includes("unknown field {machine}"),
    );
  });
});

describe("loadPlantConfig: checkpoint timing", () => {
  it("takes the minimum pause before an early checkpoint, and leaves it to the engine when absent", () => {
    const given = loadPlantConfig(
      write(`${BASE}checkpoint: { intervalMs: 5000, minPauseMs: 250 }\n`),
    );
    assert.deepEqual(given.checkpoint, {
      intervalMs: 5000,
      minPauseMs: 250,
      alarms: { separate: true, thread: true, intervalMs: 1000, minPauseMs: 0 },
    });
    const absent = loadPlantConfig(write(BASE));
    assert.equal(absent.checkpoint.minPauseMs, undefined);
    assert.equal("minPauseMs" in absent.checkpoint, false);
  });

  it("takes the alarm job's checkpoint settings, its file relative to the configuration", () => {
    const file = write(
      `${BASE}checkpoint: { alarms: { sqlite: state/alarms.db, intervalMs: 250, minPauseMs: 5 } }\n`,
    );
    const given = loadPlantConfig(file);
    assert.deepEqual(given.checkpoint.alarms, {
      separate: true,
      thread: true,
      sqlite: path.join(path.dirname(file), "state/alarms.db"),
      intervalMs: 250,
      minPauseMs: 5,
    });
    assert.equal(
      loadPlantConfig(write(`${BASE}checkpoint: { alarms: { separate: false } }\n`)).checkpoint
        .alarms.separate,
      false,
    );
    assert.equal(
      loadPlantConfig(write(`${BASE}checkpoint: { alarms: { thread: false } }\n`)).checkpoint.alarms
        .thread,
      false,
    );
    const bad = write(`${BASE}checkpoint: { alarms: { intervalMs: 0 } }\n`);
    assert.throws(
      () => loadPlantConfig(bad),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.message.startsWith(`${bad}: checkpoint.alarms.intervalMs: `),
    );
  });

  for (const [value, expected] of [
    ["-5", "expected number to be >=0"],
    ['"fast"', "expected number"],
  ] as const) {
    it(`names the file, the field and the expectation for minPauseMs: ${value}`, () => {
      const file = write(`${BASE}checkpoint: { minPauseMs: ${value} }\n`);
      assert.throws(
        () => loadPlantConfig(file),
        (error: unknown) =>
          error instanceof ConfigError &&
          error.message.startsWith(`${file}: checkpoint.minPauseMs: `) &&
          error.message.includes(expected) &&
          error.message.includes(`(got ${value})`),
      );
    });
  }

  it("validates delivery.earlyCheckpoint under pipeline.alarms", () => {
    const ok = loadPlantConfig(
      write(
        `${BASE}pipeline:\n  alarms:\n    delivery: { earlyCheckpoint: { minPriority: 90 } }\n`,
      ),
    );
    const alarms = ok.pipeline.alarms as { delivery?: { earlyCheckpoint?: unknown } };
    assert.deepEqual(alarms.delivery?.earlyCheckpoint, { enabled: true, minPriority: 90 });
    const file = write(
      `${BASE}pipeline:\n  alarms:\n    delivery: { earlyCheckpoint: { minPriority: 120 } }\n`,
    );
    assert.throws(
      () => loadPlantConfig(file),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.message.startsWith(
          `${file}: pipeline.alarms.delivery.earlyCheckpoint.minPriority: `,
        ) &&
        error.message.includes("expected number to be <=100") &&
        error.message.includes("(got 120)"),
    );
  });
});

describe("loadPlantConfig: the archive's memory", () => {
  const base = BASE.replace("outputs: { folder: out }", "");

  it("limits the archive's DuckDB to 256 MiB unless told otherwise, null lifting the limit", () => {
    assert.equal(loadPlantConfig(write(BASE)).outputs.archiveMemoryMb, 256);
    const lifted = write(`${base}outputs: { folder: out, archiveMemoryMb: null }\n`);
    assert.equal(loadPlantConfig(lifted).outputs.archiveMemoryMb, null);
    const set = write(`${base}outputs: { folder: out, archiveMemoryMb: 128 }\n`);
    assert.equal(loadPlantConfig(set).outputs.archiveMemoryMb, 128);
  });

  it("names the file, the field and the least value of a limit too small", () => {
    const file = write(`${base}outputs: { folder: out, archiveMemoryMb: 16 }\n`);
    assert.throws(
      () => loadPlantConfig(file),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.message.includes(file) &&
        error.message.includes("outputs.archiveMemoryMb") &&
        /64/.test(error.message),
    );
  });
});

describe("loadPlantConfig: the archive's compaction", () => {
  const base = BASE.replace("outputs: { folder: out }", "");

  it("compacts every 15 minutes by default, false turning it off, fields overriding", () => {
    assert.deepEqual(loadPlantConfig(write(BASE)).outputs.archiveCompaction, {
      everyMs: 900_000,
      targetFileMb: 128,
      minFiles: 10,
      minAgeMs: 0,
      memoryMb: 128,
    });
    const off = write(`${base}outputs: { folder: out, archiveCompaction: false }\n`);
    assert.equal(loadPlantConfig(off).outputs.archiveCompaction, false);
    const set = write(
      `${base}outputs: { folder: out, archiveCompaction: { everyMs: 60000, minFiles: 4 } }\n`,
    );
    assert.deepEqual(loadPlantConfig(set).outputs.archiveCompaction, {
      everyMs: 60_000,
      targetFileMb: 128,
      minFiles: 4,
      minAgeMs: 0,
      memoryMb: 128,
    });
  });

  it("names the file, the field and the expectation of a bad setting", () => {
    for (const [setting, field, expected] of [
      ["{ minFiles: 1 }", "outputs.archiveCompaction.minFiles", />=2/],
      ["{ everyMs: 0 }", "outputs.archiveCompaction.everyMs", />0/],
      ["{ every: 10 }", "outputs.archiveCompaction", /Unrecognized key: "every"/],
      ["true", "outputs.archiveCompaction", /expected false, or an object of everyMs/],
    ] as const) {
      const file = write(`${base}outputs: { folder: out, archiveCompaction: ${setting} }\n`);
      assert.throws(
        () => loadPlantConfig(file),
        (error: unknown) =>
          error instanceof ConfigError &&
          error.message.includes(file) &&
          error.message.includes(field) &&
          expected.test(error.message),
        setting,
      );
    }
  });
});
