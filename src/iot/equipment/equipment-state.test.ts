import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { dataflow, source } from "../../engine/index.js";
import {
  CollectingSink,
  ManualClock,
  TestingSource,
  watermark,
} from "../../engine/testing/index.js";
import { isAnomaly } from "../dashboards/plant-event.js";
import { anomaly, reading, run, script, T0 } from "../dashboards/test-readings.js";
import type { EnrichedReading } from "../reading/reading.js";
import type { EquipmentStateRecord } from "./equipment-state-record.js";
import { equipmentState } from "./equipment-state.js";

const s = 1000;
const minute = 60 * s;

describe("equipment state", () => {
  it("goes online, offline by an event-time timer, and online again; counts runtime", async () => {
    const { out, times } = await run(
      script(
        reading({ timestamp: T0, value: 20 }),
        reading({ timestamp: T0 + 30 * s, value: 21 }),
        reading({ timestamp: T0 + 60 * s, value: 22, quality_score: 0.4 }),
        // Another machine's reading moves the watermark past E1's timeout.
        reading({ equipment_id: "E2", timestamp: T0 + 20 * minute }),
        reading({ timestamp: T0 + 25 * minute, value: 23 }),
        reading({ timestamp: T0 + 25 * minute + 45 * s, value: 24 }),
      ),
      (r, a) => equipmentState(r, a),
    );
    const e1 = out.filter((x) => x.id === "E1");
    assert.deepEqual(
      e1.map((x) => [
        x.status,
        x.updated_at_ms - T0,
        x.last_reading_at_ms - T0,
        x.last_value,
        x.readings,
        x.fault_count,
        x.runtime_hours * 3600,
      ]),
      [
        ["online", 0, 0, 20, 1, 0, 0],
        ["online", 30 * s, 30 * s, 21, 2, 0, 30],
        ["online", 60 * s, 60 * s, 22, 3, 1, 60],
        ["offline", 11 * minute, 60 * s, 22, 3, 1, 60], // timer at last reading + 10 min
        ["online", 25 * minute, 25 * minute, 23, 4, 1, 60], // the 24 min gap is no runtime
        ["online", 25 * minute + 45 * s, 25 * minute + 45 * s, 24, 5, 1, 105],
      ],
    );
    assert.deepEqual(
      times.filter((_, i) => out[i]!.id === "E1").map((t) => t - T0),
      e1.map((x) => x.updated_at_ms - T0),
    );
    const first = e1[0]!;
    assert.equal(first.updated_at, "2024-01-01T00:00:00.000Z");
    assert.equal(first.last_reading_at, "2024-01-01T00:00:00.000Z");
    assert.deepEqual(
      [first.equipment_id, first.facility_id, first.production_line, first.equipment_class],
      ["E1", "F1", "L1", "reactor"],
    );
    assert.deepEqual(
      [first.criticality, first.last_sensor_id, first.last_sensor_type],
      ["high", "s1", "temperature"],
    );
    assert.equal(first.worst_anomaly, null);
  });

  it("emits at most once per interval, flushing a pending change by timer", async () => {
    const { out } = await run(
      [
        ...script(
          reading({ timestamp: T0 }),
          reading({ timestamp: T0 + 2 * s }),
          reading({ timestamp: T0 + 4 * s }),
        ),
        watermark(T0 + 10 * s),
        ...script(
          reading({ timestamp: T0 + 11 * s }),
          reading({ timestamp: T0 + 25 * s }),
          reading({ timestamp: T0 + 26 * s }),
        ),
      ],
      (r, a) => equipmentState(r, a),
    );
    assert.deepEqual(
      out.map((x) => [x.updated_at_ms - T0, x.readings, x.last_reading_at_ms - T0]),
      [
        [0, 1, 0],
        [10 * s, 3, 4 * s], // the flush timer at T0 + 10 s
        [25 * s, 5, 25 * s], // 15 s after the previous record: due at once
        [26 * s, 6, 26 * s], // pending at the end of input: flushed
      ],
    );
  });

  it("shows the worst recent anomaly, at once when its severity changes, until it ages out", async () => {
    const { out } = await run(
      script(
        reading({ timestamp: T0 }),
        anomaly({ id: "a-high", severity: "high", event_time_ms: T0 + 1 * s }),
        anomaly({ id: "a-low", severity: "low", event_time_ms: T0 + 2 * s }),
        reading({ equipment_id: "E2", timestamp: T0 + 30 * minute }),
      ),
      (r, a) => equipmentState(r, a),
    );
    const e1 = out.filter((x) => x.id === "E1");
    assert.deepEqual(
      e1.map((x) => [x.updated_at_ms - T0, x.status, x.worst_anomaly?.id ?? null]),
      [
        [0, "online", null],
        [1 * s, "online", "a-high"], // severity changed: not rate-limited
        [11 * s, "online", "a-high"], // the low anomaly, flushed 10 s after the previous record
        [10 * minute, "offline", "a-high"],
        [10 * minute + 1 * s, "offline", "a-low"], // the high one aged out
        [10 * minute + 2 * s, "offline", null],
      ],
    );
    assert.deepEqual(e1[1]!.worst_anomaly, {
      id: "a-high",
      detector: "zscore",
      severity: "high",
      sensor_id: "s1",
      sensor_type: "temperature",
      event_time: "2024-01-01T00:00:01.000Z",
      event_time_ms: T0 + 1 * s,
      score: 3.5,
      message: "z-score 3.5",
    });
  });

  it("keeps anomalies that come before the first reading, and ignores unassigned records", async () => {
    const { out } = await run(
      script(
        anomaly({ id: "early", severity: "critical", event_time_ms: T0 }),
        anomaly({ id: "nobody", equipment_id: null, severity: "critical", event_time_ms: T0 }),
        reading({ equipment_id: null, timestamp: T0 + 1 * s }),
        reading({ timestamp: T0 + 2 * s }),
      ),
      (r, a) => equipmentState(r, a),
    );
    assert.deepEqual(
      out.map((x) => [x.id, x.readings, x.worst_anomaly?.id]),
      [["E1", 1, "early"]],
    );
  });

  it("judges equipment offline at the end of input only when asked to", async () => {
    const items = script(reading({ timestamp: T0 }));
    const quiet = await run(items, (r, a) => equipmentState(r, a));
    assert.deepEqual(
      quiet.out.map((x) => x.status),
      ["online"],
    );
    const judged = await run(items, (r, a) =>
      equipmentState(r, a, { offlineAtEndOfInput: true, offlineAfterMs: 5 * minute }),
    );
    assert.deepEqual(
      judged.out.map((x) => [x.status, x.updated_at_ms - T0]),
      [
        ["online", 0],
        ["offline", 5 * minute],
      ],
    );
  });

  it("adds no runtime for gaps above the max gap nor for out-of-order readings", async () => {
    const { out } = await run(
      script(
        reading({ timestamp: T0 }),
        reading({ timestamp: T0 + 20 * s }),
        reading({ timestamp: T0 + 10 * s, value: 99 }), // out of order
        reading({ timestamp: T0 + 50 * s }), // gap 30 s > max gap 25 s
        reading({ timestamp: T0 + 70 * s }),
      ),
      (r, a) => equipmentState(r, a, { maxGapMs: 25 * s, minIntervalMs: 1 }),
    );
    const last = out.at(-1)!;
    assert.equal(last.runtime_hours * 3600, 40);
    assert.equal(last.readings, 5);
    assert.ok(!out.some((x) => x.last_value === 99));
  });

  it("gives a second job of the same definition its own state", async () => {
    const items = script(
      reading({ timestamp: T0, value: 20 }),
      reading({ timestamp: T0 + 30 * s, value: 21 }),
      anomaly({ event_time_ms: T0 + 40 * s, severity: "high" }),
      reading({ timestamp: T0 + 60 * s, value: 22, quality_score: 0.4 }),
      reading({ equipment_id: "E2", timestamp: T0 + 20 * minute }),
    );
    const clock = new ManualClock();
    const input = source("in", new TestingSource(items, { clock, batchSize: 1 }), {
      maxOutOfOrderness: 0,
    });
    const readings = input.filter("in.readings", (x): x is EnrichedReading => !isAnomaly(x));
    const out = new CollectingSink<EquipmentStateRecord>();
    const flow = dataflow("test", [
      equipmentState(readings, input.filter("in.anomalies", isAnomaly)).to("out", out),
    ]);
    await flow.run({ clock, tickInterval: 0 });
    const first = [...out.values];
    assert.ok(first.length > 3);
    await flow.run({ clock: new ManualClock(), tickInterval: 0 });
    // The second job starts from no state: the same records again, readings counted afresh.
    assert.deepEqual(out.values.slice(first.length), first);
  });
});
