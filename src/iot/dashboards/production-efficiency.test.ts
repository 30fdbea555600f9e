import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { efficiencyScore } from "./efficiency-score.js";
import { productionEfficiency } from "./production-efficiency.js";
import { byId, reading, run, script, T0, unknownReading } from "./test-readings.js";

const minute = 60_000;
const at = (m: number) => T0 + m * minute;

const input = script(
  reading({
    equipment_id: "E1",
    sensor_type: "power",
    value: 500,
    quality_score: 0.99,
    timestamp: at(6),
  }),
  reading({
    equipment_id: "E1",
    sensor_type: "power",
    value: 50,
    quality_score: 0.99,
    timestamp: at(7),
  }),
  reading({
    equipment_id: "E1",
    sensor_type: "temperature",
    value: 60,
    quality_score: 0.9,
    timestamp: at(7),
  }),
  reading({
    equipment_id: "E2",
    sensor_type: "power",
    value: 800,
    quality_score: 0.97,
    timestamp: at(8),
  }),
  reading({
    equipment_id: "E2",
    sensor_type: "vibration",
    value: 2,
    quality_score: 0.96,
    timestamp: at(8),
  }),
  reading({
    equipment_id: "E2",
    sensor_type: "pressure",
    value: 100,
    quality_score: 0.99,
    timestamp: at(8),
  }),
  unknownReading({ sensor_type: "power", value: 900, timestamp: at(8) }),
  reading({
    equipment_id: "E3",
    sensor_type: "power",
    value: 10,
    shift: "morning",
    timestamp: at(9),
  }),
);

describe("production efficiency", () => {
  it("aggregates per facility, line and shift over 10 min windows sliding by 5 min", async () => {
    const { out } = await run(input, (r) => productionEfficiency(r));
    assert.deepEqual(
      byId(out).map((p) => p.id),
      [
        `production-efficiency|F1|L1|morning|${at(0)}`,
        `production-efficiency|F1|L1|morning|${at(5)}`,
        `production-efficiency|F1|L1|night|${at(0)}`,
        `production-efficiency|F1|L1|night|${at(5)}`,
      ],
    );
    const p = out.find((x) => x.id === `production-efficiency|F1|L1|night|${at(0)}`)!;
    assert.deepEqual(
      { ...p, optimal_share: undefined, utilization: undefined, efficiency_score: undefined },
      {
        id: `production-efficiency|F1|L1|night|${at(0)}`,
        facility_id: "F1",
        production_line: "L1",
        shift: "night",
        window_start: "2024-01-01T00:00:00.000Z",
        window_end: "2024-01-01T00:10:00.000Z",
        window_start_ms: at(0),
        window_end_ms: at(10),
        emission: "final",
        readings: 5, // 3 power, 1 temperature, 1 vibration; pressure and unknown excluded
        avg_power: 450,
        avg_vibration: 2,
        avg_temperature: 60,
        active_equipment: 2,
        running_equipment: 2,
        optimal_readings: 4,
        power_readings: 3,
        running_readings: 2,
        optimal_share: undefined,
        utilization: undefined,
        efficiency_score: undefined,
      },
    );
    assert.equal(p.optimal_share, 0.8);
    assert.equal(p.utilization, 2 / 3);
    assert.equal(p.efficiency_score, (2 / 3) * 0.8);
    const morning = out.find((x) => x.shift === "morning")!;
    assert.deepEqual(
      [morning.running_equipment, morning.utilization, morning.efficiency_score],
      [0, 0, 0],
    );
    assert.equal(morning.avg_temperature, null);
  });

  it("takes the idle power, optimal quality and sensor types from config", async () => {
    const { out } = await run(input, (r) =>
      productionEfficiency(r, {
        idlePowerWatts: 40,
        optimalQualityAbove: 0.98,
        sensorTypes: ["power", "pressure"],
      }),
    );
    const p = out.find((x) => x.id === `production-efficiency|F1|L1|night|${at(0)}`)!;
    assert.deepEqual(
      [p.readings, p.running_readings, p.optimal_readings, p.avg_temperature, p.efficiency_score],
      [4, 3, 3, null, 1 * 0.75],
    );
  });
});

describe("efficiencyScore", () => {
  it("is utilisation × optimal share, in [0, 1], null without power readings", () => {
    assert.deepEqual(
      efficiencyScore({ readings: 10, optimalReadings: 5, powerReadings: 4, runningReadings: 3 }),
      { optimal_share: 0.5, utilization: 0.75, efficiency_score: 0.375 },
    );
    assert.deepEqual(
      efficiencyScore({ readings: 10, optimalReadings: 10, powerReadings: 0, runningReadings: 0 }),
      { optimal_share: 1, utilization: null, efficiency_score: null },
    );
    assert.deepEqual(
      efficiencyScore({ readings: 0, optimalReadings: 0, powerReadings: 0, runningReadings: 0 }),
      { optimal_share: null, utilization: null, efficiency_score: null },
    );
  });
});
