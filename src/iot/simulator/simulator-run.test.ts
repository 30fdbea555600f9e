import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseReading, type Reading } from "../reading/index.js";
import type { FaultLabel } from "./fault-types.js";
import { createPlant, type Plant } from "./plant-model.js";
import { DEFAULT_START_MS, type SimulateOptions, SimulatorRun } from "./simulator-run.js";

const MINUTE = 60_000;

/** Every line and label of a whole run. */
function collect(plant: Plant, options: SimulateOptions) {
  const run = new SimulatorRun(plant, options);
  const lines: string[] = [];
  const labels: FaultLabel[] = [];
  for (let slice = run.nextSlice(); slice !== null; slice = run.nextSlice()) {
    lines.push(...slice.lines);
    labels.push(...slice.labels);
  }
  return { run, lines, labels };
}

function readings(lines: readonly string[]): Reading[] {
  return lines.map((line) => {
    const result = parseReading(line);
    assert.ok(result.ok, `${line} → ${result.ok ? "" : result.code}`);
    return result.reading;
  });
}

/** Readings by sensor id, in time order. */
function bySensor(list: readonly Reading[]): Map<string, Reading[]> {
  const map = new Map<string, Reading[]>();
  for (const r of list) {
    const mine = map.get(r.sensor_id);
    if (mine === undefined) map.set(r.sensor_id, [r]);
    else mine.push(r);
  }
  for (const mine of map.values()) mine.sort((a, b) => a.timestamp - b.timestamp);
  return map;
}

function correlation(xs: readonly number[], ys: readonly number[]): number {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i]! - mx) * (ys[i]! - my);
    sxx += (xs[i]! - mx) ** 2;
    syy += (ys[i]! - my) ** 2;
  }
  return sxy / Math.sqrt(sxx * syy);
}

describe("SimulatorRun", () => {
  it("is reproducible: the same seed gives the same lines and labels, another seed others", () => {
    const plant = createPlant({ sensors: 40, seed: 11 });
    const options = { durationMs: 30 * MINUTE, faults: { ratePerSensorHour: 3, warmupMs: MINUTE } };
    const a = collect(plant, options);
    const b = collect(createPlant({ sensors: 40, seed: 11 }), options);
    assert.ok(a.labels.length > 10, "a.labels.length > 10");
    assert.deepEqual(a.lines, b.lines);
    assert.deepEqual(a.labels, b.labels);
    const c = collect(plant, { ...options, seed: 12 });
    assert.notDeepEqual(c.lines.slice(0, 50), a.lines.slice(0, 50));
  });

  it("reports every sensor every interval, jittered, from the start, in valid wire format", () => {
    const plant = createPlant({ facilities: 3, sensors: 30, seed: 2 });
    const { lines, labels } = collect(plant, {
      durationMs: 20_000,
      faults: false,
      intervalMs: 500,
    });
    assert.equal(labels.length, 0);
    assert.equal(lines.length, 30 * 40);
    const list = readings(lines);
    for (const [id, mine] of bySensor(list)) {
      assert.equal(mine.length, 40, id);
      for (let i = 1; i < mine.length; i++) {
        const gap = mine[i]!.timestamp - mine[i - 1]!.timestamp;
        assert.ok(gap >= 450 && gap <= 550, `${id} gap ${gap}`);
      }
    }
    assert.ok(
      list.every((r) => r.timestamp >= DEFAULT_START_MS - 25 && r.quality_score <= 1),
      "list.every((r) => r.timestamp >= DEFAULT_START_MS - 25 && r.quality...",
    );
    // Each facility writes timestamps its own way: ISO UTC, ISO with its offset, epoch ms.
    assert.match(lines.find((l) => l.includes('"FAC-01"'))!, /"timestamp":"2025-06-0\dT[\d:.]+Z"/);
    assert.match(lines.find((l) => l.includes('"FAC-02"'))!, /"timestamp":"[\d\-T:.]+-04:00"/);
    assert.match(lines.find((l) => l.includes('"FAC-03"'))!, /"timestamp":1748\d{9}/);
  });

  it("stops at a count, and groups each slice's lines by facility", () => {
    const plant = createPlant({ facilities: 2, sensors: 20, seed: 3 });
    const run = new SimulatorRun(plant, { count: 55, faults: false, sliceMs: 3_000 });
    const slice = run.nextSlice()!;
    assert.equal(slice.lines.length, 55);
    assert.deepEqual(
      slice.partitions.map((p) => p.partition),
      [0, 1],
    );
    for (const p of slice.partitions) {
      const facility = plant.facilities[p.partition]!.id;
      for (const line of slice.lines.slice(p.start, p.end))
        assert.ok(line.includes(`"${facility}"`), `${line} is of ${facility}`);
    }
    assert.equal(run.nextSlice(), null);
    assert.deepEqual(run.stats(), { readings: 60, lines: 55, labels: 0 });
  });

  it("keeps normal readings inside their warning band", () => {
    const plant = createPlant({ facilities: 2, sensors: 100, seed: 8 });
    const { lines } = collect(plant, { durationMs: 10 * MINUTE, faults: false });
    const sensors = new Map(plant.sensors.map((s) => [s.id, s]));
    let outside = 0;
    const list = readings(lines);
    for (const r of list) {
      const th = sensors.get(r.sensor_id)!.thresholds;
      if (r.value > th.warning_max! || (th.warning_min !== undefined && r.value < th.warning_min)) {
        outside++;
      }
    }
    assert.ok(outside / list.length < 0.001, `${outside} of ${list.length} outside`);
  });

  it("couples a machine's power, vibration, pressure and speed through its load, and its temperature with a lag", () => {
    const plant = createPlant({ facilities: 1, sensors: 50, seed: 21 });
    // An hour on a Monday morning in Berlin, across the 06:00 shift change (04:00 UTC).
    const { lines } = collect(plant, {
      durationMs: 60 * MINUTE,
      startMs: Date.UTC(2025, 5, 2, 3, 30),
      faults: false,
      intervalMs: 5_000,
    });
    const series = bySensor(readings(lines));
    let coupled = 0;
    for (const e of plant.equipment) {
      const of = (type: string) =>
        series.get(plant.sensors[e.sensors.find((i) => plant.sensors[i]!.type === type)!]!.id)!;
      const power = of("power").map((r) => r.value);
      const vibration = of("vibration").map((r) => r.value);
      const temperature = of("temperature").map((r) => r.value);
      if (
        correlation(power, vibration) > 0.8 &&
        correlation(
          power,
          of("pressure").map((r) => r.value),
        ) > 0.8
      ) {
        coupled++;
      }
      // Temperature follows power a few minutes behind: better matched to power 3 min earlier.
      const lag = 36; // 36 × 5 s
      const lagged = correlation(power.slice(0, -lag), temperature.slice(lag));
      assert.ok(lagged > correlation(power.slice(lag), temperature.slice(lag)) - 0.02, e.id);
    }
    assert.ok(
      coupled >= plant.equipment.length - 1,
      `${coupled} of ${plant.equipment.length} coupled`,
    );
    // The morning shift raises the load: power after 06:15 local is above power before 06:00.
    const powers = plant.sensors.filter((s) => s.type === "power").map((s) => series.get(s.id)!);
    const before = powers.reduce((sum, list) => sum + list[60]!.value, 0); // 03:35 UTC
    const after = powers.reduce((sum, list) => sum + list[700]!.value, 0); // 04:28 UTC
    assert.ok(after > before * 1.2, `${before} → ${after}`);
  });
});
