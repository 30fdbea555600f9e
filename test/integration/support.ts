/**
 * Helpers of the broker integration tests: a simulated plant with its readings and
 * metadata, `millstream replay` and `millstream run` as child processes, loading
 * replay outputs into PostgreSQL and Redis through the same sinks, and comparing two
 * schemas (or key prefixes) record by record.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Redis } from "ioredis";
import pg from "pg";
import { PostgresDatabase } from "../../src/connectors/postgres/index.js";
import type { Sink } from "../../src/engine/index.js";
import {
  PLANT_MIGRATIONS,
  type PlantOutputName,
  plantPostgresSinks,
  plantRedisSinks,
  REDIS_OUTPUTS,
  type RedisOutputName,
} from "../../src/iot/outputs/index.js";
import {
  createPlant,
  MemoryTarget,
  parseFaultMix,
  runSimulation,
  writePlantMetadata,
} from "../../src/iot/simulator/index.js";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** The facility of the sentinel reading (unknown to the metadata: it touches nothing else). */
export const SENTINEL_FACILITY = "ZZ-SENTINEL";

/**
 * The injected faults whose outputs do not depend on how the input is cut into
 * batches. The engine advances event time (watermarks, and the timers they fire)
 * between batches, so a reading later than `maxOutOfOrderness` is late or not, and
 * an offline timer fires before or after a sensor's next reading, depending on where
 * batch boundaries fall. A file replays in batches of 1,000 lines; a broker delivers
 * whatever has arrived. Faults that produce such disorder or silences (late and
 * out-of-order delivery, clock skew, offline sensors) are left out, so that the run
 * and the replay must agree exactly.
 */
export const BATCH_INVARIANT_FAULTS =
  "spike,drift,stuck,noisy,quality,shutdown,duplicate,malformed";

/**
 * The outputs compared, with the PostgreSQL tables that hold them. Equipment state is
 * compared by its latest row per machine: the history holds every emission, and
 * emissions rate-limited by event-time timers fall between batches differently.
 */
export const COMPARED: readonly { output: PlantOutputName; tables: readonly string[] }[] = [
  { output: "anomalies", tables: ["anomalies"] },
  { output: "facility_metrics", tables: ["facility_metrics"] },
  { output: "equipment_health", tables: ["equipment_health"] },
  { output: "production_efficiency", tables: ["production_efficiency"] },
  { output: "equipment_state", tables: ["equipment_state"] },
];

export interface SimulatedPlant {
  /** Every line, in publish order; the last is the sentinel. */
  readonly lines: readonly string[];
  readonly linesFile: string;
  readonly metadata: string;
}

/**
 * A simulated plant (default faults included) with its metadata folder, and its
 * readings as JSON lines followed by one sentinel reading an hour after the last: an
 * unknown sensor of an unknown facility, whose only effect on the plant's outputs is
 * to move event time past every window, so a broker-fed run (which never sees the end
 * of its input) closes the same windows as a replay.
 */
export async function simulatedPlant(
  dir: string,
  minutes: number,
  sensors: number,
): Promise<SimulatedPlant> {
  const plant = createPlant({ facilities: 2, sensors, seed: 42 });
  const metadata = path.join(dir, "plant");
  await writePlantMetadata(plant, metadata);
  const target = new MemoryTarget();
  const summary = await runSimulation(
    plant,
    {
      durationMs: minutes * 60_000,
      seed: 42,
      // One second per slice: the simulator writes a slice facility by facility, so
      // longer slices would put readings of one facility far behind the other's.
      sliceMs: 1000,
      faults: {
        mix: parseFaultMix(BATCH_INVARIANT_FAULTS),
        ratePerSensorHour: 6,
        warmupMs: 60_000,
        cooldownMs: 120_000,
        tailMs: 60_000,
      },
    },
    { readings: target },
  );
  const sentinel = JSON.stringify({
    sensor_id: `${SENTINEL_FACILITY}-1`,
    timestamp: new Date(summary.toMs + 3_600_000).toISOString(),
    facility_id: SENTINEL_FACILITY,
    sensor_type: "generic",
    quality_score: 1,
    value: 0,
  });
  const lines = [...target.lines, sentinel];
  const linesFile = path.join(dir, "readings.jsonl");
  writeFileSync(linesFile, `${lines.join("\n")}\n`);
  return { lines, linesFile, metadata };
}

/** Runs the millstream CLI to the end; rejects with its output when it fails. */
export async function millstream(...args: string[]): Promise<string> {
  const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (d: Buffer) => {
    output += d.toString();
  });
  child.stderr.on("data", (d: Buffer) => {
    output += d.toString();
  });
  const [code] = (await once(child, "exit")) as [number | null];
  if (code !== 0) throw new Error(`millstream ${args.join(" ")} exited with ${code}:\n${output}`);
  return output;
}

/** The records of each output of `millstream replay --out <folder>`, in emission order. */
export function replayRecords(folder: string): Record<PlantOutputName, unknown[]> {
  const read = (name: string) =>
    readFileSync(path.join(folder, `${name}.jsonl`), "utf8")
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as unknown);
  return {
    anomalies: read("anomalies"),
    facility_metrics: read("facility_metrics"),
    equipment_health: read("equipment_health"),
    production_efficiency: read("production_efficiency"),
    equipment_state: read("equipment_state"),
    readings: [],
  };
}

