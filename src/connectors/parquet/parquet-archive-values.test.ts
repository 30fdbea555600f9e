/**
 * Tests that values reach the Parquet files exactly: every column type, NULLs, the
 * doubles text would get wrong (-0, NaN, ±Infinity, extremes), and strings a text
 * format would get wrong (separators, quotes, line breaks, a leading U+FEFF, long
 * lines, unicode), read back with DuckDB. Also what `write` rejects of the time types.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, afterEach, beforeEach, describe, it } from "node:test";
import { type DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import type { SinkWriter } from "../../engine/index.js";
import type { ColumnSpec } from "./columns.js";
import { ParquetValueError } from "./errors.js";
import { ParquetArchiveSink, type ParquetArchiveSinkOptions } from "./parquet-archive-sink.js";

let readerInstance: DuckDBInstance | undefined;
let reader: DuckDBConnection | undefined;

async function query(sql: string): Promise<unknown[][]> {
  if (reader === undefined) {
    readerInstance = await DuckDBInstance.create(":memory:");
    reader = await readerInstance.connect();
  }
  return (await reader.runAndReadAll(sql)).getRowsJS() as unknown[][];
}

after(() => {
  reader?.closeSync();
  readerInstance?.closeSync();
});

let root: string;
let directory: string;
const writers: SinkWriter<unknown>[] = [];

async function archive<T>(
  options: Omit<ParquetArchiveSinkOptions<T>, "directory">,
  records: T[],
  batch = 1000,
): Promise<void> {
  const writer = await new ParquetArchiveSink<T>({ directory, ...options }).open({
    step: "archive",
  });
  writers.push(writer as SinkWriter<unknown>);
  for (let from = 0; from < records.length; from += batch) {
    const values = records.slice(from, from + batch);
    writer.write({ values, times: values.map(() => 0), channel: 0 });
    if (writer.needsFlush) await writer.flush();
  }
  const progress = await writer.prepareCommit!(1);
  await writer.commit!(1, progress);
}

function files(): string {
  return `read_parquet('${path.join(directory, "**", "*.parquet").replaceAll("'", "''")}', hive_partitioning = true)`;
}

beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), "millstream-parquet-values-"));
  directory = path.join(root, "archive");
});
afterEach(async () => {
  for (const writer of writers.splice(0)) await writer.close();
  await rm(root, { recursive: true, force: true });
});

const STRINGS: (string | null)[] = [
  "",
  null,
  "plain",
  "a,b",
  'say "hi"',
  '"',
  '""',
  "line\nbreak",
  "\r",
  "cr\r\nlf",
  " lead",
  "trail ",
  "\ttab",
  "nul\0byte",
  "back\\slash\\",
  "NULL",
  "\\N",
  "#not a comment",
  "\uFEFF",
  "\uFEFF\uFEFF",
  "\uFEFFbom first",
  '\uFEFF"quoted, bom"',
  "mid\uFEFFbom",
  "Grüße 🌡 日本 \u2028\u2029",
  "x".repeat(3_000_000),
];

describe("ParquetArchiveSink values", () => {
  it("round-trips strings exactly, in plain and partition columns", async () => {
    const records = STRINGS.flatMap((s, i) => [
      { i, s, p: `p${i % 3}` },
      { i: i + 100, s, p: `p${i % 3}` },
    ]);
    await archive<{ i: number; s: string | null; p: string }>(
      {
        columns: [
          { name: "i", type: "INTEGER" },
          { name: "s", type: "VARCHAR" },
          { name: "p", type: "VARCHAR" },
        ],
        row: (r) => [r.i, r.s, r.p],
        partitionBy: ["p"],
        bufferRows: 7,
      },
      records,
      5,
    );
    // The bytes, not the text: DuckDB's JavaScript client drops a leading U+FEFF when
    // it decodes a string.
    const rows = await query(`SELECT i, encode(s), p FROM ${files()} ORDER BY i`);
    assert.equal(rows.length, records.length);
    const expected = [...records].sort((a, b) => a.i - b.i);
    rows.forEach(([i, bytes, p], k) => {
      const want = expected[k]!;
      assert.equal(i, want.i);
      assert.equal(p, want.p);
      const same =
        want.s === null
          ? bytes === null
          : bytes instanceof Uint8Array && Buffer.from(want.s, "utf8").equals(bytes);
      assert.ok(same, `row ${want.i}: ${JSON.stringify(want.s)?.slice(0, 40)}`);
    });
  });

  it("writes a lone surrogate as U+FFFD, as any UTF-8 text", async () => {
    await archive<string>(
      {
        columns: [
          { name: "s", type: "VARCHAR" },
          { name: "p", type: "VARCHAR" },
        ],
        row: (s) => [s, "x"],
        partitionBy: ["p"],
      },
      ["a\ud800b"],
    );
    assert.deepEqual(await query(`SELECT s FROM ${files()}`), [["a\ufffdb"]]);
  });

  it("round-trips a lone column, NULL included", async () => {
    await archive<string | null>(
      { columns: [{ name: "p", type: "VARCHAR" }], row: (p) => [p], partitionBy: ["p"] },
      ["a", null, "", "a"],
    );
    const rows = await query(`SELECT p, count(*)::INTEGER FROM ${files()} GROUP BY p ORDER BY p`);
    assert.deepEqual(rows, [
      ["", 1],
      ["a", 2],
      [null, 1],
    ]);
  });

  it("round-trips every numeric, boolean, date and time type", async () => {
    const doubles = [
      0,
      -0,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
      5e-324,
      -2.2250738585072014e-308,
      Number.MAX_VALUE,
      0.1 + 0.2,
      1e21,
      -1.5e-300,
      123456789.12345679,
      1 / 3,
      null,
    ];
    const columns: ColumnSpec[] = [
      { name: "k", type: "INTEGER" },
      { name: "d", type: "DOUBLE" },
      { name: "f", type: "FLOAT" },
      { name: "t8", type: "TINYINT" },
      { name: "t16", type: "SMALLINT" },
      { name: "t32", type: "INTEGER" },
      { name: "big", type: "BIGINT" },
      { name: "b", type: "BOOLEAN" },
      { name: "day", type: "DATE" },
      { name: "ms", type: "TIMESTAMP_MS" },
      { name: "us", type: "TIMESTAMP" },
      { name: "tz", type: "TIMESTAMPTZ" },
      { name: "p", type: "VARCHAR" },
    ];
    interface Row {
      readonly values: unknown[];
    }
    const ints: [number | null, number | null, number | null, bigint | number | null][] = [
      [-128, -32_768, -2_147_483_648, -(2n ** 63n)],
      [127, 32_767, 2_147_483_647, 2n ** 63n - 1n],
      [0, -0, 7, Number.MAX_SAFE_INTEGER],
      [null, null, null, null],
    ];
    const days: (string | Date | null)[] = [
      "2024-02-29",
      "0001-01-01",
      "9999-12-31",
      new Date(Date.UTC(1969, 11, 31, 23, 59)),
      null,
    ];
    const times: (number | Date | null)[] = [
      0,
      1.5,
      -1.5,
      1_709_251_200_123.4,
      new Date(Date.UTC(2024, 2, 1, 12)),
      8.64e15,
      -8.64e15,
      null,
    ];
    const records: Row[] = doubles.map((d, k) => {
      const [t8, t16, t32, big] = ints[k % ints.length]!;
      const b = k % 3 === 0 ? null : k % 3 === 1;
      const t = times[k % times.length]!;
      return {
        values: [k, d, d, t8, t16, t32, big, b, days[k % days.length], t, t, t, `p${k % 2}`],
      };
    });
    await archive<Row>({ columns, row: (r) => r.values, partitionBy: ["p"] }, records);
    const rows = await query(
      `SELECT k, d, f, t8, t16, t32, big, b, CAST(day AS VARCHAR), epoch_ms(ms)::DOUBLE,
              epoch_us(us)::DOUBLE, epoch_us(tz)::DOUBLE, typeof(d), typeof(f), typeof(t8),
              typeof(t16), typeof(big), typeof(b), typeof(day), typeof(ms), typeof(us), typeof(tz)
       FROM ${files()} ORDER BY k`,
    );
    assert.equal(rows.length, records.length);
    for (const [k, ...got] of rows) {
      const [, d, f, t8, t16, t32, big, b, day, t] = records[k as number]!.values;
      const ms = t instanceof Date ? t.getTime() : (t as number | null);
      const dayText = day instanceof Date ? day.toISOString().slice(0, 10) : (day as string | null);
      const expected = [
        d,
        f === null ? null : Math.fround(f as number),
        t8,
        t16 === null ? null : (t16 as number) + 0, // -0 is the integer 0
        t32,
        big === null ? null : BigInt(big as number | bigint),
        b,
        dayText,
        ms === null ? null : Math.round(ms),
        ms === null ? null : Math.round(ms * 1000),
        ms === null ? null : Math.round(ms * 1000),
        "DOUBLE",
        "FLOAT",
        "TINYINT",
        "SMALLINT",
        "BIGINT",
        "BOOLEAN",
        "DATE",
        "TIMESTAMP", // DuckDB reads Parquet's TIMESTAMP_MILLIS as TIMESTAMP (checked below)
        "TIMESTAMP",
        "TIMESTAMP WITH TIME ZONE",
      ];
      got.forEach((value, c) => {
        const want = expected[c];
        assert.ok(
          Object.is(value, want) || (typeof want === "number" && value === want && want !== 0),
          `row ${k}, value ${c}: got ${String(value)}, expected ${String(want)}`,
        );
      });
    }
  });

  it("writes each column's declared type in the Parquet schema", async () => {
    const columns: ColumnSpec[] = [
      { name: "p", type: "VARCHAR" },
      { name: "ms", type: "TIMESTAMP_MS" },
      { name: "us", type: "TIMESTAMP" },
      { name: "tz", type: "TIMESTAMPTZ" },
      { name: "d", type: "DATE" },
      { name: "f", type: "FLOAT" },
      { name: "x", type: "DOUBLE" },
      { name: "b", type: "BOOLEAN" },
      { name: "i8", type: "TINYINT" },
      { name: "i16", type: "SMALLINT" },
      { name: "i32", type: "INTEGER" },
      { name: "big", type: "BIGINT" },
    ];
    await archive<unknown[]>({ columns, row: (r) => r, partitionBy: ["p"] }, [
      ["x", 1, 2, 3, "2024-01-01", 1.5, 2.5, true, 1, 2, 3, 5n],
    ]);
    const schema = await query(
      `SELECT name, type, converted_type FROM parquet_schema('${path.join(directory, "**", "*.parquet")}') WHERE name <> 'duckdb_schema'`,
    );
    assert.deepEqual(schema, [
      ["p", "BYTE_ARRAY", "UTF8"],
      ["ms", "INT64", "TIMESTAMP_MILLIS"],
      ["us", "INT64", "TIMESTAMP_MICROS"],
      ["tz", "INT64", "TIMESTAMP_MICROS"],
      ["d", "INT32", "DATE"],
      ["f", "FLOAT", null],
      ["x", "DOUBLE", null],
      ["b", "BOOLEAN", null],
      ["i8", "INT32", "INT_8"],
      ["i16", "INT32", "INT_16"],
      ["i32", "INT32", "INT_32"],
      ["big", "INT64", "INT_64"],
    ]);
  });

  it("rejects times outside the range of a Date, and invalid dates, at write", async () => {
    const writer = await new ParquetArchiveSink<unknown[]>({
      directory,
      columns: [
        { name: "p", type: "VARCHAR" },
        { name: "ms", type: "TIMESTAMP_MS" },
        { name: "day", type: "DATE" },
      ],
      row: (r) => r,
      partitionBy: ["p"],
    }).open({ step: "archive" });
    writers.push(writer as SinkWriter<unknown>);
    const write = (row: unknown[]) => writer.write({ values: [row], times: [0], channel: 0 });
    for (const bad of [8.64e15 + 1, Number.NaN, Number.POSITIVE_INFINITY, new Date(Number.NaN)]) {
      assert.throws(
        () => write(["a", bad, null]),
        (error: unknown) => error instanceof ParquetValueError && error.column === "ms",
      );
    }
    assert.throws(
      () => write(["a", 0, "2023-02-29"]),
      (error: unknown) => error instanceof ParquetValueError && error.column === "day",
    );
    write(["a", 1, "2024-02-29"]);
    const progress = await writer.prepareCommit!(1);
    await writer.commit!(1, progress);
    assert.deepEqual(await query(`SELECT epoch_ms(ms)::INTEGER, day::VARCHAR FROM ${files()}`), [
      [1, "2024-02-29"],
    ]);
  });
});
