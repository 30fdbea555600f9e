/**
 * Measures detection quality end to end: simulates a plant with labelled faults,
 * runs the readings through the plant pipeline in memory (the same dataflow
 * `millstream replay` runs, without the dashboards and the archive), and scores the
 * anomalies and dead letters against the labels.
 */
import type { Batch, Sink, SinkWriter } from "../../engine/index.js";
import type { DetectorsConfig } from "../detectors/index.js";
import { MetadataCatalog } from "../metadata/index.js";
import { plantPipeline, type ReadingDeadLetter } from "../plant-pipeline.js";
import type { Anomaly } from "../reading/reading.js";
import type { FaultOptions } from "../simulator/fault-planner.js";
import type { FaultLabel } from "../simulator/fault-types.js";
import { plantMetadataSet } from "../simulator/plant-metadata.js";
import { createPlant, type PlantOptions } from "../simulator/plant-model.js";
import { simulatorSource } from "../simulator/simulator-source.js";
import { type DetectionScore, type MatchingOptions, scoreDetections } from "./score-detections.js";

/** What to simulate and how to score it; every option has a default. */
export interface EvaluationOptions {
  /** The plant. Default 3 facilities, 1,000 sensors, seed 1. */
  readonly plant?: PlantOptions;
  /** Simulated time, ms. Default 3,600,000 (1 h). */
  readonly durationMs?: number;
  /** Each sensor reports every `intervalMs`. Default 1,000. */
  readonly intervalMs?: number;
  /** Simulated start. Default the simulator's (2025-06-02T00:00:00Z). */
  readonly startMs?: number;
  /** Fault injection. Default: the simulator's mix and rate, 15 min warm-up. */
  readonly faults?: FaultOptions;
  /** Detector settings passed to the pipeline. Default: the detectors' defaults. */
  readonly detectors?: DetectorsConfig;
  /** Matching tolerances (`countFromMs` is set from the warm-up). */
  readonly matching?: Omit<MatchingOptions, "countFromMs">;
}

/** The outcome: the score, the raw material, and the run's figures. */
export interface EvaluationResult {
  readonly score: DetectionScore;
  readonly labels: readonly FaultLabel[];
  readonly anomalies: readonly Anomaly[];
  readonly readings: number;
  readonly sensors: number;
  readonly facilities: number;
  readonly startMs: number;
  readonly durationMs: number;
  readonly countFromMs: number;
  readonly elapsedMs: number;
}

/** A sink that keeps what the scorer needs, in memory. */
class KeepSink<T> implements Sink<T> {
  readonly description = "evaluation";
  readonly values: T[] = [];

  async open(): Promise<SinkWriter<T>> {
    return {
      write: (batch: Batch<T>) => {
        for (const v of batch.values) this.values.push(v);
      },
      flush: async () => {},
      close: async () => {},
    };
  }
}

/** Defaults of `evaluateDetection`. */
export const EVALUATION_DEFAULTS = Object.freeze({
  facilities: 3,
  sensors: 1_000,
  seed: 1,
  durationMs: 3_600_000,
  intervalMs: 1_000,
  warmupMs: 900_000,
});

/** Runs the simulation through the plant pipeline and scores it. */
export async function evaluateDetection(
  options: EvaluationOptions = {},
): Promise<EvaluationResult> {
  const started = performance.now();
  const plant = createPlant({
    facilities: EVALUATION_DEFAULTS.facilities,
    sensors: EVALUATION_DEFAULTS.sensors,
    seed: EVALUATION_DEFAULTS.seed,
    ...options.plant,
  });
  const durationMs = options.durationMs ?? EVALUATION_DEFAULTS.durationMs;
  const warmupMs = options.faults?.warmupMs ?? EVALUATION_DEFAULTS.warmupMs;
  const labels: FaultLabel[] = [];
  let startMs = Number.NaN;
  let readings = 0;
  let statsOf: (() => number) | undefined;
  const input = simulatorSource(plant, {
    durationMs,
    intervalMs: options.intervalMs ?? EVALUATION_DEFAULTS.intervalMs,
    ...(options.startMs === undefined ? {} : { startMs: options.startMs }),
    faults: { ...options.faults, warmupMs },
    onLabels: (l) => labels.push(...l),
    onStart: (run) => {
      startMs = run.startMs;
      statsOf = () => run.stats().readings;
    },
  });
  const anomalies = new KeepSink<Anomaly>();
  const deadLetters = new KeepSink<ReadingDeadLetter>();
  const late = new KeepSink<unknown>();
  const { dataflow } = plantPipeline("evaluate", {
    input,
    catalog: new MetadataCatalog(plantMetadataSet(plant)),
    config: {
      advanceWhenQuiet: false,
      ...(options.detectors === undefined ? {} : { detectors: options.detectors }),
    },
    sinks: { anomalies, deadLetters, late },
  });
  await dataflow.job({ checkpoint: { interval: 3_600_000 } }).run();
  readings = statsOf?.() ?? 0;
  const countFromMs = startMs + warmupMs;
  const score = scoreDetections(labels, anomalies.values, deadLetters.values, {
    ...options.matching,
    countFromMs,
  });
  return {
    score,
    labels,
    anomalies: anomalies.values,
    readings,
    sensors: plant.sensors.length,
    facilities: plant.facilities.length,
    startMs,
    durationMs,
    countFromMs,
    elapsedMs: performance.now() - started,
  };
}
