/**
 * Plant alarms: anomalies become signals labelled from the metadata, and the plant
 * pipeline, given alarm sinks, turns readings of a failing reactor into an alarm,
 * its history and its notifications — with the article's priority rule from config.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { AlarmRejection } from "../../alerts/alarm-rejection.js";
import type { AlarmTransition } from "../../alerts/lifecycle/alarm-transition.js";
import type { Notification } from "../../alerts/notification.js";
import { articlePriority } from "../../alerts/priority.js";
import { JobLink, type LateRecord, LinkedJobs } from "../../engine/index.js";
import {
  CollectingSink,
  ManualClock,
  record,
  type TestingItem,
  TestingSource,
} from "../../engine/testing/index.js";
import { buildAnomaly } from "../detectors/anomaly.js";
import { MetadataCatalog } from "../metadata/metadata-catalog.js";
import { buildMetadataSet } from "../metadata/metadata-set.js";
import { EQUIPMENT, FACILITIES, SENSORS } from "../metadata/test-metadata.js";
import { type PlantConfig, plantPipeline, type ReadingDeadLetter } from "../plant-pipeline.js";
import type { Anomaly } from "../reading/reading.js";
import { anomalySignal } from "./anomaly-signal.js";
import { plantAlarmJob } from "./plant-alarm-steps.js";

const records = (file: string, list: readonly unknown[]) => ({
  file,
  records: list.map((value, i) => ({ value, location: `record ${i + 1}` })),
});
const catalog = new MetadataCatalog(
  buildMetadataSet({
    facilities: records("facilities.json", FACILITIES),
    sensors: records("sensors.json", SENSORS),
    equipment: records("equipment.json", EQUIPMENT),
  }),
);
const T = Date.parse("2026-01-01T08:00:00Z");

describe("anomalySignal", () => {
  test("labels from the anomaly and the metadata; equipment detectors are about the equipment", () => {
    const subject = {
      sensor_id: "TEMP-001",
      equipment_id: "REACTOR-1",
      facility_id: "FAC-BER",
      production_line: "L1",
      sensor_type: "temperature" as const,
    };
    const anomaly = buildAnomaly(subject, {
      detector: "z-score",
      severity: "high",
      eventTimeMs: T,
      detectedAtMs: T + 5,
      value: 181.2,
      baseline: { mean: 72.4, stddev: 17.8, missing: undefined },
      score: 6.1,
      message: "temperature 181.2 is 6.1σ above its mean 72.4",
    });
    const s = anomalySignal(
      anomaly,
      catalog.equipment.get("REACTOR-1"),
      catalog.facilities.get("FAC-BER"),
    );
    assert.deepEqual(s, {
      type: "z-score",
      source: { kind: "sensor", id: "TEMP-001" },
      severity: "high",
      score: 6.1,
      value: 181.2,
      baseline: { mean: 72.4, stddev: 17.8 },
      time: T,
      labels: {
        facility: "FAC-BER",
        facility_name: "Berlin Works",
        sensor: "TEMP-001",
        sensor_type: "temperature",
        equipment: "REACTOR-1",
        production_line: "L1",
        criticality: "critical",
        equipment_class: "reactor",
      },
      message: "temperature 181.2 is 6.1σ above its mean 72.4",
      cause: `z-score|TEMP-001|${T}`,
    });
    const startup: Anomaly = { ...anomaly, detector: "equipment-startup" };
    assert.deepEqual(anomalySignal(startup, undefined, undefined).source, {
      kind: "equipment",
      id: "REACTOR-1",
    });
    const unknown = anomalySignal(
      { ...anomaly, equipment_id: null, production_line: null },
      undefined,
      undefined,
    );
    assert.deepEqual(unknown.labels, {
      facility: "FAC-BER",
      sensor: "TEMP-001",
      sensor_type: "temperature",
    });
  });
});

describe("plant pipeline with alarms", () => {
  test("a reactor running hot: one alarm, its history, and notifications routed by the article's rule", async () => {
    const reading = (t: number, celsius: number) =>
      JSON.stringify({
        sensor_id: "TEMP-001",
        timestamp: t,
        facility_id: "FAC-BER",
        sensor_type: "temperature",
        quality_score: 1,
        temperature_celsius: celsius,
      });
    const items = [];
    for (let i = 0; i < 240; i++) {
      const t = T + i * 1000;
      const hot = i >= 120 && i < 150;
      items.push(record(reading(t, hot ? 160 + (i % 3) : 60 + (i % 5) * 0.5), t));
    }
    const clock = new ManualClock(T);
    const alarms = new CollectingSink<AlarmTransition>();
    const notifications = new CollectingSink<Notification>();
    const rejections = new CollectingSink<AlarmRejection>();
    const config: PlantConfig = {
      advanceWhenQuiet: false,
      maxOutOfOrderness: 2_000,
      detectors: { threshold: { emit: "every-reading" } },
      alarms: {
        priority: articlePriority,
        excludeDetectors: ["equipment-startup", "equipment-shutdown"],
        lifecycle: { clearAfterMs: 30_000 },
      },
    };
    const { dataflow } = plantPipeline("plant-alarms", {
      input: new TestingSource(items, { clock, batchSize: 16 }),
      catalog,
      config,
      now: () => T,
      sinks: {
        anomalies: new CollectingSink<Anomaly>(),
        deadLetters: new CollectingSink<ReadingDeadLetter>(),
        late: new CollectingSink<LateRecord<unknown>>(),
        alarms,
        notifications,
        alarmRejections: rejections,
      },
    });
    await dataflow.run({ clock, tickInterval: 0 });

    const threshold = alarms.values.filter((a) => a.alarmId === "threshold|sensor:TEMP-001");
    assert.deepEqual(
      threshold.map((a) => [a.kind, a.to, (a.at - T) / 1000]),
      [
        ["opened", "ACTIVE_UNACK", 120],
        ["cleared", "CLEARED_UNACK", 179],
      ],
    );
    const opened = threshold[0]!.alarm;
    assert.equal(opened.severity, "critical");
    assert.equal(opened.equipmentId, "REACTOR-1");
    assert.equal(opened.labels.criticality, "critical");
    // The article's rule: score × 10 (the threshold excess (162 − 95) / 70 = 0.96 → 9.6)
    // + 50 for critical equipment; Berlin is not a "main" facility: 59, so Slack only.
    assert.equal(opened.priority, 59);
    assert.equal(threshold[1]!.alarm.count, 30, "30 hot readings folded into one alarm");
    const forThreshold = notifications.values.filter((n) =>
      n.alarms.some((a) => a.type === "threshold"),
    );
    assert.deepEqual(
      forThreshold.map((n) => [n.event, n.channel, (n.createdAt - T) / 1000]),
      [
        ["firing", "slack", 120],
        ["resolved", "slack", 180], // cleared at 179, sent one group interval (60 s) after the first
      ],
    );
    assert.equal(forThreshold[0]!.title, "[CRITICAL] threshold on TEMP-001 (REACTOR-1, FAC-BER)");
    assert.equal(forThreshold[0]!.groupKey, "default|facility=FAC-BER,equipment=REACTOR-1");
    assert.deepEqual(rejections.values, []);
  });

  test("in a job of its own, linked to the plant job, gives the same alarms and notifications", async () => {
    // Three sensors, each running hot for a while at different times.
    const items: TestingItem<string>[] = [];
    const sensors = [
      { id: "TEMP-001", type: "temperature", field: "temperature_celsius", cool: 60, hot: 160 },
      { id: "PRES-001", type: "pressure", field: "pressure_psi", cool: 100, hot: 400 },
      { id: "VIB-001", type: "generic", field: "value", cool: 1, hot: 1 },
    ];
    for (let i = 0; i < 400; i++) {
      const t = T + i * 1000;
      for (const [n, s] of sensors.entries()) {
        const hot = i >= 100 + n * 60 && i < 140 + n * 60;
        items.push(
          record(
            JSON.stringify({
              sensor_id: s.id,
              timestamp: t,
              facility_id: "FAC-BER",
              sensor_type: s.type,
              quality_score: 1,
              [s.field]: (hot ? s.hot : s.cool) + (i % 5) * 0.5,
            }),
            t,
          ),
        );
      }
    }
    const config: PlantConfig = {
      advanceWhenQuiet: false,
      maxOutOfOrderness: 2_000,
      detectors: { threshold: { emit: "every-reading" } },
      alarms: { priority: articlePriority, lifecycle: { clearAfterMs: 30_000 } },
    };
    const run = async (separate: boolean) => {
      const clock = new ManualClock(T);
      const alarms = new CollectingSink<AlarmTransition>();
      const notifications = new CollectingSink<Notification>();
      const link = separate ? new JobLink<Anomaly>({ id: (a) => a.id }) : undefined;
      const alarmSinks = { alarms, notifications };
      const { dataflow } = plantPipeline("plant", {
        input: new TestingSource(items, { clock, batchSize: 16 }),
        catalog,
        config,
        now: () => T,
        sinks: {
          anomalies: new CollectingSink<Anomaly>(),
          deadLetters: new CollectingSink<ReadingDeadLetter>(),
          late: new CollectingSink<LateRecord<unknown>>(),
          ...(link ? { alarmLink: link } : alarmSinks),
        },
      });
      const plantJob = dataflow.job({ clock, tickInterval: 0 });
      if (link) {
        const alarmJob = plantAlarmJob(
          "plant-alarms",
          link,
          { catalog, ...(config.alarms ? { config: config.alarms } : {}) },
          alarmSinks,
        ).job({ clock, tickInterval: 0 });
        await new LinkedJobs(plantJob, alarmJob, link).run();
      } else {
        await plantJob.run();
      }
      return { alarms: alarms.records, notifications: notifications.records };
    };
    const inline = await run(false);
    const separate = await run(true);
    assert.ok(inline.alarms.length >= 6, `${inline.alarms.length} alarm transitions`);
    assert.ok(inline.notifications.length >= 3, `${inline.notifications.length} notifications`);
    assert.deepEqual(separate.alarms, inline.alarms);
    assert.deepEqual(separate.notifications, inline.notifications);
  });
});
