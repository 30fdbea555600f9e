import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  brief,
  byId,
  clean,
  runDetector,
  runWithRestore,
  series,
  single,
} from "./detector-harness.fixture.js";
import { zScoreDetector } from "./z-score-detector.js";

/** Mean and sample stddev, the slow way. */
function stats(values: number[]) {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const m2 = values.reduce((a, v) => a + (v - mean) ** 2, 0);
  return { mean, stddev: Math.sqrt(m2 / (values.length - 1)) };
}

describe("z-score detector", () => {
  it("finds nothing in a clean signal", async () => {
    const out = await runDetector(zScoreDetector(), series("s1", 0, 1000, clean(600)));
    assert.deepEqual(out, []);
  });

  it("finds a spike once, with its severity, score, baseline and id", async () => {
    const values = clean(60);
    const { mean, stddev } = stats(values);
    const spike = mean + 7.5 * stddev;
    const out = await runDetector(
      zScoreDetector(),
      series("s1", 0, 1000, [...values, spike, ...clean(30)]),
    );
    assert.deepEqual(out.map(brief), [{ id: "z-score|s1|60000", severity: "high", score: 7.5 }]);
    const [a] = out;
    assert.equal(a!.detector, "z-score");
    assert.equal(a!.sensor_id, "s1");
    assert.equal(a!.equipment_id, "press-1");
    assert.equal(a!.event_time, "1970-01-01T00:01:00.000Z");
    assert.equal(a!.event_time_ms, 60_000);
    assert.equal(a!.detected_at, "2026-01-01T00:00:00.000Z");
    assert.equal(a!.value, spike);
    assert.ok(Math.abs(a!.baseline.mean! - mean) < 1e-9);
    assert.ok(Math.abs(a!.baseline.stddev! - stddev) < 1e-9);
    assert.equal(a!.baseline.count, 60);
    assert.match(a!.message, /^s1: 2\d\.\d+ is 7\.5 stddev above its 2 min mean 2\d\.\d+/);
  });

  it("grades severity: medium above 5, high above 7, critical above 10", async () => {
    const values = clean(40);
    const { mean, stddev } = stats(values);
    const spikes = [5.5, -7.2, 12, 4.9].map((z) => mean + z * stddev);
    const out = await runDetector(zScoreDetector(), series("s1", 0, 1000, [...values, ...spikes]));
    assert.deepEqual(
      out.map((a) => a.severity),
      ["medium", "high", "critical"],
    );
    assert.match(out[1]!.message, /below/);
  });

  it("keeps anomalous readings out of the baseline: two spikes in a row are both found", async () => {
    const values = clean(60);
    const { mean, stddev } = stats(values);
    const spike = mean + 8 * stddev;
    const out = await runDetector(
      zScoreDetector(),
      series("s1", 0, 1000, [...values, spike, spike, spike]),
    );
    assert.deepEqual(out.map(brief), [
      { id: "z-score|s1|60000", severity: "high", score: 8 },
      { id: "z-score|s1|61000", severity: "high", score: 8 },
      { id: "z-score|s1|62000", severity: "high", score: 8 },
    ]);
  });

  it("takes five anomalous readings in a row on one side as a new level and relearns it", async () => {
    const values = clean(60);
    const { mean, stddev } = stats(values);
    // The level moves up by 20 stddev for good: five anomalies, then the baseline
    // restarts from the new level and, once it holds 30 readings, finds it normal.
    const shifted = clean(120).map((v) => v + 20 * stddev);
    const out = await runDetector(zScoreDetector(), series("s1", 0, 1000, [...values, ...shifted]));
    assert.deepEqual(
      out.map((a) => a.event_time_ms),
      [60_000, 61_000, 62_000, 63_000, 64_000],
    );
    assert.ok(out.every((a) => a.baseline.mean! < mean + stddev));
    // Alternating sides is noise, not a level: the baseline is kept.
    const noisy = [...values];
    for (let i = 0; i < 8; i++) noisy.push(mean + (i % 2 === 0 ? 9 : -9) * stddev);
    const flicker = await runDetector(zScoreDetector(), series("s2", 0, 1000, noisy));
    assert.equal(flicker.length, 8);
  });

  it("scores nothing before the baseline holds minSamples readings", async () => {
    const values = clean(20);
    const out = await runDetector(zScoreDetector(), series("s1", 0, 1000, [...values, 1_000]));
    assert.deepEqual(out, []);
    const early = await runDetector(
      zScoreDetector({ minSamples: 10 }),
      series("s1", 0, 1000, [...values, 1_000]),
    );
    assert.equal(early.length, 1);
  });

  it("forgets readings older than the window", async () => {
    // Two minutes around 100, then a quiet hour, then 40 readings around 20: the old
    // level is out of the 5 min baseline, so the new one is not anomalous.
    const out = await runDetector(zScoreDetector(), [
      ...series("s1", 0, 1000, clean(120, 100)),
      ...series("s1", 3_600_000, 1000, clean(60, 20)),
    ]);
    assert.deepEqual(out, []);
  });

  it("guards a zero stddev with the minimum relative stddev", async () => {
    const flat = Array.from({ length: 40 }, () => 50);
    const out = await runDetector(zScoreDetector(), series("s1", 0, 1000, [...flat, 50, 50.01]));
    assert.deepEqual(out.map(brief), [
      { id: "z-score|s1|41000", severity: "critical", score: 200 },
    ]);
  });

  it("keeps sensors apart", async () => {
    const items = [
      ...series("a", 0, 1000, clean(60, 10)),
      ...series("b", 500, 1000, clean(60, 90)),
    ];
    const out = await runDetector(zScoreDetector(), items);
    assert.deepEqual(out, []);
  });

  it("gives the same anomalies when its state is checkpointed and restored mid-stream", async () => {
    const values = clean(400);
    for (const i of [50, 51, 130, 260, 261, 390]) values[i] = 40 + (i % 7);
    const items = [...series("s1", 0, 1000, values), ...series("s2", 300, 1500, values)];
    items.sort((x, y) => (x.kind === "record" && y.kind === "record" ? x.time - y.time : 0));
    const whole = await runDetector(zScoreDetector(), items);
    assert.ok(whole.length >= 10);
    const restored = await runWithRestore(() => single(zScoreDetector()), items, 500);
    assert.deepEqual(byId(restored), byId(whole));
  });
});
