/**
 * Deterministic benchmark input: sensor readings over many keys, in event-time order
 * with a little disorder, as a plant's gateways would deliver them.
 */
import { seededRandom as mulberry32 } from "../src/engine/testing/index.js";

/** One reading, as the benchmarks' pipelines see it. */
export interface Reading {
  readonly key: string;
  readonly time: number;
  readonly value: number;
}

/** Parallel arrays: `readings[i]` has event time `times[i]`. */
export interface Dataset {
  readonly readings: Reading[];
  readonly times: number[];
}

/** Every key reports about once per this many ms of event time. */
export const REPORT_INTERVAL_MS = 10_000;
/** Largest disorder of the generated times. */
export const DISORDER_MS = 2_000;
const START = 1_700_000_000_000;

/**
 * `count` readings over `keys` keys, in arrival order. Time advances evenly so that
 * each key reports about once per `REPORT_INTERVAL_MS` (keys are drawn at random);
 * each reading's time is up to `DISORDER_MS` earlier than its arrival.
 */
export function generate(count: number, keys: number, seed = 42): Dataset {
  const random = mulberry32(seed);
  const names = Array.from({ length: keys }, (_, i) => `sensor-${String(i).padStart(5, "0")}`);
  const baseline = names.map(() => 20 + random() * 80);
  const readings: Reading[] = new Array(count);
  const times: number[] = new Array(count);
  const step = REPORT_INTERVAL_MS / keys;
  for (let i = 0; i < count; i++) {
    const k = Math.floor(random() * keys);
    const time = Math.floor(START + i * step - random() * DISORDER_MS);
    readings[i] = { key: names[k]!, time, value: baseline[k]! + (random() - 0.5) * 4 };
    times[i] = time;
  }
  return { readings, times };
}
