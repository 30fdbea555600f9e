/**
 * The reading archive alone: enriched readings (as the plant pipeline makes them)
 * through `readingArchiveSink` — `write` in batches of 1,000, `flush` whenever
 * `needsFlush`, a checkpoint (`prepareCommit` + `commit`) every 250,000 readings —
 * then read back and counted with DuckDB.
 *
 * Usage: node --import tsx bench/parquet-archive.ts [--records 1000000] [--sensors 10000] [--checkpoint 250000]
 *
 * "main thread CPU" is the CPU time of the Node main thread alone (Linux
 * `/proc/self/task/<pid>/stat`, 10 ms ticks): what the sink costs the pipeline's thread,
 * whatever else competes for the cores. "event loop active" is the same thread's busy
 * wall time (`performance.eventLoopUtilization`). The DuckDB thread (appending and
 * writing Parquet) and libuv's file I/O are in "CPU, all threads" only.
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { DuckDBInstance } from "@duckdb/node-api";
import { readingArchiveSink } from "../src/iot/archive/index.js";
import type { EnrichedReading } from "../src/iot/reading/index.js";
import { mainThreadCpuMs } from "./main-thread-cpu.js";
import { enrichedReading } from "./plant-fixture.js";

const { values: args } = parseArgs({
  options: {
    records: { type: "string", default: "1000000" },
    sensors: { type: "string", default: "10000" },
    checkpoint: { type: "string", default: "250000" },
  },
});
const records = Number(args.records);
const sensors = Number(args.sensors);
const checkpointEvery = Number(args.checkpoint);
const START = Date.UTC(2026, 10, 2, 6, 0, 0);
const BATCH = 1000;

// A pool of distinct readings, written over and over (the archive does not mind repeats):
// the heap stays small, as in a pipeline where readings are short-lived.
const POOL = 100_000;
const pool = Array.from({ length: POOL }, (_, i) => enrichedReading(i, sensors, START));
const batches: EnrichedReading[][] = [];
for (let from = 0; from < POOL; from += BATCH) batches.push(pool.slice(from, from + BATCH));

const work = mkdtempSync(path.join(os.tmpdir(), "millstream-parquet-bench-"));
const directory = path.join(work, "archive");
try {
  const writer = await readingArchiveSink(directory).open({ step: "archive" });
  let writeMs = 0;
  let flushMs = 0;
  let flushes = 0;
  let prepareMs = 0;
  let longestPrepare = 0;
  let commitMs = 0;
  let written = 0;
  let checkpointId = 0;
  const times = new Array<number>(BATCH).fill(0);
  const elu0 = performance.eventLoopUtilization();
  const cpu0 = process.cpuUsage();
  const main0 = mainThreadCpuMs();
  const started = performance.now();
  for (let from = 0; from < records; from += BATCH) {
    const values = (batches[(from / BATCH) % batches.length] as EnrichedReading[]).slice(
      0,
      Math.min(BATCH, records - from),
    );
    let t = performance.now();
    writer.write({ values, times, channel: 0 });
    writeMs += performance.now() - t;
    written += values.length;
    if (writer.needsFlush) {
      t = performance.now();
      await writer.flush();
      flushMs += performance.now() - t;
      flushes++;
    }
    if (written % checkpointEvery === 0 || written === records) {
      checkpointId++;
      t = performance.now();
      const progress = await writer.prepareCommit?.(checkpointId);
      const took = performance.now() - t;
      prepareMs += took;
      longestPrepare = Math.max(longestPrepare, took);
      t = performance.now();
      await writer.commit?.(checkpointId, progress);
      commitMs += performance.now() - t;
    }
  }
  const seconds = (performance.now() - started) / 1000;
  const elu = performance.eventLoopUtilization(elu0);
  const cpu = process.cpuUsage(cpu0);
  const mainCpu = mainThreadCpuMs() - main0;
  await writer.close();

  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  const glob = path.join(directory, "**", "*.parquet").replaceAll("'", "''");
  const count = (
    await connection.runAndReadAll(
      `SELECT count(*) FROM read_parquet('${glob}', hive_partitioning = true)`,
    )
  ).getRowsJS()[0]?.[0];
  connection.closeSync();
  instance.closeSync();

  const us = (ms: number) => `${((ms * 1000) / records).toFixed(2)} µs`;
  console.log(`${records.toLocaleString("en")} readings, ${checkpointId} checkpoints`);
  console.log("");
  console.log("| Figure | Value |");
  console.log("| --- | ---: |");
  console.log(`| readings/s | ${Math.round(records / seconds).toLocaleString("en")} |`);
  console.log(`| main thread CPU per reading | ${us(mainCpu)} |`);
  console.log(`| main thread busy per reading (event loop active) | ${us(elu.active)} |`);
  console.log(`| CPU per reading, all threads | ${us((cpu.user + cpu.system) / 1000)} |`);
  console.log(`| write (sync) | ${writeMs.toFixed(0)} ms (${us(writeMs)}) |`);
  console.log(`| awaiting flush (${flushes}) | ${flushMs.toFixed(0)} ms |`);
  console.log(
    `| awaiting prepareCommit | ${prepareMs.toFixed(0)} ms (longest ${longestPrepare.toFixed(0)} ms) |`,
  );
  console.log(`| awaiting commit | ${commitMs.toFixed(0)} ms |`);
  console.log(`| rows read back | ${Number(count).toLocaleString("en")} |`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
