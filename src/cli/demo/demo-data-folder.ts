/**
 * The demo's data folder: where each of its files lives, the settings of the plant
 * it holds (`demo.json`, so a restart without flags resumes the same plant), the
 * ground-truth label file, and `--fresh`, which deletes exactly what the demo wrote.
 */
import { appendFileSync, existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import path from "node:path";
import type { FaultLabel } from "../../iot/simulator/index.js";
import { UsageError } from "../usage-error.js";

/** The JSONL output folders of the demo, one per plant-pipeline output. */
export const DEMO_OUTPUTS = [
  "anomalies",
  "dead_letters",
  "late",
  "facility_metrics",
  "equipment_health",
  "production_efficiency",
  "equipment_state",
  "alarms",
  "notifications",
  "alarm_rejections",
  "held_notifications",
] as const;

/** Paths inside a demo data folder. */
export function demoPaths(dir: string) {
  return {
    settings: path.join(dir, "demo.json"),
    metadata: path.join(dir, "metadata"),
    labels: path.join(dir, "labels.jsonl"),
    checkpoints: path.join(dir, "checkpoints.sqlite"),
    archive: path.join(dir, "archive"),
    output: (name: (typeof DEMO_OUTPUTS)[number]) => path.join(dir, name),
  };
}

/**
 * Deletes what a demo wrote in `dir` (settings, metadata, labels, checkpoints,
 * outputs, archive) and nothing else, so `--data` pointing at a folder holding other
 * files never loses them.
 */
export async function removeDemoState(dir: string): Promise<void> {
  const p = demoPaths(dir);
  const entries = [
    p.settings,
    p.metadata,
    p.labels,
    p.checkpoints,
    `${p.checkpoints}-wal`,
    `${p.checkpoints}-shm`,
    `${p.checkpoints}-journal`,
    p.archive,
    ...DEMO_OUTPUTS.map((name) => p.output(name)),
  ];
  for (const entry of entries) await rm(entry, { recursive: true, force: true });
}

/** The plant and rate of a demo: what a restart must keep to resume it. */
export interface DemoSettings {
  readonly facilities: number;
  readonly sensors: number;
  /** Production lines per facility; `null` for the simulator's default. */
  readonly lines: number | null;
  readonly seed: number | string;
  readonly intervalMs: number;
}

/** What the command line asked for; `undefined` = not given. */
export type RequestedSettings = { readonly [K in keyof DemoSettings]?: DemoSettings[K] };

/** Defaults of a new demo: 5 facilities, 10,000 sensors, 1 reading/s each, seed 1. */
export const DEMO_DEFAULTS: DemoSettings = Object.freeze({
  facilities: 5,
  sensors: 10_000,
  lines: null,
  seed: 1,
  intervalMs: 1000,
});

const FLAG: Readonly<Record<keyof DemoSettings, string>> = {
  facilities: "--facilities",
  sensors: "--sensors",
  lines: "--lines",
  seed: "--seed",
  intervalMs: "--interval-ms",
};

/** Reads `demo.json`; `null` when the folder has none. Throws a `UsageError` naming a bad file. */
export function readDemoSettings(dir: string): DemoSettings | null {
  const file = demoPaths(dir).settings;
  if (!existsSync(file)) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new UsageError(
      `${file}: not valid JSON (${(error as Error).message}); delete it or start with --fresh`,
    );
  }
  const s = parsed as Record<string, unknown>;
  const positive = (v: unknown) => typeof v === "number" && Number.isInteger(v) && v > 0;
  const bad = (field: string, expected: string) =>
    new UsageError(`${file}: ${field}: expected ${expected}; start with --fresh to begin anew`);
  if (typeof s !== "object" || s === null) throw bad("(root)", "an object");
  if (!positive(s.facilities)) throw bad("facilities", "a positive integer");
  if (!positive(s.sensors)) throw bad("sensors", "a positive integer");
  if (s.lines !== null && !positive(s.lines)) throw bad("lines", "a positive integer or null");
  if (typeof s.seed !== "number" && typeof s.seed !== "string") {
    throw bad("seed", "a number or a string");
  }
  if (!positive(s.intervalMs)) throw bad("intervalMs", "a positive integer");
  return {
    facilities: s.facilities as number,
    sensors: s.sensors as number,
    lines: s.lines as number | null,
    seed: s.seed as number | string,
    intervalMs: s.intervalMs as number,
  };
}

