import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { dataflow, source } from "../../engine/index.js";
import { CollectingSink, record, TestingSource } from "../../engine/testing/index.js";
import type { Reading } from "../reading/index.js";
import { deduplicateReadings } from "./deduplicate-readings.js";

function reading(sensor: string, t: number, value: number): Reading {
  return { sensor_id: sensor, timestamp: t, value } as Reading;
}

describe("deduplicateReadings", () => {
  it("drops a repeated (sensor_id, timestamp) and keeps everything else", async () => {
    const input = new TestingSource([
      record(reading("A", 1000, 1), 1000),
      record(reading("B", 1000, 2), 1000),
      record(reading("A", 1000, 1), 1000),
      record(reading("A", 2000, 3), 2000),
      record(reading("B", 1000, 2), 1000),
    ]);
    const out = new CollectingSink<Reading>();
    const stream = source("in", input).withEventTime("t", { timestamp: (r) => r.timestamp });
    const job = dataflow("dedup", [deduplicateReadings(stream).to("out", out)]).job();
    await job.run();
    assert.deepEqual(
      out.records.map((r) => `${r.value.sensor_id}@${r.value.timestamp}`),
      ["A@1000", "B@1000", "A@2000"],
    );
    const step = job.progress().steps.find((s) => s.step === "deduplicate");
    assert.equal(step?.recordsIn, 5);
    assert.equal(step?.recordsOut, 3);
  });

  it("forgets timestamps after the retention time in event time", async () => {
    const input = new TestingSource(
      [
        record(reading("A", 1000, 1), 1000),
        record(reading("B", 30_000, 2), 30_000),
        record(reading("A", 1000, 1), 1000),
      ],
      { batchSize: 1 },
    );
    const out = new CollectingSink<Reading>();
    const stream = source("in", input).withEventTime("t", { timestamp: (r) => r.timestamp });
    await dataflow("dedup", [
      deduplicateReadings(stream, { retentionMs: 5000 }).to("out", out),
    ]).run();
    assert.deepEqual(
      out.records.map((r) => `${r.value.sensor_id}@${r.value.timestamp}`),
      ["A@1000", "B@30000", "A@1000"],
    );
  });
});
