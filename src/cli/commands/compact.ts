/**
 * `millstream compact`: merges the small files of a Parquet archive's partition folders
 * (see docs/connectors-parquet.md, "Compaction"), once or every so often beside a
 * running pipeline.
 */
import { stat } from "node:fs/promises";
import { parseArgs } from "node:util";
import {
  COMPACTION_DEFAULTS,
  type CompactionOptions,
  type CompactionReport,
  compactArchive,
  type FolderCompaction,
  MIN_MEMORY_LIMIT_MB,
  PARQUET_COMPRESSIONS,
  type ParquetCompression,
  scheduleCompaction,
} from "../../connectors/parquet/index.js";
import { compactionSummary } from "../archive-compaction.js";
import { UsageError } from "../usage-error.js";
import type { Command } from "./command.js";
import { parseCount, parseDuration, parsePositive } from "./simulate.js";

export const compactCommand: Command = {
  name: "compact",
  summary: "Merge the small files of a Parquet archive, once or every so often",
  usage: `Usage: millstream compact --archive <folder> [options]

Merges the small files of each partition folder of a Parquet archive (the archive/
folder of "millstream replay", or outputs.archive of "millstream run") into files of
about --target-mb. A running pipeline publishes at least one file per partition and
checkpoint; queries over many small files are slow. Rows keep their values and order;
the row count is checked before a folder's files are replaced. Safe beside a running
pipeline and through a crash; one compaction at a time. See docs/connectors-parquet.md.

  --archive <folder>     the archive (required)
  --target-mb <n>        size of merged files in MiB (default ${COMPACTION_DEFAULTS.targetFileMb}); files of at
                         least half of it are left as they are
  --min-files <n>        compact a folder once it has this many small files (default ${COMPACTION_DEFAULTS.minFiles})
  --min-age <duration>   only merge files published at least this long ago (default 0;
                         90s, 10m, 2h)
  --every <duration>     compact again every <duration> until Ctrl-C (default: once)
  --compression <codec>  zstd, snappy, gzip, lz4_raw, brotli or uncompressed (default zstd)
  --row-group-size <n>   rows per row group of merged files (default DuckDB's, 122,880)
  --threads <n>          DuckDB threads (default 1)
  --memory-mb <n>        memory DuckDB may hold before it spills (default ${COMPACTION_DEFAULTS.memoryLimitMb})
  --json                 print each run's report as one JSON line
  --quiet                print nothing but errors`,
  async run(argv) {
    const { values } = parseArgs({
      args: argv,
      options: {
        archive: { type: "string" },
        "target-mb": { type: "string" },
        "min-files": { type: "string" },
        "min-age": { type: "string" },
        every: { type: "string" },
        compression: { type: "string" },
        "row-group-size": { type: "string" },
        threads: { type: "string" },
        "memory-mb": { type: "string" },
        json: { type: "boolean", default: false },
        quiet: { type: "boolean", default: false },
      },
      strict: true,
    });
    if (values.archive === undefined) throw new UsageError("--archive <folder> is required");
    const archive = values.archive;
    if (!(await stat(archive).catch(() => undefined))?.isDirectory()) {
      console.error(`millstream compact: ${archive}: no such archive folder`);
      return 1;
    }
    const compression = values.compression;
    if (
      compression !== undefined &&
      !(PARQUET_COMPRESSIONS as readonly string[]).includes(compression)
    ) {
      throw new UsageError(
        `--compression: expected one of ${PARQUET_COMPRESSIONS.join(", ")}, got "${compression}"`,
      );
    }
    const options: CompactionOptions = {
      ...(values["target-mb"] === undefined
        ? {}
        : { targetFileMb: parsePositive("--target-mb", values["target-mb"]) }),
      ...(values["min-files"] === undefined
        ? {}
        : { minFiles: parseCount("--min-files", values["min-files"], 2) }),
      ...(values["min-age"] === undefined
        ? {}
        : { minAgeMs: parseDuration("--min-age", values["min-age"]) }),
      ...(compression === undefined ? {} : { compression: compression as ParquetCompression }),
      ...(values["row-group-size"] === undefined
        ? {}
        : { rowGroupSize: parseCount("--row-group-size", values["row-group-size"]) }),
      ...(values.threads === undefined ? {} : { threads: parseCount("--threads", values.threads) }),
      ...(values["memory-mb"] === undefined
        ? {}
        : { memoryLimitMb: parseCount("--memory-mb", values["memory-mb"], MIN_MEMORY_LIMIT_MB) }),
      ...(values.quiet || values.json ? {} : { onFolder: (f) => console.log(folderLine(f)) }),
    };
    const every = values.every === undefined ? undefined : parseDuration("--every", values.every);
    if (every === undefined) {
      report(await compactArchive(archive, options), values);
      return 0;
    }
    const schedule = scheduleCompaction(archive, {
      ...options,
      everyMs: every,
      immediately: true,
      keepAlive: true,
      onReport: (result) => report(result, values),
      // A failed round is reported; the next one tries again.
      onError: (error) =>
        console.error(`millstream compact: ${error instanceof Error ? error.message : error}`),
    });
    await new Promise<void>((resolve) => {
      process.once("SIGINT", resolve);
      process.once("SIGTERM", resolve);
    });
    await schedule.stop();
    return 0;
  },
};

function report(result: CompactionReport, values: { json: boolean; quiet: boolean }): void {
  if (values.json) {
    console.log(JSON.stringify({ at: new Date().toISOString(), ...result }));
    return;
  }
  if (!values.quiet) console.log(`compacted ${compactionSummary(result)}`);
}

function folderLine(f: FolderCompaction): string {
  return (
    `${f.folder}: ${count(f.replaced)} file(s) of ${mib(f.replacedBytes)} → ${count(f.merged)} of ` +
    `${mib(f.mergedBytes)}, ${count(f.rows)} rows, ${Math.round(f.ms)} ms`
  );
}

function count(n: number): string {
  return n.toLocaleString("en");
}

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
