/**
 * Detector throughput: every detector of `applyDetectors` (defaults) over pre-built
 * `EnrichedReading` objects, on one core, from an in-memory source to a counting sink.
 * Measures the detectors and the engine steps around them, not parsing or enrichment.
 *
 * Usage: `node --import tsx bench/iot-detectors.ts [records] [sensors] [runs]`, default
 * 1,000,000 readings of 10,000 sensors (1 Hz each, so 100 s of event time), batches of
 * 1,000, one warm-up run then 3 measured runs. Prints one line per run and a JSON summary.
 */
import type { Batch, Sink, SinkWriter } from "../src/engine/index.js";
import { dataflow, source } from "../src/engine/index.js";
import { applyDetectors } from "../src/iot/detectors/index.js";
import type { EnrichedReading, SensorType } from "../src/iot/reading/reading.js";
import { cutBatches, MemorySource } from "./memory-source.js";

const TYPES: SensorType[] = ["temperature", "vibration", "pressure", "power", "generic"];
const LEVEL: Record<SensorType, number> = {
  temperature: 60,
  vibration: 1,
  pressure: 100,
  power: 3_000,
  generic: 50,
};

/** A deterministic pseudo-random stream in [0, 1). */
function lcg(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1_664_525) + 1_013_904_223) >>> 0;
    return s / 2 ** 32;
  };
}

/** `records` readings round-robin over `sensors`, 1 s apart per sensor, with a little trouble in them. */
function readings(records: number, sensors: number): EnrichedReading[] {
  const rand = lcg(42);
  const out: EnrichedReading[] = [];
  const start = Date.UTC(2026, 0, 1);
  for (let i = 0; i < records; i++) {
    const k = i % sensors;
    const round = Math.floor(i / sensors);
    const type = TYPES[k % TYPES.length]!;
    const level = LEVEL[type];
    let value = level * (1 + 0.02 * Math.sin(round / 10 + k) + 0.01 * (rand() - 0.5));
    if (rand() < 0.0005) value *= 1.5; // spikes
    if (k % 97 === 0 && round > 40) value = level; // stuck sensors
    out.push({
      sensor_id: `sensor-${k}`,
      timestamp: start + round * 1000 + (k % 1000),
      facility_id: `plant-${k % 5}`,
      sensor_type: type,
      quality_score: k % 53 === 0 ? rand() : 0.9 + 0.1 * rand(),
      value,
      known_sensor: true,
      equipment_id: `equipment-${Math.floor(k / 4)}`,
      production_line: `line-${k % 20}`,
      equipment_class: "press",
      criticality: "medium",
      facility_name: `Plant ${k % 5}`,
      timezone: "UTC",
      thresholds: k % 3 === 0 ? { warning_max: level * 1.3, critical_max: level * 1.45 } : null,
      hour_of_day: 0,
      day_of_week: 4,
      shift: "night",
    });
  }
  return out;
}

/** Counts what it is given and keeps nothing. */
class CountingSink implements Sink<unknown> {
  readonly description = "count";
  count = 0;
  async open(): Promise<SinkWriter<unknown>> {
    return {
      write: (batch: Batch<unknown>) => {
        this.count += batch.values.length;
      },
      flush: async () => {},
      close: async () => {},
    };
  }
}

async function main(argv: string[]): Promise<void> {
  const records = Number(argv[0] ?? 1_000_000);
  const sensors = Number(argv[1] ?? 10_000);
  const runs = Number(argv[2] ?? 3);
  const values = readings(records, sensors);
  const batches = cutBatches(
    values,
    values.map((r) => r.timestamp),
    1_000,
  );
  const src = new MemorySource(batches);
  const rates: number[] = [];
  let anomalies = -1;
  for (let run = 0; run <= runs; run++) {
    const sink = new CountingSink();
    const flow = dataflow("detectors", [
      applyDetectors(source("readings", src, { maxOutOfOrderness: 2_000 })).to("out", sink),
    ]);
    const started = process.hrtime.bigint();
    await flow.run({ tickInterval: 0 });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    if (anomalies >= 0 && sink.count !== anomalies) {
      throw new Error(`run ${run}: ${sink.count} anomalies, not ${anomalies}`);
    }
    anomalies = sink.count;
    const rate = records / seconds;
    console.log(
      `${run === 0 ? "warm-up" : `run ${run}`}: ${Math.round(rate)} readings/s (${seconds.toFixed(2)} s)`,
    );
    if (run > 0) rates.push(rate);
  }
  const sorted = [...rates].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)]!;
  console.log(
    JSON.stringify({
      bench: "iot-detectors",
      records,
      sensors,
      anomalies,
      medianReadingsPerSecond: Math.round(median),
      maxRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
    }),
  );
}

await main(process.argv.slice(2));
