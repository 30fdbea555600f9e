/**
 * Runs one benchmark scenario in this process and prints one JSON line with its
 * figures: `node --import tsx bench/scenario.ts <name> <records> <keys> <runs> <batch>`.
 * bench/run.ts starts one such process per scenario, so that each peak RSS is the
 * scenario's own.
 */
import { generate } from "./data.js";
import { SCENARIOS, type ScenarioName } from "./scenarios.js";

/** What a scenario process reports. */
export interface ScenarioResult {
  readonly scenario: ScenarioName;
  readonly records: number;
  /** Records per second of each measured run, in run order. */
  readonly rates: number[];
  /** Peak resident set size of the whole process, in bytes. */
  readonly maxRssBytes: number;
  /** The scenario's answer, the same on every run. */
  readonly check: number;
}

async function main(argv: string[]): Promise<void> {
  const [name, records, keys, runs, batchSize] = argv;
  if (name === undefined || !Object.hasOwn(SCENARIOS, name)) {
    throw new Error(
      `unknown scenario ${name}; expected one of ${Object.keys(SCENARIOS).join(", ")}`,
    );
  }
  const scenario = name as ScenarioName;
  const data = generate(Number(records), Number(keys));
  const prepared = SCENARIOS[scenario](data, { batchSize: Number(batchSize) });
  const check = await prepared.run(); // warm-up
  const rates: number[] = [];
  for (let i = 0; i < Number(runs); i++) {
    const started = process.hrtime.bigint();
    const answer = await prepared.run();
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    if (answer !== check) throw new Error(`${scenario}: run ${i} answered ${answer}, not ${check}`);
    rates.push(prepared.records / seconds);
  }
  const result: ScenarioResult = {
    scenario,
    records: prepared.records,
    rates,
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
    check,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

await main(process.argv.slice(2));