/** Writes `records` of each output through a sink in one checkpoint. */
async function writeAll(
  sinks: Partial<Record<PlantOutputName, Sink<never>>>,
  records: Record<PlantOutputName, unknown[]>,
) {
  for (const [output, sink] of Object.entries(sinks) as [PlantOutputName, Sink<never>][]) {
    const writer = await sink.open({ step: output });
    const values = records[output] as never[];
    writer.write({ values, times: values.map(() => 0), channel: 0 });
    const progress = await writer.prepareCommit!(1);
    await writer.commit!(1, progress);
    await writer.close();
  }
}

/** Loads replay records into `schema` with the plant's PostgreSQL sinks. */
export async function loadIntoPostgres(
  url: string,
  schema: string,
  records: Record<PlantOutputName, unknown[]>,
) {
  const database = new PostgresDatabase({
    connectionString: url,
    schema,
    migrations: PLANT_MIGRATIONS,
  });
  try {
    await writeAll(
      plantPostgresSinks(database, { outputs: COMPARED.map((c) => c.output) }) as Record<
        string,
        Sink<never>
      >,
      records,
    );
  } finally {
    await database.close();
  }
}

/** The outputs compared in Redis. */
export const REDIS_COMPARED: readonly RedisOutputName[] = REDIS_OUTPUTS;

/** Loads replay records into Redis under `prefix` with the plant's Redis sinks. */
export async function loadIntoRedis(
  redis: Redis,
  prefix: string,
  records: Record<PlantOutputName, unknown[]>,
) {
  await writeAll(
    plantRedisSinks(redis, {
      outputs: REDIS_COMPARED,
      job: "expected",
      keyPrefix: prefix,
    }) as Record<string, Sink<never>>,
    records,
  );
}

/** Row counts of the compared tables in `schema`, sentinel rows left out. */
export async function counts(client: pg.Client, schema: string): Promise<Record<string, number>> {
  const result: Record<string, number> = {};
  for (const { tables } of COMPARED) {
    for (const table of tables) {
      const exists = await client.query("SELECT to_regclass($1) IS NOT NULL AS ok", [
        `"${schema}".${table}`,
      ]);
      if (exists.rows[0]?.ok !== true) {
        result[table] = 0;
        continue;
      }
      const { rows } = await client.query(
        `SELECT count(*)::int AS n FROM "${schema}".${table} WHERE facility_id <> $1`,
        [SENTINEL_FACILITY],
      );
      result[table] = rows[0]?.n as number;
    }
  }
  return result;
}

/**
 * Rows of each compared table that are in one schema and not the other (every
 * column but `detected_at`, the processing time of a detection), sentinel rows left
 * out; `{}` when the schemas hold the same.
 */
export async function differences(
  client: pg.Client,
  actual: string,
  expected: string,
): Promise<Record<string, { missing: number; extra: number; sample: unknown }>> {
  const found: Record<string, { missing: number; extra: number; sample: unknown }> = {};
  for (const { tables } of COMPARED) {
    for (const table of tables) {
      // Every column but the processing time of a detection, which no replay can repeat.
      const { rows: cols } = await client.query(
        "SELECT column_name AS c FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 AND column_name <> 'detected_at' ORDER BY ordinal_position",
        [expected, table],
      );
      const list = cols.map((r) => `"${r.c as string}"`).join(", ");
      const minus = async (a: string, b: string) =>
        (
          await client.query(
            `SELECT ${list} FROM "${a}".${table} WHERE facility_id <> $1 EXCEPT SELECT ${list} FROM "${b}".${table} WHERE facility_id <> $1`,
            [SENTINEL_FACILITY],
          )
        ).rows;
      const missing = await minus(expected, actual);
      const extra = await minus(actual, expected);
      if (missing.length > 0 || extra.length > 0) {
        found[table] = {
          missing: missing.length,
          extra: extra.length,
          sample: missing[0] ?? extra[0],
        };
      }
    }
  }
  return found;
}

/** The latest-value hashes under `prefix` (TTL and sentinel keys aside), by key without the prefix. */
export async function redisHashes(
  redis: Redis,
  prefix: string,
): Promise<Map<string, Record<string, string>>> {
  const hashes = new Map<string, Record<string, string>>();
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000);
    cursor = next;
    for (const key of keys) {
      if (key.includes(":sink:") || key.includes(SENTINEL_FACILITY)) continue;
      if ((await redis.type(key)) !== "hash") continue;
      hashes.set(key.slice(prefix.length), await redis.hgetall(key));
    }
  } while (cursor !== "0");
  return hashes;
}

/** A `millstream run` child process. */
export interface RunningMillstream {
  readonly child: ChildProcess;
  /** Everything it printed so far. */
  output(): string;
  /** Sends `signal` and resolves with the exit code (or the signal's name). */
  stop(signal: NodeJS.Signals): Promise<number | string>;
}

/** Starts `millstream run --config <file>` with `env` added to the environment. */
export function startRun(config: string, env: Record<string, string>): RunningMillstream {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", "src/cli/main.ts", "run", "--config", config],
    {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let text = "";
  child.stdout?.on("data", (d: Buffer) => {
    text += d.toString();
  });
  child.stderr?.on("data", (d: Buffer) => {
    text += d.toString();
  });
  const exited = once(child, "exit") as Promise<[number | null, NodeJS.Signals | null]>;
  return {
    child,
    output: () => text,
    async stop(signal) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const [code, by] = await exited;
      return code ?? by ?? "unknown";
    },
  };
}

/** Polls `check` every 250 ms until it returns true; rejects with `describe()` after `timeoutMs`. */
export async function waitFor(
  check: () => Promise<boolean>,
  timeoutMs: number,
  describe: () => string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${describe()}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** A connected `pg` client of `url`. */
export async function pgClient(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return client;
}
