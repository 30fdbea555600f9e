import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { brief, runDetector, series } from "./detector-harness.fixture.js";
import { thresholdDetector } from "./threshold-detector.js";

const thresholds = { warning_min: 10, warning_max: 80, critical_min: 0, critical_max: 100 };

describe("threshold detector", () => {
  it("reports entering a band, worsening and switching sides, once each", async () => {
    const values = [50, 85, 86, 105, 110, 90, 95, 50, 5, -7, 3, 90];
    const out = await runDetector(
      thresholdDetector(),
      series("t1", 0, 1000, values, { thresholds }),
    );
    // The band is 70 wide (10–80): 85 is 5/70 past warning_max, 105 is 5/70 past critical_max.
    assert.deepEqual(out.map(brief), [
      { id: "threshold|t1|1000", severity: "medium", score: 0.071 },
      { id: "threshold|t1|3000", severity: "critical", score: 0.071 },
      { id: "threshold|t1|8000", severity: "medium", score: 0.071 },
      { id: "threshold|t1|9000", severity: "critical", score: 0.1 },
      { id: "threshold|t1|11000", severity: "medium", score: 0.143 },
    ]);
    assert.equal(out[0]!.baseline.threshold, 80);
    assert.equal(out[0]!.baseline.warning_max, 80);
    assert.equal(out[0]!.message, "t1: 85 is above its warning maximum 80");
    assert.equal(out[3]!.message, "t1: -7 is below its critical minimum 0");
  });

  it("reports every reading outside a band when asked to", async () => {
    const out = await runDetector(
      thresholdDetector({ emit: "every-reading", warningSeverity: "high" }),
      series("t1", 0, 1000, [50, 85, 86, 105, 50], { thresholds }),
    );
    assert.deepEqual(
      out.map((a) => [a.event_time_ms, a.severity]),
      [
        [1000, "high"],
        [2000, "high"],
        [3000, "critical"],
      ],
    );
  });

  it("uses whichever bounds a sensor has", async () => {
    const out = await runDetector(
      thresholdDetector(),
      series("t1", 0, 1000, [1, 5, 12], { thresholds: { critical_max: 10 } }),
    );
    // No band width: the excess is relative to the bound itself.
    assert.deepEqual(out.map(brief), [
      { id: "threshold|t1|2000", severity: "critical", score: 0.2 },
    ]);
  });

  it("ignores sensors without thresholds", async () => {
    const out = await runDetector(thresholdDetector(), series("t1", 0, 1000, [1e9, -1e9]));
    assert.deepEqual(out, []);
  });
});
