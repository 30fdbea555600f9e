/**
 * Compaction of a Parquet archive: merges each partition folder's small published
 * files into files of about a target size, with DuckDB, safely beside a running sink
 * and through a crash at any moment (see `compaction-journal.ts`).
 *
 * A sink publishes at least one file per partition folder per checkpoint; at 50,000
 * readings/s with 10 s checkpoints that is hundreds of thousands of files a day, and a
 * query over a day opens every one. Compaction brings a folder back to a few files.
 */
import { randomBytes } from "node:crypto";
import { readdir, rm, stat } from "node:fs/promises";
import path from "node:path";
import { performance } from "node:perf_hooks";
import type { DuckDBConnection } from "@duckdb/node-api";
import {
  type CompactionJournal,
  COMPACTION,
  applyJournal,
  completeJournals,
  runFolder,
  takeCompactionLock,
  writeJournal,
} from "./compaction-journal.js";
import { releaseFreedMemoryPromptly } from "./duckdb-allocator.js";
import { ParquetSinkError } from "./errors.js";
import {
  COMPRESSIONS,
  MIN_MEMORY_LIMIT_MB,
  type ParquetCompression,
} from "./parquet-archive-sink.js";
import { literal } from "./staged-select.js";
import {
  listPublished,
  PARTITION_FOLDER,
  type PublishedFile,
  syncAll,
  syncPath,
} from "./staging.js";

/** Options of {@link compactArchive}. */
export interface CompactionOptions {
  /**
   * Size of the merged files, in MiB (default 128). Files of at least half of it are
   * left as they are; a folder's smaller files are merged into files of about this size.
   */
  readonly targetFileMb?: number;
  /** Least number of small files a folder needs before it is compacted (default 10, at least 2). */
  readonly minFiles?: number;
  /** Only files published at least this long ago are merged, in ms (default 0). */
  readonly minAgeMs?: number;
  /** Rows per row group of the merged files (default DuckDB's, 122,880). */
  readonly rowGroupSize?: number;
  /** Compression of the merged files (default `"zstd"`, as the sink's). */
  readonly compression?: ParquetCompression;
  /** DuckDB threads (default 1: the rows keep their order, and a core is left alone). */
  readonly threads?: number;
  /** Memory DuckDB may hold, in MiB (default 256); beyond it, it spills to `.compaction/spill`. */
  readonly memoryLimitMb?: number;
  /** Stops after the folder being compacted when aborted. */
  readonly signal?: AbortSignal;
  /** Called after each folder is compacted. */
  readonly onFolder?: (folder: FolderCompaction) => void;
}

/** What compacting one partition folder did. */
export interface FolderCompaction {
  /** The folder, relative to the archive directory, `/`-separated. */
  readonly folder: string;
  /** Files replaced, and their bytes. */
  readonly replaced: number;
  readonly replacedBytes: number;
  /** Merged files written, and their bytes. */
  readonly merged: number;
  readonly mergedBytes: number;
  /** Rows moved (the same number read and written: checked). */
  readonly rows: number;
  readonly ms: number;
}

/** What a {@link compactArchive} run did. */
export interface CompactionReport {
  /** Compactions a crash had left decided but unfinished, finished first. */
  readonly recovered: number;
  readonly folders: readonly FolderCompaction[];
  /** Published files before and after. */
  readonly filesBefore: number;
  readonly filesAfter: number;
  readonly ms: number;
}

/** Defaults of {@link CompactionOptions}. */
export const COMPACTION_DEFAULTS = {
  targetFileMb: 128,
  minFiles: 10,
  minAgeMs: 0,
  compression: "zstd",
  threads: 1,
  memoryLimitMb: 256,
} as const;

const MIB = 1024 * 1024;

interface Candidate extends PublishedFile {
  readonly bytes: number;
}

/**
 * Compacts the archive in `directory`: finishes compactions a crash left, then, in each
 * partition folder with at least `minFiles` published files smaller than half of
 * `targetFileMb`, replaces those by merged files. Rows keep their columns, values and
 * order (oldest epoch first). One compaction runs at a time (a lock file); a sink may
 * go on publishing into the same archive meanwhile. Throws a `ParquetSinkError` when a
 * folder cannot be compacted; folders done before it stay done.
 */
