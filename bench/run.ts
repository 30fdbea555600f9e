/**
 * The benchmark runner (`npm run bench`): runs each scenario of bench/scenarios.ts in
 * its own child process (so each peak RSS is the scenario's own), one after another,
 * and prints the machine and a markdown table for docs/benchmarks.md.
 *
 * Usage: `npm run bench -- [--quick] [--records N] [--keys N] [--runs N] [--batch N]
 * [--only name,name]`. Defaults: 1,000,000 records over 10,000 keys, batches of 1,000,
 * one warm-up run then 5 measured runs per scenario; `--quick` is a smoke run of
 * 100,000 records and 1 measured run. No figure here is asserted anywhere: benchmarks
 * are not tests.
 */
import { spawn } from "node:child_process";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import type { ScenarioResult } from "./scenario.js";
import { SCENARIOS, type ScenarioName } from "./scenarios.js";

const HERE = path.dirname(fileURLToPath(import.meta.url));

/** Throughput targets from the design, in records per second. */
const TARGETS: Partial<Record<ScenarioName, number>> = {
  "sliding-window": 1_000_000,
  "keyed-process": 3_000_000,
};

interface Options {
  readonly records: number;
  readonly keys: number;
  readonly runs: number;
  readonly batch: number;
  readonly only: ScenarioName[];
}

function readOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: "boolean", default: false },
      records: { type: "string" },
      keys: { type: "string", default: "10000" },
      runs: { type: "string" },
      batch: { type: "string", default: "1000" },
      only: { type: "string" },
    },
  });
  const all = Object.keys(SCENARIOS) as ScenarioName[];
  const only = values.only === undefined ? all : (values.only.split(",") as ScenarioName[]);
  for (const name of only) {
    if (!all.includes(name))
      throw new Error(`--only: unknown scenario ${name} (${all.join(", ")})`);
  }
  const positive = (name: string, text: string) => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${name}: expected a positive integer`);
    return n;
  };
  return {
    records: positive("records", values.records ?? (values.quick ? "100000" : "1000000")),
    keys: positive("keys", values.keys),
    runs: positive("runs", values.runs ?? (values.quick ? "1" : "5")),
    batch: positive("batch", values.batch),
    only,
  };
}

/** Runs one scenario in a child process with the same Node flags (the tsx loader). */
function runScenario(name: ScenarioName, o: Options): Promise<ScenarioResult> {
  const args = [
    ...process.execArgv,
    path.join(HERE, "scenario.ts"),
    name,
    String(o.records),
    String(o.keys),
    String(o.runs),
    String(o.batch),
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => {
      out += chunk;
    });
    child.on("error", reject);
    child.on("exit", (code) => {
      if (code !== 0) {
        reject(new Error(`scenario ${name} exited with code ${code}`));
        return;
      }
      try {
        resolve(JSON.parse(out.trim().split("\n").at(-1)!) as ScenarioResult);
      } catch (error) {
        reject(new Error(`scenario ${name} printed no result: ${out}`, { cause: error }));
      }
    });
  });
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const millions = (n: number) => `${(n / 1e6).toFixed(2)} M`;
const ratio = (n: number, of: number | undefined) =>
  of === undefined ? "–" : n / of >= 0.1 ? `${(n / of).toFixed(2)}×` : `${(n / of).toFixed(4)}×`;

function machine(): string {
  const cpus = os.cpus();
  return [
    `- CPU: ${cpus[0]?.model ?? "unknown"} (${cpus.length} logical CPUs; each benchmark uses one)`,
    `- Memory: ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    `- Node.js ${process.version} (V8 ${process.versions.v8}) on ${os.platform()} ${os.release()} ${os.arch()}`,
    `- Load average when the run started: ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(", ")}`,
  ].join("\n");
}

function table(results: readonly ScenarioResult[], o: Options): string {
  const medianOf = (name: ScenarioName) => {
    const r = results.find((x) => x.scenario === name);
    return r === undefined ? undefined : median(r.rates);
  };
  const loop = medianOf("baseline-loop");
  const json = medianOf("json-parse");
  const lines = [
    `${o.records.toLocaleString("en-US")} records, ${o.keys.toLocaleString("en-US")} keys, batches of ${o.batch}; ` +
      `1 warm-up run, then median and best of ${o.runs}.`,
    "",
    "| Scenario | Records/s (median) | Records/s (best) | vs plain loop | vs JSON.parse | Peak RSS | Target |",
    "| --- | ---: | ---: | ---: | ---: | ---: | --- |",
  ];
  for (const r of results) {
    const med = median(r.rates);
    const target = TARGETS[r.scenario];
    const verdict =
      target === undefined ? "–" : `${millions(target)}: ${med >= target ? "met" : "missed"}`;
    lines.push(
      `| ${r.scenario} | ${millions(med)} | ${millions(Math.max(...r.rates))} | ${ratio(med, loop)} | ` +
        `${ratio(med, json)} | ${(r.maxRssBytes / 2 ** 20).toFixed(0)} MiB | ${verdict} |`,
    );
  }
  return lines.join("\n");
}

async function main(): Promise<void> {
  const o = readOptions(process.argv.slice(2));
  console.log(machine());
  console.log("");
  const results: ScenarioResult[] = [];
  for (const name of o.only) {
    process.stderr.write(`running ${name}…\n`);
    results.push(await runScenario(name, o));
  }
  console.log(table(results, o));
}

await main();
