/**
 * The YAML configuration of `millstream run` (and `replay --config`): its schema,
 * defaults, and a loader whose errors name the file, the field and what was expected.
 * Relative paths are resolved against the folder of the configuration file.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { MIN_MEMORY_LIMIT_MB } from "../../connectors/parquet/index.js";
import { LIVE_ARCHIVE_MEMORY_MB } from "../../iot/archive/index.js";
import type { PlantConfig } from "../../iot/plant-pipeline.js";
import { compileTopicTemplate } from "../../iot/reading/topic-template.js";
import { type ArchiveCompactionConfig, DEFAULT_ARCHIVE_COMPACTION } from "../archive-compaction.js";
import { alertsConfigSchema } from "./alerts-config.js";
import { resolveSinksConfig, type SinksConfig, sinksSchema } from "./sinks-config.js";
import { type InputConfig, inputSchema, resolveInputConfig } from "./source-config.js";

const positive = z.number().positive();
const nonNegative = z.number().min(0);

const settings = z.record(z.string(), z.unknown());

const schema = z
  .object({
    name: z.string().min(1).default("plant"),
    input: inputSchema,
    metadata: z
      .object({
        folder: z.string().min(1),
        reloadIntervalMs: positive.default(2000),
      })
      .strict(),
    outputs: z
      .object({
        folder: z.string().min(1),
        archive: z.boolean().default(true),
        archiveMemoryMb: z
          .number()
          .int()
          .min(MIN_MEMORY_LIMIT_MB)
          .nullable()
          .default(LIVE_ARCHIVE_MEMORY_MB),
        archiveCompaction: z
          .union(
            [
              z.literal(false),
              z
                .object({
                  everyMs: positive.default(DEFAULT_ARCHIVE_COMPACTION.everyMs),
                  targetFileMb: positive.default(DEFAULT_ARCHIVE_COMPACTION.targetFileMb),
                  minFiles: z.number().int().min(2).default(DEFAULT_ARCHIVE_COMPACTION.minFiles),
                  minAgeMs: nonNegative.finite().default(DEFAULT_ARCHIVE_COMPACTION.minAgeMs),
                  memoryMb: z
                    .number()
                    .int()
                    .min(MIN_MEMORY_LIMIT_MB)
                    .default(DEFAULT_ARCHIVE_COMPACTION.memoryMb),
                })
                .strict(),
            ],
            {
              error:
                "expected false, or an object of everyMs, targetFileMb, minFiles, minAgeMs and memoryMb",
            },
          )
          .default(DEFAULT_ARCHIVE_COMPACTION),
      })
      .strict(),
    checkpoint: z
      .object({
        sqlite: z.string().min(1).optional(),
        postgres: z.string().min(1).optional(),
        intervalMs: positive.default(5000),
        minPauseMs: nonNegative.finite().optional(),
        alarms: z
          .object({
            separate: z.boolean().default(true),
            thread: z.boolean().default(true),
            sqlite: z.string().min(1).optional(),
            intervalMs: positive.default(1000),
            minPauseMs: nonNegative.finite().default(0),
          })
          .strict()
          .default({ separate: true, thread: true, intervalMs: 1000, minPauseMs: 0 }),
      })
      .strict()
      .refine((c) => !(c.sqlite && c.postgres), {
        message: "give either sqlite or postgres, not both",
      })
      .default({
        intervalMs: 5000,
        alarms: { separate: true, thread: true, intervalMs: 1000, minPauseMs: 0 },
      }),
    pipeline: z
      .object({
        maxOutOfOrderness: nonNegative.optional(),
        idleTimeout: positive.optional(),
        advanceWhenQuiet: z.boolean().optional(),
        maxFutureMs: nonNegative.optional(),
        topicTemplate: z
          .string()
          .min(1)
          .superRefine((template, ctx) => {
            try {
              compileTopicTemplate(template);
            } catch (error) {
              ctx.addIssue({ code: "custom", message: (error as Error).message });
            }
          })
          .optional(),
        topicSeparator: z.enum(["/", "."]).optional(),
        deduplicate: z.object({ retentionMs: positive.optional() }).strict().optional(),
        detectors: settings.optional(),
        facilityMetrics: settings.optional(),
        equipmentHealth: settings.optional(),
        productionEfficiency: settings.optional(),
        equipmentState: settings.optional(),
        alarms: alertsConfigSchema.optional(),
      })
      .strict()
      .default({}),
    sinks: sinksSchema.optional(),
  })
  .strict();

/** A validated configuration with paths made absolute. */
export interface PlantConfigFile {
  readonly file: string;
  readonly name: string;
  readonly input: InputConfig;
  readonly metadata: { readonly folder: string; readonly reloadIntervalMs: number };
  readonly outputs: {
    readonly folder: string;
    readonly archive: boolean;
    /** DuckDB's memory limit for the archive in MiB; `null`: none. */
    readonly archiveMemoryMb: number | null;
    /** Compaction of the archive's small files while the job runs; `false`: none. */
    readonly archiveCompaction: ArchiveCompactionConfig | false;
  };
  readonly checkpoint: {
    readonly sqlite?: string;
    readonly postgres?: string;
    readonly intervalMs: number;
    /** Least pause before an early checkpoint (`CheckpointOptions.minPauseMs`); absent: the engine's default. */
    readonly minPauseMs?: number;
    /** Checkpoints of the alarm job (alarm management in a job of its own, linked to the plant job). */
    readonly alarms: {
      /** `false`: alarm management runs inside the plant job, notified after its checkpoints. */
      readonly separate: boolean;
      /** `false`: the alarm job runs on the main thread with the plant job, not on a worker thread. */
      readonly thread: boolean;
      /** The alarm job's SQLite file (a PostgreSQL store is shared); absent: next to the plant's. */
      readonly sqlite?: string;
      readonly intervalMs: number;
      readonly minPauseMs: number;
    };
  };
  readonly pipeline: PlantConfig;
  /** Destinations besides files (the `sinks` section), secrets resolved. */
  readonly sinks?: SinksConfig;
}

