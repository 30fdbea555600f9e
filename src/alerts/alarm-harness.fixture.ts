/**
 * Test fixtures for alarm management: signal and command builders, and a runner that
 * pushes a script through `alarmPipeline` in memory with a manual clock and hands back
 * every output, bytewax-style. Restores from a checkpoint mid-script on request.
 */
import { MemoryCheckpointStore } from "../engine/checkpoint/memory-checkpoint-store.js";
import { type DeadLetter, dataflow, type SinkStep, type Stream, source } from "../engine/index.js";
import {
  CollectingSink,
  ManualClock,
  record,
  type TestingItem,
  TestingSource,
  watermark,
} from "../engine/testing/index.js";
import { alarmPipeline } from "./alarm-pipeline.js";
import type { AlarmRejection } from "./alarm-rejection.js";
import type { AlarmSignal } from "./alarm-signal.js";
import type { AlarmsConfigInput } from "./alarms-config.js";
import type { AlarmCommand } from "./commands/alarm-command.js";
import type { HeldNotification } from "./grouping/channel-rate-limiter.js";
import type { AlarmTransition } from "./lifecycle/alarm-transition.js";
import type { AlarmSeverity, Notification } from "./notification.js";

export { watermark };

/** Epoch ms of the scripts' start: 2026-01-01T00:00:00Z. */
export const T0 = 1_767_225_600_000;

/** Seconds after {@link T0}, as epoch ms. */
export const s = (seconds: number) => T0 + seconds * 1000;

/** A signal of `type` on sensor `sensor` at `time`, in facility plant-a, equipment OVEN-1. */
export function signal(
  type: string,
  sensor: string,
  time: number,
  severity: AlarmSeverity = "high",
  more: Partial<AlarmSignal> = {},
): AlarmSignal {
  return {
    type,
    source: { kind: "sensor", id: sensor },
    severity,
    score: 4,
    value: 100,
    baseline: { mean: 50, stddev: 10 },
    time,
    labels: { facility: "plant-a", equipment: "OVEN-1", sensor, criticality: "high" },
    message: `${sensor} is off`,
    ...more,
  };
}

type Input = AlarmSignal | AlarmCommand;

/** The script item of a signal, at its own time. */
export const at = (x: AlarmSignal): TestingItem<Input> => record(x, x.time);
/** The script item of a command, at its `at`. */
export const cmd = (c: AlarmCommand): TestingItem<Input> => record(c, c.at);

/** Everything alarm management wrote. */
export interface AlarmOutputs {
  transitions: AlarmTransition[];
  notifications: Notification[];
  /** Event time of each notification in the stream (its release, after a rate limit). */
  notificationTimes: number[];
  held: HeldNotification[];
  rejected: AlarmRejection[];
}

/** The `[kind, to, seconds after T0]` of each transition: what lifecycle tests compare. */
export const brief = (list: readonly AlarmTransition[]) =>
  list.map((t) => [t.kind, t.to, (t.at - T0) / 1000] as const);

/** The `[event, channel, alarm ids, seconds after T0]` of each notification. */
export const briefN = (list: readonly Notification[]) =>
  list.map(
    (n) =>
      [
        n.event,
        n.channel,
        n.alarms.map((a) => a.source.id).join(","),
        (n.createdAt - T0) / 1000,
      ] as const,
  );

function build(
  src: TestingSource<Input>,
  config: AlarmsConfigInput,
  sinks: Sinks,
  dead: CollectingSink<DeadLetter>,
) {
  const input = source("input", src);
  const signals = input.filter(
    "signals",
    (x): x is AlarmSignal => "source" in x,
  ) as Stream<AlarmSignal>;
  const commands = input.filter("commands", (x): x is AlarmCommand => "kind" in x);
  const out = alarmPipeline(signals, { config, commands });
  const steps: SinkStep[] = [
    out.transitions.to("transitions", sinks.transitions as CollectingSink<AlarmTransition>),
    out.notifications.to("notifications", sinks.notifications as CollectingSink<Notification>),
    out.held.to("held", sinks.held as CollectingSink<HeldNotification>),
    out.rejected.to("rejected", sinks.rejected as CollectingSink<AlarmRejection>),
    out.deadLetters.to("dead", dead),
  ];
  return dataflow("alarms-test", steps);
}

interface Sinks {
  readonly transitions: CollectingSink<unknown>;
  readonly notifications: CollectingSink<unknown>;
  readonly held: CollectingSink<unknown>;
  readonly rejected: CollectingSink<unknown>;
}

function sinks(): Sinks {
  return {
    transitions: new CollectingSink<unknown>(),
    notifications: new CollectingSink<unknown>(),
    held: new CollectingSink<unknown>(),
    rejected: new CollectingSink<unknown>(),
  };
}

function collect(s: Sinks, into?: AlarmOutputs): AlarmOutputs {
  const out = into ?? {
    transitions: [],
    notifications: [],
    notificationTimes: [],
    held: [],
    rejected: [],
  };
  out.transitions.push(...(s.transitions.values as AlarmTransition[]));
  out.notifications.push(...(s.notifications.values as Notification[]));
  out.notificationTimes.push(...s.notifications.records.map((r) => r.time));
  out.held.push(...(s.held.values as HeldNotification[]));
  out.rejected.push(...(s.rejected.values as AlarmRejection[]));
  return out;
}

/**
 * Runs `items` through alarm management with `config` to the end of input. Fails when
 * a step sent anything to its dead-letter output.
 */
export async function runAlarms(
  items: TestingItem<Input>[],
  config: AlarmsConfigInput = {},
  batchSize = 3,
): Promise<AlarmOutputs> {
  const clock = new ManualClock(T0);
  const out = sinks();
  const dead = new CollectingSink<DeadLetter>();
  await build(new TestingSource(items, { clock, batchSize }), config, out, dead).run({
    clock,
    tickInterval: 0,
  });
  if (dead.values.length > 0) throw new Error(`dead letters: ${JSON.stringify(dead.values)}`);
  return collect(out);
}

/**
 * Runs `items[0, split)`, stops gracefully (a checkpoint), then runs a fresh job
 * restored from it over the rest. Returns both parts' outputs, concatenated.
 */
export async function runAlarmsWithRestore(
  items: TestingItem<Input>[],
  split: number,
  config: AlarmsConfigInput = {},
): Promise<AlarmOutputs> {
  const store = new MemoryCheckpointStore();
  const dead = new CollectingSink<DeadLetter>();
  const clock1 = new ManualClock(T0);
  const first = sinks();
  const head = new TestingSource(items.slice(0, split), {
    clock: clock1,
    batchSize: 3,
    endless: true,
  });
  const job = build(head, config, first, dead).job({
    clock: clock1,
    tickInterval: 0,
    checkpoint: { store, interval: 3_600_000 },
  });
  const done = job.run();
  await head.whenDrained();
  job.stop();
  await done;
  const clock2 = new ManualClock(T0);
  const second = sinks();
  await build(new TestingSource(items, { clock: clock2, batchSize: 3 }), config, second, dead).run({
    clock: clock2,
    tickInterval: 0,
    checkpoint: { store, interval: 3_600_000 },
  });
  if (dead.values.length > 0) throw new Error(`dead letters: ${JSON.stringify(dead.values)}`);
  return collect(second, collect(first));
}
