import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  type DeadLetter,
  dataflow,
  type KeyedProcessFunction,
  MemoryCheckpointStore,
  type Stream,
  source,
  valueState,
} from "../../engine/index.js";
import {
  CollectingSink,
  ManualClock,
  type TestingItem,
  TestingSource,
} from "../../engine/testing/index.js";
import type { Anomaly, EnrichedReading } from "../reading/reading.js";
import { buildAnomaly } from "./anomaly.js";
import { applyDetectors } from "./apply-detectors.js";
import {
  at,
  byId,
  clean,
  reading,
  runFlow,
  single,
  watermark,
} from "./detector-harness.fixture.js";
import { type DetectorPart, PRESENT, partsDetector, WRITTEN } from "./detector-part.js";
import { equipmentTransitionDetector } from "./equipment-transition-detector.js";
import { offlineDetector, offlinePart } from "./offline-detector.js";
import { qualityDegradationDetector } from "./quality-degradation-detector.js";
import { sensorDriftDetector } from "./sensor-drift-detector.js";
import { stuckSensorDetector } from "./stuck-sensor-detector.js";
import { thresholdDetector } from "./threshold-detector.js";
import { trendDetector } from "./trend-detector.js";
import { zScoreDetector, zScorePart } from "./z-score-detector.js";

/** An anomaly per reading whose score is how many readings `name` holds for the sensor. */
function counted(name: string, r: EnrichedReading, t: number, n: number): Anomaly {
  return buildAnomaly(r, {
    detector: name,
    severity: "low",
    eventTimeMs: t,
    detectedAtMs: 0,
    value: r.value,
    baseline: {},
    score: n,
    message: `${n}`,
  });
}

/** Counts a sensor's readings in its numbers; the readings' values in its slot. */
function countingPart(name: string, ttl: number): DetectorPart {
  return {
    name,
    ttl,
    size: 3,
    slots: 1,
    process(scope, o, j, r) {
      const h = scope.h;
      if (h[o + PRESENT] === 0) {
        h[o + PRESENT] = 1;
        h[o + 2] = 0;
        scope.s[j] = [];
      }
      h[o + 2] = h[o + 2]! + 1;
      h[o + WRITTEN] = scope.t;
      (scope.s[j] as number[]).push(r.value);
      scope.ctx.emit(counted(name, r, scope.t, h[o + 2]!));
    },
  };
}

/** The same as `countingPart`, as a plain value state with a TTL. */
function countingState(
  name: string,
  ttl: number,
): KeyedProcessFunction<string, EnrichedReading, Anomaly> {
  const count = valueState<number>(name, ttl > 0 ? { ttl } : undefined);
  return {
    processElement(r, ctx) {
      const state = ctx.state(count);
      const n = (state.get() ?? 0) + 1;
      state.set(n);
      ctx.emit(counted(name, r, ctx.timestamp, n));
    },
  };
}

/** Several sensors, with silences of 5 s to 10 min, late and out-of-order readings. */
function script(): TestingItem<EnrichedReading>[] {
  const items: TestingItem<EnrichedReading>[] = [];
  let t = 0;
  for (let i = 0; i < 300; i++) {
    t += i % 50 === 49 ? 600_000 : i % 17 === 16 ? 45_000 : 5_000;
    items.push(at(reading("a", t, i)));
    if (i % 3 === 0) items.push(at(reading("b", t - 7_000, i)));
    if (i % 40 === 39) items.push(watermark(t - 1_000));
  }
  // A watermark exactly at c's last write + 20 s: expired for a TTL of 20 s.
  items.push(
    at(reading("c", t + 1_000, 1)),
    watermark(t + 21_000),
    at(reading("c", t + 21_500, 2)),
  );
  return items;
}

