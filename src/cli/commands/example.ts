/**
 * `millstream example`: a small, self-contained engine example. It replays a
 * minute of readings from three simulated sensors (one of which overheats) through
 * keyed event-time windows and prints each window's result as the watermark
 * closes it.
 */
import { parseArgs } from "node:util";
import {
  avg,
  composite,
  count,
  dataflow,
  type LateRecord,
  max,
  min,
  type Sink,
  type Source,
  type SourcePoll,
  seconds,
  source,
  stddev,
  tumbling,
  type WindowResult,
} from "../../engine/index.js";
import type { Command } from "./command.js";

interface Reading {
  readonly sensorId: string;
  readonly timestamp: number;
  readonly celsius: number;
}

const START = Date.UTC(2026, 0, 1, 6, 0, 0);

/** One reading per sensor per second; sensor "oven-2" overheats after 35 s; a few arrive late. */
function readings(durationSeconds: number): Reading[] {
  const sensors = ["oven-1", "oven-2", "oven-3"];
  const out: Reading[] = [];
  for (let s = 0; s < durationSeconds; s++) {
    sensors.forEach((sensorId, i) => {
      const wobble = Math.sin((s + i * 7) / 5) * 0.8;
      const heat = sensorId === "oven-2" && s >= 35 ? (s - 35) * 1.5 : 0;
      out.push({
        sensorId,
        timestamp: START + s * 1000 + i * 10,
        celsius: 180 + i * 5 + wobble + heat,
      });
    });
  }
  // Two readings delayed by the network: one within the allowed disorder, one far too late.
  const delayed = out.splice(30, 1)[0]!;
  out.splice(36, 0, delayed);
  const tooLate = out.splice(10, 1)[0]!;
  out.push(tooLate);
  return out;
}

function arraySource<T>(items: readonly T[], batchSize: number): Source<T> {
  return {
    description: "example readings",
    async open() {
      let next = 0;
      return {
        partitions: 1,
        async poll(): Promise<SourcePoll<T>> {
          if (next >= items.length) return { kind: "end" };
          const values = items.slice(next, next + batchSize);
          next += values.length;
          return { kind: "batch", partition: 0, values };
        },
        async close() {},
      };
    },
  };
}

function printSink<T>(format: (value: T) => string): Sink<T> {
  return {
    description: "stdout",
    async open() {
      return {
        write(batch) {
          for (const value of batch.values) process.stdout.write(`${format(value)}\n`);
        },
        async flush() {},
        async close() {},
      };
    },
  };
}

const clockTime = (t: number): string => new Date(t).toISOString().slice(11, 19);
const fixed = (n: number | null): string => (n === null ? "-" : n.toFixed(1).padStart(6));

export const exampleCommand: Command = {
  name: "example",
  summary: "Run a small engine example that prints windowed results",
  usage: `Usage: millstream example [--window <seconds>] [--duration <seconds>]

Replays simulated oven temperatures (one oven overheats) through tumbling
event-time windows keyed by sensor, and prints each window when the watermark
closes it. A reading that arrives after its window closed is printed as late.

Options:
  --window <seconds>    window size (default 10)
  --duration <seconds>  seconds of readings to replay (default 60)`,
  async run(argv) {
    const { values } = parseArgs({
      args: argv,
      options: {
        window: { type: "string", default: "10" },
        duration: { type: "string", default: "60" },
      },
      strict: true,
    });
    const windowSeconds = Number(values.window);
    const duration = Number(values.duration);
    if (!(Number.isInteger(windowSeconds) && windowSeconds > 0)) {
      console.error(
        `millstream example: --window expects a positive whole number of seconds, got "${values.window}"`,
      );
      return 2;
    }
    if (!(Number.isInteger(duration) && duration > 0)) {
      console.error(
        `millstream example: --duration expects a positive whole number of seconds, got "${values.duration}"`,
      );
      return 2;
    }
    const stats = source("readings", arraySource(readings(duration), 16), {
      timestamp: (r) => r.timestamp,
      maxOutOfOrderness: seconds(2),
    })
      .keyBy((r) => r.sensorId)
      .window(
        "temperature-stats",
        tumbling(seconds(windowSeconds)),
        composite({
          n: count<Reading>(),
          avg: avg<Reading>((r) => r.celsius),
          min: min<Reading>((r) => r.celsius),
          max: max<Reading>((r) => r.celsius),
          stddev: stddev<Reading>((r) => r.celsius),
        }),
      );
    console.log("window    sensor     n   avg °C   min °C   max °C   stddev");
    const row = (
      w: WindowResult<
        string,
        {
          n: number;
          avg: number | null;
          min: number | null;
          max: number | null;
          stddev: number | null;
        }
      >,
    ) =>
      `${clockTime(w.start)}  ${w.key.padEnd(8)} ${String(w.value.n).padStart(3)}  ${fixed(w.value.avg)}   ${fixed(w.value.min)}   ${fixed(w.value.max)}   ${fixed(w.value.stddev)}`;
    const lateRow = (l: LateRecord<Reading>) =>
      `late:     ${l.value.sensorId.padEnd(8)} reading at ${clockTime(l.time)} arrived after the watermark reached ${clockTime(l.watermark)} (${l.reason})`;
    await dataflow("example", [
      stats.to("print-windows", printSink(row)),
      stats.late().to("print-late", printSink(lateRow)),
    ]).run({ tickInterval: 0 });
    return 0;
  },
};
