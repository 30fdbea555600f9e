/**
 * Detection quality at a small size: 200 sensors, 40 simulated minutes, a high fault
 * rate so each type has a handful of labels. The full-size figures are in
 * docs/detection.md; at this size one miss moves a recall by 0.1, so the recall
 * bars sit a little below the targets.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { evaluateDetection } from "./evaluate-detection.js";
import { formatScore } from "./format-score.js";

describe("evaluateDetection", () => {
  it("meets the detection targets on a small plant", async () => {
    const result = await evaluateDetection({
      plant: { facilities: 2, sensors: 200, seed: 1 },
      durationMs: 40 * 60_000,
      faults: { ratePerSensorHour: 1.5 },
    });
    const report = formatScore(result.score);
    const row = (fault: string) => result.score.types.find((t) => t.fault === fault)!;
    const bars = { spike: 0.9, stuck: 0.9, offline: 0.9, drift: 0.8, quality: 0.8 };
    for (const [fault, min] of Object.entries(bars)) {
      assert.ok(row(fault).labels >= 5, `${fault}: ${row(fault).labels} labels\n${report}`);
      assert.ok(row(fault).recall! >= min, `${fault}: recall ${row(fault).recall}\n${report}`);
    }
    assert.ok(result.score.overall.precision! >= 0.9, report);
    assert.equal(result.readings, 200 * 2_400);
    assert.equal(result.countFromMs, result.startMs + 15 * 60_000);
    assert.ok(result.score.deadLetters > 0, "malformed lines became dead letters");
    assert.match(report, /^fault +labels +detected +recall +precision/);
    assert.match(report, /overall: recall \d\.\d{3} \(\d+ of \d+ scored faults\)/);
  });
});
