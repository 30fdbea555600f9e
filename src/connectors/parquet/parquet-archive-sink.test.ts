/**
 * Tests of ParquetArchiveSink: the sink contract, then its Hive layout, crashes between
 * prepareCommit and commit, restore and fresh-start rules, the documented DuckDB query,
 * value errors and a 100k-row round trip. Everything is read back with DuckDB.
 */
import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, afterEach, beforeEach, describe, it } from "node:test";
import { type DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import type { SinkContext, SinkWriter } from "../../engine/index.js";
import { describeSink } from "../testing/sink-contract.case.js";
import type { ColumnSpec } from "./columns.js";
import { ArchiveDirectoryInUseError, ParquetSinkError, ParquetValueError } from "./errors.js";
import { ParquetArchiveSink, type ParquetArchiveSinkOptions } from "./parquet-archive-sink.js";
import { listFiles } from "./staging.js";

let reader: DuckDBConnection | undefined;
let readerInstance: DuckDBInstance | undefined;

/** A DuckDB connection for reading archives back, shared by the tests of this file. */
async function duck(): Promise<DuckDBConnection> {
  if (reader === undefined) {
    readerInstance = await DuckDBInstance.create(":memory:");
    reader = await readerInstance.connect();
  }
  return reader;
}

after(() => {
  reader?.closeSync();
  readerInstance?.closeSync();
});

/** Rows of `sql` as JS values; `[]` when the archive has no published file yet. */
async function query(sql: string): Promise<unknown[][]> {
  try {
    return (await (await duck()).runAndReadAll(sql)).getRowsJS() as unknown[][];
  } catch (error) {
    if (/No files found/i.test(String(error))) return [];
    throw error;
  }
}

function glob(directory: string): string {
  return `'${path.join(directory, "**", "*.parquet").replaceAll("'", "''")}'`;
}

interface Item {
  readonly n: number;
  readonly site: string;
  readonly text: string;
}

describeSink<Item>("ParquetArchiveSink", async () => {
  const root = await mkdtemp(path.join(tmpdir(), "millstream-parquet-contract-"));
  const directory = path.join(root, "archive");
  return {
    transactional: true,
    ordered: false,
    sink: () =>
      new ParquetArchiveSink<Item>({
        directory,
        columns: [
          { name: "n", type: "BIGINT" },
          { name: "site", type: "VARCHAR" },
          { name: "text", type: "VARCHAR" },
        ],
        row: (item) => [item.n, item.site, item.text],
        partitionBy: ["site"],
        bufferRows: 1000,
      }),
    record: (n) => ({ n, site: `site/${n % 3}`, text: n % 2 === 0 ? "Grüße 🌡" : "line\nbreak" }),
    idOf: (item) => item.n,
    published: async () =>
      (
        await query(
          `SELECT n, site, text FROM read_parquet(${glob(directory)}, hive_partitioning = true)`,
        )
      ).map(([n, site, text]) => ({ n: Number(n), site: String(site), text: String(text) })),
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
});

interface Reading {
  readonly facilityId: string | null;
  readonly sensorType: string;
  readonly sensorId: string;
  readonly timestamp: number;
  readonly value: number;
}

const READING_COLUMNS: ColumnSpec[] = [
  { name: "facility_id", type: "VARCHAR" },
  { name: "sensor_type", type: "VARCHAR" },
  { name: "date", type: "DATE" },
  { name: "sensor_id", type: "VARCHAR" },
  { name: "timestamp", type: "TIMESTAMP_MS" },
  { name: "value", type: "DOUBLE" },
];

const DAY_MS = 86_400_000;
const T0 = Date.UTC(2024, 2, 1);

function readingRow(r: Reading): unknown[] {
  return [
    r.facilityId,
    r.sensorType,
    new Date(r.timestamp).toISOString().slice(0, 10),
    r.sensorId,
    r.timestamp,
    r.value,
  ];
}

function reading(i: number): Reading {
  return {
    facilityId: `F${i % 2}`,
    sensorType: i % 3 === 0 ? "temperature" : "pressure",
    sensorId: `S-${i % 50}`,
    timestamp: T0 + (i % 2) * DAY_MS + i,
    value: i / 4,
  };
}

let root: string;
let directory: string;
const writers: SinkWriter<unknown>[] = [];

async function start<T = Reading>(
  restored?: SinkContext["restored"],
  options: Partial<ParquetArchiveSinkOptions<T>> = {},
): Promise<SinkWriter<T>> {
  const sink = new ParquetArchiveSink<T>({
    directory,
    columns: READING_COLUMNS,
    row: readingRow as unknown as (value: T) => unknown[],
    partitionBy: ["facility_id", "sensor_type", "date"],
    ...options,
  });
  const writer = await sink.open(restored ? { step: "archive", restored } : { step: "archive" });
  writers.push(writer as SinkWriter<unknown>);
  return writer;
}

async function crash(writer: SinkWriter<unknown>): Promise<void> {
  writers.splice(writers.indexOf(writer), 1);
  await writer.close();
}

function write<T>(writer: SinkWriter<T>, values: T[]): void {
  writer.write({ values, times: values.map(() => 0), channel: 0 });
}

function readings(from: number, to: number): Reading[] {
  return Array.from({ length: to - from }, (_, k) => reading(from + k));
}

async function files(): Promise<string[]> {
  return (await listFiles(directory, "", false)).sort();
}

async function count(): Promise<number> {
  const rows = await query(
    `SELECT count(*) FROM read_parquet(${glob(directory)}, hive_partitioning = true)`,
  );
  return rows.length === 0 ? 0 : Number(rows[0]?.[0]);
}

describe("ParquetArchiveSink on disk", () => {
  beforeEach(async () => {
    root = await mkdtemp(path.join(tmpdir(), "millstream-parquet-"));
    directory = path.join(root, "archive");
  });
  afterEach(async () => {
    for (const writer of writers.splice(0)) await writer.close();
    await rm(root, { recursive: true, force: true });
  });

  it("publishes Hive partition folders whose values read back decoded and typed", async () => {
    const writer = await start();
    write(writer, [
      { ...reading(0), facilityId: "plant/1 a=b" },
      { ...reading(1), facilityId: "plant/1 a=b" },
      { ...reading(2), facilityId: null },
      reading(3),
    ]);
    const progress = await writer.prepareCommit!(7);
    assert.deepEqual(progress, {
      staging: ".staging/epoch-7",
      files: [
        ".staging/epoch-7/facility_id=F1/sensor_type=temperature/date=2024-03-02/epoch-7-0.parquet.tmp",
        ".staging/epoch-7/facility_id=__HIVE_DEFAULT_PARTITION__/sensor_type=pressure/date=2024-03-01/epoch-7-0.parquet.tmp",
        ".staging/epoch-7/facility_id=plant%2F1%20a%3Db/sensor_type=pressure/date=2024-03-02/epoch-7-0.parquet.tmp",
        ".staging/epoch-7/facility_id=plant%2F1%20a%3Db/sensor_type=temperature/date=2024-03-01/epoch-7-0.parquet.tmp",
      ],
    });
    await writer.commit!(7, progress);
    assert.deepEqual(await files(), [
      "facility_id=F1/sensor_type=temperature/date=2024-03-02/epoch-7-0.parquet",
      "facility_id=__HIVE_DEFAULT_PARTITION__/sensor_type=pressure/date=2024-03-01/epoch-7-0.parquet",
      "facility_id=plant%2F1%20a%3Db/sensor_type=pressure/date=2024-03-02/epoch-7-0.parquet",
      "facility_id=plant%2F1%20a%3Db/sensor_type=temperature/date=2024-03-01/epoch-7-0.parquet",
    ]);
    const rows = await query(
      `SELECT facility_id, sensor_type, CAST(date AS VARCHAR), typeof(date), sensor_id, epoch_ms(timestamp)::DOUBLE, value
       FROM read_parquet(${glob(directory)}, hive_partitioning = true) ORDER BY value`,
    );
    assert.deepEqual(rows, [
      ["plant/1 a=b", "temperature", "2024-03-01", "DATE", "S-0", T0, 0],
      ["plant/1 a=b", "pressure", "2024-03-02", "DATE", "S-1", T0 + DAY_MS + 1, 0.25],
      [null, "pressure", "2024-03-01", "DATE", "S-2", T0 + 2, 0.5],
      ["F1", "temperature", "2024-03-02", "DATE", "S-3", T0 + DAY_MS + 3, 0.75],
    ]);
  });

  it("publishes an epoch prepared before a crash exactly once on restore", async () => {
    const writer = await start();
    write(writer, readings(0, 100));
    const progress = await writer.prepareCommit!(1);
    assert.equal(await count(), 0, "staged files are not visible to *.parquet globs");
    assert.ok((await files()).every((f) => f.startsWith(".staging/epoch-1/")));
    await crash(writer);
    const restored = await start({ checkpointId: 1, progress });
    assert.equal(await count(), 100);
    assert.ok((await files()).every((f) => !f.startsWith(".staging")));
    await restored.commit!(1, progress);
    assert.equal(await count(), 100, "commit after restore is idempotent");
    write(restored, readings(100, 150));
    const p2 = await restored.prepareCommit!(2);
    await restored.commit!(2, p2);
    assert.equal(await count(), 150);
  });

  it("discards staged and unflushed later epochs on restore", async () => {
    const writer = await start();
    write(writer, readings(0, 10));
    const p1 = await writer.prepareCommit!(1);
    await writer.commit!(1, p1);
    write(writer, readings(10, 20));
    await writer.prepareCommit!(2);
    write(writer, readings(20, 30));
    await writer.flush();
    await crash(writer);
    await start({ checkpointId: 1, progress: p1 });
    const all = await files();
    assert.ok(all.length > 0);
    assert.ok(
      all.every((f) => /\/epoch-1-\d+\.parquet$/.test(f)),
      all.join(", "),
    );
    assert.equal(await count(), 10);
  });

  it("refuses a restore below published files of a later epoch, and deletes nothing", async () => {
    const writer = await start();
    write(writer, readings(0, 10));
    const p1 = await writer.prepareCommit!(1);
    await writer.commit!(1, p1);
    write(writer, readings(10, 20));
    const p2 = await writer.prepareCommit!(2);
    await writer.commit!(2, p2);
    await crash(writer);
    await assert.rejects(start({ checkpointId: 1, progress: p1 }), (error: unknown) => {
      assert.ok(error instanceof ParquetSinkError);
      assert.match(error.message, /newer than checkpoint 1/);
      assert.match(error.message, /epoch-2-0\.parquet/);
      return true;
    });
    assert.equal(await count(), 20);
  });

  it("carries an epoch whose checkpoint never committed into the next one", async () => {
    const writer = await start();
    write(writer, readings(0, 6));
    await writer.prepareCommit!(1); // checkpoint 1 failed: no commit
    write(writer, readings(6, 9));
    const p2 = (await writer.prepareCommit!(2)) as { files: string[] };
    assert.ok(p2.files.some((f) => f.startsWith(".staging/epoch-1/")));
    assert.ok(p2.files.some((f) => f.startsWith(".staging/epoch-2/")));
    await writer.commit!(2, p2);
    assert.equal(await count(), 9);
    assert.ok((await files()).every((f) => !f.startsWith(".staging")));
  });

  it("refuses a fresh start over published files unless overwrite is set", async () => {
    const writer = await start();
    write(writer, readings(0, 10));
    const p1 = await writer.prepareCommit!(1);
    await writer.commit!(1, p1);
    await crash(writer);
    await assert.rejects(start(), (error: unknown) => {
      assert.ok(error instanceof ArchiveDirectoryInUseError);
      assert.deepEqual(error.files.length > 0, true);
      return true;
    });
    assert.equal(await count(), 10);
    await mkdir(path.join(directory, "notes"), { recursive: true });
    await writeFile(path.join(directory, "notes", "README.txt"), "kept");
    const again = await start(undefined, { overwrite: true });
    assert.deepEqual(await files(), ["notes/README.txt"]);
    write(again, readings(0, 4));
    const p = await again.prepareCommit!(1);
    await again.commit!(1, p);
    assert.equal(await count(), 4);
  });

  it("answers the documented query with the right counts", async () => {
    const writer = await start();
    write(writer, readings(0, 1000));
    const p1 = await writer.prepareCommit!(1);
    await writer.commit!(1, p1);
    write(writer, readings(1000, 1500));
    await writer.prepareCommit!(2); // staged, not committed: not counted
    const connection = await duck();
    await connection.run(`SET file_search_path = '${root.replaceAll("'", "''")}'`);
    try {
      const rows = (await connection.runAndReadAll(DOCUMENTED_QUERY)).getRowsJS();
      const expected = new Map<string, number>();
      for (const r of readings(0, 1000)) {
        const key = `${r.facilityId}|${new Date(r.timestamp).toISOString().slice(0, 10)}`;
        expected.set(key, (expected.get(key) ?? 0) + 1);
      }
      const got = new Map(
        rows.map(([facility, date, n]) => [
          `${facility}|${(date as Date).toISOString().slice(0, 10)}`,
          Number(n),
        ]),
      );
      assert.deepEqual(got, expected);
      assert.equal(got.size, 2);
    } finally {
      await connection.run("RESET file_search_path");
    }
  });

  it("round-trips 100,000 rows", async () => {
    const writer = await start();
    const total = 100_000;
    for (let from = 0; from < total; from += 1000) {
      write(writer, readings(from, from + 1000));
      if (writer.needsFlush) await writer.flush();
    }
    const p1 = await writer.prepareCommit!(1);
    await writer.commit!(1, p1);
    const rows = await query(
      `SELECT sensor_id, epoch_ms(timestamp)::DOUBLE, value, facility_id, sensor_type
       FROM read_parquet(${glob(directory)}, hive_partitioning = true) ORDER BY value`,
    );
    assert.equal(rows.length, total);
    const expected = readings(0, total).map((r) => [
      r.sensorId,
      r.timestamp,
      r.value,
      r.facilityId,
      r.sensorType,
    ]);
    assert.deepEqual(rows, expected);
  });

  it("round-trips rows under a DuckDB memory limit, across segments and epochs", async () => {
    const writer = await start(undefined, { memoryLimitMb: 64, segmentRows: 20_000 });
    const total = 60_000;
    for (let epoch = 1; epoch <= 2; epoch++) {
      for (let from = ((epoch - 1) * total) / 2; from < (epoch * total) / 2; from += 1000) {
        write(writer, readings(from, from + 1000));
        if (writer.needsFlush) await writer.flush();
      }
      const progress = await writer.prepareCommit!(epoch);
      await writer.commit!(epoch, progress);
    }
    const rows = await query(
      `SELECT count(*)::INT, sum(value)::DOUBLE, count(DISTINCT sensor_id)::INT
       FROM read_parquet(${glob(directory)}, hive_partitioning = true)`,
    );
    assert.deepEqual(rows, [[total, ((total - 1) * total) / 2 / 4, 50]]);
  });

  it("refuses a DuckDB memory limit below the least it can append under", () => {
    assert.throws(
      () =>
        new ParquetArchiveSink<Reading>({
          directory,
          columns: READING_COLUMNS,
          row: readingRow,
          partitionBy: ["facility_id"],
          memoryLimitMb: 32,
        }),
      (error: unknown) =>
        error instanceof TypeError &&
        /`memoryLimitMb` must be at least 64, got 32/.test(error.message),
    );
  });

  it("rejects values that do not fit their column or cannot name a folder", async () => {
    const writer = await start();
    assert.throws(
      () => write(writer, [{ ...reading(0), value: "hot" as unknown as number }]),
      (error: unknown) =>
        error instanceof ParquetValueError &&
        error.column === "value" &&
        /expected a number, got "hot"/.test(error.message),
    );
    assert.throws(
      () => write(writer, [{ ...reading(0), facilityId: "__HIVE_DEFAULT_PARTITION__" }]),
      (error: unknown) => error instanceof ParquetValueError && error.column === "facility_id",
    );
    assert.throws(
      () => write(writer, [{ ...reading(0), facilityId: "x".repeat(300) }]),
      (error: unknown) => error instanceof ParquetValueError && /over 255/.test(error.message),
    );
    write(writer, [reading(1)]);
    const p = await writer.prepareCommit!(1);
    await writer.commit!(1, p);
    assert.equal(await count(), 1, "rejected records left nothing behind");
  });
});

/** The query of docs/connectors-parquet.md, verbatim. */
const DOCUMENTED_QUERY = `SELECT facility_id, date, count(*) AS readings
FROM read_parquet('archive/**/*.parquet', hive_partitioning = true)
GROUP BY ALL
ORDER BY ALL`;
