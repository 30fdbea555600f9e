import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { TestingItem } from "../../engine/testing/index.js";
import type { EnrichedReading, SensorType } from "../reading/reading.js";
import { applyDetectors } from "./apply-detectors.js";
import {
  at,
  byId,
  reading,
  runDetector,
  runFlow,
  runWithRestore,
  single,
} from "./detector-harness.fixture.js";
import { sensorDriftDetector } from "./sensor-drift-detector.js";

const MINUTE = 60_000;
const STEP = 5_000;

/** A machine's load: a slow swing between 0.3 and 0.7 over 40 minutes. */
const load = (t: number) => 0.5 + 0.2 * Math.sin((2 * Math.PI * t) / (40 * MINUTE));

interface SensorSpec {
  readonly id: string;
  readonly type: SensorType;
  /** Value at load 0 and gain per unit of load. */
  readonly base: number;
  readonly gain: number;
  /** How far behind the load it follows, ms. */
  readonly lagMs?: number;
  /** Extra drift per minute after `driftFrom` (in the unit). */
  readonly drift?: number;
}

const DRIFT_FROM = 25 * MINUTE;

/** Readings of one machine's sensors every 5 s for `minutes`, in time order. */
function machine(specs: readonly SensorSpec[], minutes = 40): TestingItem<EnrichedReading>[] {
  const items: TestingItem<EnrichedReading>[] = [];
  for (let t = 0, i = 0; t < minutes * MINUTE; t += STEP, i++) {
    specs.forEach((s, k) => {
      const wobble = ((((i + 3 * k) * 7919) % 13) - 6) * 0.004 * s.gain;
      const drift =
        s.drift !== undefined && t > DRIFT_FROM ? (s.drift * (t - DRIFT_FROM)) / MINUTE : 0;
      const value = s.base + s.gain * load(t - (s.lagMs ?? 0)) + wobble + drift;
      items.push(
        at(
          reading(s.id, t + k, value, {
            sensor_type: s.type,
            equipment_id: "pump-1",
          }),
        ),
      );
    });
  }
  return items;
}

const PUMP: readonly SensorSpec[] = [
  { id: "pump-1-pwr", type: "power", base: 500, gain: 10_000 },
  { id: "pump-1-vib", type: "vibration", base: 0.2, gain: 1.5 },
  { id: "pump-1-pres", type: "pressure", base: 40, gain: 50 },
  { id: "pump-1-gen", type: "generic", base: 2000, gain: 900 },
];

const byMachine = (items: TestingItem<EnrichedReading>[]) =>
  runDetector(sensorDriftDetector(), items, "equipment");

describe("sensor-drift detector", () => {
  it("finds nothing while every sensor follows the machine's load", async () => {
    assert.deepEqual(await byMachine(machine(PUMP)), []);
  });

  it("finds the one sensor that trends while its peers hold the load's course", async () => {
    // Pressure drifts up by 2.5 psi a minute (its swing with the load is ±10 psi).
    const specs = PUMP.map((s) => (s.type === "pressure" ? { ...s, drift: 2.5 } : s));
    const out = await byMachine(machine(specs));
    assert.ok(out.length >= 1, "the drift is found");
    assert.ok(out.length <= 3, "at most one anomaly per cooldown (5 min)");
    const [first] = out;
    assert.equal(first!.detector, "sensor-drift");
    assert.equal(first!.sensor_id, "pump-1-pres");
    assert.equal(first!.equipment_id, "pump-1");
    assert.equal(first!.id, `sensor-drift|pump-1-pres|${first!.event_time_ms}`);
    assert.ok(
      first!.event_time_ms > DRIFT_FROM && first!.event_time_ms < DRIFT_FROM + 10 * MINUTE,
      "first!.event_time_ms > DRIFT_FROM && first!.event_time_ms < DRIFT_F...",
    );
    const { slope_per_minute, stddev, peer_slope } = first!.baseline;
    assert.ok(slope_per_minute! / stddev! > peer_slope! + 0.12, "rising apart from its peers");
    assert.equal(first!.baseline.peers, 3);
    assert.equal(first!.baseline.threshold, 0.12);
    assert.match(
      first!.message,
      /^pump-1-pres: (rising|falling) .* stddev\/min, .* apart from the other 3 sensors of pump-1/,
    );
    assert.ok(first!.score > 0.12, "first!.score > 0.12");
    for (let i = 1; i < out.length; i++) {
      assert.ok(
        out[i]!.event_time_ms >= out[i - 1]!.event_time_ms + 5 * MINUTE,
        "out[i]!.event_time_ms >= out[i - 1]!.event_time_ms + 5 * MINUTE",
      );
    }
  });

  it("lets a sensor follow its machine a few minutes behind (a temperature's thermal lag)", async () => {
    const specs = [
      ...PUMP,
      { id: "pump-1-temp", type: "temperature" as const, base: 30, gain: 40, lagMs: 2 * MINUTE },
    ];
    assert.deepEqual(await byMachine(machine(specs)), []);
  });

  it("judges nothing without two peers, nor before its warm-up", async () => {
    const lonely = PUMP.slice(0, 2).map((s, i) => (i === 0 ? { ...s, drift: 2_000 } : s));
    assert.deepEqual(await byMachine(machine(lonely)), []);
    const specs = PUMP.map((s) => (s.type === "pressure" ? { ...s, drift: 2.5 } : s));
    const late = await runDetector(
      sensorDriftDetector({ warmupMs: 60 * MINUTE }),
      machine(specs),
      "equipment",
    );
    assert.deepEqual(late, []);
  });

  it("runs in applyDetectors' equipment step, and is checkpointed with it", async () => {
    const specs = PUMP.map((s) => (s.type === "pressure" ? { ...s, drift: 2.5 } : s));
    const items = machine(specs);
    const only = {
      zScore: { enabled: false },
      threshold: { enabled: false },
      trend: { enabled: false },
      stuckSensor: { enabled: false },
      offline: { enabled: false },
      qualityDegradation: { enabled: false },
      equipmentTransition: { enabled: false },
    };
    const whole = await runFlow((r) => applyDetectors(r, only), items);
    assert.ok(whole.length >= 1, "whole.length >= 1");
    assert.ok(
      whole.every((a) => a.sensor_id === "pump-1-pres" && a.detector === "sensor-drift"),
      "whole.every((a) => a.sensor_id === 'pump-1-pres' && a.detector === ...",
    );
    const restored = await runWithRestore(
      () => single(sensorDriftDetector(), "equipment"),
      items,
      Math.floor(items.length * 0.8),
    );
    assert.deepEqual(byId(restored), byId(whole));
  });

  it("rejects invalid options", () => {
    assert.throws(() => sensorDriftDetector({ minSlope: 0 }), /sensor-drift: minSlope must be > 0/);
    assert.throws(() => sensorDriftDetector({ slopeTimeMs: -1 }), /slopeTimeMs/);
  });
});
