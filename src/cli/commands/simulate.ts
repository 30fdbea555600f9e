/**
 * `millstream simulate`: generates readings of a simulated plant, with injected
 * faults and their ground-truth labels, to a JSONL file, standard output or a
 * registered target (a broker), and writes the matching metadata folder.
 */
import { parseArgs } from "node:util";
import { BROKER_TARGETS } from "../../iot/outputs/broker-targets.js";
import {
  createPlant,
  jsonlTarget,
  OutputClosedError,
  type OutputTarget,
  parseFaultMix,
  runSimulation,
  type SimulateDriverOptions,
  writePlantMetadata,
} from "../../iot/simulator/index.js";
import { UsageError } from "../usage-error.js";
import type { Command } from "./command.js";

/**
 * Output targets by URL scheme for `--to` (`mqtt:` → a factory building an MQTT
 * publisher). A connector registers its publisher here with one line; the factory
 * gets the whole URL and returns an `OutputTarget`.
 */
export const SIMULATOR_TARGETS = new Map<string, (url: string) => Promise<OutputTarget>>();
for (const [scheme, target] of BROKER_TARGETS) SIMULATOR_TARGETS.set(scheme, target);

/**
 * Parses a duration: a number with a unit (`500ms`, `90s`, `10m`, `2h`, `1d`) or a
 * bare number of seconds. Throws a `UsageError` naming `option`.
 */
export function parseDuration(option: string, text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?$/.exec(text.trim());
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
  if (match === null) {
    throw new UsageError(`${option}: expected a duration such as 90s, 10m or 2h, got "${text}"`);
  }
  const ms = Number(match[1]) * unit[(match[2] ?? "s") as keyof typeof unit];
  if (!(ms > 0)) throw new UsageError(`${option}: expected a duration above 0, got "${text}"`);
  return ms;
}

/** Parses a positive integer option. */
export function parseCount(option: string, text: string, min = 1): number {
  const n = Number(text.replaceAll("_", ""));
  if (!Number.isInteger(n) || n < min) {
    throw new UsageError(`${option}: expected an integer ≥ ${min}, got "${text}"`);
  }
  return n;
}

/** Parses a number > 0 (or ≥ 0 with `orZero`). */
export function parsePositive(option: string, text: string, orZero = false): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n < 0 || (!orZero && n === 0)) {
    throw new UsageError(`${option}: expected a number ${orZero ? "≥" : ">"} 0, got "${text}"`);
  }
  return n;
}

/** Parses `--start`: ISO-8601 with a zone, or epoch ms. */
function parseStart(text: string): number {
  const n = /^\d+$/.test(text) ? Number(text) : Date.parse(text);
  if (!Number.isFinite(n) || (!/^\d+$/.test(text) && !/(Z|[+-]\d\d:\d\d)$/i.test(text))) {
    throw new UsageError(
      `--start: expected ISO-8601 with a zone (2025-06-02T00:00:00Z) or epoch ms, got "${text}"`,
    );
  }
  return n;
}

/** The seed: an integer, or any other text used as a string seed. */
export function parseSeed(text: string): number | string {
  return /^-?\d+$/.test(text) ? Number(text) : text;
}

/** The shared plant and fault options of `simulate`, `evaluate` (and `demo`). */
export const PLANT_OPTIONS = {
  facilities: { type: "string" },
  sensors: { type: "string" },
  lines: { type: "string" },
  seed: { type: "string" },
  faults: { type: "string" },
  "fault-rate": { type: "string" },
} as const;

