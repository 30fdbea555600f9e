import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { TestingItem } from "../../engine/testing/index.js";
import type { EnrichedReading } from "../reading/reading.js";
import { applyDetectors, detectorsConfigDefaults } from "./apply-detectors.js";
import {
  at,
  byId,
  clean,
  reading,
  runFlow,
  runWithRestore,
  watermark,
} from "./detector-harness.fixture.js";

/** A small plant: a spiky, stuck, silent, degrading, starting and overheating mix. */
function plant(): TestingItem<EnrichedReading>[] {
  const items: TestingItem<EnrichedReading>[] = [];
  const thresholds = { warning_max: 80, critical_max: 100 };
  const wobble = clean(400);
  for (let i = 0; i < 400; i++) {
    const t = i * 1000;
    const spike = i === 100 || i === 250 ? 90 : wobble[i]!;
    items.push(at(reading("temp-1", t, spike, { sensor_type: "temperature", thresholds })));
    items.push(at(reading("stuck-1", t + 1, i < 50 ? wobble[i]! : 3.3)));
    if (i < 120) items.push(at(reading("silent-1", t + 2, wobble[i]!)));
    const power = i < 150 ? 20 : 4_000 + wobble[i]!;
    items.push(
      at(
        reading("power-1", t + 3, power, {
          sensor_type: "power",
          quality_score: i % 3 === 0 ? 0.2 : 0.9,
        }),
      ),
    );
  }
  items.push(watermark(1_000_000));
  return items;
}

describe("applyDetectors", () => {
  it("runs every detector, each its own step, and merges their anomalies", async () => {
    const out = await runFlow((r) => applyDetectors(r), plant());
    const detectors = new Set(out.map((a) => a.detector));
    assert.deepEqual([...detectors].sort(), [
      "equipment-shutdown",
      "equipment-startup",
      "offline",
      "quality-degradation",
      "stuck-sensor",
      "threshold",
      "trend",
      "z-score",
    ]);
    assert.equal(new Set(out.map((a) => a.id)).size, out.length, "ids are unique");
    assert.ok(out.some((a) => a.id === "z-score|temp-1|100000"));
    assert.ok(out.some((a) => a.id === "stuck-sensor|stuck-1|59001"));
    assert.ok(out.some((a) => a.id === "offline|silent-1|179002"));
  });

  it("leaves out disabled detectors", async () => {
    const out = await runFlow(
      (r) =>
        applyDetectors(r, {
          zScore: { enabled: false },
          trend: { enabled: false },
          qualityDegradation: { enabled: false },
          equipmentTransition: { enabled: false },
          offline: { timeoutMs: 10_000 },
        }),
      plant(),
    );
    assert.deepEqual([...new Set(out.map((a) => a.detector))].sort(), [
      "offline",
      "stuck-sensor",
      "threshold",
    ]);
    assert.ok(out.some((a) => a.id === "offline|silent-1|129002"));
  });

  it("refuses to run no detector at all", () => {
    const none = Object.fromEntries(
      Object.keys(detectorsConfigDefaults).map((k) => [k, { enabled: false }]),
    );
    assert.throws(() => applyDetectors(null as never, none), /no detector is enabled/);
  });

  it("gives the same anomalies when every detector is checkpointed and restored", async () => {
    const items = plant();
    const whole = await runFlow((r) => applyDetectors(r), items);
    const restored = await runWithRestore(() => (r) => applyDetectors(r), items, 700);
    assert.deepEqual(byId(restored), byId(whole));
  });
});
