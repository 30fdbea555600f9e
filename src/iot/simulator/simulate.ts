/**
 * The simulator's drivers: `simulate` yields slices of lines as fast as possible or
 * paced to the wall clock; `runSimulation` writes them (and the fault labels) to
 * output targets and reports what it wrote.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { OutputTarget } from "./output-target.js";
import type { Plant } from "./plant-model.js";
import { type SimulateOptions, SimulatorRun, type SimulatorSlice } from "./simulator-run.js";

/** Options of `simulate`: the run's options and a way to stop it. */
export interface SimulateDriverOptions extends SimulateOptions {
  /** Stops the run after the current slice (the generator then returns). */
  readonly signal?: AbortSignal;
  /** Called once with the run, before the first slice (its start, interval, stats). */
  readonly onStart?: (run: SimulatorRun) => void;
}

/**
 * Simulates `plant`, yielding one slice of simulated time after another until the
 * count or duration is reached (never, without either) or `signal` aborts. In real
 * time a slice is yielded once the wall clock has passed its end (a slow consumer
 * makes the run fall behind, then catch up as fast as it can); otherwise at once.
 */
export async function* simulate(
  plant: Plant,
  options: SimulateDriverOptions = {},
): AsyncGenerator<SimulatorSlice, void, undefined> {
  const run = new SimulatorRun(plant, options);
  options.onStart?.(run);
  const realtime = options.realtime ?? false;
  const wallStart = Date.now();
  const signal = options.signal;
  for (;;) {
    if (signal?.aborted) return;
    const slice = run.nextSlice();
    if (slice === null) return;
    if (realtime) {
      const due = wallStart + (slice.toMs - run.startMs);
      const wait = due - Date.now();
      if (wait > 0) {
        try {
          await sleep(wait, undefined, signal === undefined ? undefined : { signal });
        } catch {
          return; // aborted while waiting
        }
      }
    }
    yield slice;
  }
}

/** What `runSimulation` wrote. */
export interface SimulationSummary {
  readonly lines: number;
  readonly readings: number;
  readonly labels: number;
  /** Simulated time covered, epoch ms. */
  readonly fromMs: number;
  readonly toMs: number;
  /** Wall-clock duration, ms. */
  readonly elapsedMs: number;
}

/**
 * Runs a simulation to its end (or until `signal` aborts), writing the lines to
 * `readings` and the labels (one JSON line each) to `labels` when given, and closes
 * both targets. Rejects if a target fails.
 */
export async function runSimulation(
  plant: Plant,
  options: SimulateDriverOptions,
  targets: { readonly readings: OutputTarget; readonly labels?: OutputTarget },
): Promise<SimulationSummary> {
  const started = performance.now();
  let run: SimulatorRun | undefined;
  let fromMs = Number.NaN;
  let toMs = Number.NaN;
  try {
    for await (const slice of simulate(plant, {
      ...options,
      onStart: (r) => {
        run = r;
        options.onStart?.(r);
      },
    })) {
      if (Number.isNaN(fromMs)) fromMs = slice.fromMs;
      toMs = slice.toMs;
      if (targets.labels !== undefined && slice.labels.length > 0) {
        await targets.labels.write(slice.labels.map((l) => JSON.stringify(l)));
      }
      await targets.readings.write(slice.lines);
    }
  } finally {
    await targets.readings.close();
    await targets.labels?.close();
  }
  const stats = run!.stats();
  return {
    lines: stats.lines,
    readings: stats.readings,
    labels: stats.labels,
    fromMs: Number.isNaN(fromMs) ? run!.startMs : fromMs,
    toMs: Number.isNaN(toMs) ? run!.startMs : toMs,
    elapsedMs: performance.now() - started,
  };
}
