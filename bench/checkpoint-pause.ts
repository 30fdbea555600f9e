/**
 * Checkpoint benchmark: 50,000 sensors, each with sliding-window state and keyed
 * process state with a timer, read at 50,000 readings/s (one per sensor per second)
 * with a checkpoint every second into SQLite. Reports the pause of the dataflow per
 * checkpoint (p50, p99, max), bytes written per checkpoint, the store's size, and
 * the time to restore the state on start.
 *
 * Usage: node --import tsx bench/checkpoint-pause.ts [--keys 50000] [--seconds 20] [--interval 1000]
 */
import { mkdtempSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import { SqliteCheckpointStore } from "../src/connectors/checkpoint/sqlite-checkpoint-store.js";
import {
  avg,
  composite,
  count,
  dataflow,
  type KeyedProcessFunction,
  max,
  minutes,
  type Sink,
  type Source,
  type SourcePoll,
  sliding,
  source,
  valueState,
} from "../src/engine/index.js";

const { values: args } = parseArgs({
  options: {
    keys: { type: "string", default: "50000" },
    seconds: { type: "string", default: "20" },
    interval: { type: "string", default: "1000" },
  },
});
const keys = Number(args.keys);
const seconds = Number(args.seconds);
const interval = Number(args.interval);

interface Reading {
  readonly sensor: string;
  readonly ts: number;
  readonly value: number;
}

const START = Date.UTC(2026, 10, 1);
const names = Array.from({ length: keys }, (_, i) => `sensor-${String(i).padStart(5, "0")}`);

/** One reading per sensor per event-time second, paced to one event second per wall second. */
function pacedSource(totalSeconds: number, onFirstPoll?: () => void): Source<Reading> {
  return {
    description: "paced",
    async open() {
      let second = 0;
      let offset = 0;
      const batch = 1000;
      const began = performance.now();
      let first = true;
      return {
        partitions: 1,
        async poll(): Promise<SourcePoll<Reading>> {
          if (first) {
            first = false;
            onFirstPoll?.();
          }
          if (second >= totalSeconds) return { kind: "end" };
          const due = began + second * 1000 + (offset / keys) * 1000;
          const wait = due - performance.now();
          if (wait > 1) await sleep(wait);
          const values: Reading[] = [];
          const times: number[] = [];
          for (let i = 0; i < batch && offset < keys; i++, offset++) {
            const ts = START + second * 1000 + (offset % 1000);
            values.push({ sensor: names[offset]!, ts, value: 20 + ((offset * 7 + second) % 50) });
            times.push(ts);
          }
          if (offset >= keys) {
            offset = 0;
            second++;
          }
          return { kind: "batch", partition: 0, values, times };
        },
        positions: () => new Map([[0, { second, offset }]]),
        async close() {},
      };
    },
  };
}

const totals = valueState<{ n: number; sum: number }>("totals");
const tracker: KeyedProcessFunction<string, Reading, never> = {
  processElement(r, ctx) {
    const t = ctx.state(totals).get() ?? { n: 0, sum: 0 };
    ctx.state(totals).set({ n: t.n + 1, sum: t.sum + r.value });
    ctx.timers.registerEventTime(Math.floor(r.ts / 60_000) * 60_000 + 60_000);
  },
  onTimer() {},
};

const discard: Sink<unknown> = {
  description: "discard",
  async open() {
    return { write() {}, async flush() {}, async close() {} };
  },
};

function build(src: Source<Reading>) {
  const readings = source("readings", src, { maxOutOfOrderness: 2000 });
  const windows = readings
    .keyBy((r) => r.sensor)
    .window(
      "stats-5m",
      sliding({ size: minutes(5), slide: minutes(1) }),
      composite({
        n: count<Reading>(),
        avg: avg<Reading>((r) => r.value),
        max: max<Reading>((r) => r.value),
      }),
    );
  const tracked = readings.keyBy((r) => r.sensor).process("tracker", tracker);
  return dataflow("checkpoint-bench", [
    windows.to("windows-out", discard),
    tracked.to("tracked-out", discard),
  ]);
}

const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

const work = mkdtempSync(path.join(os.tmpdir(), "millstream-checkpoint-bench-"));
try {
  const file = path.join(work, "checkpoints.sqlite");
  const store = new SqliteCheckpointStore({ path: file });
  const job = build(pacedSource(seconds)).job({ checkpoint: { store, interval } });
  await job.run();
  const cp = job.progress().checkpoints;
  const pauses = [...cp.recentPausesMs].sort((a, b) => a - b);
  await store.close();

  const restoreStore = new SqliteCheckpointStore({ path: file });
  const started = performance.now();
  let restoredAfter = 0;
  const restoreJob = build(
    pacedSource(0, () => {
      restoredAfter = performance.now() - started;
    }),
  ).job({ checkpoint: { store: restoreStore, interval } });
  await restoreJob.run();
  await restoreStore.close();
  const size = (name: string) => {
    try {
      return statSync(name).size;
    } catch {
      return 0;
    }
  };
  const mib = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`;
  console.log(
    `${keys} sensors × (sliding-window + process state), ${keys} readings/s for ${seconds} s, checkpoint every ${interval} ms, SQLite`,
  );
  console.log("");
  console.log("| Figure | Value |");
  console.log("| --- | ---: |");
  console.log(`| checkpoints completed | ${cp.completed} |`);
  console.log(`| pause per checkpoint, p50 | ${quantile(pauses, 0.5).toFixed(1)} ms |`);
  console.log(`| pause per checkpoint, p99 | ${quantile(pauses, 0.99).toFixed(1)} ms |`);
  console.log(`| pause per checkpoint, max | ${pauses.at(-1)!.toFixed(1)} ms |`);
  console.log(`| keys written by the last checkpoint | ${cp.lastKeys} |`);
  console.log(`| state JSON written by the last checkpoint | ${mib(cp.lastBytes ?? 0)} |`);
  console.log(
    `| last checkpoint, barrier to acknowledgement | ${cp.lastDurationMs?.toFixed(0)} ms |`,
  );
  console.log(`| SQLite file (+ WAL) after the run | ${mib(size(file) + size(`${file}-wal`))} |`);
  console.log(
    `| restore on start (load latest checkpoint, restore state) | ${restoredAfter.toFixed(0)} ms |`,
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}
