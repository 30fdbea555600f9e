import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  brief,
  byId,
  runDetector,
  runWithRestore,
  series,
  single,
} from "./detector-harness.fixture.js";
import { stuckSensorDetector } from "./stuck-sensor-detector.js";

const repeat = (v: number, n: number) => Array.from({ length: n }, () => v);

describe("stuck-sensor detector", () => {
  it("reports a sensor after N equal readings, once per stuck run", async () => {
    const values = [1, 2, 3, ...repeat(7, 25), 8, ...repeat(9, 10)];
    const out = await runDetector(stuckSensorDetector(), series("s1", 0, 1000, values));
    assert.deepEqual(out.map(brief), [
      { id: "stuck-sensor|s1|12000", severity: "medium", score: 1 },
      { id: "stuck-sensor|s1|38000", severity: "medium", score: 1 },
    ]);
    assert.equal(out[0]!.message, "s1: stuck at 7 for 10 readings over 9 s");
    assert.equal(out[0]!.baseline.since_ms, 3000);
  });

  it("reports a slow sensor after T seconds of one value", async () => {
    const out = await runDetector(
      stuckSensorDetector(),
      series("s1", 0, 10_000, [4, ...repeat(5, 9)]),
    );
    // 5 from 10 s on: the 7th reading of 5 (at 70 s) is 60 s after the first.
    assert.deepEqual(out.map(brief), [
      { id: "stuck-sensor|s1|70000", severity: "medium", score: 1 },
    ]);
    assert.equal(out[0]!.baseline.readings, 7);
  });

  it("treats values within epsilon of the run's first value as the same", async () => {
    const wobble = [5, 5.004, 4.996, 5.002, 5.001, 4.999, 5.003, 4.998, 5, 5.004];
    const exact = await runDetector(stuckSensorDetector(), series("s1", 0, 1000, wobble));
    assert.deepEqual(exact, []);
    const out = await runDetector(
      stuckSensorDetector({ epsilon: 0.005 }),
      series("s1", 0, 1000, wobble),
    );
    assert.deepEqual(out.map(brief), [
      { id: "stuck-sensor|s1|9000", severity: "medium", score: 1 },
    ]);
  });

  it("finds nothing in a changing signal", async () => {
    const out = await runDetector(
      stuckSensorDetector(),
      series(
        "s1",
        0,
        1000,
        Array.from({ length: 300 }, (_, i) => i % 3),
      ),
    );
    assert.deepEqual(out, []);
  });

  it("gives the same anomalies when its state is checkpointed and restored mid-stream", async () => {
    const values = [1, ...repeat(2, 30), 3, ...repeat(4, 12), 5, ...repeat(6, 40)];
    const items = series("s1", 0, 1000, values);
    const whole = await runDetector(stuckSensorDetector(), items);
    assert.equal(whole.length, 3);
    const restored = await runWithRestore(() => single(stuckSensorDetector()), items, 40);
    assert.deepEqual(byId(restored), byId(whole));
  });
});
