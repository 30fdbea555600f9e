/**
 * Kills the crash pipeline with SIGKILL at random moments, restarts it each time,
 * and compares its final output with a run that was never interrupted: records
 * missing, duplicated, differing or extra. The checker is plain: it reads every
 * published output line and matches them by id.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { seededRandom as random } from "../../src/engine/testing/index.js";
import { type CrashMode, type Reading, runCrashPipeline } from "./crash-pipeline.js";

const PIPELINE = path.join(path.dirname(fileURLToPath(import.meta.url)), "crash-pipeline.ts");

/** Writes `records` readings of `sensors` sensors, in time order up to 3 s of disorder. */
export function generateInput(file: string, records: number, sensors: number, seed = 7): void {
  const next = random(seed);
  const start = Date.UTC(2026, 10, 1);
  const lines: string[] = [];
  for (let i = 0; i < records; i++) {
    const reading: Reading = {
      sensor: `s-${String(Math.floor(next() * sensors)).padStart(4, "0")}`,
      ts: start + i * 10 - Math.floor(next() * 3000),
      value: Math.round(next() * 10_000) / 100,
    };
    lines.push(JSON.stringify(reading));
  }
  writeFileSync(file, `${lines.join("\n")}\n`);
}

/** Every published output line (files not starting with "."), by sink. */
function readOutput(directory: string): Map<string, string[]> {
  const bySink = new Map<string, string[]>();
  for (const sink of ["windows", "events"]) {
    const dir = path.join(directory, sink);
    const lines: string[] = [];
    if (existsSync(dir)) {
      for (const name of readdirSync(dir).sort()) {
        if (name.startsWith(".") || !name.endsWith(".jsonl")) continue;
        for (const line of readFileSync(path.join(dir, name), "utf8").split("\n"))
          if (line) lines.push(line);
      }
    }
    bySink.set(sink, lines);
  }
  return bySink;
}

export interface Comparison {
  readonly expected: number;
  readonly actual: number;
  readonly missing: number;
  readonly duplicated: number;
  readonly differing: number;
  readonly extra: number;
  /** A few offending ids, for the report. */
  readonly examples: string[];
}

/** Compares two output directories record by record (matched by `id` within each sink). */
export function compareOutputs(expectedDir: string, actualDir: string): Comparison {
  let expected = 0;
  let actual = 0;
  let missing = 0;
  let duplicated = 0;
  let differing = 0;
  let extra = 0;
  const examples: string[] = [];
  const note = (what: string) => {
    if (examples.length < 5) examples.push(what);
  };
  const want = readOutput(expectedDir);
  const got = readOutput(actualDir);
  for (const [sink, lines] of want) {
    const reference = new Map<string, string>();
    for (const line of lines) reference.set(`${(JSON.parse(line) as { id: string }).id}`, line);
    expected += reference.size;
    const seen = new Map<string, string>();
    for (const line of got.get(sink) ?? []) {
      actual++;
      const id = `${(JSON.parse(line) as { id: string }).id}`;
      if (seen.has(id)) {
        duplicated++;
        note(`duplicated ${sink} ${id}`);
        continue;
      }
      seen.set(id, line);
      const ref = reference.get(id);
      if (ref === undefined) {
        extra++;
        note(`extra ${sink} ${id}`);
      } else if (ref !== line) {
        differing++;
        note(`differing ${sink} ${id}: ${line} instead of ${ref}`);
      }
    }
    for (const id of reference.keys()) {
      if (!seen.has(id)) {
        missing++;
        note(`missing ${sink} ${id}`);
      }
    }
  }
  return { expected, actual, missing, duplicated, differing, extra, examples };
}

export interface CrashTestOptions {
  readonly workDir: string;
  readonly records: number;
  readonly sensors?: number;
  /** Kills required; the run fails if the pipeline finished before this many. */
  readonly kills: number;
  readonly mode?: CrashMode;
  /** Random delay before each kill, after the restarted process reports it is running, in ms. */
  readonly minDelay?: number;
  readonly maxDelay?: number;
  readonly seed?: number;
  readonly log?: (line: string) => void;
}

export interface CrashReport extends Comparison {
  readonly kills: number;
  readonly seconds: number;
}

