/**
 * Pipeline alarms: progress samples of a job become signals, and those signals go
 * through the same alarm machinery as anomalies.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { dataflow, type JobProgress, type StepProgress, source } from "../../engine/index.js";
import { CollectingSink, ManualClock, record, TestingSource } from "../../engine/testing/index.js";
import { alarmPipeline } from "../alarm-pipeline.js";
import type { AlarmSignal } from "../alarm-signal.js";
import type { AlarmTransition } from "../lifecycle/alarm-transition.js";
import type { Notification } from "../notification.js";
import { JobMonitorSource } from "./job-monitor-source.js";
import { PIPELINE_ALARMS, type PipelineSample, pipelineSignals } from "./pipeline-signals.js";

const T = 1_767_225_600_000;
const MiB = 2 ** 20;

function step(name: string, busyMs: number): StepProgress {
  return {
    step: name,
    kind: "map",
    recordsIn: 0,
    recordsOut: 0,
    batchesIn: 0,
    busyMs,
    lastBatchMs: 0,
    maxBatchMs: 0,
    watermark: null,
    lateRecords: 0,
    deadLetters: 0,
    stateSize: 0,
  };
}

function sample(
  at: number,
  recordsIn: number,
  busyMs: number,
  more: Partial<JobProgress> = {},
  memory = { heapUsed: 100 * MiB, heapLimit: 4096 * MiB, rss: 300 * MiB },
): PipelineSample {
  return {
    progress: {
      name: "plant",
      state: "running",
      timestamp: at,
      watermark: at - 5_000,
      recordsIn,
      steps: [step("parse", busyMs / 2), step("detect", busyMs / 2)],
      checkpoints: {
        completed: 1,
        failed: 0,
        lastId: 1,
        lastCompletedAt: at,
        ageMs: 1000,
        lastDurationMs: 5,
        lastPauseMs: 1,
        lastBytes: 0,
        lastKeys: 0,
        recentPausesMs: [],
      },
      sources: [],
      ...more,
    },
    memory,
  };
}

const types = (list: AlarmSignal[]) => list.map((s) => [s.type, s.source.id, s.severity]);

describe("pipelineSignals", () => {
  test("a healthy job gives no signal", () => {
    assert.deepEqual(pipelineSignals(sample(T, 0, 0), sample(T + 10_000, 100_000, 2_000)), []);
  });

  test("input faster than processing: the steps were busy more than 90 % of the time", () => {
    const signals = pipelineSignals(sample(T, 0, 0), sample(T + 10_000, 500_000, 9_500));
    assert.deepEqual(types(signals), [[PIPELINE_ALARMS.backlog, "plant", "high"]]);
    assert.equal(signals[0]!.value, 50_000);
    assert.deepEqual(signals[0]!.baseline, { processing_rate: 52_631.6, busy_share: 0.95 });
    assert.equal(
      signals[0]!.message,
      "plant: input 50,000/s against a processing rate of 52,632/s (95 % busy)",
    );
    assert.equal(signals[0]!.time, T + 10_000);
  });

  test("watermark lag, checkpoint failures and age, a failed job, a disconnected source, memory", () => {
    const before = sample(T, 0, 0);
    const now = sample(
      T + 10_000,
      10,
      1,
      {
        watermark: T - 120_000,
        checkpoints: { ...before.progress.checkpoints, failed: 2, ageMs: 600_000 },
        sources: [
          {
            step: "mqtt",
            description: "mqtt://broker:1883",
            status: { state: "reconnecting", detail: "connect ECONNREFUSED", lag: null },
          },
          { step: "files", description: "file:a.jsonl", status: { state: "connected", lag: null } },
        ],
      },
      { heapUsed: 3900 * MiB, heapLimit: 4096 * MiB, rss: 4200 * MiB },
    );
    const signals = pipelineSignals(before, now);
    assert.deepEqual(types(signals), [
      [PIPELINE_ALARMS.checkpointFailures, "plant", "critical"],
      [PIPELINE_ALARMS.watermarkLag, "plant", "high"],
      [PIPELINE_ALARMS.checkpointFailures, "plant", "high"],
      [PIPELINE_ALARMS.sourceDisconnected, "plant/mqtt", "high"],
      [PIPELINE_ALARMS.memoryHigh, "plant", "critical"],
    ]);
    assert.match(signals[1]!.message, /event time is 130 s behind the clock/);
    assert.match(
      signals[3]!.message,
      /source mqtt \(mqtt:\/\/broker:1883\) is reconnecting: connect ECONNREFUSED/,
    );
    const failed = pipelineSignals(null, sample(T, 0, 0, { state: "failed" }));
    assert.deepEqual(types(failed), [[PIPELINE_ALARMS.jobFailed, "plant", "critical"]]);
  });
});

describe("JobMonitorSource", () => {
  test("samples a running job; its signals open pipeline alarms through the same machinery", async () => {
    const clock = new ManualClock(T);
    // The monitored job: a source that never sends a record, so its watermark stays put.
    const quiet = new TestingSource<number>([record(1, T)], { clock, endless: true });
    const sink = new CollectingSink<number>();
    const job = dataflow("plant", [
      source("in", quiet, { advanceWhenQuiet: false }).to("out", sink),
    ]).job({
      clock,
      tickInterval: 0,
    });
    const running = job.run();
    await quiet.whenDrained();
    const monitor = new JobMonitorSource(() => job, {
      clock,
      intervalMs: 10_000,
      thresholds: { maxWatermarkLagMs: 30_000 },
      memory: () => ({ heapUsed: MiB, heapLimit: 1024 * MiB, rss: 10 * MiB }),
    });
    const samples: AlarmSignal[][] = [];
    for (let i = 0; i < 4; i++) {
      samples.push(monitor.sample());
      clock.advance(20_000);
    }
    job.stop();
    await running;
    assert.deepEqual(
      samples.map((list) => list.map((s) => s.type)),
      [[], [], [PIPELINE_ALARMS.watermarkLag], [PIPELINE_ALARMS.watermarkLag]],
    );

    const signals = samples.flat().map((s) => record(s, s.time));
    const transitions = new CollectingSink<AlarmTransition>();
    const notifications = new CollectingSink<Notification>();
    const alarms = alarmPipeline(source("pipeline-signals", new TestingSource(signals)));
    await dataflow("pipeline-alarms", [
      alarms.transitions.to("transitions", transitions),
      alarms.notifications.to("notifications", notifications),
    ]).run({ tickInterval: 0 });
    assert.deepEqual(
      transitions.values.map((t) => [t.alarmId, t.kind, t.alarm.count]),
      [["watermark-lag|pipeline:plant", "opened", 1]],
    );
    assert.deepEqual(
      notifications.values.map((n) => [n.channel, n.title]),
      [
        ["email", "[HIGH] watermark-lag on plant"],
        ["slack", "[HIGH] watermark-lag on plant"],
      ],
    );
  });

  test("as a source it ends once the job has finished", async () => {
    const clock = new ManualClock(T);
    const job = dataflow("done", [
      source("in", new TestingSource([record(1, T)])).to("out", new CollectingSink<number>()),
    ]).job({ clock, tickInterval: 0 });
    await job.run();
    const monitor = new JobMonitorSource(() => job, { clock, intervalMs: 1000 });
    const out = new CollectingSink<AlarmSignal>();
    await dataflow("monitor", [source("health", monitor).to("out", out)]).run({
      clock,
      tickInterval: 0,
    });
    assert.deepEqual(out.values, []);
  });
});