/** The state of `key` in step "detect" of a job run over `items`, after they are drained. */
async function stateAfter(
  fn: KeyedProcessFunction<string, EnrichedReading, Anomaly>,
  items: TestingItem<EnrichedReading>[],
  key: string,
) {
  const clock = new ManualClock(0);
  const src = new TestingSource(items, { clock, endless: true });
  const job = dataflow("t", [
    single(fn)(source("readings", src)).to("out", new CollectingSink<Anomaly>()),
  ]).job({ clock, tickInterval: 0 });
  const done = job.run();
  await src.whenDrained();
  const snapshot = job.snapshot();
  job.stop();
  await done;
  const keys = [...snapshot.steps.get("detect")!.partitions.values()].flat() as {
    key: string;
    state: { state: Record<string, { value: unknown[] }>; eventTimers: number[] };
  }[];
  const entry = keys.find((k) => k.key === key)!;
  return JSON.parse(JSON.stringify(entry.state)) as (typeof keys)[number]["state"];
}

const both = (...fns: KeyedProcessFunction<string, EnrichedReading, Anomaly>[]) => {
  return (readings: Stream<EnrichedReading>) => {
    const [first, ...rest] = fns.map((fn, i) =>
      readings.keyBy((r) => r.sensor_id).process(`detect-${i}`, fn),
    );
    return rest.length === 0 ? first! : first!.union("all", ...rest);
  };
};

