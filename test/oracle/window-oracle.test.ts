/**
 * Differential test of the window operator against DuckDB.
 *
 * A seeded generator produces 150,000 readings over 500 keys, split over four source
 * partitions, with event times in bounded disorder (each reading lies within
 * `maxOutOfOrderness` of the largest time seen before it, so none is ever late). The
 * same readings run through the engine (tumbling and sliding windows with count, sum,
 * avg, min, max and sample stddev) and through DuckDB, where windows are written from
 * their definition: every epoch-aligned start `ws` (a multiple of the slide) joined
 * with the readings whose time lies in `[ws, ws + size)`. Both must produce the same
 * set of (key, start, end), the same counts, min and max exactly, and the other
 * values within 1e-9 relative.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  BIGINT,
  DOUBLE,
  type DuckDBConnection,
  DuckDBDataChunk,
  DuckDBInstance,
  INTEGER,
} from "@duckdb/node-api";
import {
  avg,
  composite,
  count,
  dataflow,
  type LateRecord,
  max,
  min,
  type SlidingWindows,
  sliding,
  source,
  stddev,
  sum,
  type TumblingWindows,
  tumbling,
  type WindowResult,
} from "../../src/engine/index.js";
import {
  CollectingSink,
  ManualClock,
  seededRandom as mulberry32,
  record,
  type TestingItem,
  TestingSource,
} from "../../src/engine/testing/index.js";

interface Reading {
  readonly key: number;
  readonly value: number;
}

interface Stats {
  readonly n: number;
  readonly sum: number;
  readonly avg: number | null;
  readonly min: number | null;
  readonly max: number | null;
  readonly sd: number | null;
}

/** One window's result, from either side. */
interface Row extends Stats {
  readonly key: number;
  readonly start: number;
  readonly end: number;
}

const RECORDS = 150_000;
const KEYS = 500;
const PARTITIONS = 4;
const MAX_OUT_OF_ORDERNESS = 15_000;
/** Not aligned to any window, so the first and last windows are partial. */
const FIRST_TIME = 1_700_000_017_345;
/** About one hour of readings. */
const MEAN_GAP_MS = 24;
const RELATIVE_TOLERANCE = 1e-9;

interface Generated {
  readonly items: TestingItem<Reading>[];
  readonly keys: Int32Array;
  readonly times: Float64Array;
  readonly values: Float64Array;
}

/**
 * Readings in delivery order. A processing-time cursor moves forward by random gaps;
 * each reading's event time is the cursor minus up to `MAX_OUT_OF_ORDERNESS` (sometimes
 * exactly that much, sometimes snapped to a window boundary), so it is never earlier
 * than the largest time seen so far minus the bound. Partitions come in runs, like a
 * broker's batches. Values sit on a per-key baseline with noise, some keys much noisier.
 */
function generate(seed: number): Generated {
  const random = mulberry32(seed);
  const baseline = Array.from({ length: KEYS }, () => 20 + random() * 980);
  const spread = Array.from({ length: KEYS }, () => (random() < 0.1 ? 200 : 0.5 + random() * 20));
  const items: TestingItem<Reading>[] = new Array(RECORDS);
  const keys = new Int32Array(RECORDS);
  const times = new Float64Array(RECORDS);
  const values = new Float64Array(RECORDS);
  let cursor = FIRST_TIME;
  let maxSeen = Number.NEGATIVE_INFINITY;
  let partition = 0;
  for (let i = 0; i < RECORDS; i++) {
    cursor += Math.floor(-Math.log(1 - random()) * MEAN_GAP_MS);
    const roll = random();
    let time: number;
    if (roll < 0.02) time = cursor - MAX_OUT_OF_ORDERNESS;
    else if (roll < 0.05) time = Math.ceil((cursor - MAX_OUT_OF_ORDERNESS) / 60_000) * 60_000;
    else time = cursor - Math.floor(random() * MAX_OUT_OF_ORDERNESS);
    if (time > cursor) time = cursor;
    if (maxSeen - MAX_OUT_OF_ORDERNESS > time) throw new Error("generator: reading would be late");
    if (time > maxSeen) maxSeen = time;
    // A few hot keys, the rest uniform.
    const key = random() < 0.2 ? Math.floor(random() * 10) : Math.floor(random() * KEYS);
    const noise = (random() - 0.5) * 2 * spread[key]!;
    const value = Math.round((baseline[key]! + noise) * 1000) / 1000;
    if (random() < 0.05) partition = Math.floor(random() * PARTITIONS);
    items[i] = record({ key, value }, time, partition);
    keys[i] = key;
    times[i] = time;
    values[i] = value;
  }
  return { items, keys, times, values };
}