/** A configuration file that cannot be used; the message names the file, the field and the expectation. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function at(value: unknown, keys: readonly PropertyKey[]): unknown {
  let v = value;
  for (const k of keys)
    v = v !== null && typeof v === "object" ? (v as Record<PropertyKey, unknown>)[k] : undefined;
  return v;
}

/**
 * `env:NAME` reads the value from the environment variable NAME, so secrets such as
 * database passwords stay out of configuration files.
 */
function fromEnvironment(file: string, value: string): string {
  if (!value.startsWith("env:")) return value;
  const name = value.slice(4);
  const found = process.env[name];
  if (!found)
    throw new ConfigError(`${file}: checkpoint.postgres: environment variable ${name} is not set`);
  return found;
}

/** Reads and parses `file`, then validates it against `against`; errors name file, field and value. */
function parseConfigFile<S extends z.ZodType>(file: string, against: S): z.output<S> {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new ConfigError(`${file}: cannot read the configuration: ${(error as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (error) {
    throw new ConfigError(`${file}: not valid YAML: ${(error as Error).message}`);
  }
  const result = against.safeParse(raw ?? {});
  if (!result.success) {
    const lines = result.error.issues.map((issue) => {
      const where = issue.path.length > 0 ? issue.path.join(".") : "(top level)";
      return `${file}: ${where}: ${issue.message} (got ${describe(at(raw, issue.path))})`;
    });
    throw new ConfigError(lines.join("\n"));
  }
  return result.data;
}

function pipelineSettings(pipeline: z.output<typeof schema>["pipeline"]): PlantConfig {
  return Object.fromEntries(
    Object.entries(pipeline).filter(([, v]) => v !== undefined),
  ) as PlantConfig;
}

/** What `millstream replay --config` takes from a configuration file. */
export interface ReplayConfigFile {
  readonly file: string;
  readonly pipeline: PlantConfig;
  /** The metadata folder, made absolute, when the file names one. */
  readonly metadataFolder?: string;
}

/**
 * Reads the configuration at `file` for `millstream replay`: the same schema as
 * `run`, but input, metadata and outputs may be left out (the command's flags give
 * them); only the pipeline settings and the metadata folder are used.
 */
export function loadReplayConfig(file: string): ReplayConfigFile {
  const c = parseConfigFile(
    file,
    schema.partial({ input: true, metadata: true, outputs: true, checkpoint: true }),
  );
  const base = path.dirname(path.resolve(file));
  return {
    file,
    pipeline: pipelineSettings(c.pipeline),
    ...(c.metadata ? { metadataFolder: path.resolve(base, c.metadata.folder) } : {}),
  };
}

/** The resolved `input` section; a secret that cannot be read is a ConfigError. */
function inputConfig(file: string, base: string, input: z.output<typeof inputSchema>): InputConfig {
  try {
    return resolveInputConfig(file, base, input);
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }
}

/** Reads, parses and validates the YAML configuration at `file`. */
export function loadPlantConfig(file: string): PlantConfigFile {
  const c = parseConfigFile(file, schema);
  const base = path.dirname(path.resolve(file));
  const resolve = (p: string) => path.resolve(base, p);
  const pipeline = pipelineSettings(c.pipeline);
  return {
    file,
    name: c.name,
    input: inputConfig(file, base, c.input),
    metadata: { folder: resolve(c.metadata.folder), reloadIntervalMs: c.metadata.reloadIntervalMs },
    outputs: {
      folder: resolve(c.outputs.folder),
      archive: c.outputs.archive,
      archiveMemoryMb: c.outputs.archiveMemoryMb,
      archiveCompaction: c.outputs.archiveCompaction,
    },
    checkpoint: {
      ...(c.checkpoint.sqlite ? { sqlite: resolve(c.checkpoint.sqlite) } : {}),
      ...(c.checkpoint.postgres ? { postgres: fromEnvironment(file, c.checkpoint.postgres) } : {}),
      intervalMs: c.checkpoint.intervalMs,
      ...(c.checkpoint.minPauseMs === undefined ? {} : { minPauseMs: c.checkpoint.minPauseMs }),
      alarms: {
        separate: c.checkpoint.alarms.separate,
        thread: c.checkpoint.alarms.thread,
        ...(c.checkpoint.alarms.sqlite ? { sqlite: resolve(c.checkpoint.alarms.sqlite) } : {}),
        intervalMs: c.checkpoint.alarms.intervalMs,
        minPauseMs: c.checkpoint.alarms.minPauseMs,
      },
    },
    pipeline,
    ...(c.sinks
      ? { sinks: resolveSinksConfig(file, base, c.sinks, (m) => new ConfigError(m)) }
      : {}),
  };
}