export const simulateCommand: Command = {
  name: "simulate",
  summary: "Generate readings of a simulated plant, with labelled faults and its metadata",
  usage: `Usage: millstream simulate [options]

Generates sensor readings of a simulated plant (JSON Lines in the reading wire
format of docs/readings.md): facilities in their own time zones with production
lines and shifts, machines on each line, one sensor of every type per machine.
Values follow the machine's load (shifts, weekends, a slow wander), the daily
temperature cycle and sensor noise. Faults are injected with a ground-truth label
each. The same options and seed give the same output. See docs/simulator.md.

Output:
  --out <file|->         readings go here (default -, standard output)
  --to <url>             readings go to a registered target instead (a broker URL)
  --metadata <folder>    also write facilities.json, sensors.json, equipment.json
  --labels <file>        also write one JSON label per injected fault

Plant:
  --facilities <n>       facilities (default 2)
  --sensors <n>          sensors in all, five per machine (default 100)
  --lines <n>            production lines per facility (default 3)
  --seed <n|text>        seed of every random choice (default 1)

Rate and length:
  --rate <hz>            readings per second per sensor (default 1)
  --interval-ms <ms>     or: one reading per sensor every <ms> (default 1000)
  --realtime             pace the output to the wall clock (start: now)
  --fast                 as fast as possible (the default; start 2025-06-02T00:00:00Z)
  --start <time>         simulated start, ISO-8601 with a zone or epoch ms
  --count <n>            stop after n lines
  --duration <d>         stop after d of simulated time (90s, 10m, 2h; a bare number is s)
                         without --count or --duration a fast run makes 10 minutes;
                         a real-time run goes on until Ctrl-C

Faults:
  --faults <mix>         default | none | all | type[=weight],... (default: default)
                         types: spike, drift, stuck, offline, noisy, quality, shutdown,
                         clock-skew, out-of-order, late, duplicate, malformed
  --fault-rate <r>       faults per sensor per hour of simulated time (default 0.5)

  --quiet                no summary`,
  async run(argv) {
    const { values } = parseArgs({
      args: argv,
      options: {
        ...PLANT_OPTIONS,
        out: { type: "string" },
        to: { type: "string" },
        metadata: { type: "string" },
        labels: { type: "string" },
        rate: { type: "string" },
        "interval-ms": { type: "string" },
        realtime: { type: "boolean", default: false },
        fast: { type: "boolean", default: false },
        start: { type: "string" },
        count: { type: "string" },
        duration: { type: "string" },
        quiet: { type: "boolean", default: false },
      },
      strict: true,
    });
    if (values.realtime && values.fast)
      throw new UsageError("--realtime and --fast exclude each other");
    if (values.rate !== undefined && values["interval-ms"] !== undefined) {
      throw new UsageError("give --rate or --interval-ms, not both");
    }
    if (values.out !== undefined && values.to !== undefined) {
      throw new UsageError("give --out or --to, not both");
    }
    const plant = plantFromArgs(values);
    const options = runOptionsFromArgs(values);
    let readings: OutputTarget;
    if (values.to !== undefined) {
      const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(values.to)?.[1]?.toLowerCase();
      const factory = scheme === undefined ? undefined : SIMULATOR_TARGETS.get(scheme);
      if (factory === undefined) {
        const known = [...SIMULATOR_TARGETS.keys()].map((k) => `${k}:`).join(", ") || "none yet";
        throw new UsageError(`--to: no target for "${values.to}" (registered: ${known})`);
      }
      readings = await factory(values.to);
    } else readings = jsonlTarget(values.out ?? "-");
    if (values.metadata !== undefined) await writePlantMetadata(plant, values.metadata);
    const labels = values.labels === undefined ? undefined : jsonlTarget(values.labels);
    const controller = new AbortController();
    const onSignal = () => controller.abort();
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
    let summary: Awaited<ReturnType<typeof runSimulation>>;
    try {
      summary = await runSimulation(
        plant,
        { ...options, signal: controller.signal },
        labels === undefined ? { readings } : { readings, labels },
      );
    } catch (error) {
      if (error instanceof OutputClosedError) return 0; // `millstream simulate | head`
      throw error;
    } finally {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    }
    if (!values.quiet) {
      const seconds = summary.elapsedMs / 1000;
      const say = (line: string) =>
        values.out === undefined && values.to === undefined
          ? process.stderr.write(`${line}\n`)
          : console.log(line);
      say(
        `simulated ${summary.lines.toLocaleString("en")} lines of ${plant.sensors.length.toLocaleString("en")} sensors (${plant.facilities.length} facilities, ${plant.equipment.length} machines) from ${new Date(summary.fromMs).toISOString()} to ${new Date(summary.toMs).toISOString()} in ${seconds.toFixed(1)} s (${Math.round(summary.lines / Math.max(seconds, 1e-3)).toLocaleString("en")} lines/s)`,
      );
      say(`fault labels: ${summary.labels}${values.labels ? ` (${values.labels})` : ""}`);
      if (values.metadata !== undefined) say(`metadata: ${values.metadata}`);
    }
    return 0;
  },
};

