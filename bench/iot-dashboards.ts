/**
 * Benchmark of the plant dashboards and equipment state: 1,000,000 pre-built
 * `EnrichedReading`s of 10,000 sensors (10 facilities × 200 equipment × 5 sensor
 * types, 4 production lines per facility, each sensor reporting about every 10 s of
 * event time, up to 2 s out of order) plus about 0.5 % as many anomalies, in one
 * in-memory source, through each builder alone and through all four at once.
 *
 * Usage: `node --import tsx bench/iot-dashboards.ts [--records N] [--runs N] [--batch N]
 * [--only "all four,equipment-state"]`.
 * Prints readings/s (median and best of the measured runs, after one warm-up) and
 * the number of records each configuration emitted.
 */
import { parseArgs } from "node:util";
import {
  dataflow,
  type Sink,
  type SinkStep,
  type SinkWriter,
  type Stream,
  source,
} from "../src/engine/index.js";
import { seededRandom as mulberry32 } from "../src/engine/testing/index.js";
import {
  equipmentHealth,
  equipmentState,
  facilityMetrics,
  productionEfficiency,
} from "../src/iot/dashboards/index.js";
import {
  type Anomaly,
  type EnrichedReading,
  SENSOR_TYPES,
  type Severity,
} from "../src/iot/reading/reading.js";
import { cutBatches, MemorySource } from "./memory-source.js";

type Input = EnrichedReading | Anomaly;

const START = Date.UTC(2024, 0, 1);
const REPORT_INTERVAL_MS = 10_000;
const DISORDER_MS = 2_000;
const FACILITIES = 10;
const SEVERITIES: Severity[] = ["low", "medium", "high", "critical"];

function generate(count: number, sensors: number) {
  const random = mulberry32(7);
  const values: Input[] = [];
  const times: number[] = [];
  const step = REPORT_INTERVAL_MS / sensors;
  // One string per sensor, equipment, facility and line, as metadata enrichment gives.
  const sensorIds = Array.from({ length: sensors }, (_, k) => `sensor-${k}`);
  const equipmentIds = Array.from({ length: sensors }, (_, k) => `eq-${Math.floor(k / 5)}`);
  const facilityIds = Array.from({ length: FACILITIES }, (_, f) => `plant-${f}`);
  const lineIds = ["line-0", "line-1", "line-2", "line-3"];
  let readings = 0;
  for (let i = 0; i < count; i++) {
    const k = Math.floor(random() * sensors);
    const type = SENSOR_TYPES[k % SENSOR_TYPES.length]!;
    const equipment = Math.floor(k / SENSOR_TYPES.length);
    const facility = facilityIds[equipment % FACILITIES]!;
    const line = lineIds[Math.floor(equipment / FACILITIES) % 4]!;
    const time = Math.floor(START + i * step - random() * DISORDER_MS);
    const hour = new Date(time).getUTCHours();
    const base = type === "power" ? 2_000 : type === "temperature" ? 60 : 10;
    const value = base * (0.5 + random());
    const r: EnrichedReading = {
      sensor_id: sensorIds[k]!,
      timestamp: time,
      facility_id: facility,
      sensor_type: type,
      quality_score: 0.4 + random() * 0.6,
      value,
      known_sensor: true,
      equipment_id: equipmentIds[k]!,
      production_line: line,
      equipment_class: "press",
      criticality: "medium",
      facility_name: facility,
      timezone: "UTC",
      thresholds: null,
      hour_of_day: hour,
      day_of_week: 1,
      shift: hour >= 6 && hour < 14 ? "morning" : hour >= 14 && hour < 22 ? "afternoon" : "night",
    };
    values.push(r);
    times.push(time);
    readings++;
    if (random() < 0.005) {
      const a: Anomaly = {
        id: `zscore|${r.sensor_id}|${time}`,
        detector: "zscore",
        severity: SEVERITIES[Math.floor(random() * 4)]!,
        sensor_id: r.sensor_id,
        equipment_id: r.equipment_id,
        facility_id: facility,
        production_line: line,
        sensor_type: type,
        event_time: new Date(time).toISOString(),
        event_time_ms: time,
        detected_at: new Date(time).toISOString(),
        value,
        baseline: { mean: base, stddev: 1 },
        score: 4,
        message: "z-score 4",
      };
      values.push(a);
      times.push(time);
    }
  }
  return { values, times, readings };
}

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

type Build = (
  readings: Stream<EnrichedReading>,
  anomalies: Stream<Anomaly>,
  sink: CountingSink<unknown>,
) => SinkStep[];

const CONFIGURATIONS: Record<string, Build> = {
  "facility-metrics": (r, a, sink) => [facilityMetrics(r, a).to("out", sink)],
  "equipment-health": (r, _a, sink) => [equipmentHealth(r).to("out", sink)],
  "production-efficiency": (r, _a, sink) => [productionEfficiency(r).to("out", sink)],
  "equipment-state": (r, a, sink) => [equipmentState(r, a).to("out", sink)],
  "all four": (r, a, sink) => [
    facilityMetrics(r, a).to("facility-out", sink),
    equipmentHealth(r).to("health-out", sink),
    productionEfficiency(r).to("efficiency-out", sink),
    equipmentState(r, a).to("state-out", sink),
  ],
};

async function main(): Promise<void> {
  const { values: options } = parseArgs({
    options: {
      records: { type: "string", default: "1000000" },
      runs: { type: "string", default: "3" },
      batch: { type: "string", default: "1000" },
      sensors: { type: "string", default: "10000" },
      only: { type: "string" },
    },
  });
  const data = generate(Number(options.records), Number(options.sensors));
  const input = new MemorySource(cutBatches(data.values, data.times, Number(options.batch)));
  const anomalies = data.values.length - data.readings;
  console.log(
    `${data.readings.toLocaleString("en")} readings of ${Number(options.sensors).toLocaleString("en")} sensors, ` +
      `${anomalies.toLocaleString("en")} anomalies, batches of ${options.batch}; Node ${process.version}`,
  );
  console.log("| Configuration | Readings/s (median) | Readings/s (best) | Records out |");
  console.log("| --- | ---: | ---: | ---: |");
  for (const [name, build] of Object.entries(CONFIGURATIONS)) {
    if (options.only !== undefined && !options.only.split(",").includes(name)) continue;
    const rates: number[] = [];
    let out = 0;
    for (let i = 0; i <= Number(options.runs); i++) {
      const sink = new CountingSink<unknown>();
      const all = source("in", input, { maxOutOfOrderness: 5_000 });
      const readings = all.filter("in.readings", (x): x is EnrichedReading => !("detector" in x));
      const anomalyStream = all.filter("in.anomalies", (x): x is Anomaly => "detector" in x);
      const started = process.hrtime.bigint();
      await dataflow("bench-iot", build(readings, anomalyStream, sink)).run();
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      if (i > 0) rates.push(data.readings / seconds); // run 0 warms up
      out = sink.received;
    }
    rates.sort((a, b) => a - b);
    const median = rates[Math.floor(rates.length / 2)]!;
    const best = rates.at(-1)!;
    const k = (x: number) => `${(x / 1000).toFixed(0)} k`;
    console.log(`| ${name} | ${k(median)} | ${k(best)} | ${out.toLocaleString("en")} |`);
  }
  console.log(`peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
}

await main();