/**
 * The settings to run with: what the folder's `demo.json` holds, else the defaults,
 * with the command line's values on top. A plant setting (`--facilities`,
 * `--sensors`, `--lines`, `--seed`) that differs from the stored one is a
 * `UsageError`: the checkpoint belongs to another plant. `--interval-ms` may change.
 */
export function mergeSettings(
  stored: DemoSettings | null,
  requested: RequestedSettings,
  dataDir: string,
): DemoSettings {
  if (stored !== null) {
    for (const key of ["facilities", "sensors", "lines", "seed"] as const) {
      const want = requested[key];
      if (want === undefined || want === stored[key]) continue;
      const had = stored[key] ?? "the default";
      throw new UsageError(
        `${FLAG[key]} ${want}: the data folder ${dataDir} holds a demo with ${FLAG[key]} ${had}; ` +
          "give the same value (or none) to resume it, add --fresh to start a new one there, or give another --data folder",
      );
    }
  }
  const base = stored ?? DEMO_DEFAULTS;
  return {
    facilities: requested.facilities ?? base.facilities,
    sensors: requested.sensors ?? base.sensors,
    lines: requested.lines ?? base.lines,
    seed: requested.seed ?? base.seed,
    intervalMs: requested.intervalMs ?? base.intervalMs,
  };
}

/** Writes `demo.json` (atomically), creating the folder. */
export async function writeDemoSettings(dir: string, settings: DemoSettings): Promise<void> {
  await mkdir(dir, { recursive: true });
  const file = demoPaths(dir).settings;
  writeFileSync(`${file}.tmp`, `${JSON.stringify(settings, null, 2)}\n`);
  renameSync(`${file}.tmp`, file);
}

/**
 * The ground-truth labels of the faults the simulator injects, one JSON line each
 * (`labels.jsonl`). The simulator plans faults up to ten minutes ahead of their
 * data, so the file is trimmed to the simulated time really reached, at a stop and
 * at a resume (whose simulator labels the faults from there on). Writes are
 * synchronous and rare (one burst per ten minutes of simulated time).
 */
export class LabelsFile {
  readonly #file: string;

  constructor(file: string) {
    this.#file = file;
  }

  /** A fresh run: an empty file. */
  begin(): void {
    writeFileSync(this.#file, "");
  }

  append(labels: readonly FaultLabel[]): void {
    if (labels.length === 0) return;
    appendFileSync(this.#file, `${labels.map((l) => JSON.stringify(l)).join("\n")}\n`);
  }

  /**
   * Keeps the labels of faults that started before `timeMs`. With `cut` (the
   * simulation does not go on from there exactly), one still running then is cut to
   * end at `timeMs`, and `params.cut_at_ms` records it.
   */
  trim(timeMs: number, options: { cut?: boolean } = {}): void {
    if (!existsSync(this.#file)) {
      writeFileSync(this.#file, "");
      return;
    }
    const kept: string[] = [];
    for (const line of readFileSync(this.#file, "utf8").split("\n")) {
      if (line.trim() === "") continue;
      let label: FaultLabel;
      try {
        label = JSON.parse(line) as FaultLabel;
      } catch {
        continue; // a line cut by a crash mid-write
      }
      if (!(label.start_ms < timeMs)) continue;
      if (options.cut === true && label.end_ms > timeMs) {
        label = {
          ...label,
          end_ms: timeMs,
          end: new Date(timeMs).toISOString(),
          params: { ...label.params, cut_at_ms: timeMs },
        };
      }
      kept.push(JSON.stringify(label));
    }
    writeFileSync(`${this.#file}.tmp`, kept.length === 0 ? "" : `${kept.join("\n")}\n`);
    renameSync(`${this.#file}.tmp`, this.#file);
  }
}
