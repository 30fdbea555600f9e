/**
 * Each injected fault shows in the data as its label says. A run with faults is
 * compared with the same run without (same seed: the signal noise and jitter are
 * drawn from their own streams, so only the faults differ).
 */
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { parseReading, type Reading } from "../reading/index.js";
import { FAULT_TYPES, type FaultLabel, LABEL_TYPES } from "./fault-types.js";
import { createPlant } from "./plant-model.js";
import { type SimulateOptions, SimulatorRun } from "./simulator-run.js";

const MINUTE = 60_000;
const INTERVAL = 1_000;
const plant = createPlant({ facilities: 2, sensors: 200, seed: 5 });
const options: SimulateOptions = {
  durationMs: 45 * MINUTE,
  faults: {
    mix: Object.fromEntries(FAULT_TYPES.map((t) => [t, 1])),
    ratePerSensorHour: 1.5,
    warmupMs: 2 * MINUTE,
    cooldownMs: 2 * MINUTE,
  },
};

interface Line {
  readonly text: string;
  /** Position in the output. */
  readonly at: number;
  readonly reading: Reading | null;
}

function run(opts: SimulateOptions): Run {
  const r = new SimulatorRun(plant, opts);
  const lines: Line[] = [];
  const labels: FaultLabel[] = [];
  for (let slice = r.nextSlice(); slice !== null; slice = r.nextSlice()) {
    labels.push(...slice.labels);
    for (const text of slice.lines) {
      const parsed = parseReading(text);
      lines.push({ text, at: lines.length, reading: parsed.ok ? parsed.reading : null });
    }
  }
  return { lines, labels };
}

type Run = { readonly lines: Line[]; readonly labels: FaultLabel[] };
let faulty: Run;
let clean: Run;
/** Lines of a sensor (by the id in the text, parsed or not). */
let linesOf: (run: Run, sensor: string) => Line[];

before(() => {
  faulty = run(options);
  clean = run({ ...options, faults: false });
  const cache = new Map<unknown, Map<string, Line[]>>();
  linesOf = (r, sensor) => {
    let bySensor = cache.get(r);
    if (bySensor === undefined) {
      bySensor = new Map();
      for (const line of r.lines) {
        const id = /"sensor_id":"([^"]+)"/.exec(line.text)?.[1] ?? "";
        const list = bySensor.get(id);
        if (list === undefined) bySensor.set(id, [line]);
        else list.push(line);
      }
      cache.set(r, bySensor);
    }
    return bySensor.get(sensor) ?? [];
  };
});

const labelsOf = (type: string) => faulty.labels.filter((l) => l.fault === type);
/** Labels of `type` whose sensor has no other fault (so its lines match the clean run's one to one). */
const soloLabelsOf = (type: string) => {
  const solo = labelsOf(type).filter(
    (l) => faulty.labels.filter((other) => other.sensor_id === l.sensor_id).length === 1,
  );
  assert.ok(solo.length > 0, `no ${type} label alone on its sensor`);
  return solo;
};
/** Parsed readings of a sensor in arrival order. */
const arrivals = (r: Run, sensor: string) =>
  linesOf(r, sensor).flatMap((x) => (x.reading === null ? [] : [x.reading]));
/** Parsed readings of `sensor` with true time in the label's span (± jitter), in time order. */
function inSpan(r: Run, l: FaultLabel, sensor = l.sensor_id!, skew = 0) {
  return linesOf(r, sensor)
    .filter((x) => x.reading !== null)
    .map((x) => x.reading!)
    .filter((x) => x.timestamp - skew >= l.start_ms - 100 && x.timestamp - skew <= l.end_ms + 100)
    .sort((a, b) => a.timestamp - b.timestamp);
}
const readingsPerSpan = (l: FaultLabel) => Math.floor((l.end_ms - l.start_ms) / INTERVAL) + 1;

