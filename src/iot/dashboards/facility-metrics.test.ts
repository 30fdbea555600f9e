import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { watermark } from "../../engine/testing/index.js";
import { facilityMetrics, facilityMetricsSteps } from "./facility-metrics.js";
import { anomaly, byId, reading, run, script, T0, unknownReading } from "./test-readings.js";

const s = 1000;

const input = script(
  reading({ sensor_id: "s1", timestamp: T0 + 10 * s, value: 20, quality_score: 0.9 }),
  reading({ sensor_id: "s2", timestamp: T0 + 20 * s, value: 30, quality_score: 0.7 }),
  anomaly({ sensor_id: "s2", event_time_ms: T0 + 20 * s }),
  reading({
    sensor_id: "s3",
    timestamp: T0 + 40 * s,
    sensor_type: "power",
    value: 1000,
    quality_score: 0.95,
    equipment_id: "E2",
  }),
  unknownReading({ timestamp: T0 + 45 * s, value: 5, quality_score: 0.6 }),
  reading({ sensor_id: "s1", timestamp: T0 + 50 * s, value: 22, quality_score: 0.85 }),
  anomaly({ sensor_id: "s1", event_time_ms: T0 + 65 * s, severity: "critical" }),
  reading({
    sensor_id: "s9",
    facility_id: "F2",
    facility_name: "Plant Two",
    equipment_id: "E9",
    timestamp: T0 + 70 * s,
    sensor_type: "vibration",
    value: 1.5,
  }),
);

describe("facility metrics", () => {
  it("counts readings, sensors, equipment, alerts and anomalies per facility and window", async () => {
    const { out } = await run(input, (r, a) => facilityMetrics(r, a));
    const rows = byId(out).map((m) => [
      m.id,
      m.readings,
      m.active_sensors,
      m.active_equipment,
      m.unassigned_readings,
      m.quality_alerts,
      m.anomalies,
    ]);
    assert.deepEqual(rows, [
      [`facility-metrics|F1|${T0 - 30 * s}`, 2, 2, 1, 0, 1, 1],
      [`facility-metrics|F1|${T0}`, 5, 4, 2, 1, 2, 1],
      [`facility-metrics|F1|${T0 + 30 * s}`, 3, 3, 2, 1, 1, 1],
      [`facility-metrics|F1|${T0 + 60 * s}`, 0, 0, 0, 0, 0, 1],
      [`facility-metrics|F2|${T0 + 30 * s}`, 1, 1, 1, 0, 0, 0],
      [`facility-metrics|F2|${T0 + 60 * s}`, 1, 1, 1, 0, 0, 0],
    ]);
  });

  it("gives count, avg, min and max of the primary value per sensor type", async () => {
    const { out } = await run(input, (r, a) => facilityMetrics(r, a));
    const window = out.find((m) => m.id === `facility-metrics|F1|${T0}`)!;
    assert.deepEqual(window.by_sensor_type, {
      temperature: { count: 3, avg: 24, min: 20, max: 30 },
      power: { count: 1, avg: 1000, min: 1000, max: 1000 },
      generic: { count: 1, avg: 5, min: 5, max: 5 },
    });
    const onlyAnomaly = out.find((m) => m.id === `facility-metrics|F1|${T0 + 60 * s}`)!;
    assert.deepEqual(onlyAnomaly.by_sensor_type, {});
    assert.equal(onlyAnomaly.facility_name, null);
  });

  it("has ISO-8601 UTC window bounds, epoch ms twins and the facility's name", async () => {
    const { out, times } = await run(input, (r, a) => facilityMetrics(r, a));
    const i = out.findIndex((m) => m.id === `facility-metrics|F1|${T0}`);
    const m = out[i]!;
    assert.equal(m.facility_id, "F1");
    assert.equal(m.facility_name, "Plant One");
    assert.equal(m.window_start, "2024-01-01T00:00:00.000Z");
    assert.equal(m.window_end, "2024-01-01T00:01:00.000Z");
    assert.equal(m.window_start_ms, T0);
    assert.equal(m.window_end_ms, T0 + 60 * s);
    assert.equal(m.emission, "final");
    assert.equal(times[i], T0 + 60 * s - 1);
  });

  it("counts no anomaly without an anomaly stream, and takes the alert threshold from config", async () => {
    const { out } = await run(input, (r) =>
      facilityMetrics(r, undefined, { qualityAlertBelow: 0.9 }),
    );
    const m = out.find((x) => x.id === `facility-metrics|F1|${T0}`)!;
    assert.equal(m.anomalies, 0);
    assert.equal(m.quality_alerts, 3); // 0.7, 0.6 and 0.85 are below 0.9; 0.9 is not
    assert.equal(out.filter((x) => x.facility_id === "F1").length, 3);
  });

  it("uses the configured window and sends readings too late for every window to the late output", async () => {
    const { out, late } = await run(
      [
        ...script(reading({ timestamp: T0 + 5 * s })),
        watermark(T0 + 30 * s),
        ...script(reading({ timestamp: T0 + 6 * s }), reading({ timestamp: T0 + 31 * s })),
      ],
      (r, a) => facilityMetricsSteps(r, a, { size: 10 * s, slide: 10 * s }),
    );
    assert.deepEqual(
      out.map((m) => [m.window_start_ms - T0, m.window_end_ms - T0, m.readings]),
      [
        [0, 10 * s, 1],
        [30 * s, 40 * s, 1],
      ],
    );
    assert.equal(late.length, 1);
  });
});
