/**
 * The pipeline the crash test kills and restarts: a replayable JSONL file source,
 * parsing, event time, keyed sliding windows, a keyed process function with state
 * and event-time timers, exactly-once JSONL file sinks and SQLite checkpoints.
 *
 * Usage: node --import tsx test/crash/crash-pipeline.ts <input> <output-dir> <store-file> [mode]
 *
 * `mode` deliberately breaks exactly-once, for the negative controls:
 * - `ack-before-commit`: the source's positions are made durable as soon as records
 *   are read (as a broker forgets messages acknowledged early), and a restart
 *   resumes from there instead of from the checkpoint;
 * - `non-idempotent-sink`: events are appended straight to a file as they are
 *   written, with no epochs and no commit.
 */
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  writeFileSync,
} from "node:fs";
import path from "node:path";
import { runUntilSignal } from "../../src/cli/graceful-stop.js";
import { SqliteCheckpointStore } from "../../src/connectors/checkpoint/sqlite-checkpoint-store.js";
import { JsonlFileSink } from "../../src/connectors/file/jsonl-file-sink.js";
import { JsonlFileSource } from "../../src/connectors/file/jsonl-file-source.js";
import {
  composite,
  count,
  dataflow,
  type KeyedProcessFunction,
  mapState,
  max,
  type Sink,
  type Source,
  sliding,
  source,
  sum,
  valueState,
} from "../../src/engine/index.js";

export interface Reading {
  readonly sensor: string;
  readonly ts: number;
  readonly value: number;
}

export type CrashMode = "exactly-once" | "ack-before-commit" | "non-idempotent-sink";

const seen = valueState<number>("seen");
const perMinute = mapState<number, number>("per-minute");

/** Numbers each sensor's readings in arrival order, and reports each minute's count once it is complete. */
const sequence: KeyedProcessFunction<string, Reading, { id: string; n: number }> = {
  processElement(r, ctx) {
    const n = (ctx.state(seen).get() ?? 0) + 1;
    ctx.state(seen).set(n);
    ctx.emit({ id: `${ctx.key}#${n}`, n });
    const minute = Math.floor(r.ts / 60_000) * 60_000;
    const minutes = ctx.state(perMinute);
    minutes.set(minute, (minutes.get(minute) ?? 0) + 1);
    ctx.timers.registerEventTime(minute + 60_000);
  },
  onTimer(time, ctx) {
    const minutes = ctx.state(perMinute);
    const minute = time - 60_000;
    ctx.emit({ id: `${ctx.key}@${minute}`, n: minutes.get(minute) ?? 0 });
    minutes.delete(minute);
  },
};

/** Wraps a source so that positions are saved on every poll and restarts resume from them. */
function acknowledgingEarly(inner: Source<string>, file: string): Source<string> {
  return {
    description: `${inner.description} (acknowledged before commit)`,
    async open(context) {
      const saved = existsSync(file)
        ? new Map<number, unknown>(JSON.parse(readFileSync(file, "utf8")) as [number, unknown][])
        : undefined;
      const reader = await inner.open(
        saved ? { step: context.step, resumeFrom: saved } : { step: context.step },
      );
      return {
        partitions: reader.partitions,
        async poll() {
          const result = await reader.poll();
          writeFileSync(`${file}.tmp`, JSON.stringify([...(reader.positions?.() ?? [])]));
          renameSync(`${file}.tmp`, file);
          return result;
        },
        positions: () => reader.positions?.() ?? new Map(),
        close: () => reader.close(),
      };
    },
  };
}

/** Appends every write to one file at once: no epochs, so a replay duplicates. */
function appendingSink<T>(directory: string): Sink<T> {
  return {
    description: `append:${directory}`,
    async open() {
      mkdirSync(directory, { recursive: true });
      const file = path.join(directory, "part-live.jsonl");
      return {
        write(batch) {
          appendFileSync(file, batch.values.map((v) => `${JSON.stringify(v)}\n`).join(""));
        },
        async flush() {},
        async close() {},
      };
    },
  };
}

export async function runCrashPipeline(
  input: string,
  output: string,
  storeFile: string,
  mode: CrashMode,
  ready?: () => void,
) {
  const file = new JsonlFileSource({ paths: [input], batchSize: 500 });
  const readings = source(
    "input",
    mode === "ack-before-commit" ? acknowledgingEarly(file, `${storeFile}.positions`) : file,
  )
    .map("parse", (line) => JSON.parse(line) as Reading)
    .withEventTime("event-time", {
      timestamp: (r) => r.ts,
      maxOutOfOrderness: 5000,
      advanceWhenQuiet: false,
    });
  const windows = readings
    .keyBy((r) => r.sensor)
    .window(
      "stats",
      sliding({ size: 60_000, slide: 20_000 }),
      composite({
        n: count<Reading>(),
        sum: sum<Reading>((r) => r.value),
        max: max<Reading>((r) => r.value),
      }),
    );
  const events = readings.keyBy((r) => r.sensor).process("sequence", sequence);
  const store = new SqliteCheckpointStore({ path: storeFile });
  try {
    const job = dataflow("crash-test", [
      windows.to("windows-out", new JsonlFileSink({ directory: path.join(output, "windows") })),
      events.to(
        "events-out",
        mode === "non-idempotent-sink"
          ? appendingSink(path.join(output, "events"))
          : new JsonlFileSink({ directory: path.join(output, "events") }),
      ),
    ]).job({ checkpoint: { store, interval: 200 } });
    await runUntilSignal(job, ready ? { ready } : {});
  } finally {
    await store.close();
  }
}

if (process.argv[1] && import.meta.url.endsWith(path.basename(process.argv[1]))) {
  const [input, output, storeFile, mode = "exactly-once"] = process.argv.slice(2);
  if (!input || !output || !storeFile) {
    console.error("usage: crash-pipeline.ts <input> <output-dir> <store-file> [mode]");
    process.exit(2);
  }
  await runCrashPipeline(input, output, storeFile, mode as CrashMode, () =>
    process.stdout.write("running\n"),
  );
  process.stdout.write("finished\n");
}
