/**
 * The Parquet archive in a job with checkpoints: it prepares each checkpoint in the
 * background while the dataflow goes on, and a job that fails between checkpoints and
 * is restarted from the last one archives every record exactly once.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { DuckDBInstance } from "@duckdb/node-api";
import { ManualClock } from "../../engine/clock.js";
import { dataflow, MemoryCheckpointStore, type Source, source } from "../../engine/index.js";
import {
  advanceClock,
  record,
  type TestingItem,
  TestingSource,
} from "../../engine/testing/index.js";
import { ParquetArchiveSink } from "./parquet-archive-sink.js";

interface Item {
  readonly n: number;
  readonly site: string;
}

const RECORDS = 3000;

/** 3,000 records, 10 ms of the clock every 100: a checkpoint about every 300 records. */
function script(): TestingItem<Item>[] {
  const items: TestingItem<Item>[] = [];
  for (let n = 0; n < RECORDS; n++) {
    items.push(record({ n, site: `s${n % 3}` }, n));
    if (n % 100 === 99) items.push(advanceClock(10));
  }
  return items;
}

/** The script's records; with `failAt`, its poll number `failAt` fails (as a broker could). */
function input(clock: ManualClock, failAt: number | null): Source<Item> {
  const testing = new TestingSource(script(), { clock, batchSize: 50 });
  return {
    description: "failing",
    async open(context) {
      const reader = await testing.open(context);
      let polls = 0;
      return {
        partitions: reader.partitions,
        poll() {
          if (++polls === failAt) return Promise.reject(new Error(`failing at poll ${failAt}`));
          return reader.poll();
        },
        positions: () => reader.positions!(),
        close: () => reader.close(),
      };
    },
  };
}

async function runJob(
  directory: string,
  store: MemoryCheckpointStore,
  failAt: number | null,
): Promise<void> {
  const clock = new ManualClock(0);
  const sink = new ParquetArchiveSink<Item>({
    directory,
    columns: [
      { name: "n", type: "INTEGER" },
      { name: "site", type: "VARCHAR" },
    ],
    row: (item) => [item.n, item.site],
    partitionBy: ["site"],
    bufferRows: 64,
    segmentRows: 200,
  });
  await dataflow("archive-job", [source("in", input(clock, failAt)).to("archive", sink)]).run({
    clock,
    tickInterval: 0,
    checkpoint: { store, interval: 30 },
  });
}

async function archived(directory: string): Promise<number[]> {
  const instance = await DuckDBInstance.create(":memory:");
  try {
    const connection = await instance.connect();
    const result = await connection.runAndReadAll(
      `SELECT n FROM read_parquet('${directory}/**/*.parquet', hive_partitioning = true) ORDER BY n`,
    );
    return result.getRowsJS().map((row) => row[0] as number);
  } finally {
    instance.closeSync();
  }
}

describe("ParquetArchiveSink in a job", () => {
  it("archives every record once when a failed job is restarted from its last checkpoint", async () => {
    const root = await mkdtemp(path.join(tmpdir(), "millstream-parquet-job-"));
    const directory = path.join(root, "archive");
    const store = new MemoryCheckpointStore();
    try {
      // Poll 45: about 2,000 records in, with checkpoints behind it.
      await assert.rejects(runJob(directory, store, 45));
      const before = await store.latest("archive-job");
      assert.ok(before !== null, "a checkpoint was committed before the failure");
      const published = await archived(directory);
      assert.ok(published.length > 0 && published.length < 2100, `${published.length} published`);
      await runJob(directory, store, null);
      const all = await archived(directory);
      assert.equal(all.length, RECORDS);
      assert.deepEqual(
        all,
        Array.from({ length: RECORDS }, (_, n) => n),
      );
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