describe("injected faults", () => {
  it("injects every type, with labels naming the sensor or machine and the span", () => {
    for (const type of LABEL_TYPES) assert.ok(labelsOf(type).length > 0, `no ${type} label`);
    for (const l of faulty.labels) {
      assert.match(l.id, /^F\d{6}(-down|-up)?$/);
      assert.ok(
        l.end_ms >= l.start_ms && l.start === new Date(l.start_ms).toISOString(),
        "l.end_ms >= l.start_ms && l.start === new Date(l.start_ms).toISOStr...",
      );
      assert.ok(l.start_ms >= Date.UTC(2025, 5, 2, 0, 2), "not in the warm-up");
      assert.ok(l.end_ms <= Date.UTC(2025, 5, 2, 0, 40), "ends before the tail");
      const machine = l.sensor_id === null;
      assert.equal(machine, l.fault.startsWith("equipment-"));
      if (!machine)
        assert.ok(
          l.sensor_id!.startsWith(l.equipment_id),
          "l.sensor_id!.startsWith(l.equipment_id)",
        );
    }
    // Faults never overlap on one sensor.
    const bySensor = new Map<string, FaultLabel[]>();
    for (const l of faulty.labels) {
      if (l.sensor_id !== null)
        bySensor.set(l.sensor_id, [...(bySensor.get(l.sensor_id) ?? []), l]);
    }
    for (const list of bySensor.values()) {
      for (let i = 1; i < list.length; i++)
        assert.ok(
          list[i]!.start_ms > list[i - 1]!.end_ms,
          "list[i]!.start_ms > list[i - 1]!.end_ms",
        );
    }
  });

  it("spike: the labelled readings are off by the offset, the rest untouched", () => {
    for (const l of labelsOf("spike")) {
      const bad = inSpan(faulty, l);
      const good = inSpan(clean, l);
      assert.equal(bad.length, readingsPerSpan(l), l.id);
      bad.forEach((r, i) => {
        const diff = r.value - good[i]!.value;
        const offset = l.params.offset as number;
        assert.ok(Math.abs(diff - offset) < 0.01 * Math.abs(offset) + 0.05 || r.value === 0, l.id);
      });
    }
  });

  it("drift: the offset grows linearly to its final size", () => {
    for (const l of labelsOf("drift")) {
      const bad = inSpan(faulty, l);
      const good = inSpan(clean, l);
      const final = l.params.final_offset as number;
      const last = bad.length - 1;
      assert.ok(Math.abs(bad[0]!.value - good[0]!.value) < 0.02 * Math.abs(final) + 0.05, l.id);
      const end = bad[last]!.value - good[last]!.value;
      assert.ok(
        Math.abs(end - final) < 0.02 * Math.abs(final) + 0.05 || bad[last]!.value === 0,
        l.id,
      );
    }
  });

  it("stuck: the whole span repeats the reading before it", () => {
    for (const l of labelsOf("stuck")) {
      const values = inSpan(faulty, l).map((r) => r.value);
      assert.equal(values.length, readingsPerSpan(l));
      assert.equal(new Set(values).size, 1, l.id);
      const before = linesOf(faulty, l.sensor_id!)
        .map((x) => x.reading!)
        .filter((r) => r !== null && r.timestamp < l.start_ms - 100)
        .at(-1)!;
      assert.equal(values[0], before.value);
    }
  });

  it("offline: no reading in the span, readings before and after", () => {
    for (const l of labelsOf("offline")) {
      assert.equal(inSpan(faulty, l).length, 0, l.id);
      assert.equal(inSpan(clean, l).length, readingsPerSpan(l));
      const all = arrivals(faulty, l.sensor_id!).map((r) => r.timestamp);
      assert.ok(
        all.some((t) => t > l.end_ms + 100) && all.some((t) => t < l.start_ms - 100),
        "all.some((t) => t > l.end_ms + 100) && all.some((t) => t < l.start_...",
      );
    }
  });

  it("noisy: the noise grows by the factor", () => {
    const sensors = new Map(plant.sensors.map((s) => [s.id, s]));
    for (const l of labelsOf("noisy")) {
      const bad = inSpan(faulty, l);
      const good = inSpan(clean, l);
      const diffs = bad.map((r, i) => r.value - good[i]!.value);
      const sd = Math.sqrt(diffs.reduce((s, d) => s + d * d, 0) / diffs.length);
      const expected = ((l.params.factor as number) - 1) * sensors.get(l.sensor_id!)!.noise;
      assert.ok(sd > 0.5 * expected && sd < 1.6 * expected, `${l.id} ${sd} vs ${expected}`);
    }
  });

  it("quality: about the labelled share of readings is below 0.5", () => {
    for (const l of labelsOf("quality")) {
      const bad = inSpan(faulty, l);
      const low = bad.filter((r) => r.quality_score < 0.5).length / bad.length;
      const share = l.params.low_share as number;
      assert.ok(Math.abs(low - share) < 0.2, `${l.id} ${low} vs ${share}`);
      const normal = inSpan(clean, l);
      const cleanLow = normal.filter((r) => r.quality_score < 0.5).length / normal.length;
      assert.ok(cleanLow < 0.02, `${l.id}: ${cleanLow} low without the fault`);
    }
  });

  it("shutdown and start-up: the machine's power falls to standby and comes back", () => {
    for (const down of labelsOf("equipment-shutdown")) {
      const up = faulty.labels.find((l) => l.id === down.id.replace("-down", "-up"))!;
      const power = plant.sensors.find(
        (s) => s.type === "power" && s.id.startsWith(down.equipment_id),
      )!.id;
      const off = { ...down, start_ms: down.end_ms + 2_000, end_ms: up.start_ms - 2_000 };
      const bad = inSpan(faulty, off, power);
      assert.ok(bad.length > 100 && bad.every((r) => r.value < 100), down.id);
      assert.ok(
        inSpan(clean, off, power).every((r) => r.value > 1_000),
        "inSpan(clean, off, power).every((r) => r.value > 1_000)",
      );
      assert.equal(up.end_ms - up.start_ms > 0, true);
      const after = { ...up, start_ms: up.end_ms + 5_000, end_ms: up.end_ms + 20_000 };
      const back = inSpan(faulty, after, power);
      const normal = inSpan(clean, after, power);
      back.forEach((r, i) => {
        assert.ok(Math.abs(r.value - normal[i]!.value) < 0.05 * normal[i]!.value, up.id);
      });
    }
  });

  it("clock skew: timestamps in the span are off by the skew", () => {
    for (const l of soloLabelsOf("clock-skew")) {
      const skew = l.params.skew_ms as number;
      const bad = arrivals(faulty, l.sensor_id!);
      const good = arrivals(clean, l.sensor_id!);
      assert.equal(bad.length, good.length, l.id);
      let skewed = 0;
      good.forEach((r, i) => {
        const inside = r.timestamp >= l.start_ms - 100 && r.timestamp <= l.end_ms + 100;
        assert.equal(bad[i]!.timestamp - r.timestamp, inside ? skew : 0, l.id);
        if (inside) skewed++;
      });
      assert.equal(skewed, readingsPerSpan(l));
    }
  });

  it("out of order: the span's readings arrive shuffled, none lost", () => {
    for (const l of soloLabelsOf("out-of-order")) {
      const arrived = arrivals(faulty, l.sensor_id!).map((r) => r.timestamp);
      let inversions = 0;
      for (let i = 1; i < arrived.length; i++) if (arrived[i]! < arrived[i - 1]!) inversions++;
      assert.ok(inversions > 0, l.id);
      const sorted = [...arrived].sort((a, b) => a - b);
      assert.deepEqual(
        sorted,
        linesOf(clean, l.sensor_id!).map((x) => x.reading!.timestamp),
      );
    }
  });

  it("late: the span's readings arrive after the delay", () => {
    for (const l of soloLabelsOf("late")) {
      const due = l.end_ms + (l.params.delay_ms as number);
      const firstDue = faulty.lines.findIndex(
        (x) => x.reading !== null && x.reading.timestamp >= due - 2_000,
      );
      const late = linesOf(faulty, l.sensor_id!).filter(
        (x) =>
          x.reading !== null &&
          x.reading.timestamp >= l.start_ms - 100 &&
          x.reading.timestamp <= l.end_ms + 100,
      );
      assert.equal(late.length, readingsPerSpan(l));
      assert.ok(
        late.every((x) => x.at > firstDue),
        l.id,
      );
    }
  });

  it("duplicate: each reading of the span arrives twice", () => {
    for (const l of soloLabelsOf("duplicate")) {
      const texts = linesOf(faulty, l.sensor_id!)
        .filter(
          (x) =>
            x.reading !== null &&
            x.reading.timestamp >= l.start_ms - 100 &&
            x.reading.timestamp <= l.end_ms + 100,
        )
        .map((x) => x.text);
      assert.equal(texts.length, 2 * readingsPerSpan(l), l.id);
      assert.equal(new Set(texts).size, readingsPerSpan(l));
    }
  });

  it("malformed: the span's lines fail validation with a reason code", () => {
    const codes = new Set<string>();
    for (const l of soloLabelsOf("malformed")) {
      const bad = linesOf(faulty, l.sensor_id!).filter((x) => x.reading === null);
      assert.equal(bad.length, readingsPerSpan(l), l.id);
      // They take the place of the span's readings, one for one.
      const missing = arrivals(clean, l.sensor_id!).length - arrivals(faulty, l.sensor_id!).length;
      assert.equal(missing, bad.length);
      for (const x of bad) {
        const result = parseReading(x.text);
        assert.ok(!result.ok, "!result.ok");
        codes.add(result.code);
      }
    }
    assert.ok(codes.size >= 3, [...codes].join());
  });
});
