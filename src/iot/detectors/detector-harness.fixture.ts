/**
 * Test fixtures for the detectors: readings with sensible defaults, and runners that
 * push a script through one detector (or `applyDetectors`) with the engine's testing
 * kit and hand back the anomalies, bytewax-style.
 */
import assert from "node:assert/strict";
import { MemoryCheckpointStore } from "../../engine/checkpoint/memory-checkpoint-store.js";
import {
  type DeadLetter,
  dataflow,
  type KeyedProcessFunction,
  type Stream,
  source,
} from "../../engine/index.js";
import {
  CollectingSink,
  ManualClock,
  record,
  type TestingItem,
  TestingSource,
  watermark,
} from "../../engine/testing/index.js";
import type { Anomaly, EnrichedReading } from "../reading/reading.js";

export { watermark };

/** A known sensor's reading at event time `t` (ms) with primary value `value`. */
export function reading(
  sensor: string,
  t: number,
  value: number,
  more: Partial<EnrichedReading> = {},
): EnrichedReading {
  return {
    sensor_id: sensor,
    timestamp: t,
    facility_id: "plant-1",
    sensor_type: "generic",
    quality_score: 1,
    value,
    known_sensor: true,
    equipment_id: "press-1",
    production_line: "line-a",
    equipment_class: "press",
    criticality: "high",
    facility_name: "Plant 1",
    timezone: "UTC",
    thresholds: null,
    hour_of_day: 0,
    day_of_week: 4,
    shift: "night",
    ...more,
  };
}

/** The script item of a reading, at its own timestamp. */
export const at = (r: EnrichedReading): TestingItem<EnrichedReading> => record(r, r.timestamp);

/** Script items of `values` read by `sensor` every `everyMs` from `start`. */
export function series(
  sensor: string,
  start: number,
  everyMs: number,
  values: readonly number[],
  more: Partial<EnrichedReading> = {},
): TestingItem<EnrichedReading>[] {
  return values.map((v, i) => at(reading(sensor, start + i * everyMs, v, more)));
}

/** A clean signal: `n` values around `level` with a deterministic ±1 wobble. */
export function clean(n: number, level = 20): number[] {
  return Array.from({ length: n }, (_, i) => level + Math.sin(i * 1.7) + ((i * 7) % 5) * 0.1);
}

export type KeyBy = "sensor" | "equipment";

/** Builds the detection part of a flow from the readings stream. */
export type Detection = (readings: Stream<EnrichedReading>) => Stream<Anomaly>;

/** The detection of one detector function as step "detect", keyed by sensor or equipment. */
export function single(
  fn: KeyedProcessFunction<string, EnrichedReading, Anomaly>,
  keyBy: KeyBy = "sensor",
): Detection {
  const key =
    keyBy === "sensor"
      ? (r: EnrichedReading) => r.sensor_id
      : (r: EnrichedReading) => r.equipment_id ?? "";
  return (readings) => readings.keyBy(key).process("detect", fn);
}

function build(
  detection: Detection,
  src: TestingSource<EnrichedReading>,
  out: CollectingSink<Anomaly>,
  dead: CollectingSink<DeadLetter>,
) {
  const detected = detection(source("readings", src));
  return dataflow("detectors", [detected.to("out", out), detected.deadLetters().to("dead", dead)]);
}

const CLOCK_START = 1_767_225_600_000;

/**
 * Runs `items` through `fn` (keyed by sensor or equipment) to the end of input and
 * returns the anomalies. Fails when the step sent anything to its dead-letter output.
 */
export async function runDetector(
  fn: KeyedProcessFunction<string, EnrichedReading, Anomaly>,
  items: TestingItem<EnrichedReading>[],
  keyBy: KeyBy = "sensor",
): Promise<Anomaly[]> {
  return runFlow(single(fn, keyBy), items);
}

/** Runs `items` through `detection` to the end of input and returns the anomalies. */
export async function runFlow(
  detection: Detection,
  items: TestingItem<EnrichedReading>[],
): Promise<Anomaly[]> {
  const clock = new ManualClock(CLOCK_START);
  const out = new CollectingSink<Anomaly>();
  const dead = new CollectingSink<DeadLetter>();
  const src = new TestingSource(items, { clock, batchSize: 7 });
  await build(detection, src, out, dead).run({ clock, tickInterval: 0 });
  if (dead.values.length > 0) throw new Error(`dead letters: ${JSON.stringify(dead.values)}`);
  return out.values;
}

/**
 * Runs `items[0, split)`, stops the job gracefully (it checkpoints), then runs a new
 * job built by `make()` (fresh detector objects), restored from that checkpoint, over
 * the rest. Returns the anomalies of both parts, in order.
 */
export async function runWithRestore(
  make: () => Detection,
  items: TestingItem<EnrichedReading>[],
  split: number,
): Promise<Anomaly[]> {
  const store = new MemoryCheckpointStore();
  const clock1 = new ManualClock(CLOCK_START);
  const first = new CollectingSink<Anomaly>();
  const dead = new CollectingSink<DeadLetter>();
  const head = new TestingSource(items.slice(0, split), {
    clock: clock1,
    batchSize: 7,
    endless: true,
  });
  const job = build(make(), head, first, dead).job({
    clock: clock1,
    tickInterval: 0,
    checkpoint: { store, interval: 60_000 },
  });
  const done = job.run();
  await head.whenDrained();
  job.stop();
  await done;
  const clock2 = new ManualClock(CLOCK_START);
  const second = new CollectingSink<Anomaly>();
  const all = new TestingSource(items, { clock: clock2, batchSize: 7 });
  await build(make(), all, second, dead).run({
    clock: clock2,
    tickInterval: 0,
    checkpoint: { store, interval: 60_000 },
  });
  if (dead.values.length > 0) throw new Error(`dead letters: ${JSON.stringify(dead.values)}`);
  assert.ok(first.values.length > 0, "the first part found something");
  assert.ok(second.values.length > 0, "the restored part found something");
  return [...first.values, ...second.values];
}

/** Anomalies sorted by id, for comparing runs whose timers interleave differently. */
export const byId = (list: Anomaly[]) => [...list].sort((a, b) => (a.id < b.id ? -1 : 1));

/** The fields a test compares: id, severity and score rounded to 3 decimals. */
export const brief = (a: Anomaly) => ({
  id: a.id,
  severity: a.severity,
  score: Math.round(a.score * 1000) / 1000,
});
