import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Anomaly } from "../reading/reading.js";
import type { FaultLabel } from "../simulator/fault-types.js";
import { missedTargets } from "./detection-targets.js";
import { scoreDetections } from "./score-detections.js";

const T0 = Date.UTC(2025, 5, 2, 0, 15);

function label(
  id: string,
  fault: FaultLabel["fault"],
  sensor: string | null,
  start: number,
  end: number,
  params = {},
): FaultLabel {
  return {
    id,
    fault,
    sensor_id: sensor,
    sensor_type: sensor === null ? null : "temperature",
    equipment_id: "M1",
    facility_id: "FAC-01",
    start_ms: start,
    end_ms: end,
    start: new Date(start).toISOString(),
    end: new Date(end).toISOString(),
    params,
  };
}

function anomaly(detector: string, sensor: string, t: number, equipment = "M1"): Anomaly {
  return {
    id: `${detector}|${sensor}|${t}`,
    detector,
    severity: "medium",
    sensor_id: sensor,
    equipment_id: equipment,
    facility_id: "FAC-01",
    production_line: "L1",
    sensor_type: "temperature",
    event_time: new Date(t).toISOString(),
    event_time_ms: t,
    detected_at: new Date(t).toISOString(),
    value: 1,
    baseline: {},
    score: 1,
    message: "",
  };
}

describe("scoreDetections", () => {
  const labels = [
    label("F1", "spike", "S1", T0 + 60_000, T0 + 60_000),
    label("F2", "spike", "S2", T0 + 60_000, T0 + 60_000),
    label("F3", "offline", "S3", T0 + 100_000, T0 + 400_000),
    label("F4-down", "equipment-shutdown", null, T0 + 500_000, T0 + 560_000, { off_ms: 600_000 }),
    label("F5", "late", "S4", T0, T0 + 30_000),
    label("F6", "malformed", "S5", T0, T0 + 5_000),
  ];

  it("detects a label by an expected detector on its subject within the tolerance, and measures the delay", () => {
    const score = scoreDetections(
      labels,
      [
        anomaly("z-score", "S1", T0 + 60_300), // F1, within the 500 ms tolerance
        anomaly("z-score", "S2", T0 + 62_000), // too late for F2's recall, but explained by it
        anomaly("offline", "S3", T0 + 159_000), // F3, 59 s in
        anomaly("equipment-shutdown", "S9", T0 + 565_000), // F4 by machine, 10 s tolerance
        anomaly("threshold", "S9", T0 + 900_000), // machine off: explained by the shutdown
        anomaly("trend", "S7", T0 + 70_000), // nothing explains it
        anomaly("z-score", "S1", T0 - 60_000), // warm-up: not counted
      ],
      [{ reason: "not-json", payload: '{"sensor_id":"S5","timest' }],
      { countFromMs: T0 },
    );
    const row = (fault: string) => score.types.find((t) => t.fault === fault)!;
    assert.deepEqual(
      [row("spike").labels, row("spike").detected, row("spike").recall],
      [2, 1, 0.5],
    );
    assert.equal(row("spike").medianDelayMs, 300);
    assert.equal(row("offline").medianDelayMs, 59_000);
    assert.equal(row("equipment-shutdown").recall, 1);
    assert.equal(row("malformed").recall, 1);
    assert.equal(row("late").recall, null, "delivery faults are not scored");
    assert.deepEqual(
      score.missed.map((l) => l.id),
      ["F2"],
    );
    assert.equal(score.overall.anomalies, 6);
    assert.equal(score.overall.explained, 5);
    assert.equal(score.overall.startupAnomalies, 1);
    assert.equal(score.overall.labels, 5);
    assert.equal(score.overall.detected, 4);
    // Spike precision: its detectors (z-score, threshold) found 1 spike anomaly and no
    // unexplained one; the unexplained trend anomaly counts against drift only.
    assert.equal(row("spike").precision, 1);
    assert.deepEqual(
      score.unexplained.map((a) => a.detector),
      ["trend"],
    );
    assert.deepEqual(
      score.detectors.find((d) => d.detector === "trend"),
      { detector: "trend", anomalies: 1, explained: 0, precision: 0 },
    );
  });

  it("lists the targets a score misses", () => {
    const score = scoreDetections(labels, [anomaly("z-score", "S1", T0 + 60_000)], [], {
      countFromMs: T0,
    });
    const missed = missedTargets(score);
    assert.ok(missed.includes("spike: recall 0.500 < 0.95"), missed.join("; "));
    assert.ok(missed.includes("offline: recall 0.000 < 0.95"), missed.join("; "));
    assert.ok(missed.includes("drift: no labels, not measured"), missed.join("; "));
    assert.ok(!missed.some((m) => m.startsWith("overall")), "precision 1 is met");
  });
});
