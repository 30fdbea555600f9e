import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Reading } from "../reading/index.js";
import { readingParser } from "./reading-parser.js";
import { RejectedReading } from "./rejected-reading.js";

const NOW = Date.parse("2026-03-01T12:00:00Z");
const valid = {
  sensor_id: "TEMP-001",
  timestamp: "2026-03-01T11:59:00Z",
  facility_id: "plant-1",
  sensor_type: "temperature",
  quality_score: 0.97,
  temperature_celsius: 71.5,
};

describe("readingParser", () => {
  const parse = readingParser({ now: () => NOW, maxFutureMs: 300_000 });

  it("parses a bare JSON string to a reading", () => {
    const r = parse(JSON.stringify(valid)) as Reading;
    assert.ok(!(r instanceof RejectedReading));
    assert.equal(r.sensor_id, "TEMP-001");
    assert.equal(r.value, 71.5);
  });

  it("rejects with the reason, the field, the payload and the source position", () => {
    const raw = JSON.stringify({ ...valid, quality_score: 1.7 });
    const r = parse({ payload: raw, origin: "readings.jsonl@1042" });
    assert.ok(r instanceof RejectedReading);
    assert.equal(r.reason, "quality-out-of-range");
    assert.equal(r.path, "quality_score");
    assert.equal(r.payload, raw);
    assert.equal(r.position, "readings.jsonl@1042");
    assert.equal(r.step, "parse");
    const bare = parse("{not json");
    assert.ok(bare instanceof RejectedReading);
    assert.equal(bare.reason, "not-json");
    assert.equal(bare.position, null);
  });

  it("fills fields missing from the payload from the topic; the payload wins", () => {
    const fromTopic = readingParser({
      now: () => NOW,
      maxFutureMs: 300_000,
      topicTemplate: "plants/{facility_id}/{sensor_id}",
    });
    const { sensor_id: _s, facility_id: _f, ...rest } = valid;
    const r = fromTopic({
      payload: JSON.stringify(rest),
      origin: "mqtt:plants/f9/PRS-004",
      topic: "plants/f9/PRS-004",
    }) as Reading;
    assert.ok(!(r instanceof RejectedReading));
    assert.equal(r.sensor_id, "PRS-004");
    assert.equal(r.facility_id, "f9");
    const both = fromTopic({
      payload: JSON.stringify(valid),
      origin: "mqtt:plants/f9/PRS-004",
      topic: "plants/f9/PRS-004",
    }) as Reading;
    assert.equal(both.sensor_id, "TEMP-001");
    const unmatched = fromTopic({
      payload: JSON.stringify(rest),
      origin: "mqtt:other/topic",
      topic: "other/topic",
    });
    assert.ok(unmatched instanceof RejectedReading);
    assert.equal(unmatched.reason, "missing-field");
    const huge = fromTopic({
      payload: JSON.stringify({ ...rest, note: "é".repeat(9000) }),
      origin: "mqtt:plants/f9/PRS-004",
      topic: "plants/f9/PRS-004",
    });
    assert.ok(huge instanceof RejectedReading);
    assert.equal(huge.reason, "payload-too-large");
    const broken = fromTopic({ payload: "{oops", origin: "o", topic: "plants/f9/PRS-004" });
    assert.ok(broken instanceof RejectedReading);
    assert.equal(broken.reason, "not-json");
  });
});
