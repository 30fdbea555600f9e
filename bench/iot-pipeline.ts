/**
 * The whole plant pipeline on one core: raw JSON lines in (parse and validate,
 * event time, enrichment, all detectors, the three dashboards, equipment state),
 * outputs counted and discarded, archive optional. Compared in the same run with
 * plain `JSON.parse` of the same lines.
 *
 * Usage: node --import tsx bench/iot-pipeline.ts [--records 1000000] [--sensors 10000] [--archive]
 *
 * With `node --expose-gc` and `--memory`, it also samples the live heap (after a full
 * collection) every 250,000 readings (a quarter of a shorter run; and after the last
 * batch) and prints the largest sample and its share per sensor: the state the pipeline keeps, not the garbage it makes. The samples pause
 * the run, so throughput figures of such a run are not comparable.
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import type { Sink, Source, SourcePoll } from "../src/engine/index.js";
import { readingArchiveSink } from "../src/iot/archive/index.js";
import { plantPipeline } from "../src/iot/plant-pipeline.js";
import { mainThreadCpuMs } from "./main-thread-cpu.js";
import { plantCatalog, readingLine } from "./plant-fixture.js";

const { values: args } = parseArgs({
  options: {
    records: { type: "string", default: "1000000" },
    sensors: { type: "string", default: "10000" },
    archive: { type: "boolean", default: false },
    memory: { type: "boolean", default: false },
  },
});
const records = Number(args.records);
const sensors = Number(args.sensors);
const START = Date.UTC(2026, 10, 2, 6, 0, 0);

function line(i: number): string {
  const s = i % sensors;
  return readingLine(s, START + Math.floor(i / sensors) * 1000 + (s % 1000));
}

const lines = Array.from({ length: records }, (_, i) => line(i));
/** Readings between two live-heap samples: 250,000, or a quarter of a shorter run (whole batches). */
const SAMPLE_EVERY = Math.max(1000, Math.min(250_000, Math.floor(records / 4000) * 1000));
const bytes = lines.reduce((n, l) => n + l.length + 1, 0);

function linesSource(): Source<string> {
  return {
    description: "bench lines",
    async open() {
      let next = 0;
      return {
        partitions: 1,
        async poll(): Promise<SourcePoll<string>> {
          if (next >= lines.length) return { kind: "end" };
          const values = lines.slice(next, next + 1000);
          next += values.length;
          if (sampler !== null && (next % SAMPLE_EVERY === 0 || next >= lines.length)) {
            sampler.sample();
          }
          return { kind: "batch", partition: 0, values };
        },
        async close() {},
      };
    },
  };
}

let out = 0;
const counting = <T>(): Sink<T> => ({
  description: "count",
  async open() {
    return {
      write(batch) {
        out += batch.values.length;
      },
      async flush() {},
      async close() {},
    };
  },
});

const sampler = args.memory ? liveHeapSampler() : null;
let started = performance.now();
let fields = 0;
for (const l of lines)
  fields += (JSON.parse(l) as { quality_score: number }).quality_score > 0 ? 1 : 0;
const parseRate = records / ((performance.now() - started) / 1000);

const work = mkdtempSync(path.join(os.tmpdir(), "millstream-pipeline-bench-"));
try {
  const { dataflow } = plantPipeline("bench", {
    input: linesSource(),
    catalog: plantCatalog(sensors),
    config: { advanceWhenQuiet: false },
    now: () => START + 3_600_000,
    sinks: {
      anomalies: counting(),
      deadLetters: counting(),
      late: counting(),
      facilityMetrics: counting(),
      equipmentHealth: counting(),
      productionEfficiency: counting(),
      equipmentState: counting(),
      ...(args.archive ? { archive: readingArchiveSink(path.join(work, "archive")) } : {}),
    },
  });
  const profiler = process.env.BENCH_PROFILE ? await startProfile() : null;
  started = performance.now();
  const cpuBefore = process.cpuUsage();
  const mainBefore = mainThreadCpuMs();
  const job = dataflow.job({ tickInterval: 100 });
  await job.run();
  const liveHeap = sampler?.stop() ?? null;
  if (profiler) await profiler.stop(process.env.BENCH_PROFILE!);
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const cpuMicrosPerReading = (cpu.user + cpu.system) / records;
  const mainMicrosPerReading = ((mainThreadCpuMs() - mainBefore) * 1000) / records;
  if (process.env.BENCH_STEPS)
    for (const s of job.progress().steps)
      console.log(
        `${s.step.padEnd(40)} ${s.busyMs.toFixed(0).padStart(7)} ms  in ${s.recordsIn} out ${s.recordsOut}`,
      );
  const rate = records / seconds;
  const rss = process.resourceUsage().maxRSS / 1024;
  console.log(
    `${records.toLocaleString("en")} readings of ${sensors.toLocaleString("en")} sensors (${(bytes / 1e6).toFixed(0)} MB of JSON lines), archive ${args.archive ? "on" : "off"}`,
  );
  console.log("");
  console.log("| Figure | Value |");
  console.log("| --- | ---: |");
  console.log(`| JSON.parse alone | ${Math.round(parseRate).toLocaleString("en")} readings/s |`);
  console.log(`| whole plant pipeline | ${Math.round(rate).toLocaleString("en")} readings/s |`);
  console.log(`| ratio to JSON.parse | ${(rate / parseRate).toFixed(2)} |`);
  console.log(`| CPU time per reading (all threads) | ${cpuMicrosPerReading.toFixed(2)} µs |`);
  console.log(`| CPU time per reading (main thread) | ${mainMicrosPerReading.toFixed(2)} µs |`);
  console.log(`| records out (all outputs) | ${out.toLocaleString("en")} |`);
  console.log(`| peak RSS | ${rss.toFixed(0)} MiB |`);
  if (liveHeap !== null) {
    console.log(
      `| live heap of the pipeline, largest sample | ${(liveHeap / 2 ** 20).toFixed(0)} MiB (${(liveHeap / sensors).toFixed(0)} bytes per sensor) |`,
    );
  }
  if (fields !== records) console.log("(some lines did not parse)");
} finally {
  rmSync(work, { recursive: true, force: true });
}

/** A CPU profile of the pipeline run alone (not of the input generation), written as `.cpuprofile`. */
async function startProfile() {
  const { Session } = await import("node:inspector/promises");
  const { writeFileSync } = await import("node:fs");
  const session = new Session();
  session.connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.start");
  return {
    async stop(file: string) {
      const { profile } = await session.post("Profiler.stop");
      writeFileSync(file, JSON.stringify(profile));
      session.disconnect();
    },
  };
}

/** Samples the heap after a full collection; `stop` returns the largest sample. */
function liveHeapSampler() {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error("--memory needs node --expose-gc");
  // The input lines and the loaded code are on the heap before the run: not counted.
  gc();
  const inputBytes = process.memoryUsage().heapUsed;
  let largest = 0;
  return {
    sample() {
      gc();
      largest = Math.max(largest, process.memoryUsage().heapUsed - inputBytes);
    },
    stop: () => largest,
  };
}
