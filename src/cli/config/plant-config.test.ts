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
