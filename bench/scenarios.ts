/**
 * The benchmark scenarios. Each one prepares its input outside the timed region and
 * returns a `run` that processes every record once and returns a value derived from
 * all of them (so no work can be optimised away, and a wrong answer is noticed).
 */
import {
  avg,
  composite,
  count,
  dataflow,
  max,
  min,
  type Sink,
  type SinkWriter,
  sliding,
  source,
  stddev,
  valueState,
} from "../src/engine/index.js";
import type { Dataset, Reading } from "./data.js";
import { cutBatches, MemorySource } from "./memory-source.js";

/** A prepared scenario: `run` does one timed pass over `records` records. */
export interface Prepared {
  readonly records: number;
  run(): Promise<number>;
}

export interface ScenarioOptions {
  readonly batchSize: number;
}

/** A sink that counts what it receives and keeps nothing. */
class CountingSink<T> implements Sink<T> {
  readonly description = "counting";
  received = 0;

  async open(): Promise<SinkWriter<T>> {
    return {
      write: (batch) => {
        this.received += batch.values.length;
      },
      flush: async () => {},
      close: async () => {},
    };
  }
}

/** A plain loop over the same batches that reads each record's key and value. */
function baselineLoop(data: Dataset, options: ScenarioOptions): Prepared {
  const batches = cutBatches(data.readings, data.times, options.batchSize);
  return {
    records: data.readings.length,
    async run() {
      let keyChars = 0;
      let total = 0;
      for (const batch of batches) {
        const values = batch.values;
        for (let i = 0; i < values.length; i++) {
          const r = values[i]!;
          keyChars += r.key.length;
          total += r.value;
        }
      }
      return keyChars + total;
    },
  };
}

/** `JSON.parse` of each record serialised as a JSON line, reading its key and value. */
function jsonParse(data: Dataset): Prepared {
  const lines = data.readings.map((r) => JSON.stringify(r));
  return {
    records: lines.length,
    async run() {
      let keyChars = 0;
      let total = 0;
      for (const line of lines) {
        const r = JSON.parse(line) as Reading;
        keyChars += r.key.length;
        total += r.value;
      }
      return keyChars + total;
    },
  };
}

const stats = composite({
  n: count<Reading>(),
  avg: avg((r: Reading) => r.value),
  min: min((r: Reading) => r.value),
  max: max((r: Reading) => r.value),
  sd: stddev((r: Reading) => r.value),
});

/** Keyed sliding windows (5 min every 1 min) with count, avg, min, max and stddev. */
function slidingWindow(data: Dataset, options: ScenarioOptions): Prepared {
  const input = new MemorySource(cutBatches(data.readings, data.times, options.batchSize));
  return {
    records: data.readings.length,
    async run() {
      const out = new CountingSink<unknown>();
      const windows = source("readings", input, { maxOutOfOrderness: 5_000 })
        .keyBy((r) => r.key)
        .window("stats", sliding({ size: 300_000, slide: 60_000 }), stats);
      await dataflow("bench-window", [windows.to("out", out)]).run();
      if (out.received === 0) throw new Error("sliding window: no window fired");
      return out.received;
    },
  };
}

interface Totals {
  count: number;
  sum: number;
}

const TOTALS = valueState<Totals>("totals");

/** A keyed process function keeping a running count and sum per key in value state. */
function keyedProcess(data: Dataset, options: ScenarioOptions): Prepared {
  const input = new MemorySource(cutBatches(data.readings, data.times, options.batchSize));
  return {
    records: data.readings.length,
    async run() {
      const out = new CountingSink<Totals>();
      let counted = 0;
      const job = dataflow("bench-process", [
        source("readings", input, { maxOutOfOrderness: 5_000 })
          .keyBy((r) => r.key)
          .process<Totals>("totals", {
            processElement(r, ctx) {
              const state = ctx.state(TOTALS);
              const totals = state.get();
              if (totals === undefined) state.set({ count: 1, sum: r.value });
              else {
                totals.count++;
                totals.sum += r.value;
                state.set(totals);
              }
              counted++;
            },
          })
          .to("out", out),
      ]).job();
      await job.run();
      const step = job.progress().steps.find((s) => s.step === "totals");
      if (counted !== data.readings.length || step?.recordsIn !== counted) {
        throw new Error(`keyed process: processed ${counted} of ${data.readings.length} records`);
      }
      return step.stateSize;
    },
  };
}

/** Every scenario by name, in the order the report lists them. */
export const SCENARIOS = {
  "baseline-loop": baselineLoop,
  "json-parse": jsonParse,
  "sliding-window": slidingWindow,
  "keyed-process": keyedProcess,
} satisfies Record<string, (data: Dataset, options: ScenarioOptions) => Prepared>;

export type ScenarioName = keyof typeof SCENARIOS;
