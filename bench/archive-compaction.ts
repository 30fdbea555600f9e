/**
 * Archive compaction: the plant archive written by `readingArchiveSink` over many small
 * checkpoints (as a live pipeline publishes it), three DuckDB queries timed over it, then
 * `compactArchive` with its defaults, then the same queries again (their results must
 * be equal).
 *
 * Usage: node --import tsx bench/archive-compaction.ts [--checkpoints 400]
 *        [--per-checkpoint 2500] [--sensors 10000]
 *
 * With the defaults: 1,000,000 readings of 10,000 sensors in 50 partition folders
 * (10 facilities × 5 sensor types, one day), 400 checkpoints: 20,000 files, as a
 * pipeline at 50,000 readings/s with 10 s checkpoints publishes in about 7 minutes.
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { type DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import { compactArchive } from "../src/connectors/parquet/index.js";
import { readingArchiveSink } from "../src/iot/archive/index.js";
import type { EnrichedReading } from "../src/iot/reading/index.js";
import { enrichedReading } from "./plant-fixture.js";

const { values: args } = parseArgs({
  options: {
    checkpoints: { type: "string", default: "400" },
    "per-checkpoint": { type: "string", default: "2500" },
    sensors: { type: "string", default: "10000" },
  },
});
const checkpoints = Number(args.checkpoints);
const perCheckpoint = Number(args["per-checkpoint"]);
const sensors = Number(args.sensors);
const START = Date.UTC(2026, 10, 2, 6, 0, 0);
const BATCH = 1000;

const QUERIES = {
  "readings and mean per facility and type (all files)":
    "SELECT facility_id, sensor_type, count(*) AS n, round(avg(value), 6) AS mean FROM {archive} GROUP BY ALL ORDER BY ALL",
  "one facility's temperature sensors, max per sensor (1 folder)":
    "SELECT sensor_id, max(value) AS peak FROM {archive} WHERE facility_id = 'F3' AND sensor_type = 'temperature' GROUP BY ALL ORDER BY ALL",
  "count(*) (file metadata only)": "SELECT count(*) FROM {archive}",
} as const;

async function timeQueries(
  directory: string,
): Promise<{ ms: Record<string, number>; results: string }> {
  const instance = await DuckDBInstance.create(":memory:", { threads: "1" });
  const connection: DuckDBConnection = await instance.connect();
  const archive = `read_parquet('${path.join(directory, "**", "*.parquet")}', hive_partitioning = true)`;
  const ms: Record<string, number> = {};
  let results = "";
  try {
    for (const [name, sql] of Object.entries(QUERIES)) {
      const times: number[] = [];
      for (let run = 0; run < 3; run++) {
        const t = performance.now();
        const rows = (
          await connection.runAndReadAll(sql.replace("{archive}", archive))
        ).getRowsJS();
        times.push(performance.now() - t);
        if (run === 0)
          results += JSON.stringify(rows, (_, v) => (typeof v === "bigint" ? Number(v) : v));
      }
      ms[name] = times.sort((a, b) => a - b)[1] as number;
    }
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
  return { ms, results };
}

const work = mkdtempSync(path.join(os.tmpdir(), "millstream-compaction-bench-"));
const directory = path.join(work, "archive");
try {
  const writer = await readingArchiveSink(directory).open({ step: "archive" });
  const times = new Array<number>(BATCH).fill(0);
  const writeStarted = performance.now();
  let i = 0;
  for (let id = 1; id <= checkpoints; id++) {
    for (let left = perCheckpoint; left > 0; ) {
      const values: EnrichedReading[] = [];
      for (let k = 0; k < Math.min(BATCH, left); k++)
        values.push(enrichedReading(i++, sensors, START));
      left -= values.length;
      writer.write({ values, times: times.slice(0, values.length), channel: 0 });
      if (writer.needsFlush) await writer.flush();
    }
    await writer.commit?.(id, await writer.prepareCommit?.(id));
  }
  await writer.close();
  const writeSeconds = (performance.now() - writeStarted) / 1000;

  const before = await timeQueries(directory);
  const report = await compactArchive(directory);
  const afterCompaction = await timeQueries(directory);
  if (afterCompaction.results !== before.results) {
    throw new Error("the queries' results differ after compaction");
  }
  const bytes = (key: "replacedBytes" | "mergedBytes") =>
    report.folders.reduce((n, f) => n + f[key], 0) / 1024 / 1024;
  const rows = report.folders.reduce((n, f) => n + f.rows, 0);

  console.log(
    `${i.toLocaleString("en")} readings of ${sensors.toLocaleString("en")} sensors in ${checkpoints} checkpoints, written in ${writeSeconds.toFixed(1)} s`,
  );
  console.log("");
  console.log("| Figure | Before | After compaction |");
  console.log("| --- | ---: | ---: |");
  console.log(
    `| published files | ${report.filesBefore.toLocaleString("en")} | ${report.filesAfter.toLocaleString("en")} |`,
  );
  console.log(
    `| bytes | ${bytes("replacedBytes").toFixed(1)} MiB | ${bytes("mergedBytes").toFixed(1)} MiB |`,
  );
  for (const name of Object.keys(QUERIES)) {
    const a = before.ms[name] as number;
    const b = afterCompaction.ms[name] as number;
    console.log(
      `| ${name} | ${a.toFixed(0)} ms | ${b.toFixed(0)} ms (${(a / b).toFixed(1)}× faster) |`,
    );
  }
  console.log("");
  console.log(
    `compaction: ${report.folders.length} folders, ${rows.toLocaleString("en")} rows in ${(report.ms / 1000).toFixed(2)} s (${Math.round(rows / (report.ms / 1000)).toLocaleString("en")} rows/s); query results equal before and after`,
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}
