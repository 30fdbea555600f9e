/**
 * Measures the durable checkpoint stores with the shape of the design's benchmark:
 * 50,000 keys in each of two steps (100,000 rows) of window-like state JSON of 300 to
 * 600 bytes. For each store: a full first checkpoint, incremental checkpoints that
 * rewrite a tenth of the keys, and `latest()` (the restore on start), with the
 * longest time the event loop was blocked during commits, the share of a full
 * commit the event loop was busy, and the storage size: right
 * after the full checkpoint (SQLite: database file plus WAL), and at the end (SQLite:
 * the file after `close`, WAL folded in; PostgreSQL: tables and indexes, before
 * autovacuum reclaims deleted versions).
 *
 * Run: `node --import tsx bench/checkpoint-stores.ts
 * [--keys 50000] [--incremental 10] [--changed 0.1] [--only sqlite|postgres]`. The
 * PostgreSQL part uses `MILLSTREAM_TEST_POSTGRES_URL` (default: the loopback server)
 * in a throw-away schema. Prints a markdown table; figures are not asserted anywhere.
 */
import { mkdtempSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import pg from "pg";
import type {
  CheckpointData,
  CheckpointStore,
  StateRow,
} from "../src/engine/checkpoint/checkpoint-store.js";
import { prepareCheckpoint } from "../src/connectors/checkpoint/checkpoint-checksum.js";
import { PostgresCheckpointStore } from "../src/connectors/checkpoint/postgres-checkpoint-store.js";
import { SqliteCheckpointStore } from "../src/connectors/checkpoint/sqlite-checkpoint-store.js";

const { values } = parseArgs({
  options: {
    keys: { type: "string", default: "50000" },
    incremental: { type: "string", default: "10" },
    changed: { type: "string", default: "0.1" },
    only: { type: "string" },
  },
});
const KEYS = Number(values.keys);
const INCREMENTAL = Number(values.incremental);
const CHANGED = Number(values.changed);
const STEPS = ["avg-temperature", "vibration-rms"] as const;

/** One key's state: a few sliding-window panes of aggregates, 300 to 600 bytes of JSON. */
function state(key: number, version: number): string {
  const panes = [];
  for (let p = 0; p < 2 + ((key * 7 + version) % 4); p++) {
    const start = 1_700_000_000_000 + (version * 4 + p) * 60_000;
    panes.push({
      start,
      count: 10 + ((key + p) % 50),
      mean: 20 + ((key % 1000) / 37 + p) / 3,
      m2: 13.37 * (key % 97) + p,
      min: 18.125 + p,
      max: 26.5 + (key % 13),
    });
  }
  return JSON.stringify({ panes, lastEventTime: 1_700_000_000_000 + version * 5000 + key });
}

function rowsFor(version: number, fraction: number): StateRow[] {
  const rows: StateRow[] = [];
  const every = Math.round(1 / fraction);
  for (let k = 0; k < KEYS; k++) {
    if ((k + version) % every !== 0) continue;
    for (const step of STEPS) {
      rows.push({
        step,
        partition: k % 128,
        key: JSON.stringify(`plant-1/line-${k % 40}/sensor-${k}`),
        state: state(k, version),
      });
    }
  }
  return rows;
}

function data(id: number, rows: StateRow[]): CheckpointData {
  return {
    job: "plant",
    id,
    createdAt: 1_700_000_000_000 + id * 5000,
    rows,
    shared: STEPS.map((step) => ({ step, state: JSON.stringify({ watermark: id * 5000 }) })),
    positions: [{ step: "readings", partition: 0, position: JSON.stringify({ offset: id * 1e5 }) }],
    sinks: [{ step: "archive", progress: JSON.stringify({ epoch: id }) }],
  };
}

const median = (xs: number[]): number => {
  const s = xs.slice().sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};
const ms = (x: number): string => `${x.toFixed(0)} ms`;
const mb = (x: number): string => `${(x / 1e6).toFixed(1)} MB`;

interface Result {
  store: string;
  fullCommit: number;
  fullBlocked: number;
  /** Share of the full commit's wall time the event loop was busy (`eventLoopUtilization`). */
  fullBusy: number;
  incrementalCommit: number;
  incrementalBlocked: number;
  restore: number;
  sizeAfterFull: number;
  sizeAfterIncremental: number;
}

async function measure(
  name: string,
  store: CheckpointStore,
  size: () => Promise<number>,
): Promise<Result> {
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  const timed = async (work: () => Promise<void>) => {
    histogram.reset();
    histogram.enable();
    // The histogram only sees a block once its timer has run.
    await sleep(5);
    const started = performance.now();
    const before = performance.eventLoopUtilization();
    await work();
    const busy = performance.eventLoopUtilization(before).utilization;
    const elapsed = performance.now() - started;
    await sleep(5);
    histogram.disable();
    return { elapsed, blocked: histogram.max / 1e6, busy };
  };
  const full = rowsFor(0, 1);
  const first = await timed(() => store.commit(data(1, full)));
  const sizeAfterFull = await size();
  const commits: number[] = [];
  const blocked: number[] = [];
  for (let id = 2; id <= INCREMENTAL + 1; id++) {
    const rows = rowsFor(id, CHANGED);
    const t = await timed(() => store.commit(data(id, rows)));
    commits.push(t.elapsed);
    blocked.push(t.blocked);
  }
  const restores: number[] = [];
  for (let i = 0; i < 3; i++) {
    const started = performance.now();
    const stored = await store.latest("plant");
    restores.push(performance.now() - started);
    if (stored?.rows.length !== KEYS * STEPS.length)
      throw new Error(`${name}: restored ${stored?.rows.length} rows`);
  }
  await store.close();
  return {
    store: name,
    fullCommit: first.elapsed,
    fullBlocked: first.blocked,
    fullBusy: first.busy,
    incrementalCommit: median(commits),
    incrementalBlocked: Math.max(...blocked),
    restore: median(restores),
    sizeAfterFull,
    sizeAfterIncremental: await size(),
  };
}

const results: Result[] = [];
const fullRows = rowsFor(0, 1);
const stateBytes = fullRows.reduce((n, r) => n + (r.state?.length ?? 0), 0);
let started = performance.now();
prepareCheckpoint(data(1, fullRows));
const prepareMs = performance.now() - started;

if (values.only === undefined || values.only === "sqlite") {
  // The default commits on a worker thread; `thread: false` on the event loop.
  for (const thread of [true, false]) {
    const dir = mkdtempSync(path.join(os.tmpdir(), "millstream-measure-"));
    const file = path.join(dir, "checkpoints.db");
    const store = new SqliteCheckpointStore({ path: file, thread });
    const size = async () => {
      let total = 0;
      for (const suffix of ["", "-wal"]) {
        try {
          total += statSync(file + suffix).size;
        } catch {}
      }
      return total;
    };
    results.push(await measure(thread ? "SQLite" : "SQLite (thread: false)", store, size));
    rmSync(dir, { recursive: true, force: true });
  }
}

if (values.only === undefined || values.only === "postgres") {
  const url = process.env.MILLSTREAM_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";
  const schema = `ms_measure_${process.pid}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  const store = new PostgresCheckpointStore({ connectionString: url, schema });
  const size = async () => {
    const r = await admin.query<{ bytes: string }>(
      `SELECT sum(pg_total_relation_size(c.oid))::text AS bytes FROM pg_class c
       JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind = 'r'`,
      [schema],
    );
    return Number(r.rows[0]?.bytes ?? 0);
  };
  try {
    results.push(await measure("PostgreSQL", store, size));
  } finally {
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
  }
}

started = performance.now();
console.log(
  `${KEYS.toLocaleString("en")} keys x ${STEPS.length} steps = ${(KEYS * STEPS.length).toLocaleString("en")} rows, ` +
    `state JSON ${(stateBytes / fullRows.length).toFixed(0)} bytes per row on average (${mb(stateBytes)}); ` +
    `incremental checkpoints rewrite ${CHANGED * 100}% of the keys (${rowsFor(2, CHANGED).length.toLocaleString("en")} rows), ` +
    `median of ${INCREMENTAL}; restore is the median of 3. ` +
    `Validation and sort of the full checkpoint before it is written: ${ms(prepareMs)}. ` +
    `${os.cpus()[0]?.model ?? "cpu"}, ${os.cpus().length} cores, Node ${process.version}.`,
);
console.log("");
console.log(
  "| Store | Full commit | Loop blocked (full) | Loop busy (full) | Incremental commit | Loop blocked (incr.) | Restore (latest) | Size after full | Size after incrementals |",
);
console.log("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
for (const r of results) {
  console.log(
    `| ${r.store} | ${ms(r.fullCommit)} | ${ms(r.fullBlocked)} | ${(r.fullBusy * 100).toFixed(0)} % | ${ms(r.incrementalCommit)} | ${ms(r.incrementalBlocked)} | ${ms(r.restore)} | ${mb(r.sizeAfterFull)} | ${mb(r.sizeAfterIncremental)} |`,
  );
}