/** Builds the plant from `--facilities`, `--sensors`, `--lines`, `--seed`. */
export function plantFromArgs(values: {
  facilities?: string | undefined;
  sensors?: string | undefined;
  lines?: string | undefined;
  seed?: string | undefined;
}) {
  const plantOptions = {
    ...(values.facilities === undefined
      ? {}
      : { facilities: parseCount("--facilities", values.facilities) }),
    ...(values.sensors === undefined ? {} : { sensors: parseCount("--sensors", values.sensors) }),
    ...(values.lines === undefined
      ? {}
      : { linesPerFacility: parseCount("--lines", values.lines) }),
    ...(values.seed === undefined ? {} : { seed: parseSeed(values.seed) }),
  };
  try {
    return createPlant(plantOptions);
  } catch (error) {
    throw new UsageError((error as Error).message.replace(/^createPlant: /, "--"));
  }
}

/** The fault options from `--faults` and `--fault-rate`, or `false` for none. */
export function faultsFromArgs(values: {
  faults?: string | undefined;
  "fault-rate"?: string | undefined;
}): SimulateDriverOptions["faults"] {
  let mix: ReturnType<typeof parseFaultMix> | undefined;
  try {
    mix = values.faults === undefined ? undefined : parseFaultMix(values.faults);
  } catch (error) {
    throw new UsageError(`--faults: ${(error as Error).message}`);
  }
  if (mix !== undefined && Object.keys(mix).length === 0) return false;
  const rate =
    values["fault-rate"] === undefined
      ? undefined
      : parsePositive("--fault-rate", values["fault-rate"], true);
  return {
    ...(mix === undefined ? {} : { mix }),
    ...(rate === undefined ? {} : { ratePerSensorHour: rate }),
  };
}

function runOptionsFromArgs(values: {
  rate?: string | undefined;
  "interval-ms"?: string | undefined;
  realtime?: boolean | undefined;
  start?: string | undefined;
  count?: string | undefined;
  duration?: string | undefined;
  faults?: string | undefined;
  "fault-rate"?: string | undefined;
}): SimulateDriverOptions {
  const intervalMs =
    values.rate !== undefined
      ? 1000 / parsePositive("--rate", values.rate)
      : values["interval-ms"] !== undefined
        ? parsePositive("--interval-ms", values["interval-ms"])
        : undefined;
  const count = values.count === undefined ? undefined : parseCount("--count", values.count);
  let durationMs =
    values.duration === undefined ? undefined : parseDuration("--duration", values.duration);
  if (!values.realtime && count === undefined && durationMs === undefined) durationMs = 600_000;
  const faults = faultsFromArgs(values);
  return {
    realtime: values.realtime ?? false,
    ...(intervalMs === undefined ? {} : { intervalMs }),
    ...(values.start === undefined ? {} : { startMs: parseStart(values.start) }),
    ...(count === undefined ? {} : { count }),
    ...(durationMs === undefined ? {} : { durationMs }),
    ...(faults === undefined ? {} : { faults }),
  };
}
