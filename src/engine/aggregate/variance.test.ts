/** Tests of `variance` and `stddev`, including agreement with DuckDB's var_samp/stddev_samp. */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import { aggregate, assertClose } from "./aggregator-laws.case.js";
import { stddev, variance } from "./variance.js";

type R = { v: number };
const field = (r: R) => r.v;
const timed = (values: readonly number[]) => values.map((v) => ({ record: { v }, time: 0 }));

describe("variance and stddev", () => {
  const vari = variance(field);
  const sd = stddev(field);

  it("are null when empty or with a single value", () => {
    assert.equal(vari.result(vari.create()), null);
    assert.equal(sd.result(sd.create()), null);
    assert.equal(vari.result(aggregate(vari, timed([5]))), null);
    assert.equal(sd.result(aggregate(sd, timed([5, Number.NaN]))), null);
  });

  it("use the sample divisor n − 1", () => {
    const values = [2, 4, 4, 4, 5, 5, 7, 9];
    assertClose(vari.result(aggregate(vari, timed(values))), 32 / 7, 1e-15);
    assertClose(sd.result(aggregate(sd, timed(values))), Math.sqrt(32 / 7), 1e-15);
    assert.equal(vari.result(aggregate(vari, timed([1, 3]))), 2);
  });

  it("are 0 for constant values", () => {
    assert.equal(vari.result(aggregate(vari, timed([3.3, 3.3, 3.3]))), 0);
  });

  it("skip non-finite values", () => {
    const values = [2, Number.NaN, 4, Infinity, 4, -Infinity, 4, 5, 5, 7, 9];
    assertClose(vari.result(aggregate(vari, timed(values))), 32 / 7, 1e-15);
  });

  it("stay accurate with a large offset, where Σx² − (Σx)²/n fails", () => {
    const values = [4, 7, 13, 16].map((x) => 1e9 + x);
    assertClose(vari.result(aggregate(vari, timed(values))), 30, 1e-12);
    const left = aggregate(vari, timed(values.slice(0, 1)));
    const right = aggregate(vari, timed(values.slice(1)));
    assertClose(vari.result(vari.merge(left, right)), 30, 1e-12);
  });
});

describe("variance and stddev agree with DuckDB on 100k values", () => {
  let instance: DuckDBInstance;
  let connection: DuckDBConnection;
  const values: number[] = [];
  let seed = 42;
  const random = () => {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    return seed / 2 ** 32;
  };
  for (let i = 0; i < 100_000; i++) {
    // A pressure-like reading: a large offset, a slow drift and noise.
    values.push(101_325 + 50 * Math.sin(i / 5000) + (random() - 0.5) * 0.2);
  }

  before(async () => {
    instance = await DuckDBInstance.create(":memory:");
    connection = await instance.connect();
    await connection.run("CREATE TABLE readings (v DOUBLE)");
    const appender = await connection.createAppender("readings");
    for (const value of values) {
      appender.appendDouble(value);
      appender.endRow();
    }
    appender.closeSync();
  });

  after(() => {
    connection.closeSync();
    instance.closeSync();
  });

  async function duckdb(): Promise<{ v: number; s: number }> {
    const reader = await connection.runAndReadAll(
      "SELECT var_samp(v) AS v, stddev_samp(v) AS s FROM readings",
    );
    const row = reader.getRowObjects()[0]!;
    return { v: row.v as number, s: row.s as number };
  }

  it("one by one", async () => {
    const expected = await duckdb();
    assertClose(
      variance(field).result(aggregate(variance(field), timed(values))),
      expected.v,
      1e-9,
    );
    assertClose(stddev(field).result(aggregate(stddev(field), timed(values))), expected.s, 1e-9);
  });

  it("merged from 37 uneven panes", async () => {
    const expected = await duckdb();
    const agg = variance(field);
    const cuts = Array.from({ length: 36 }, () => Math.floor(random() * values.length));
    cuts.sort((a, b) => a - b);
    let acc = agg.create();
    let start = 0;
    for (const end of [...cuts, values.length]) {
      acc = agg.merge(acc, aggregate(agg, timed(values.slice(start, end))));
      start = end;
    }
    assertClose(agg.result(acc), expected.v, 1e-9);
  });
});
