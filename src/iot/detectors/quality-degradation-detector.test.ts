import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { TestingItem } from "../../engine/testing/index.js";
import type { EnrichedReading } from "../reading/reading.js";
import {
  at,
  brief,
  byId,
  reading,
  runDetector,
  runWithRestore,
  single,
} from "./detector-harness.fixture.js";
import {
  qualityDegradationDetector,
  qualityDegradationPart,
} from "./quality-degradation-detector.js";

/** One reading a second with the quality scores given. */
const qualities = (sensor: string, scores: number[], start = 0): TestingItem<EnrichedReading>[] =>
  scores.map((q, i) => at(reading(sensor, start + i * 1000, 1, { quality_score: q })));

/** 20 good readings, then every other one below 0.5, `n` readings in all. */
const degrading = (n: number) =>
  Array.from({ length: n }, (_, i) => (i >= 20 && i % 2 === 0 ? 0.3 : 0.9));

describe("quality-degradation detector", () => {
  it("finds nothing while quality is good or only now and then low", async () => {
    const scores = Array.from({ length: 600 }, (_, i) => (i % 10 === 0 ? 0.2 : 0.95));
    assert.deepEqual(await runDetector(qualityDegradationDetector(), qualities("s1", scores)), []);
  });

  it("reports a share of low-quality readings above 0.2, once per cooldown", async () => {
    const out = await runDetector(qualityDegradationDetector(), qualities("s1", degrading(100)));
    // At 32 s: 7 of 33 readings are low (0.212); at 92 s: 37 of 93 (0.398).
    assert.deepEqual(out.map(brief), [
      { id: "quality-degradation|s1|32000", severity: "medium", score: 0.212 },
      { id: "quality-degradation|s1|92000", severity: "medium", score: 0.398 },
    ]);
    assert.equal(out[0]!.baseline.low, 7);
    assert.equal(out[0]!.baseline.count, 33);
    assert.equal(out[0]!.message, "s1: 7 of 33 readings (21.21 %) below quality 0.5 over 5 min");
  });

  it("grades a share above 0.5 high, and needs minReadings", async () => {
    const out = await runDetector(
      qualityDegradationDetector(),
      qualities("s1", [0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1]),
    );
    assert.deepEqual(out.map(brief), [
      { id: "quality-degradation|s1|9000", severity: "high", score: 1 },
    ]);
  });

  it("keeps 9 closed 30 s buckets of 5 min by default: 18 numbers a sensor", () => {
    const part = qualityDegradationPart();
    assert.equal(part.layout, "ring 9 × 30000 ms");
    assert.equal(part.cold, 18);
    assert.equal(qualityDegradationPart({ bucketMs: 10_000 }).cold, 58);
  });

  it("gives the same anomalies when its state is checkpointed and restored mid-stream", async () => {
    const items = qualities("s1", degrading(400));
    const whole = await runDetector(qualityDegradationDetector(), items);
    assert.equal(whole.length, 7);
    const restored = await runWithRestore(() => single(qualityDegradationDetector()), items, 150);
    assert.deepEqual(byId(restored), byId(whole));
  });
});
