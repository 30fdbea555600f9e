/**
 * Tests of the background Parquet segments (`segmentRows`): an epoch made of several
 * segments gets one file per segment and partition folder, every row exactly once,
 * also across a crash before the checkpoint or between `prepareCommit` and `commit`;
 * and the string dictionaries shared with the DuckDB thread starting over.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, afterEach, beforeEach, describe, it } from "node:test";
import { type DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import type { SinkContext, SinkWriter } from "../../engine/index.js";
import { ParquetArchiveSink } from "./parquet-archive-sink.js";
import { listFiles } from "./staging.js";

let readerInstance: DuckDBInstance | undefined;
let reader: DuckDBConnection | undefined;

async function query(sql: string): Promise<unknown[][]> {
  if (reader === undefined) {
    readerInstance = await DuckDBInstance.create(":memory:");
    reader = await readerInstance.connect();
  }
  try {
    return (await reader.runAndReadAll(sql)).getRowsJS() as unknown[][];
  } catch (error) {
    if (/No files found/i.test(String(error))) return [];
    throw error;
  }
}

after(() => {
  reader?.closeSync();
  readerInstance?.closeSync();
});

interface Item {
  readonly n: number;
  readonly site: string;
  readonly text: string;
}

let root: string;
let directory: string;
const writers: SinkWriter<Item>[] = [];

async function start(restored?: SinkContext["restored"]): Promise<SinkWriter<Item>> {
  const writer = await new ParquetArchiveSink<Item>({
    directory,
    columns: [
      { name: "n", type: "BIGINT" },
      { name: "site", type: "VARCHAR" },
      { name: "text", type: "VARCHAR" },
    ],
    row: (item) => [item.n, item.site, item.text],
    partitionBy: ["site"],
    bufferRows: 25,
    segmentRows: 100,
  }).open(restored ? { step: "archive", restored } : { step: "archive" });
  writers.push(writer);
  return writer;
}

async function crash(writer: SinkWriter<Item>): Promise<void> {
  writers.splice(writers.indexOf(writer), 1);
  await writer.close();
}

function item(n: number): Item {
  return { n, site: `s${n % 3}`, text: n % 2 === 0 ? `even, "${n}"` : `odd\n${n}` };
}

/** Writes items `from`…`to - 1` in batches of 10, flushing as asked. */
async function write(writer: SinkWriter<Item>, from: number, to: number): Promise<void> {
  for (let at = from; at < to; at += 10) {
    const values = Array.from({ length: Math.min(10, to - at) }, (_, k) => item(at + k));
    writer.write({ values, times: values.map(() => 0), channel: 0 });
    if (writer.needsFlush) await writer.flush();
  }
}

async function published(): Promise<Item[]> {
  const glob = path.join(directory, "**", "*.parquet").replaceAll("'", "''");
  const rows = await query(
    `SELECT n, site, text FROM read_parquet('${glob}', hive_partitioning = true) ORDER BY n`,
  );
  return rows.map(([n, site, text]) => ({ n: Number(n), site: String(site), text: String(text) }));
}

function items(from: number, to: number): Item[] {
  return Array.from({ length: to - from }, (_, k) => item(from + k));
}

describe("ParquetArchiveSink segments", () => {
  beforeEach(async () => {
    root = await mkdtemp(path.join(tmpdir(), "millstream-parquet-segments-"));
    directory = path.join(root, "archive");
  });
  afterEach(async () => {
    for (const writer of writers.splice(0)) await writer.close();
    await rm(root, { recursive: true, force: true });
  });

  it("writes segments in the background; the epoch gets a file per segment and folder", async () => {
    const writer = await start();
    await write(writer, 0, 1000);
    const pending = await listFiles(directory, ".staging/pending", false);
    assert.ok(
      pending.some((f) =>
        /^\.staging\/pending\/segment-\d+\/site=s0\/part-0\.parquet\.tmp$/.test(f),
      ),
      pending.join(", "),
    );
    assert.deepEqual(await published(), []);
    const progress = (await writer.prepareCommit!(1)) as { staging: string; files: string[] };
    assert.equal(progress.staging, ".staging/epoch-1");
    for (const site of ["s0", "s1", "s2"]) {
      const names = progress.files
        .filter((f) => f.startsWith(`.staging/epoch-1/site=${site}/`))
        .map((f) => Number(/epoch-1-(\d+)\.parquet\.tmp$/.exec(f)?.[1]))
        .sort((a, b) => a - b);
      assert.ok(names.length >= 5, `${site}: ${names.length} files`);
      assert.deepEqual(
        names,
        names.map((_, i) => i),
      );
    }
    await writer.commit!(1, progress);
    assert.deepEqual(await published(), items(0, 1000));
    assert.deepEqual(await listFiles(directory, ".staging", false), []);
  });

  it("never publishes segments of rows after the last checkpoint; the replay once", async () => {
    const writer = await start();
    await write(writer, 0, 50);
    const p1 = await writer.prepareCommit!(1);
    await writer.commit!(1, p1);
    await write(writer, 50, 400); // segments written, no checkpoint
    await crash(writer);
    const restored = await start({ checkpointId: 1, progress: p1 });
    assert.deepEqual(await published(), items(0, 50));
    assert.deepEqual(await listFiles(directory, ".staging", false), []);
    await write(restored, 50, 400);
    const p2 = await restored.prepareCommit!(2);
    await restored.commit!(2, p2);
    assert.deepEqual(await published(), items(0, 400));
  });

  it("publishes every segment of an epoch prepared before a crash exactly once", async () => {
    const writer = await start();
    await write(writer, 0, 777);
    const progress = await writer.prepareCommit!(1);
    await write(writer, 777, 900); // after the barrier: replayed
    await crash(writer);
    const restored = await start({ checkpointId: 1, progress });
    assert.deepEqual(await published(), items(0, 777));
    await restored.commit!(1, progress);
    assert.deepEqual(await published(), items(0, 777));
    await write(restored, 777, 900);
    const p2 = await restored.prepareCommit!(2);
    await restored.commit!(2, p2);
    assert.deepEqual(await published(), items(0, 900));
  });

  it("keeps strings exact when a dictionary starts over", async () => {
    const writer = await new ParquetArchiveSink<number>({
      directory,
      columns: [
        { name: "n", type: "INTEGER" },
        { name: "text", type: "VARCHAR" },
        { name: "site", type: "VARCHAR" },
      ],
      row: (n) => [n, `text ${n % 70_001}`, `s${n % 2}`],
      partitionBy: ["site"],
    }).open({ step: "archive" });
    writers.push(writer as unknown as SinkWriter<Item>);
    const total = 150_000;
    for (let from = 0; from < total; from += 1000) {
      const values = Array.from({ length: 1000 }, (_, k) => from + k);
      writer.write({ values, times: values.map(() => 0), channel: 0 });
      if (writer.needsFlush) await writer.flush();
    }
    const progress = await writer.prepareCommit!(1);
    await writer.commit!(1, progress);
    const glob = path.join(directory, "**", "*.parquet").replaceAll("'", "''");
    const [[count, wrong]] = (await query(
      `SELECT count(*)::INTEGER, count(*) FILTER (WHERE text <> 'text ' || (n % 70001))::INTEGER
       FROM read_parquet('${glob}')`,
    )) as [[number, number]];
    assert.equal(count, total);
    assert.equal(wrong, 0);
  });
});
