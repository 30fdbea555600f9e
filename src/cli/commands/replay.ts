/**
 * `millstream replay`: runs the plant pipeline over finite input as fast as it can,
 * closes every window at the end of input, and writes every output to a folder.
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { JsonlFileSource, JsonlOutputFile } from "../../connectors/file/index.js";
import type { Source } from "../../engine/index.js";
import { readingArchiveSink } from "../../iot/archive/index.js";
import { loadMetadataFolder, MetadataCatalog } from "../../iot/metadata/index.js";
import { plantPipeline } from "../../iot/plant-pipeline.js";
import { ConfigError, loadReplayConfig, type ReplayConfigFile } from "../config/plant-config.js";
import { progressLine } from "../progress-bar.js";
import { compactArchive } from "../../connectors/parquet/index.js";
import { UsageError } from "../usage-error.js";
import type { Command } from "./command.js";

const OUTPUTS = [
  "facility_metrics",
  "equipment_health",
  "production_efficiency",
  "anomalies",
  "equipment_state",
  "dead_letters",
  "late",
  "alarms",
  "notifications",
  "notifications_held",
  "alarm_rejections",
] as const;

/** The JSONL files of `input`: the file itself, or the `.jsonl`/`.ndjson` files of a folder, sorted. */
export function inputFiles(input: string): string[] {
  if (!existsSync(input)) throw new UsageError(`--input: no such file or folder: ${input}`);
  if (!statSync(input).isDirectory()) return [input];
  const files = readdirSync(input)
    .filter((name) => name.endsWith(".jsonl") || name.endsWith(".ndjson"))
    .sort()
    .map((name) => path.join(input, name));
  if (files.length === 0)
    throw new UsageError(`--input: the folder ${input} has no .jsonl or .ndjson file`);
  return files;
}

