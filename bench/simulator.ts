/**
 * Generation rate of the plant simulator in fast mode (`SimulatorRun.nextSlice`, lines
 * built as strings), with and without faults, on one core, and `JSON.parse` over the
 * same lines for scale: the simulator must outrun whatever reads its output.
 *
 * Usage: `node --import tsx bench/simulator.ts [--sensors N] [--seconds N] [--runs N]`.
 * Defaults: 10,000 sensors in 5 facilities, 120 s of simulated time (1,200,000
 * readings), one warm-up and 5 measured runs; prints the median of each.
 */
import { parseArgs } from "node:util";
import { createPlant } from "../src/iot/simulator/plant-model.js";
import { SimulatorRun } from "../src/iot/simulator/simulator-run.js";

const { values } = parseArgs({
  options: {
    sensors: { type: "string", default: "10000" },
    seconds: { type: "string", default: "120" },
    runs: { type: "string", default: "5" },
  },
});
const SENSORS = Number(values.sensors);
const DURATION = Number(values.seconds) * 1000;
const RUNS = Number(values.runs);
const plant = createPlant({ facilities: 5, sensors: SENSORS, seed: 1 });

/** Lines per second of one whole run, and the lines (kept for the parse comparison). */
function generate(faults: boolean): { rate: number; lines: string[] } {
  // Faults start after the first simulated minute, at 20 per sensor-hour so that a
  // short run holds plenty of them.
  const run = new SimulatorRun(plant, {
    durationMs: DURATION,
    faults: faults ? { ratePerSensorHour: 20, warmupMs: 60_000, tailMs: 0 } : false,
  });
  const lines: string[] = [];
  const started = performance.now();
  for (let slice = run.nextSlice(); slice !== null; slice = run.nextSlice()) {
    for (const line of slice.lines) lines.push(line);
  }
  const seconds = (performance.now() - started) / 1000;
  return { rate: lines.length / seconds, lines };
}

function parseRate(lines: readonly string[]): number {
  const started = performance.now();
  let sink = 0;
  for (const line of lines) {
    try {
      sink += (JSON.parse(line) as { quality_score: number }).quality_score;
    } catch {
      sink += 1;
    }
  }
  if (sink === -1) console.log(sink);
  return lines.length / ((performance.now() - started) / 1000);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const results = { clean: [] as number[], faults: [] as number[], parse: [] as number[] };
let count = 0;
for (let i = 0; i <= RUNS; i++) {
  const clean = generate(false);
  const faulty = generate(true);
  const parse = parseRate(faulty.lines);
  count = faulty.lines.length;
  if (i === 0) continue; // warm-up
  results.clean.push(clean.rate);
  results.faults.push(faulty.rate);
  results.parse.push(parse);
}
const fmt = (n: number) => Math.round(n).toLocaleString("en");
const parse = median(results.parse);
console.log(
  `${SENSORS.toLocaleString("en")} sensors, ${DURATION / 1000} s simulated, ${count.toLocaleString("en")} lines; median of ${RUNS} runs`,
);
console.log(`| step | lines/s | vs JSON.parse |`);
console.log(`| --- | ---: | ---: |`);
console.log(`| JSON.parse of the same lines | ${fmt(parse)} | 1.00 |`);
for (const [name, key] of [
  ["simulator, no faults", "clean"],
  ["simulator, faults (20 per sensor-hour)", "faults"],
] as const) {
  const rate = median(results[key]);
  console.log(`| ${name} | ${fmt(rate)} | ${(rate / parse).toFixed(2)} |`);
}