/** True when `actual` is within `tolerance` of `expected`, relative to the larger magnitude. */
function close(actual: number | null, expected: number | null, tolerance: number): boolean {
  if (actual === null || expected === null) return actual === expected;
  if (actual === expected) return true;
  const scale = Math.max(Math.abs(actual), Math.abs(expected));
  return Math.abs(actual - expected) <= tolerance * scale;
}

const byKeyAndStart = (a: Row, b: Row): number => a.key - b.key || a.start - b.start;

/** Fails with the first window (in key, start order) where `engine` and `oracle` differ. */
function assertSameWindows(engine: Row[], oracle: Row[]): void {
  engine.sort(byKeyAndStart);
  oracle.sort(byKeyAndStart);
  const show = (row: Row | undefined) => JSON.stringify(row);
  const n = Math.max(engine.length, oracle.length);
  for (let i = 0; i < n; i++) {
    const e = engine[i];
    const o = oracle[i];
    const where = `window #${i} (engine ${engine.length} windows, DuckDB ${oracle.length})`;
    if (e === undefined || o === undefined || e.key !== o.key || e.start !== o.start) {
      assert.fail(`${where}: different windows\n  engine: ${show(e)}\n  DuckDB: ${show(o)}`);
    }
    const same =
      e.end === o.end &&
      e.n === o.n &&
      e.min === o.min &&
      e.max === o.max &&
      close(e.sum, o.sum, RELATIVE_TOLERANCE) &&
      close(e.avg, o.avg, RELATIVE_TOLERANCE) &&
      close(e.sd, o.sd, RELATIVE_TOLERANCE);
    if (!same)
      assert.fail(`${where}: different values\n  engine: ${show(e)}\n  DuckDB: ${show(o)}`);
  }
}

const stats = composite({
  n: count<Reading>(),
  sum: sum((r: Reading) => r.value),
  avg: avg((r: Reading) => r.value),
  min: min((r: Reading) => r.value),
  max: max((r: Reading) => r.value),
  sd: stddev((r: Reading) => r.value),
});

/** Runs `spec` over the readings in the engine; no reading may be late. */
async function runEngine(items: TestingItem<Reading>[], spec: TumblingWindows | SlidingWindows) {
  const out = new CollectingSink<WindowResult<number, Stats>>();
  const late = new CollectingSink<LateRecord<Reading>>();
  const windows = source("readings", new TestingSource(items, { batchSize: 500 }), {
    maxOutOfOrderness: MAX_OUT_OF_ORDERNESS,
  })
    .keyBy((r) => r.key)
    .window("stats", spec, stats);
  await dataflow("oracle", [windows.to("out", out), windows.late().to("late", late)]).run({
    clock: new ManualClock(),
    tickInterval: 0,
  });
  assert.equal(late.values.length, 0, "no reading is late");
  const kinds = new Set(out.values.map((w) => w.kind));
  assert.deepEqual([...kinds], ["final"], "every result is final");
  return out.values.map((w): Row => ({ key: w.key, start: w.start, end: w.end, ...w.value }));
}

