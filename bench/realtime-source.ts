/**
 * A real-time reading generator for the latency benchmarks: `rate` readings/s over
 * `sensors` sensors (round-robin, so each sensor reports every `sensors / rate` s),
 * each stamped with the moment it is handed to the pipeline, and a spike (+40 on the
 * primary measure) every `spikeEveryMs` after the warm-up, each on a sensor not spiked
 * in the last `SPIKE_REST_MS`: at 50,000 readings/s and a spike every 100 ms the
 * round-robin would otherwise land every spike of a run on the same 10 sensors, one
 * reading in a row after another, which the z-score detector rightly takes for a new
 * level after 5 of them (and then reports no more).
 */
import type { Source, SourcePoll } from "../src/engine/index.js";
import { readingLine } from "./plant-fixture.js";

export interface RealtimeOptions {
  readonly rate: number;
  readonly sensors: number;
  readonly seconds: number;
  readonly warmupMs: number;
  readonly spikeEveryMs: number;
}

/** The source and what it has produced so far. */
export interface RealtimeReadings {
  readonly source: Source<string>;
  /** `S<n>@<time>` of each spiked reading; a benchmark deletes the ones it has seen. */
  readonly spiked: Set<string>;
  readonly produced: () => number;
  readonly spikes: () => number;
}

/** A sensor spiked is not spiked again for this long (longer than the z-score's 2 min baseline). */
const SPIKE_REST_MS = 180_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function realtimeReadings(options: RealtimeOptions): RealtimeReadings {
  const { rate, sensors, seconds, warmupMs, spikeEveryMs } = options;
  /** Readings per batch at most: 10 ms worth at the target rate. */
  const maxBatch = Math.max(1, Math.round(rate / 100));
  const spiked = new Set<string>();
  /** Sensor → when it was last spiked, for the sensors spiked in the last SPIKE_REST_MS. */
  const lastSpiked = new Map<number, number>();
  let produced = 0;
  let spikes = 0;
  const source: Source<string> = {
    description: "bench real-time generator",
    async open() {
      const start = Date.now();
      let nextSpike = start + warmupMs;
      return {
        partitions: 1,
        async poll(): Promise<SourcePoll<string>> {
          let now = Date.now();
          if (now - start >= seconds * 1000) return { kind: "end" };
          let due = Math.floor(((now - start) * rate) / 1000) - produced;
          if (due <= 0) {
            await sleep(Math.max(1, Math.ceil(((produced + 1) * 1000) / rate) - (now - start)));
            now = Date.now();
            due = Math.floor(((now - start) * rate) / 1000) - produced;
            if (due <= 0) return { kind: "idle" };
          }
          const n = Math.min(due, maxBatch);
          const values: string[] = new Array(n);
          for (let i = 0; i < n; i++) {
            const s = (produced + i) % sensors;
            let offset = 0;
            if (
              now >= nextSpike &&
              s % 5 !== 1 &&
              now - (lastSpiked.get(s) ?? Number.NEGATIVE_INFINITY) >= SPIKE_REST_MS
            ) {
              offset = 40;
              lastSpiked.delete(s); // set anew at the end: the map stays in time order
              lastSpiked.set(s, now);
              // Oldest first: forget those whose rest is over.
              for (const [k, t] of lastSpiked) {
                if (now - t < SPIKE_REST_MS) break;
                lastSpiked.delete(k);
              }
              nextSpike += spikeEveryMs;
              spikes++;
              spiked.add(`S${s}@${now}`);
            }
            values[i] = readingLine(s, now, offset);
          }
          produced += n;
          return { kind: "batch", partition: 0, values };
        },
        async close() {},
      };
    },
  };
  return { source, spiked, produced: () => produced, spikes: () => spikes };
}
