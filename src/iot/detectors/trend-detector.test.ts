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
import { trendDetector, trendPart } from "./trend-detector.js";

/** The least-squares slope per minute of (t, v) points, the slow way. */
function slopePerMinute(points: [number, number][]): number {
  const n = points.length;
  const mt = points.reduce((a, [t]) => a + t, 0) / n;
  const mv = points.reduce((a, [, v]) => a + v, 0) / n;
  let num = 0;
  let den = 0;
  for (const [t, v] of points) {
    num += (t - mt) * (v - mv);
    den += (t - mt) ** 2;
  }
  return (num / den) * 60_000;
}

/** 30 s flat at 20, then +1 per second for `seconds`, then flat: one reading a second. */
function ramp(seconds: number, tail = 60): number[] {
  const values: number[] = [];
  for (let i = 0; i < 30; i++) values.push(20);
  for (let i = 1; i <= seconds; i++) values.push(20 + i);
  for (let i = 0; i < tail; i++) values.push(20 + seconds);
  return values;
}

describe("trend detector", () => {
  it("finds nothing in a clean signal", async () => {
    const out = await runDetector(trendDetector(), series("s1", 0, 1000, clean(600)));
    assert.deepEqual(out, []);
  });

  it("reports a ramp once per cooldown, as soon as the slope passes the rate", async () => {
    const values = ramp(150);
    const out = await runDetector(trendDetector(), series("s1", 0, 1000, values));
    // The first at 39 s: the window [0 s, 39 s] holds 30 flat readings and 10 rising ones.
    // The last comes 39 s after the ramp ended: the 2 min regression still sees it.
    const first = values.slice(0, 40).map((v, i): [number, number] => [i * 1000, v]);
    const expected = slopePerMinute(first);
    assert.ok(expected > 10);
    assert.deepEqual(
      out.map((a) => a.event_time_ms),
      [39_000, 99_000, 159_000, 219_000],
    );
    assert.ok(Math.abs(out[0]!.baseline.slope_per_minute! - expected) < 1e-6);
    assert.ok(Math.abs(out[0]!.score - expected / 10) < 1e-9);
    assert.equal(out[0]!.id, "trend|s1|39000");
    assert.deepEqual(
      out.map((a) => a.severity),
      ["medium", "critical", "critical", "critical"],
    );
    assert.equal(out[2]!.score, 6); // a window of pure ramp: 60/min on a 10/min rate
    assert.match(out[2]!.message, /^s1: rising 60\/min over 2 min \(limit 10\/min\)$/);
  });

  it("uses the sensor type's rate, which the config can override", async () => {
    const temp = { sensor_type: "temperature" as const };
    const slow = Array.from({ length: 120 }, (_, i) => 20 + i * 0.1); // 6 °C/min
    const out = await runDetector(trendDetector(), series("t1", 0, 1000, slow, temp));
    assert.deepEqual(out.map(brief), [
      { id: "trend|t1|9000", severity: "medium", score: 1.2 },
      { id: "trend|t1|69000", severity: "medium", score: 1.2 },
    ]);
    const relaxed = await runDetector(
      trendDetector({ ratePerMinute: { temperature: 7 } }),
      series("t1", 0, 1000, slow, temp),
    );
    assert.deepEqual(relaxed, []);
  });

  it("with alert thresholds, takes a share of the sensor's band per minute as the rate", async () => {
    const temp = { sensor_type: "temperature" as const };
    const slow = Array.from({ length: 120 }, (_, i) => 20 + i * 0.1); // 6 °C/min
    // Band 0–100 °C: the rate is 10 °C/min (a tenth of the band), so 6 °C/min is no news…
    const wide = { ...temp, thresholds: { warning_min: 0, warning_max: 100 } };
    assert.deepEqual(await runDetector(trendDetector(), series("t1", 0, 1000, slow, wide)), []);
    // …but on a 40 °C band (rate 4 °C/min) it is.
    const narrow = { ...temp, thresholds: { warning_min: 20, warning_max: 60 } };
    const out = await runDetector(trendDetector(), series("t1", 0, 1000, slow, narrow));
    assert.deepEqual(out.map(brief), [
      { id: "trend|t1|9000", severity: "medium", score: 1.5 },
      { id: "trend|t1|69000", severity: "medium", score: 1.5 },
    ]);
    assert.equal(out[0]!.baseline.threshold, 4);
    // A single bound is the band's width from 0; null falls back to ratePerMinute.
    const oneSided = { ...temp, thresholds: { warning_max: 40 } };
    const byBound = await runDetector(trendDetector(), series("t1", 0, 1000, slow, oneSided));
    assert.equal(byBound[0]!.baseline.threshold, 4);
    const off = await runDetector(
      trendDetector({ bandSharePerMinute: null }),
      series("t1", 0, 1000, slow, wide),
    );
    assert.equal(off[0]!.baseline.threshold, 5);
  });

  it("keeps 5 closed 20 s buckets of 2 min by default: 25 numbers a sensor", () => {
    const part = trendPart();
    assert.equal(part.layout, "ring 5 × 20000 ms");
    assert.equal(part.cold, 25);
    assert.equal(trendPart({ bucketMs: 10_000 }).cold, 55);
  });

  it("needs minSamples readings", async () => {
    const out = await runDetector(
      trendDetector(),
      series("s1", 0, 10_000, [1, 100, 200, 300, 400, 500]),
    );
    assert.deepEqual(out, []);
  });

  it("gives the same anomalies when its state is checkpointed and restored mid-stream", async () => {
    const items = [...series("s1", 0, 1000, ramp(200, 100)), ...series("s2", 0, 2000, ramp(90))];
    items.sort((x, y) => (x.kind === "record" && y.kind === "record" ? x.time - y.time : 0));
    const whole = await runDetector(trendDetector(), items);
    assert.ok(whole.length >= 5);
    const restored = await runWithRestore(() => single(trendDetector()), items, 150);
    assert.deepEqual(byId(restored), byId(whole));
  });
});
