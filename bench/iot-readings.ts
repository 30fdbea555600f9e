/**
 * Throughput of reading validation and enrichment on one core: `JSON.parse` alone,
 * `parseReading` (JSON.parse + validation) and `createEnricher(...).enrich` over the same
 * generated lines (10,000 sensors, four sensor types, ISO timestamps with `Z` and with
 * offsets, and epoch numbers).
 *
 * Usage: `node --import tsx bench/iot-readings.ts [--records N] [--runs N]`. Defaults:
 * 500,000 records, one warm-up and 5 measured runs; prints the median of each.
 */
import { parseArgs } from "node:util";
import { createEnricher } from "../src/iot/enrich/create-enricher.js";
import { MetadataCatalog } from "../src/iot/metadata/metadata-catalog.js";
import { buildMetadataSet } from "../src/iot/metadata/metadata-set.js";
import { parseReading } from "../src/iot/reading/parse-reading.js";
import type { Reading } from "../src/iot/reading/reading.js";

const { values } = parseArgs({
  options: {
    records: { type: "string", default: "500000" },
    runs: { type: "string", default: "5" },
  },
});
const N = Number(values.records);
const RUNS = Number(values.runs);
const SENSORS = 10_000;
const NOW = Date.UTC(2025, 2, 30, 12);
const TYPES = ["temperature", "vibration", "pressure", "power"] as const;
const FACILITIES = [
  ["FAC-BER", "Europe/Berlin"],
  ["FAC-NYC", "America/New_York"],
  ["FAC-TYO", "Asia/Tokyo"],
] as const;

function line(i: number): string {
  const s = i % SENSORS;
  const type = TYPES[s % 4]!;
  const t = NOW - (N - i) * 10;
  const iso = new Date(t).toISOString();
  const timestamp = i % 3 === 0 ? t : i % 3 === 1 ? iso : iso.replace("Z", "+00:00");
  const common = {
    sensor_id: `S-${s}`,
    timestamp,
    facility_id: FACILITIES[s % 3]![0],
    sensor_type: type,
    quality_score: 0.9 + (i % 10) / 100,
  };
  const measures =
    type === "temperature"
      ? { temperature_celsius: 60 + (i % 17), humidity: 40 }
      : type === "vibration"
        ? { acceleration_x: 0.1, acceleration_y: 0.2 + (i % 5) / 10, acceleration_z: 0.3 }
        : type === "pressure"
          ? { pressure_psi: 100 + (i % 9), flow_rate: 4.2 }
          : { voltage: 230, current: 2 + (i % 4) / 2 };
  return JSON.stringify({ ...common, ...measures });
}

function catalog(): MetadataCatalog {
  const recs = (rows: unknown[]) => ({
    file: "bench",
    records: rows.map((value) => ({ value, location: "-" })),
  });
  const facilities = FACILITIES.map(([id, tz]) => ({
    facility_id: id,
    facility_name: id,
    location: "-",
    timezone: tz,
    production_lines: [],
  }));
  const equipment = FACILITIES.map(([id]) => ({
    equipment_id: `EQ-${id}`,
    facility_id: id,
    production_line: "L1",
    equipment_class: "pump",
    criticality: "high",
  }));
  // 90% of the sensors are known.
  const sensors = Array.from({ length: SENSORS * 0.9 }, (_, s) => ({
    sensor_id: `S-${s}`,
    facility_id: FACILITIES[s % 3]![0],
    equipment_id: `EQ-${FACILITIES[s % 3]![0]}`,
    production_line: "L1",
    sensor_type: TYPES[s % 4],
  }));
  return new MetadataCatalog(
    buildMetadataSet({
      facilities: recs(facilities),
      sensors: recs(sensors),
      equipment: recs(equipment),
    }),
  );
}

function rate(fn: () => number): number {
  const rates: number[] = [];
  for (let run = 0; run <= RUNS; run++) {
    const start = process.hrtime.bigint();
    const n = fn();
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    if (run > 0) rates.push(n / seconds);
  }
  rates.sort((a, b) => a - b);
  return rates[Math.floor(rates.length / 2)]!;
}

const lines = Array.from({ length: N }, (_, i) => line(i));
const bytes = lines.reduce((sum, l) => sum + l.length, 0);
let sink = 0;
const jsonRate = rate(() => {
  for (const l of lines) sink += (JSON.parse(l) as { quality_score: number }).quality_score;
  return lines.length;
});
const parseRate = rate(() => {
  let ok = 0;
  for (const l of lines) if (parseReading(l, { now: NOW }).ok) ok++;
  if (ok !== lines.length) throw new Error(`only ${ok} of ${lines.length} lines were valid`);
  return ok;
});
const readings: Reading[] = lines.map((l) => {
  const r = parseReading(l, { now: NOW });
  if (!r.ok) throw new Error(r.message);
  return r.reading;
});
const enricher = createEnricher(catalog());
const enrichRate = rate(() => {
  for (const r of readings) sink += enricher.enrich(r).hour_of_day;
  return readings.length;
});
const bothRate = rate(() => {
  for (const l of lines) {
    const r = parseReading(l, { now: NOW });
    if (r.ok) sink += enricher.enrich(r.reading).hour_of_day;
  }
  return lines.length;
});

const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
console.log(
  `${fmt(N)} readings, ${Math.round(bytes / N)} bytes each, median of ${RUNS} runs, node ${process.version}`,
);
console.log(`| step | readings/s | vs JSON.parse |`);
console.log(`| --- | ---: | ---: |`);
console.log(`| JSON.parse | ${fmt(jsonRate)} | 1.00 |`);
console.log(
  `| parseReading (JSON.parse + validate) | ${fmt(parseRate)} | ${(parseRate / jsonRate).toFixed(2)} |`,
);
console.log(`| enrich (parsed readings) | ${fmt(enrichRate)} | — |`);
console.log(`| parseReading + enrich | ${fmt(bothRate)} | ${(bothRate / jsonRate).toFixed(2)} |`);
console.log(
  `unknown-sensor readings counted: ${fmt(enricher.unknownReadings)} (${sink > 0 ? "ok" : "?"})`,
);