describe("partsDetector", () => {
  it("runs every part, in order, also beyond the positions with a call site of their own", async () => {
    for (const count of [1, 3, 8, 11]) {
      const parts = Array.from({ length: count }, (_, k) =>
        countingPart(`p${k}`, k % 2 === 0 ? 0 : 60_000),
      );
      const fused = await runFlow(single(partsDetector(parts)), script());
      const plain = await runFlow(
        both(...parts.map((p) => countingState(p.name, p.ttl))),
        script(),
      );
      assert.ok(fused.length > 300 * count);
      assert.deepEqual(byId(fused), byId(plain), `${count} parts`);
      // Per reading, the parts emit in their order.
      const first = fused.slice(0, count).map((a) => a.detector);
      assert.deepEqual(
        first,
        parts.map((p) => p.name),
      );
    }
  });

  it("keeps each job's state apart when one function object serves two jobs in turn", async () => {
    const fn = partsDetector([countingPart("short", 20_000), countingPart("never", 0)]);
    const first = await runFlow(single(fn), script());
    const second = await runFlow(single(fn), script());
    assert.deepEqual(byId(second), byId(first));
  });

  it("expires a part with a TTL exactly as a value state with that TTL", async () => {
    for (const parts of [
      [countingPart("short", 20_000)],
      [countingPart("short", 20_000), countingPart("long", 90_000)],
      [countingPart("short", 20_000), countingPart("never", 0)],
    ]) {
      const fused = await runFlow(single(partsDetector(parts)), script());
      const plain = await runFlow(
        both(...parts.map((p) => countingState(p.name, p.ttl))),
        script(),
      );
      assert.ok(fused.length > 300);
      assert.deepEqual(byId(fused), byId(plain), parts.map((p) => p.name).join(", "));
    }
  });

  it("frees the expired parts of a key gone quiet, on a clean-up timer", async () => {
    const fn = () => partsDetector([countingPart("short", 20_000), countingPart("never", 0)]);
    const name = "detectors:short,never";
    const before = await stateAfter(fn(), [at(reading("a", 1_000, 7)), watermark(5_000)], "a");
    assert.deepEqual(before.state[name]!.value.slice(1), [[7], [7]]);
    assert.deepEqual(before.eventTimers, [21_000]);
    const after = await stateAfter(fn(), [at(reading("a", 1_000, 7)), watermark(30_000)], "a");
    assert.deepEqual(after.state[name]!.value.slice(1), [null, [7]]);
    assert.deepEqual(after.eventTimers, []);
  });

  it("starts a key afresh from a checkpoint of another layout (options changed)", async () => {
    const items: TestingItem<EnrichedReading>[] = [];
    const wobble = clean(900);
    const split = 800;
    // Another level after the split: a baseline misread from the old state would flag it.
    for (let i = 0; i < 900; i++) {
      const level = i < split ? 20 : 50;
      const v = i === 870 ? 90 : level + wobble[i]!;
      items.push(at(reading("t-1", i * 1_000, v)), at(reading("t-2", i * 1_000 + 1, level + 5)));
    }
    const detection = (windowMs: number) =>
      single(partsDetector([zScorePart({ windowMs }), offlinePart()]));
    const run = async (
      windowMs: number,
      script: TestingItem<EnrichedReading>[],
      store: MemoryCheckpointStore,
      clock: ManualClock,
      stop: boolean,
    ) => {
      const out = new CollectingSink<Anomaly>();
      const dead = new CollectingSink<DeadLetter>();
      const src = new TestingSource(script, { clock, batchSize: 7, endless: stop });
      const detected = detection(windowMs)(source("readings", src));
      const job = dataflow("d", [
        detected.to("out", out),
        detected.deadLetters().to("dead", dead),
      ]).job({ clock, tickInterval: 0, checkpoint: { store, interval: 60_000 } });
      const done = job.run();
      if (stop) {
        await src.whenDrained();
        job.stop();
      }
      await done;
      assert.deepEqual(dead.values, []);
      return out.values;
    };
    // Checkpointed with 2 min baselines, restored with 1 min ones: the layout differs.
    const store = new MemoryCheckpointStore();
    await run(120_000, items.slice(0, 2 * split), store, new ManualClock(0), true);
    const restored = await run(60_000, items, store, new ManualClock(0), false);
    const fresh = await run(
      60_000,
      items.slice(2 * split),
      new MemoryCheckpointStore(),
      new ManualClock(0),
      false,
    );
    assert.ok(fresh.length > 0);
    assert.deepEqual(byId(restored), byId(fresh));
  });

  it("refuses parts without distinct names", () => {
    assert.throws(() => partsDetector([]), RangeError);
    assert.throws(
      () => partsDetector([countingPart("a", 0), countingPart("a", 10)]),
      /distinct names/,
    );
  });

  it("gives the same anomalies fused as every detector in a step of its own", async () => {
    const thresholds = { warning_min: 10, warning_max: 30, critical_max: 40 };
    const items: TestingItem<EnrichedReading>[] = [];
    const wobble = clean(1500);
    for (let i = 0; i < 1500; i++) {
      const t = i * 2_000;
      const silent = i % 500 > 380 && i % 500 < 420; // 80 s: offline, windows expire
      const level = i % 300 > 200 ? 35 : 20; // level shifts, ramps into the bands
      const v = i === 700 ? 60 : level + wobble[i]! + (i % 600 > 500 ? (i % 600) * 0.05 : 0);
      if (!silent) items.push(at(reading("t-1", t, v, { sensor_type: "temperature", thresholds })));
      items.push(
        at(
          reading("p-1", t + 1, i % 400 < 200 ? 20 : 4_000 + wobble[i]!, {
            sensor_type: "power",
            quality_score: i % 5 === 0 ? 0.1 : 0.9,
          }),
        ),
      );
      if (i % 7 === 3) items.push(at(reading("v-1", t - 3_000, i % 90 > 60 ? 0.2 : 0.9)));
      items.push(at(reading("s-1", t + 2, i % 200 < 120 ? wobble[i]! : 7)));
      if (i % 100 === 99) items.push(watermark(t - 5_000));
    }
    items.push(watermark(10_000_000));
    const fused = await runFlow((r) => applyDetectors(r), items);
    const perSensor = await runFlow(
      both(
        zScoreDetector(),
        thresholdDetector(),
        trendDetector(),
        stuckSensorDetector(),
        offlineDetector(),
        qualityDegradationDetector(),
      ),
      items,
    );
    const equipment = await runFlow(
      (readings) =>
        readings
          .keyBy((r) => r.equipment_id!)
          .process("m-0", equipmentTransitionDetector())
          .union("m", readings.keyBy((r) => r.equipment_id!).process("m-1", sensorDriftDetector())),
      items,
    );
    const detectors = new Set(fused.map((a) => a.detector));
    assert.equal(detectors.size, 9, [...detectors].join(", "));
    assert.deepEqual(byId(fused), byId([...perSensor, ...equipment]));
  });
});
