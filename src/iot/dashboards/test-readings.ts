/**
 * Test helpers for the dashboards and equipment state: readings and anomalies with
 * sensible defaults, and a runner that pushes a script of them through a builder with
 * the engine's testing kit and collects its records.
 */
import { dataflow, type LateRecord, ManualClock, type Stream, source } from "../../engine/index.js";
import {
  CollectingSink,
  record,
  type TestingItem,
  TestingSource,
} from "../../engine/testing/index.js";
import type { Anomaly, EnrichedReading } from "../reading/reading.js";
import type { DashboardSteps } from "./dashboard-steps.js";

/** 2024-01-01T00:00:00.000Z: aligned to every window size the dashboards use. */
export const T0 = Date.UTC(2024, 0, 1);

/** A valid, known temperature reading of sensor `s1` on equipment `E1`, line `L1`, with `overrides`. */
export function reading(overrides: Partial<EnrichedReading> = {}): EnrichedReading {
  return {
    sensor_id: "s1",
    timestamp: T0,
    facility_id: "F1",
    sensor_type: "temperature",
    quality_score: 0.9,
    value: 20,
    known_sensor: true,
    equipment_id: "E1",
    production_line: "L1",
    equipment_class: "reactor",
    criticality: "high",
    facility_name: "Plant One",
    timezone: "UTC",
    thresholds: null,
    hour_of_day: 0,
    day_of_week: 1,
    shift: "night",
    ...overrides,
  };
}

/** A reading of an unknown sensor: no equipment, line or facility name. */
export function unknownReading(overrides: Partial<EnrichedReading> = {}): EnrichedReading {
  return reading({
    sensor_id: "u1",
    known_sensor: false,
    equipment_id: null,
    production_line: null,
    equipment_class: null,
    criticality: null,
    facility_name: null,
    sensor_type: "generic",
    ...overrides,
  });
}

/** A medium z-score anomaly of `s1` on `E1` at `T0`, with `overrides`. */
export function anomaly(overrides: Partial<Anomaly> = {}): Anomaly {
  const time = overrides.event_time_ms ?? T0;
  return {
    id: `zscore|s1|${time}`,
    detector: "zscore",
    severity: "medium",
    sensor_id: "s1",
    equipment_id: "E1",
    facility_id: "F1",
    production_line: "L1",
    sensor_type: "temperature",
    event_time: new Date(time).toISOString(),
    event_time_ms: time,
    detected_at: new Date(time).toISOString(),
    value: 99,
    baseline: { mean: 20, stddev: 1 },
    score: 3.5,
    message: "z-score 3.5",
    ...overrides,
  };
}

/** A script item: a reading at its `timestamp`, or an anomaly at its `event_time_ms`. */
export type Input = EnrichedReading | Anomaly;

const isAnomaly = (x: Input): x is Anomaly => "detector" in x;

/** Script items for `inputs`, each at its own event time. */
export function script(...inputs: Input[]): TestingItem<Input>[] {
  return inputs.map((x) => record(x, isAnomaly(x) ? x.event_time_ms : x.timestamp));
}

/**
 * Runs `build` over `items` (readings and anomalies in one source, watermark = latest
 * time, one record per batch) and returns what it emitted, with event times, and the
 * late output when `build` returns one.
 */
export async function run<R, L = unknown>(
  items: TestingItem<Input>[],
  build: (
    readings: Stream<EnrichedReading>,
    anomalies: Stream<Anomaly>,
  ) => Stream<R> | DashboardSteps<R, L>,
) {
  const clock = new ManualClock();
  const input = source("in", new TestingSource(items, { clock, batchSize: 1 }), {
    maxOutOfOrderness: 0,
  });
  const readings = input.filter("in.readings", (x): x is EnrichedReading => !isAnomaly(x));
  const anomalies = input.filter("in.anomalies", isAnomaly);
  const built = build(readings, anomalies);
  const out = new CollectingSink<R>();
  const late = new CollectingSink<LateRecord<L>>();
  const steps =
    "records" in built
      ? [built.records.to("out", out), built.late.to("late", late)]
      : [built.to("out", out)];
  await dataflow("test", steps).run({ clock, tickInterval: 0 });
  return { out: out.values, times: out.records.map((r) => r.time), late: late.values };
}

/** `records` sorted by `id`, for outputs whose order across keys is not defined. */
export function byId<R extends { id: string }>(records: readonly R[]): R[] {
  return [...records].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
