import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  at,
  byId,
  reading,
  runDetector,
  runWithRestore,
  single,
  watermark,
} from "./detector-harness.fixture.js";
import { equipmentTransitionDetector } from "./equipment-transition-detector.js";

const power = (t: number, v: number, equipment: string | null = "press-1") =>
  at(reading("p1", t, v, { sensor_type: "power", equipment_id: equipment }));
const vibration = (t: number, v: number) => at(reading("v1", t, v, { sensor_type: "vibration" }));
const temperature = (t: number) => at(reading("t1", t, 60, { sensor_type: "temperature" }));

const script = [
  power(0, 10), // idle
  temperature(10_000),
  power(20_000, 500), // start-up
  vibration(25_000, 1.2),
  power(60_000, 20), // vibration still runs
  vibration(65_000, 0.1), // shut-down
  power(100_000, 600), // start-up
  temperature(150_000),
  power(160_000, 5_000, null), // no equipment: ignored
  watermark(1_000_000), // silence from 150 s: the session ends at 450 s, running
];

describe("equipment start-up and shut-down detector", () => {
  it("reports start-up, shut-down by value and shut-down by silence", async () => {
    const out = await runDetector(equipmentTransitionDetector(), script, "equipment");
    assert.deepEqual(
      out.map((a) => [a.id, a.severity, a.sensor_id, a.value]),
      [
        ["equipment-startup|press-1|20000", "low", "p1", 500],
        ["equipment-shutdown|press-1|65000", "low", "v1", 0.1],
        ["equipment-startup|press-1|100000", "low", "p1", 600],
        ["equipment-shutdown|press-1|450000", "low", "p1", null],
      ],
    );
    assert.equal(out[0]!.message, "press-1: started up: power 500 above 100");
    assert.equal(out[3]!.baseline.last_reading_ms, 150_000);
  });

  it("reports a session that starts running as a start-up, unless told not to", async () => {
    const items = [power(0, 900), power(1000, 950), power(2000, 5)];
    const out = await runDetector(equipmentTransitionDetector(), items, "equipment");
    assert.deepEqual(
      out.map((a) => a.id),
      ["equipment-startup|press-1|0", "equipment-shutdown|press-1|2000"],
    );
    const quiet = await runDetector(
      equipmentTransitionDetector({ startupOnNewSession: false }),
      items,
      "equipment",
    );
    assert.deepEqual(
      quiet.map((a) => a.id),
      ["equipment-shutdown|press-1|2000"],
    );
  });

  it("applies hysteresis between idleBelow and runningAbove", async () => {
    const items = [power(0, 10), power(1000, 150), power(2000, 80), power(3000, 40)];
    const out = await runDetector(
      equipmentTransitionDetector({ runningAbove: { power: 100 }, idleBelow: { power: 50 } }),
      items,
      "equipment",
    );
    assert.deepEqual(
      out.map((a) => a.id),
      ["equipment-startup|press-1|1000", "equipment-shutdown|press-1|3000"],
    );
  });

  it("ends a session that one batch both left and resumed", async () => {
    const items = [power(0, 500), power(400_000, 500)];
    const out = await runDetector(equipmentTransitionDetector(), items, "equipment");
    assert.deepEqual(
      out.map((a) => a.id),
      [
        "equipment-startup|press-1|0",
        "equipment-shutdown|press-1|300000",
        "equipment-startup|press-1|400000",
      ],
    );
  });

  it("gives the same records when its state is checkpointed and restored mid-stream", async () => {
    const whole = await runDetector(equipmentTransitionDetector(), script, "equipment");
    const restored = await runWithRestore(
      () => single(equipmentTransitionDetector(), "equipment"),
      script,
      4,
    );
    assert.deepEqual(byId(restored), byId(whole));
  });
});