export async function compactArchive(
  directory: string,
  options: CompactionOptions = {},
): Promise<CompactionReport> {
  const settings = { ...COMPACTION_DEFAULTS, ...withoutUndefined(options) };
  validate(settings);
  const started = performance.now();
  const release = await takeCompactionLock(directory);
  try {
    const recovered = await completeJournals(directory, true);
    const published = await listPublished(directory);
    checkArchiveRoot(directory, published);
    const plans = await plan(directory, published, settings);
    const folders: FolderCompaction[] = [];
    if (plans.length > 0) {
      releaseFreedMemoryPromptly();
      const { DuckDBInstance } = await import("@duckdb/node-api");
      const instance = await DuckDBInstance.create(":memory:", {
        threads: String(settings.threads),
        memory_limit: `${settings.memoryLimitMb}MiB`,
        temp_directory: path.join(directory, COMPACTION, "spill"),
      });
      const connection = await instance.connect();
      try {
        for (const [folder, files] of plans) {
          if (options.signal?.aborted) break;
          const done = await compactFolder(directory, connection, folder, files, settings);
          folders.push(done);
          options.onFolder?.(done);
        }
      } finally {
        connection.closeSync();
        instance.closeSync();
      }
    }
    const replaced = folders.reduce((n, f) => n + f.replaced, 0);
    const merged = folders.reduce((n, f) => n + f.merged, 0);
    return {
      recovered,
      folders,
      filesBefore: published.length,
      filesAfter: published.length - replaced + merged,
      ms: performance.now() - started,
    };
  } finally {
    await release();
  }
}

type Settings = Required<Omit<CompactionOptions, "signal" | "onFolder" | "rowGroupSize">> & {
  readonly rowGroupSize?: number;
};

function withoutUndefined(options: CompactionOptions): Partial<Settings> {
  return Object.fromEntries(
    Object.entries(options).filter(
      ([k, v]) => v !== undefined && k !== "signal" && k !== "onFolder",
    ),
  ) as Partial<Settings>;
}

function validate(settings: Settings): void {
  const fail = (message: string): never => {
    throw new TypeError(`compactArchive: ${message}`);
  };
  if (!(settings.targetFileMb > 0))
    fail(`\`targetFileMb\` must be above 0, got ${settings.targetFileMb}`);
  if (!Number.isSafeInteger(settings.minFiles) || settings.minFiles < 2) {
    fail(`\`minFiles\` must be an integer of at least 2, got ${settings.minFiles}`);
  }
  if (
    settings.rowGroupSize !== undefined &&
    (!Number.isSafeInteger(settings.rowGroupSize) || settings.rowGroupSize < 1)
  ) {
    fail(`\`rowGroupSize\` must be a positive integer, got ${settings.rowGroupSize}`);
  }
  if (!(settings.minAgeMs >= 0)) fail(`\`minAgeMs\` must be 0 or more, got ${settings.minAgeMs}`);
  if (!COMPRESSIONS.includes(settings.compression)) {
    fail(`\`compression\` must be one of ${COMPRESSIONS.join(", ")}`);
  }
  if (!Number.isSafeInteger(settings.threads) || settings.threads < 1) {
    fail(`\`threads\` must be a positive integer, got ${settings.threads}`);
  }
  if (
    !Number.isSafeInteger(settings.memoryLimitMb) ||
    settings.memoryLimitMb < MIN_MEMORY_LIMIT_MB
  ) {
    fail(
      `\`memoryLimitMb\` must be an integer of at least ${MIN_MEMORY_LIMIT_MB}, got ${settings.memoryLimitMb}`,
    );
  }
}

/**
 * Refuses a folder that holds archives rather than being one (say `out/` instead of
 * `out/archive/`): its lock would not keep out a compaction of the archive itself.
 */
function checkArchiveRoot(directory: string, published: readonly PublishedFile[]): void {
  const outside = published.find((file) =>
    file.path
      .split("/")
      .slice(0, -1)
      .some((folder) => !PARTITION_FOLDER.test(folder)),
  );
  if (outside !== undefined) {
    throw new ParquetSinkError(
      directory,
      `is not an archive's own folder: ${outside.path} lies in a folder that is not a ` +
        "partition (name=value). Compact the folder holding the partition folders",
    );
  }
}