function start(args: string[]): {
  child: ChildProcess;
  running: Promise<void>;
  exited: Promise<number | null>;
} {
  const child = spawn(process.execPath, ["--import", "tsx", PIPELINE, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const running = new Promise<void>((resolve) => {
    child.stdout!.on("data", (chunk: Buffer) => {
      if (chunk.toString().includes("running")) resolve();
    });
  });
  const exited = new Promise<number | null>((resolve) => {
    child.on("exit", (code, signal) => {
      if (code !== 0 && signal === null) {
        process.stderr.write(`crash pipeline exited with code ${code}:\n${stderr}\n`);
      }
      resolve(code);
    });
  });
  return { child, running, exited };
}

/** Runs the whole experiment and returns what the checker found. */
export async function crashTest(options: CrashTestOptions): Promise<CrashReport> {
  const started = performance.now();
  const { workDir, records, kills } = options;
  const mode = options.mode ?? "exactly-once";
  const log = options.log ?? (() => {});
  const next = random(options.seed ?? 11);
  const minDelay = options.minDelay ?? 50;
  const maxDelay = options.maxDelay ?? 400;
  mkdirSync(workDir, { recursive: true });
  const input = path.join(workDir, "input.jsonl");
  generateInput(input, records, options.sensors ?? 1000);
  log(`input: ${records} readings`);

  const referenceDir = path.join(workDir, "reference");
  await runCrashPipeline(
    input,
    referenceDir,
    path.join(workDir, "reference.sqlite"),
    "exactly-once",
  );
  log("reference run finished");

  const crashedDir = path.join(workDir, "crashed");
  const storeFile = path.join(workDir, "crashed.sqlite");
  const args = [input, crashedDir, storeFile, mode];
  let done = 0;
  while (done < kills) {
    const { child, running, exited } = start(args);
    await running;
    const delay = minDelay + next() * (maxDelay - minDelay);
    const exitedEarly = await Promise.race([
      exited,
      new Promise<"running">((resolve) => setTimeout(() => resolve("running"), delay)),
    ]);
    if (exitedEarly !== "running") {
      throw new Error(
        exitedEarly === 0
          ? `the pipeline finished after ${done} kills; ${kills} were required (shorten the delays)`
          : `the pipeline failed with exit code ${exitedEarly} after ${done} kills`,
      );
    }
    child.kill("SIGKILL");
    await exited;
    done++;
    log(`kill ${done} after ${Math.round(delay)} ms`);
  }
  const last = start(args);
  const code = await last.exited;
  if (code !== 0) throw new Error(`the final run exited with code ${code}`);
  const comparison = compareOutputs(referenceDir, crashedDir);
  return { ...comparison, kills: done, seconds: (performance.now() - started) / 1000 };
}

export interface StopReport extends Comparison {
  /** Exit code after SIGTERM. */
  readonly stoppedWith: number | null;
  /** Milliseconds from SIGTERM to exit. */
  readonly stopMs: number;
}

/** SIGTERM once mid-run (graceful stop), restart to the end, compare with an uninterrupted run. */
export async function gracefulStopTest(
  workDir: string,
  records: number,
  delay = 300,
): Promise<StopReport> {
  mkdirSync(workDir, { recursive: true });
  const input = path.join(workDir, "input.jsonl");
  generateInput(input, records, 500);
  const referenceDir = path.join(workDir, "reference");
  await runCrashPipeline(
    input,
    referenceDir,
    path.join(workDir, "reference.sqlite"),
    "exactly-once",
  );
  const args = [input, path.join(workDir, "stopped"), path.join(workDir, "stopped.sqlite")];
  const first = start(args);
  await first.running;
  await new Promise((resolve) => setTimeout(resolve, delay));
  const signalled = performance.now();
  first.child.kill("SIGTERM");
  const stoppedWith = await first.exited;
  const stopMs = performance.now() - signalled;
  const rest = start(args);
  if ((await rest.exited) !== 0) throw new Error("the run after the graceful stop failed");
  const comparison = compareOutputs(referenceDir, path.join(workDir, "stopped"));
  return { ...comparison, stoppedWith, stopMs };
}