export const replayCommand: Command = {
  name: "replay",
  summary: "Run the plant pipeline over JSONL files and write every output to a folder",
  usage: `Usage: millstream replay --input <file or folder> --metadata <folder> --out <folder> [options]

Runs the plant pipeline (validation, enrichment, detectors, dashboards, equipment
state, archive) over finite input as fast as it can, closes every window at the end
of input, and writes to --out:

  facility_metrics.jsonl  equipment_health.jsonl  production_efficiency.jsonl
  anomalies.jsonl  equipment_state.jsonl  dead_letters.jsonl  late.jsonl
  alarms.jsonl  notifications.jsonl  notifications_held.jsonl  alarm_rejections.jsonl
  archive/   Parquet, partitioned by facility_id, sensor_type and date; at the end
             each partition's files are merged (see millstream help compact)

Alarms and notifications are written, not sent (see docs/alarms.md).

Options:
  --input <path>       a JSONL file, or a folder of .jsonl/.ndjson files (one partition each)
  --metadata <folder>  facilities, sensors and equipment (.json or .csv; see docs/readings.md);
                       may come from --config instead
  --out <folder>       where the outputs go (created)
  --config <yaml>      detector, dashboard and ingest settings from a millstream run
                       configuration (its pipeline section, and metadata.folder when
                       --metadata is not given; see docs/configuration.md). Replays are
                       deterministic: pipeline.advanceWhenQuiet is always off here
  --alarm-commands <file>  operator commands (acknowledge, shelve, silence) as JSON lines
  --no-archive         skip the Parquet archive
  --no-compact         leave the archive as the checkpoints published it (a file per
                       partition and checkpoint)
  --force              replace an archive already in --out
  --quiet              no progress line`,
  async run(argv) {
    const { values } = parseArgs({
      args: argv,
      options: {
        input: { type: "string" },
        metadata: { type: "string" },
        out: { type: "string" },
        config: { type: "string" },
        "alarm-commands": { type: "string" },
        "no-archive": { type: "boolean", default: false },
        "no-compact": { type: "boolean", default: false },
        force: { type: "boolean", default: false },
        quiet: { type: "boolean", default: false },
      },
      strict: true,
    });
    let config: ReplayConfigFile | undefined;
    if (values.config) {
      try {
        config = loadReplayConfig(values.config);
      } catch (error) {
        if (error instanceof ConfigError) {
          console.error(error.message);
          return 1;
        }
        throw error;
      }
    }
    for (const name of ["input", "out"] as const) {
      if (!values[name]) throw new UsageError(`--${name} is required`);
    }
    const metadataFolder = values.metadata ?? config?.metadataFolder;
    if (!metadataFolder) {
      throw new UsageError("--metadata is required (or a --config with metadata.folder)");
    }
    const files = inputFiles(values.input!);
    const catalog = new MetadataCatalog(await loadMetadataFolder(metadataFolder));
    const totalBytes = files.reduce((n, f) => n + statSync(f).size, 0);
    const showProgress = !values.quiet && process.stderr.isTTY;
    const fileSource = new JsonlFileSource({ paths: files });
    // Counting costs a pass over every line: only when a progress bar is drawn.
    const counted = showProgress ? countingBytes(fileSource) : null;
    const input = counted ?? fileSource;
    const out = values.out!;
    const files$ = Object.fromEntries(
      OUTPUTS.map((name) => [
        name,
        new JsonlOutputFile<unknown>({ path: path.join(out, `${name}.jsonl`) }),
      ]),
    ) as Record<(typeof OUTPUTS)[number], JsonlOutputFile<unknown>>;
    const { dataflow, enricher } = plantPipeline("replay", {
      input,
      catalog,
      config: { ...config?.pipeline, advanceWhenQuiet: false },
      ...(values["alarm-commands"]
        ? { alarmCommands: new JsonlFileSource({ paths: [values["alarm-commands"]] }) }
        : {}),
      sinks: {
        anomalies: files$.anomalies,
        deadLetters: files$.dead_letters,
        late: files$.late,
        facilityMetrics: files$.facility_metrics,
        equipmentHealth: files$.equipment_health,
        productionEfficiency: files$.production_efficiency,
        equipmentState: files$.equipment_state,
        alarms: files$.alarms,
        notifications: files$.notifications,
        heldNotifications: files$.notifications_held,
        alarmRejections: files$.alarm_rejections,
        ...(values["no-archive"]
          ? {}
          : {
              archive: readingArchiveSink(path.join(out, "archive"), { overwrite: values.force }),
            }),
      },
    });
    const job = dataflow.job({ checkpoint: { interval: 5_000 } });
    const started = performance.now();
    const timer = counted
      ? setInterval(() => {
          const seconds = (performance.now() - started) / 1000;
          const line = progressLine(counted.bytes, totalBytes, job.progress().recordsIn, seconds);
          process.stderr.write(`\r${line}`);
        }, 500)
      : undefined;
    try {
      await job.run();
    } finally {
      if (timer) {
        clearInterval(timer);
        process.stderr.write("\n");
      }
    }
    const seconds = (performance.now() - started) / 1000;
    const read = job.progress().recordsIn;
    console.log(
      `replayed ${read.toLocaleString("en")} readings from ${files.length} file(s) in ${seconds.toFixed(1)} s (${Math.round(read / seconds).toLocaleString("en")} readings/s)`,
    );
    console.log(
      `unknown sensors: ${enricher.unknownSensors} (${enricher.unknownReadings} readings)`,
    );
    for (const name of OUTPUTS)
      console.log(
        `${`${name}.jsonl`.padEnd(28)} ${files$[name].records.toLocaleString("en").padStart(10)}`,
      );
    if (!values["no-archive"]) {
      const archive = path.join(out, "archive");
      let files = "";
      if (!values["no-compact"]) {
        const compacted = await compactArchive(archive, { minFiles: 2 });
        files = ` (${compacted.filesAfter.toLocaleString("en")} files; ${compacted.filesBefore.toLocaleString("en")} before compaction, ${(compacted.ms / 1000).toFixed(1)} s)`;
      }
      console.log(`${"archive/".padEnd(28)} ${archive}${files}`);
    }
    return 0;
  },
};

/** `source` counting what it delivered (UTF-16 length of each line plus its newline: the bytes of ASCII input), for the progress bar. */
function countingBytes(source: Source<string>): Source<string> & { readonly bytes: number } {
  const counted = {
    bytes: 0,
    description: source.description,
    async open(context: Parameters<Source<string>["open"]>[0]) {
      const reader = await source.open(context);
      return {
        partitions: reader.partitions,
        async poll() {
          const next = await reader.poll();
          if (next.kind === "batch") {
            for (const line of next.values) counted.bytes += line.length + 1;
          }
          return next;
        },
        ...(reader.positions ? { positions: () => reader.positions!() } : {}),
        close: () => reader.close(),
      };
    },
  };
  return counted;
}
