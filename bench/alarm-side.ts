/**
 * The alarm side of `alarm-latency.ts`, wherever it runs (the main thread, or the alarm
 * job's worker thread): the alarm outputs, notifications into a durable outbox, and a
 * dispatcher sending to channels that answer at once, noting for each z-score alarm when
 * its first notification reached the outbox sink and when it was first attempted.
 */
import path from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import type { Channel, SendResult } from "../src/alerts/channels/channel.js";
import { Dispatcher } from "../src/alerts/delivery/dispatcher.js";
import { Outbox } from "../src/alerts/delivery/outbox.js";
import { OutboxSink } from "../src/alerts/delivery/outbox-sink.js";
import type { Notification } from "../src/alerts/notification.js";
import { defaultChannels } from "../src/alerts/routing/route-config.js";
import { JsonlFileSink } from "../src/connectors/file/index.js";
import type { Sink } from "../src/engine/index.js";
import type { PlantAlarmSinks } from "../src/iot/alarms/index.js";
import type { PlantAlarmsConfig } from "../src/iot/alarms/plant-alarms.js";
import { tapSink } from "./tap-sink.js";

/**
 * Each alarm is its own group (`groupBy: [alarmId]`), so the figure is the pipeline's
 * own latency: with the default grouping a second alarm of the same equipment within
 * `groupIntervalMs` waits for it by design. The synthetic plant's power sensors sit
 * above their warning band and every machine starts up at once: those alarms are left
 * out, so the figure is the spikes' z-score alarms on top of the whole pipeline's load.
 */
export const BENCH_ALARMS: PlantAlarmsConfig = {
  grouping: { groupBy: ["alarmId"] },
  excludeDetectors: [
    "threshold",
    "trend",
    "stuck-sensor",
    "offline",
    "quality-degradation",
    "sensor-drift",
    "equipment-startup",
    "equipment-shutdown",
  ],
};

/** One z-score alarm (`<sensor>@<active since>`): its time, its first notification's arrival at the sink, its first attempt. */
export interface AlarmTiming {
  readonly key: string;
  readonly at: number;
  readonly written: number;
  attempted: number | null;
}

/** What the alarm side reports at the end. */
export interface AlarmSideResult {
  readonly timings: readonly AlarmTiming[];
  readonly notifications: number;
  /** Event-loop delay of the alarm side's thread, ms: p50, p99, max. */
  readonly loopDelayMs: readonly [number, number, number];
}

/** Options of {@link alarmSide}. */
export interface AlarmSideOptions {
  /** Folder for the outputs and the outbox. */
  readonly work: string;
  /** Notifications ask for an early checkpoint. */
  readonly early: boolean;
}

/** A channel that answers at once and notes each alarm's first attempt. */
class InstantChannel implements Channel {
  readonly kind = "webhook" as const;
  constructor(
    readonly name: string,
    private readonly attempted: (notification: Notification) => void,
  ) {}
  async send(notification: Notification): Promise<SendResult> {
    this.attempted(notification);
    return { outcome: "delivered", status: 200 };
  }
  async close(): Promise<void> {}
}

export function alarmSide(options: AlarmSideOptions) {
  const timings = new Map<string, AlarmTiming>();
  /** Notification id → the alarm it announces. */
  const alarmOf = new Map<string, AlarmTiming>();
  let notifications = 0;
  const outbox = new Outbox({ path: path.join(options.work, "outbox.db") });
  const onAttempt = (n: Notification) => {
    const timing = alarmOf.get(n.id);
    if (timing !== undefined && timing.attempted === null) timing.attempted = Date.now();
  };
  const channels = new Map<string, Channel>(
    Object.keys(defaultChannels).map((name) => [name, new InstantChannel(name, onAttempt)]),
  );
  const dispatcher = new Dispatcher({ outbox, channels, concurrency: 4 });
  const noted: Sink<Notification> = tapSink(
    new OutboxSink({ outbox, ...(options.early ? { earlyCheckpoint: { minPriority: 0 } } : {}) }),
    (batch) => {
      const now = Date.now();
      notifications += batch.values.length;
      for (const n of batch.values) {
        if (n.event !== "firing") continue;
        for (const a of n.alarms) {
          if (a.type !== "z-score") continue;
          const key = `${a.source.id}@${a.activeSince}`;
          let timing = timings.get(key);
          if (timing === undefined) {
            timing = { key, at: a.activeSince, written: now, attempted: null };
            timings.set(key, timing);
          }
          alarmOf.set(n.id, timing);
        }
      }
    },
  );
  const out = (name: string) =>
    new JsonlFileSink<never>({ directory: path.join(options.work, name) });
  const sinks: Omit<PlantAlarmSinks, "alarmLink"> = {
    alarms: out("alarms"),
    notifications: noted,
    alarmRejections: out("alarm_rejections"),
  };
  const loopDelay = monitorEventLoopDelay({ resolution: 1 });
  return {
    sinks,
    start(): void {
      loopDelay.enable();
      dispatcher.start();
    },
    /** Lets the dispatcher take the last notifications, then stops it. */
    async finish(): Promise<AlarmSideResult> {
      for (let i = 0; i < 200 && outbox.stats().pending > 0; i++) await sleep(10);
      await dispatcher.stop();
      outbox.close();
      loopDelay.disable();
      const ms = (ns: number) => Math.round(ns / 1e6);
      return {
        timings: [...timings.values()],
        notifications,
        loopDelayMs: [
          ms(loopDelay.percentile(50)),
          ms(loopDelay.percentile(99)),
          ms(loopDelay.max),
        ],
      };
    },
  };
}
