/**
 * The simulator as an engine source: a dataflow reads simulated readings straight
 * from memory, one source partition per facility, as fast as it can or paced to the
 * wall clock.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { Source, SourcePoll, SourceReader } from "../../engine/index.js";
import type { FaultLabel } from "./fault-types.js";
import type { Plant } from "./plant-model.js";
import { type SimulateOptions, SimulatorRun, type SimulatorSlice } from "./simulator-run.js";

/** Options of `simulatorSource`: the run's options, partitioning and hooks. */
export interface SimulatorSourceOptions extends SimulateOptions {
  /**
   * `"facility"` (default): one source partition per facility, so each facility's
   * watermark is its own (a device clock running ahead holds back only its
   * facility); `"single"`: everything in partition 0.
   */
  readonly partitioning?: "facility" | "single";
  /** Most lines per batch. Default 1,000. */
  readonly batchSize?: number;
  /** Called with the labels of each slice, before any of that slice's lines is polled. */
  readonly onLabels?: (labels: readonly FaultLabel[]) => void;
  /** Called with the run when the source opens (its start time, interval and stats). */
  readonly onStart?: (run: SimulatorRun) => void;
}

/**
 * A `Source<string>` of simulated JSON lines (the plant pipeline's input). Each
 * `open` starts a fresh run with the same options, so a seeded fast run gives the
 * same lines every time. It has no positions: resuming a dataflow from a checkpoint
 * starts a new run (in real time: from now), which suits the simulator's purpose.
 * In real time `poll` waits at most 100 ms and returns `idle` until the next slice
 * is due.
 */
export function simulatorSource(
  plant: Plant,
  options: SimulatorSourceOptions = {},
): Source<string> {
  const single = options.partitioning === "single";
  const batchSize = options.batchSize ?? 1000;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new RangeError(`simulatorSource: batchSize must be a positive integer, got ${batchSize}`);
  }
  return {
    description: `simulator:${plant.facilities.length} facilities, ${plant.sensors.length} sensors`,
    async open(): Promise<SourceReader<string>> {
      const run = new SimulatorRun(plant, options);
      options.onStart?.(run);
      const realtime = options.realtime ?? false;
      const wallStart = Date.now();
      const queue: SourcePoll<string>[] = [];
      let pending: SimulatorSlice | null = null;
      let closed = false;
      const enqueue = (slice: SimulatorSlice) => {
        for (const part of slice.partitions) {
          for (let i = part.start; i < part.end; i += batchSize) {
            queue.push({
              kind: "batch",
              partition: single ? 0 : part.partition,
              values: slice.lines.slice(i, Math.min(part.end, i + batchSize)),
            });
          }
        }
      };
      return {
        partitions: single ? 1 : plant.facilities.length,
        async poll(): Promise<SourcePoll<string>> {
          for (;;) {
            const next = queue.shift();
            if (next !== undefined) return next;
            if (closed) return { kind: "end" };
            if (pending === null) {
              pending = run.nextSlice();
              if (pending === null) return { kind: "end" };
              if (pending.labels.length > 0) options.onLabels?.(pending.labels);
            }
            if (realtime) {
              const due = wallStart + (pending.toMs - run.startMs);
              const wait = due - Date.now();
              if (wait > 0) {
                await sleep(Math.min(wait, 100));
                if (Date.now() < due) return { kind: "idle" };
              }
            }
            enqueue(pending);
            pending = null;
            if (queue.length === 0 && realtime) return { kind: "idle" };
          }
        },
        async close() {
          closed = true;
          queue.length = 0;
        },
      };
    },
  };
}
