/**
 * `millstream evaluate`: measures detection quality. Simulates a plant with labelled
 * faults, runs it through the plant pipeline in memory, matches anomalies to the
 * labels, and prints precision, recall and detection delay per fault type.
 */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import {
  DETECTION_TARGETS,
  EVALUATION_DEFAULTS,
  evaluateDetection,
  formatScore,
  missedTargets,
} from "../../iot/evaluation/index.js";
import { UsageError } from "../usage-error.js";
import type { Command } from "./command.js";
import {
  faultsFromArgs,
  PLANT_OPTIONS,
  parseCount,
  parseDuration,
  parsePositive,
  parseSeed,
} from "./simulate.js";

const recallTargets = Object.entries(DETECTION_TARGETS.recall)
  .map(([type, min]) => `${type} ≥ ${min}`)
  .join(", ");

export const evaluateCommand: Command = {
  name: "evaluate",
  summary: "Measure detection quality against simulated faults with known ground truth",
  usage: `Usage: millstream evaluate [options]

Simulates a plant with injected, labelled faults (as "millstream simulate" does),
runs the readings through the plant pipeline in memory (validation, enrichment and
every detector at its default settings), matches the anomalies to the labels, and
prints recall, precision and median detection delay per fault type and overall,
and each detector's precision. The matching rules are in docs/detection.md.
Targets: recall ${recallTargets}; overall precision ≥ ${DETECTION_TARGETS.precision}.

Options:
  --facilities <n>    facilities (default ${EVALUATION_DEFAULTS.facilities})
  --sensors <n>       sensors in all, five per machine (default ${EVALUATION_DEFAULTS.sensors})
  --lines <n>         production lines per facility (default 3)
  --seed <n|text>     seed of the plant, values and faults (default ${EVALUATION_DEFAULTS.seed})
  --duration <d>      simulated time (default 1h; 90s, 10m, 2h)
  --interval-ms <ms>  one reading per sensor every <ms> (default 1000)
  --warmup <d>        no fault and nothing counted before this (default 15m)
  --faults <mix>      default | all | type[=weight],... (see millstream help simulate)
  --fault-rate <r>    faults per sensor per hour (default 0.5)
  --out <folder>      also write labels.jsonl, anomalies.jsonl and score.json there
  --json              print the score as JSON instead of tables
  --check             exit with 1 when a target is missed`,
  async run(argv) {
    const { values } = parseArgs({
      args: argv,
      options: {
        ...PLANT_OPTIONS,
        duration: { type: "string" },
        "interval-ms": { type: "string" },
        warmup: { type: "string" },
        out: { type: "string" },
        json: { type: "boolean", default: false },
        check: { type: "boolean", default: false },
      },
      strict: true,
    });
    const faults = faultsFromArgs(values);
    if (faults === false) throw new UsageError("--faults: an evaluation needs faults");
    const plant = {
      facilities:
        values.facilities === undefined
          ? EVALUATION_DEFAULTS.facilities
          : parseCount("--facilities", values.facilities),
      sensors:
        values.sensors === undefined
          ? EVALUATION_DEFAULTS.sensors
          : parseCount("--sensors", values.sensors),
      seed: values.seed === undefined ? EVALUATION_DEFAULTS.seed : parseSeed(values.seed),
      ...(values.lines === undefined
        ? {}
        : { linesPerFacility: parseCount("--lines", values.lines) }),
    };
    const durationMs =
      values.duration === undefined
        ? EVALUATION_DEFAULTS.durationMs
        : parseDuration("--duration", values.duration);
    const warmupMs =
      values.warmup === undefined
        ? EVALUATION_DEFAULTS.warmupMs
        : parseDuration("--warmup", values.warmup);
    if (warmupMs + 300_000 >= durationMs) {
      throw new UsageError("--duration must exceed --warmup by more than 5 minutes");
    }
    const intervalMs =
      values["interval-ms"] === undefined
        ? EVALUATION_DEFAULTS.intervalMs
        : parsePositive("--interval-ms", values["interval-ms"]);
    let result: Awaited<ReturnType<typeof evaluateDetection>>;
    try {
      result = await evaluateDetection({
        plant,
        durationMs,
        intervalMs,
        faults: { ...(faults ?? {}), warmupMs },
      });
    } catch (error) {
      if (error instanceof RangeError) throw new UsageError(error.message);
      throw error;
    }
    const missed = missedTargets(result.score);
    if (values.out !== undefined) {
      await mkdir(values.out, { recursive: true });
      const lines = (items: readonly unknown[]) =>
        items.map((i) => `${JSON.stringify(i)}\n`).join("");
      await writeFile(path.join(values.out, "labels.jsonl"), lines(result.labels));
      await writeFile(path.join(values.out, "anomalies.jsonl"), lines(result.anomalies));
      await writeFile(
        path.join(values.out, "score.json"),
        `${JSON.stringify({ ...result.score, missedTargets: missed }, null, 2)}\n`,
      );
    }
    if (values.json) {
      console.log(
        JSON.stringify({ ...result.score, unexplained: undefined, missedTargets: missed }),
      );
    } else {
      const hours = durationMs / 3_600_000;
      console.log(
        `evaluated ${result.readings.toLocaleString("en")} readings of ${result.sensors.toLocaleString("en")} sensors in ${result.facilities} facilities, ${hours.toFixed(hours < 1 ? 2 : 1)} h simulated from ${new Date(result.startMs).toISOString()} (seed ${String(plant.seed)}), ${result.labels.length} fault labels, in ${(result.elapsedMs / 1000).toFixed(1)} s`,
      );
      console.log(
        `counting from ${new Date(result.countFromMs).toISOString()} (after the warm-up)`,
      );
      console.log("");
      console.log(formatScore(result.score));
      console.log("");
      console.log(
        missed.length === 0 ? "targets: all met" : `targets missed: ${missed.join("; ")}`,
      );
      if (values.out !== undefined) console.log(`details: ${values.out}`);
    }
    return values.check && missed.length > 0 ? 1 : 0;
  },
};
