import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { compileTopicTemplate, TopicTemplateError } from "./topic-template.js";

describe("compileTopicTemplate", () => {
  it("captures named levels and checks literal ones", () => {
    const match = compileTopicTemplate("plants/{facility_id}/{sensor_type}/{sensor_id}");
    assert.deepEqual(match("plants/f1/temperature/TEMP-001"), {
      facility_id: "f1",
      sensor_type: "temperature",
      sensor_id: "TEMP-001",
    });
    assert.equal(match("factories/f1/temperature/TEMP-001"), null);
    assert.equal(match("plants/f1/temperature"), null);
    assert.equal(match("plants/f1/temperature/TEMP-001/extra"), null);
    assert.equal(match("plants//temperature/TEMP-001"), null);
  });

  it("skips + levels and takes any rest with #", () => {
    const match = compileTopicTemplate("site/+/{sensor_id}/#");
    assert.deepEqual(match("site/hall-3/VIB-002/raw/v2"), { sensor_id: "VIB-002" });
    assert.deepEqual(match("site/hall-3/VIB-002"), { sensor_id: "VIB-002" });
    assert.equal(match("site/hall-3"), null);
  });

  it("uses another separator for NATS subjects", () => {
    const match = compileTopicTemplate("readings.{facility_id}.{sensor_id}", ".");
    assert.deepEqual(match("readings.f2.PWR-003"), { facility_id: "f2", sensor_id: "PWR-003" });
  });

  it("refuses unknown fields, repeated fields and # before the end", () => {
    assert.throws(() => compileTopicTemplate("a/{equipment}"), /unknown field \{equipment\}/);
    assert.throws(
      () => compileTopicTemplate("{sensor_id}/{sensor_id}"),
      (e: unknown) => e instanceof TopicTemplateError && /appears twice/.test(e.message),
    );
    assert.throws(() => compileTopicTemplate("a/#/{sensor_id}"), /must be the last level/);
  });
});