/** Loads the readings into table `readings(k, t, v)` in chunks of DuckDB's vector size. */
async function load(connection: DuckDBConnection, data: Generated): Promise<void> {
  await connection.run("CREATE TABLE readings (k INTEGER, t BIGINT, v DOUBLE)");
  const appender = await connection.createAppender("readings");
  const chunkSize = 2048;
  for (let from = 0; from < RECORDS; from += chunkSize) {
    const to = Math.min(from + chunkSize, RECORDS);
    const chunk = DuckDBDataChunk.create([INTEGER, BIGINT, DOUBLE], to - from);
    chunk.setColumns([
      Array.from(data.keys.subarray(from, to)),
      Array.from(data.times.subarray(from, to), (t) => BigInt(t)),
      Array.from(data.values.subarray(from, to)),
    ]);
    appender.appendDataChunk(chunk);
  }
  appender.closeSync();
}

/** The same windows computed by DuckDB from the definition of epoch-aligned windows. */
async function runDuckDB(
  connection: DuckDBConnection,
  size: number,
  slide: number,
): Promise<Row[]> {
  const reader = await connection.runAndReadAll(`
    WITH bounds AS (SELECT min(t) AS lo, max(t) AS hi FROM readings),
    starts AS (
      SELECT range AS ws
      FROM bounds, range(((lo - ${size}) // ${slide}) * ${slide}, hi + 1, ${slide})
    )
    SELECT r.k, w.ws, w.ws + ${size} AS we, count(*) AS n, sum(r.v) AS s, avg(r.v) AS a,
           min(r.v) AS mn, max(r.v) AS mx, stddev_samp(r.v) AS sd
    FROM readings r JOIN starts w ON r.t >= w.ws AND r.t < w.ws + ${size}
    GROUP BY r.k, w.ws`);
  return reader.getRowsJS().map(([k, ws, we, n, s, a, mn, mx, sd]) => ({
    key: Number(k),
    start: Number(ws),
    end: Number(we),
    n: Number(n),
    sum: s as number,
    avg: a as number | null,
    min: mn as number | null,
    max: mx as number | null,
    sd: sd as number | null,
  }));
}

describe("windows agree with DuckDB on 150,000 readings", () => {
  const data = generate(0x5eed);
  let instance: DuckDBInstance;
  let connection: DuckDBConnection;

  before(async () => {
    instance = await DuckDBInstance.create(":memory:");
    connection = await instance.connect();
    await load(connection, data);
    const reader = await connection.runAndReadAll("SELECT count(*) FROM readings");
    assert.equal(Number(reader.getRowsJS()[0]![0]), RECORDS);
  });

  after(() => {
    connection?.closeSync();
    instance?.closeSync();
  });

  it("tumbling 60 s", async () => {
    const engine = await runEngine(data.items, tumbling(60_000));
    const oracle = await runDuckDB(connection, 60_000, 60_000);
    assert.ok(oracle.length > 25_000, `expected many windows, DuckDB found ${oracle.length}`);
    assertSameWindows(engine, oracle);
  });

  it("sliding 5 min every 1 min", async () => {
    const engine = await runEngine(data.items, sliding({ size: 300_000, slide: 60_000 }));
    const oracle = await runDuckDB(connection, 300_000, 60_000);
    assert.ok(oracle.length > 25_000, `expected many windows, DuckDB found ${oracle.length}`);
    assertSameWindows(engine, oracle);
  });

  it("sliding 150 s every 60 s (size not a multiple of slide)", async () => {
    const engine = await runEngine(data.items, sliding({ size: 150_000, slide: 60_000 }));
    const oracle = await runDuckDB(connection, 150_000, 60_000);
    assert.ok(oracle.length > 25_000, `expected many windows, DuckDB found ${oracle.length}`);
    assertSameWindows(engine, oracle);
  });

  it("the comparison itself notices a window that differs", () => {
    const row: Row = {
      key: 1,
      start: 0,
      end: 60_000,
      n: 2,
      sum: 3,
      avg: 1.5,
      min: 1,
      max: 2,
      sd: 0.7,
    };
    assert.throws(() => assertSameWindows([row], [{ ...row, sum: 3 + 1e-6 }]), /different values/);
    assert.throws(() => assertSameWindows([row], [{ ...row, start: 60_000 }]), /different windows/);
    assert.throws(() => assertSameWindows([row], []), /different windows/);
    assert.doesNotThrow(() => assertSameWindows([row], [{ ...row, sum: 3 * (1 + 1e-12) }]));
  });
});
