/**
 * Tests of archive compaction against a real archive written by ParquetArchiveSink and
 * read back with DuckDB: merged files, rows and their order, what is left alone, a sink
 * restoring across a compaction, crashes before and after the journal, and the lock.
 */
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import path from "node:path";
import { after, afterEach, beforeEach, describe, it } from "node:test";
import { type DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import type { SinkContext, SinkWriter } from "../../engine/index.js";
import type { ColumnSpec } from "./columns.js";
import { type CompactionReport, compactArchive } from "./compaction.js";
import { scheduleCompaction } from "./compaction-schedule.js";
import { COMPACTION, runFolder, writeJournal } from "./compaction-journal.js";
import { ParquetSinkError } from "./errors.js";
import { ParquetArchiveSink } from "./parquet-archive-sink.js";
import type { ParquetSinkProgress } from "./progress.js";
import { listFiles } from "./staging.js";

interface Reading {
  readonly site: string;
  readonly sensor: string;
  readonly n: number;
  readonly value: number;
}

const COLUMNS: ColumnSpec[] = [
  { name: "site", type: "VARCHAR" },
  { name: "sensor", type: "VARCHAR" },
  { name: "n", type: "BIGINT" },
  { name: "value", type: "DOUBLE" },
];

let instance: DuckDBInstance | undefined;
let reader: DuckDBConnection | undefined;

async function query(sql: string): Promise<unknown[][]> {
  if (reader === undefined) {
    instance = await DuckDBInstance.create(":memory:");
    reader = await instance.connect();
  }
  return (await reader.runAndReadAll(sql)).getRowsJS() as unknown[][];
}

after(() => {
  reader?.closeSync();
  instance?.closeSync();
});

let root: string;
let directory: string;
const writers: SinkWriter<Reading>[] = [];

async function start(restored?: SinkContext["restored"]): Promise<SinkWriter<Reading>> {
  const sink = new ParquetArchiveSink<Reading>({
    directory,
    columns: COLUMNS,
    row: (r) => [r.site, r.sensor, r.n, r.value],
    partitionBy: ["site"],
  });
  const writer = await sink.open(restored ? { step: "archive", restored } : { step: "archive" });
  writers.push(writer);
  return writer;
}

/** Readings `from` to `to` (exclusive): site A gets two of three, site B the third. */
function readings(from: number, to: number): Reading[] {
  return Array.from({ length: to - from }, (_, k) => {
    const n = from + k;
    return { site: n % 3 === 2 ? "B" : "A", sensor: `S-${n % 7}`, n, value: n / 8 };
  });
}

/** Writes `perEpoch` readings per checkpoint for checkpoints `first` to `last`. */
async function checkpoints(
  writer: SinkWriter<Reading>,
  first: number,
  last: number,
  perEpoch: number,
): Promise<ParquetSinkProgress> {
  let progress: unknown;
  for (let id = first; id <= last; id++) {
    const values = readings((id - 1) * perEpoch, id * perEpoch);
    writer.write({ values, times: values.map(() => 0), channel: 0 });
    progress = await writer.prepareCommit!(id);
    await writer.commit!(id, progress);
  }
  return progress as ParquetSinkProgress;
}

/** Published files, relative, sorted. */
async function published(): Promise<string[]> {
  return (await listFiles(directory, "", true)).sort();
}

function glob(): string {
  return `'${path.join(directory, "**", "*.parquet").replaceAll("'", "''")}'`;
}

/** Every row as `site|n`, in the order each folder's files give them. */
async function rowsByFolder(site: string): Promise<number[]> {
  const files = (await published()).filter((f) => f.startsWith(`site=${site}/`));
  const list = files.map((f) => `'${path.join(directory, f)}'`).join(", ");
  const rows = await query(`SELECT n FROM read_parquet([${list}], hive_partitioning = false)`);
  return rows.map(([n]) => Number(n));
}

/**
 * What a compaction of folder `site=<site>` (epochs 1 to 4) leaves once decided: the
 * merged rows in run folder `run` and its journal. Returns the files it replaces.
 */
async function decideCompaction(site: string, run: string): Promise<string[]> {
  const inputs = (await published()).filter((f) => f.startsWith(`site=${site}/`));
  const list = inputs.map((f) => `'${path.join(directory, f)}'`).join(", ");
  await mkdir(path.join(directory, runFolder(run)), { recursive: true });
  await query(
    `COPY (SELECT * FROM read_parquet([${list}], hive_partitioning = false)) TO '${path.join(directory, runFolder(run), "part-0.parquet.tmp")}' (FORMAT parquet)`,
  );
  await writeJournal(directory, run, {
    folder: `site=${site}`,
    replaced: inputs.map((f) => path.posix.basename(f)),
    merged: [{ from: "part-0.parquet.tmp", to: `compacted-1-4-${run}-0.parquet` }],
  });
  return inputs;
}

/** Writes the compaction lock as process `pid` of this host would hold it; returns its path. */
async function holdLock(pid: number): Promise<string> {
  const lock = path.join(directory, COMPACTION, "lock");
  await mkdir(path.dirname(lock), { recursive: true });
  await writeFile(lock, `${pid}@${hostname()}`);
  return lock;
}

describe("compactArchive", () => {
  beforeEach(async () => {
    root = await mkdtemp(path.join(tmpdir(), "millstream-compaction-"));
    directory = path.join(root, "archive");
  });
  afterEach(async () => {
    for (const writer of writers.splice(0)) await writer.close();
    await rm(root, { recursive: true, force: true });
  });

  it("merges each folder's small files into one, keeping every row, value and order", async () => {
    const writer = await start();
    await checkpoints(writer, 1, 12, 300);
    const before = await query(
      `SELECT site, sensor, n, value FROM read_parquet(${glob()}, hive_partitioning = false) ORDER BY n`,
    );
    assert.equal((await published()).length, 24);
    const seen: string[] = [];
    const report = await compactArchive(directory, { onFolder: (f) => seen.push(f.folder) });
    assert.deepEqual(seen, ["site=A", "site=B"]);
    assert.equal(report.filesBefore, 24);
    assert.equal(report.filesAfter, 2);
    assert.equal(report.recovered, 0);
    assert.deepEqual(
      report.folders.map((f) => [f.folder, f.replaced, f.merged, f.rows]),
      [
        ["site=A", 12, 1, 2400],
        ["site=B", 12, 1, 1200],
      ],
    );
    const files = await published();
    assert.equal(files.length, 2);
    for (const file of files)
      assert.match(file, /^site=[AB]\/compacted-1-12-[0-9a-f]{12}-0\.parquet$/);
    const afterRows = await query(
      `SELECT site, sensor, n, value FROM read_parquet(${glob()}, hive_partitioning = false) ORDER BY n`,
    );
    assert.deepEqual(afterRows, before);
    // Within a folder the merged file gives the rows in the order they were written.
    const a = await rowsByFolder("A");
    assert.deepEqual(
      a,
      readings(0, 3600)
        .filter((r) => r.site === "A")
        .map((r) => r.n),
    );
    // Hive partitioning still reads the folder value, and nothing is left in .compaction.
    assert.deepEqual(
      await query(
        `SELECT site, count(*)::INTEGER FROM read_parquet(${glob()}, hive_partitioning = true) GROUP BY ALL ORDER BY ALL`,
      ),
      [
        ["A", 2400],
        ["B", 1200],
      ],
    );
    assert.deepEqual(await readdir(path.join(directory, COMPACTION)), []);
  });

  it("leaves folders with too few small files, large files and files younger than minAgeMs", async () => {
    const writer = await start();
    await checkpoints(writer, 1, 5, 300);
    let report = await compactArchive(directory);
    assert.equal(report.folders.length, 0, "5 files per folder, fewer than the default 10");
    assert.equal((await published()).length, 10);

    report = await compactArchive(directory, { minFiles: 5, targetFileMb: 0.001 });
    assert.equal(report.folders.length, 0, "every file is at least half of 1 KiB");

    const old = Date.now() / 1000 - 3600;
    for (const file of (await published()).filter((f) => f.startsWith("site=A/"))) {
      await utimes(path.join(directory, file), old, old);
    }
    report = await compactArchive(directory, { minFiles: 5, minAgeMs: 60_000 });
    assert.deepEqual(
      report.folders.map((f) => f.folder),
      ["site=A"],
      "site=B's files are seconds old",
    );
    assert.equal((await published()).filter((f) => f.startsWith("site=B/")).length, 5);
  });

  it("writes files of about targetFileMb, and merges a merged file again with newer ones", async () => {
    const writer = await start();
    await checkpoints(writer, 1, 10, 3000);
    // Each site=A epoch file is some KiB; merged files of 20 KiB in row groups of 1,000
    // rows make several.
    const report = await compactArchive(directory, { targetFileMb: 0.02, rowGroupSize: 1000 });
    const a = report.folders.find((f) => f.folder === "site=A");
    assert.ok(a !== undefined && a.merged >= 2, `site=A merged into ${a?.merged} files`);
    const names = (await published()).filter((f) => f.startsWith("site=A/"));
    assert.equal(names.length, a.merged);
    assert.deepEqual(
      names.map((f) => Number(/-(\d+)\.parquet$/.exec(f)?.[1])).sort((x, y) => x - y),
      Array.from({ length: a.merged }, (_, i) => i),
    );
    assert.deepEqual(
      await rowsByFolder("A"),
      readings(0, 30_000)
        .filter((r) => r.site === "A")
        .map((r) => r.n),
    );

    // Later epochs, then a compaction that takes the merged files' small remainder too.
    await checkpoints(writer, 11, 20, 300);
    const second = await compactArchive(directory, { minFiles: 2 });
    assert.equal(second.folders.length, 2);
    const files = await published();
    assert.equal(files.length, 2);
    for (const file of files) assert.match(file, /\/compacted-1-20-[0-9a-f]{12}-0\.parquet$/);
    assert.equal(
      Number((await query(`SELECT count(*) FROM read_parquet(${glob()})`))[0]?.[0]),
      30_000 + 3000,
    );
    // Epochs 11 to 20 wrote readings 3,000 to 5,999 again: they come after the first ten.
    assert.deepEqual(
      await rowsByFolder("B"),
      [...readings(0, 30_000), ...readings(3000, 6000)]
        .filter((r) => r.site === "B")
        .map((r) => r.n),
    );
  });

  it("lets a sink restore the checkpoint whose files it merged, and refuses an older one", async () => {
    const writer = await start();
    const progress = await checkpoints(writer, 1, 10, 300);
    await compactArchive(directory);
    // A crash after the checkpoint committed, before the job knew `commit` finished:
    // the restore publishes checkpoint 10's files again; they are inside the merged files.
    await writer.close();
    writers.splice(0);
    const restored = await start({ checkpointId: 10, progress });
    await checkpoints(restored, 11, 11, 300);
    assert.equal(
      Number((await query(`SELECT count(*) FROM read_parquet(${glob()})`))[0]?.[0]),
      3300,
    );
    await restored.close();
    writers.splice(0);
    await assert.rejects(
      start({ checkpointId: 9, progress: { staging: null, files: [] } }),
      (error: unknown) =>
        error instanceof ParquetSinkError &&
        /newer than checkpoint 9/.test(error.message) &&
        /compacted-1-10-/.test(error.message),
    );
  });

  it("finishes a compaction a crash left after its journal, once, in the sink or the next run", async () => {
    const writer = await start();
    await checkpoints(writer, 1, 4, 300);
    const run = "0123456789ab";
    const inputs = await decideCompaction("A", run);
    // The crash came after two of the four files were deleted.
    await rm(path.join(directory, inputs[0] as string));
    await rm(path.join(directory, inputs[1] as string));
    // An undecided run (no journal) of another folder: its rows are not the archive's.
    const undecided = path.join(directory, runFolder("ba9876543210"));
    await mkdir(undecided, { recursive: true });
    await writeFile(path.join(undecided, "part-0.parquet.tmp"), "partial");

    const report = await compactArchive(directory, { minFiles: 100 });
    assert.equal(report.recovered, 1);
    assert.deepEqual(
      (await published()).filter((f) => f.startsWith("site=A/")),
      [`site=A/compacted-1-4-${run}-0.parquet`],
    );
    assert.deepEqual(await readdir(path.join(directory, COMPACTION)), []);
    assert.deepEqual(
      await rowsByFolder("A"),
      readings(0, 1200)
        .filter((r) => r.site === "A")
        .map((r) => r.n),
    );

    // The same crash, finished by a sink restoring checkpoint 4 instead.
    const runB = "cdef01234567";
    const inputsB = await decideCompaction("B", runB);
    await rm(path.join(directory, inputsB[3] as string));
    await writer.close();
    writers.splice(0);
    await start({ checkpointId: 4, progress: { staging: null, files: [] } });
    assert.deepEqual(
      (await published()).filter((f) => f.startsWith("site=B/")),
      [`site=B/compacted-1-4-${runB}-0.parquet`],
    );
    assert.equal(
      Number((await query(`SELECT count(*) FROM read_parquet(${glob()})`))[0]?.[0]),
      1200,
    );
  });

  it("runs one at a time, and takes over a lock whose process is gone", async () => {
    const writer = await start();
    await checkpoints(writer, 1, 10, 100);
    await holdLock(process.pid);
    await assert.rejects(
      compactArchive(directory),
      (error: unknown) =>
        error instanceof ParquetSinkError && /another compaction/.test(error.message),
    );
    assert.equal((await published()).length, 20, "nothing was touched");
    // A process id no process has (Linux ids stay below 2^22).
    await holdLock(2 ** 30);
    const report = await compactArchive(directory);
    assert.equal(report.filesAfter, 2);
    assert.deepEqual(await readdir(path.join(directory, COMPACTION)), []);
  });

  it("refuses the folder above an archive, whose lock would not keep out the archive's own", async () => {
    const writer = await start();
    await checkpoints(writer, 1, 10, 100);
    await assert.rejects(
      compactArchive(root),
      (error: unknown) =>
        error instanceof ParquetSinkError &&
        /is not an archive's own folder: archive\/site=A\/epoch-1-0\.parquet/.test(error.message),
    );
    assert.equal((await published()).length, 20, "nothing was touched");
  });

  it("is undone by a sink's fresh start with overwrite, like any published file", async () => {
    const writer = await start();
    await checkpoints(writer, 1, 10, 100);
    await compactArchive(directory);
    await writer.close();
    writers.splice(0);
    const sink = new ParquetArchiveSink<Reading>({
      directory,
      columns: COLUMNS,
      row: (r) => [r.site, r.sensor, r.n, r.value],
      partitionBy: ["site"],
      overwrite: true,
    });
    writers.push(await sink.open({ step: "archive" }));
    assert.deepEqual(await published(), []);
  });

  it("compacts on a schedule, each time on a thread started for it, reporting failures and going on", async () => {
    const writer = await start();
    await checkpoints(writer, 1, 10, 100);
    const lock = await holdLock(process.pid);
    const errors: string[] = [];
    const folders: string[] = [];
    let reported!: (report: CompactionReport) => void;
    const merged = new Promise<CompactionReport>((resolve) => {
      reported = resolve;
    });
    const schedule = scheduleCompaction(directory, {
      everyMs: 50,
      keepAlive: true,
      onError: (error) => {
        errors.push(error instanceof Error ? error.message : String(error));
        if (errors.length === 2) void rm(lock); // the other compaction is over
      },
      onFolder: (folder) => folders.push(folder.folder),
      onReport: (report) => {
        if (report.folders.length > 0) reported(report);
      },
    });
    try {
      const report = await merged;
      assert.equal(report.filesAfter, 2);
    } finally {
      await schedule.stop();
    }
    assert.ok(
      errors.length >= 2 && errors.every((e) => /another compaction/.test(e)),
      errors.join(),
    );
    assert.deepEqual(folders, ["site=A", "site=B"]);
    assert.equal((await published()).length, 2);
    assert.throws(() => scheduleCompaction(directory, { everyMs: 0 }), /everyMs/);
  });

  it("rejects options it cannot use, naming them", async () => {
    await mkdir(directory, { recursive: true });
    for (const [options, pattern] of [
      [{ minFiles: 1 }, /minFiles/],
      [{ targetFileMb: 0 }, /targetFileMb/],
      [{ compression: "lzma" }, /compression/],
      [{ memoryLimitMb: 8 }, /memoryLimitMb/],
      [{ rowGroupSize: 0.5 }, /rowGroupSize/],
    ] as const) {
      await assert.rejects(
        compactArchive(directory, options as never),
        (error: unknown) => error instanceof TypeError && pattern.test(error.message),
      );
    }
  });
});