/** The folders to compact and their small, old enough files, oldest epoch first. */
async function plan(
  directory: string,
  published: readonly PublishedFile[],
  settings: Settings,
): Promise<[string, Candidate[]][]> {
  const small = (settings.targetFileMb * MIB) / 2;
  const now = Date.now();
  const byFolder = new Map<string, Candidate[]>();
  // All at once: one turn of a busy event loop for all of them, not one each.
  const infos = await Promise.all(
    published.map((file) => stat(path.join(directory, file.path)).catch(() => undefined)),
  );
  for (const [k, file] of published.entries()) {
    const info = infos[k];
    if (info === undefined) continue; // gone since it was listed
    if (info.size >= small || now - info.mtimeMs < settings.minAgeMs) continue;
    const folder = path.posix.dirname(file.path);
    const list = byFolder.get(folder) ?? [];
    list.push({ ...file, bytes: info.size });
    byFolder.set(folder, list);
  }
  const plans: [string, Candidate[]][] = [];
  for (const [folder, files] of byFolder) {
    if (files.length < settings.minFiles) continue;
    files.sort((a, b) => a.firstEpoch - b.firstEpoch || a.epoch - b.epoch || fileOrder(a, b));
    plans.push([folder, files]);
  }
  return plans.sort(([a], [b]) => (a < b ? -1 : 1));
}

/** Files of one epoch by their number (`epoch-3-10` after `epoch-3-9`). */
function fileOrder(a: PublishedFile, b: PublishedFile): number {
  const number = (file: PublishedFile) => Number(/-(\d+)\.parquet$/.exec(file.path)?.[1] ?? 0);
  return number(a) - number(b) || (a.path < b.path ? -1 : 1);
}

async function compactFolder(
  directory: string,
  connection: DuckDBConnection,
  folder: string,
  files: readonly Candidate[],
  settings: Settings,
): Promise<FolderCompaction> {
  const started = performance.now();
  const run = randomBytes(6).toString("hex");
  const work = path.join(directory, runFolder(run));
  const list = `[${files.map((f) => literal(path.join(directory, f.path))).join(", ")}]`;
  const count = async (from: string) =>
    Number(
      (
        await connection.runAndReadAll(
          `SELECT coalesce(sum(num_rows), 0)::BIGINT FROM parquet_file_metadata(${from})`,
        )
      ).getRowsJS()[0]?.[0] ?? -1,
    );
  let outputs: string[];
  let rows: number;
  try {
    rows = await count(list);
    await connection.run(
      `COPY (SELECT * FROM read_parquet(${list}, hive_partitioning = false, union_by_name = true)) ` +
        `TO ${literal(work)} (FORMAT parquet, COMPRESSION ${settings.compression}, ` +
        `FILE_SIZE_BYTES ${Math.round(settings.targetFileMb * MIB)}, FILENAME_PATTERN 'part-{i}', ` +
        `FILE_EXTENSION 'parquet.tmp'` +
        (settings.rowGroupSize === undefined ? ")" : `, ROW_GROUP_SIZE ${settings.rowGroupSize})`),
    );
    outputs = (await readdir(work))
      .filter((name) => /^part-\d+\.parquet\.tmp$/.test(name))
      .sort((a, b) => partNumber(a) - partNumber(b));
    // The files this COPY wrote, by name.
    const written =
      outputs.length === 0
        ? 0
        : await count(`[${outputs.map((name) => literal(path.join(work, name))).join(", ")}]`);
    if (written !== rows) {
      throw new Error(`read ${rows} rows from ${files.length} files but wrote ${written}`);
    }
    await syncAll(
      directory,
      outputs.map((name) => path.join(work, name)),
    );
    await syncPath(directory, work);
  } catch (error) {
    await rm(work, { recursive: true, force: true });
    throw new ParquetSinkError(directory, `cannot compact ${folder}`, { cause: error });
  }
  const first = Math.min(...files.map((f) => f.firstEpoch));
  const last = Math.max(...files.map((f) => f.epoch));
  const journal: CompactionJournal = {
    folder,
    replaced: files.map((f) => path.posix.basename(f.path)),
    merged: outputs.map((from, i) => ({
      from,
      to: `compacted-${first}-${last}-${run}-${i}.parquet`,
    })),
  };
  const sizes = await Promise.all(outputs.map((name) => stat(path.join(work, name))));
  const mergedBytes = sizes.reduce((n, info) => n + info.size, 0);
  await writeJournal(directory, run, journal);
  await applyJournal(directory, run, journal);
  return {
    folder,
    replaced: files.length,
    replacedBytes: files.reduce((n, f) => n + f.bytes, 0),
    merged: outputs.length,
    mergedBytes,
    rows,
    ms: performance.now() - started,
  };
}

function partNumber(name: string): number {
  return Number(/^part-(\d+)/.exec(name)?.[1] ?? 0);
}
