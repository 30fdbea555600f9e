/**
 * The on-disk layout of a Parquet archive: where an epoch is staged, where its files
 * are published, listing both, publishing a staged file by atomic rename, and making
 * it durable.
 *
 * - `.staging/pending/segment-<k>/<k1>=<v1>/…/part-<i>.parquet.tmp`: rows in Parquet,
 *   durable, that no checkpoint has claimed yet.
 * - `.staging/epoch-<n>/<k1>=<v1>/…/epoch-<n>-<i>.parquet.tmp`: rows of checkpoint
 *   `n`, durable, not published. The `.parquet.tmp` extension keeps them out of
 *   `**\/*.parquet` globs (DuckDB's `**` descends into hidden folders).
 * - `<k1>=<v1>/…/epoch-<n>-<i>.parquet`: published rows of checkpoint `n` (or of an
 *   earlier epoch whose checkpoint failed, carried into checkpoint `n`).
 * - `<k1>=<v1>/…/compacted-<a>-<b>-<run>-<i>.parquet`: published rows of epochs `a` to
 *   `b` of that folder, merged by a compaction (`compaction.ts`) from the files it
 *   replaced; `run` tells compactions apart.
 */
import type { Dirent } from "node:fs";
import { type FileHandle, mkdir, open, readdir, rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import { ParquetSinkError } from "./errors.js";

/** The hidden folder holding staged epochs, relative to the archive directory. */
export const STAGING = ".staging";
/** Names of files published by the sink, `epoch-<n>-<i>.parquet`. */
export const PUBLISHED = /^epoch-(\d+)-(\d+)\.parquet$/;
/** Names of files a compaction published, `compacted-<a>-<b>-<run>-<i>.parquet`. */
const COMPACTED = /^compacted-(\d+)-(\d+)-([0-9a-z]+)-(\d+)\.parquet$/;
/** Extension DuckDB gives staged files (without the dot). */
export const STAGED_EXTENSION = "parquet.tmp";

const STAGED_FILE = /^epoch-(\d+)-(\d+)\.parquet\.tmp$/;
const EPOCH_FOLDER = /^epoch-(\d+)$/;
/** A Hive partition folder's name, `<column>=<encoded value>`. */
export const PARTITION_FOLDER = /^[A-Za-z][A-Za-z0-9_]*=[^/\\]*$/;

/** Where rows wait for a checkpoint to claim them, relative to the archive directory. */
export const PENDING = `${STAGING}/pending`;

/** The folder of pending Parquet segment `k`, relative to the archive directory. */
export function segmentFolder(k: number): string {
  return `${PENDING}/segment-${k}`;
}

/** The staging folder of epoch `id`, relative to the archive directory (POSIX separators). */
export function stagingFolder(id: number): string {
  return `${STAGING}/epoch-${id}`;
}

/** A published file and the epochs whose rows it holds. */
export interface PublishedFile {
  /** Path relative to the archive directory, with `/` separators. */
  readonly path: string;
  /** The newest epoch of its rows: the sink's epoch, or a compacted file's last. */
  readonly epoch: number;
  /** The oldest epoch of its rows (`epoch` for a file the sink published). */
  readonly firstEpoch: number;
}

/** The epochs in a published file's name `name`, or `undefined` if it is not one. */
export function publishedEpochs(name: string): { first: number; last: number } | undefined {
  const sink = PUBLISHED.exec(name);
  if (sink) return { first: Number(sink[1]), last: Number(sink[1]) };
  const compacted = COMPACTED.exec(name);
  if (compacted) return { first: Number(compacted[1]), last: Number(compacted[2]) };
  return undefined;
}

/**
 * Every published file under `directory` (the sink's and compacted ones), sorted by
 * path. Hidden entries (the staging and compaction folders among them) are skipped;
 * so are files not named like published files.
 */
export async function listPublished(directory: string): Promise<PublishedFile[]> {
  const found: PublishedFile[] = [];
  for (const file of await listFiles(directory, "", true)) {
    const epochs = publishedEpochs(path.posix.basename(file));
    if (epochs) found.push({ path: file, epoch: epochs.last, firstEpoch: epochs.first });
  }
  return found.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/**
 * Files under `directory/relative`, recursively, as paths relative to `directory`
 * with `/` separators. A missing folder has none.
 */
export async function listFiles(
  directory: string,
  relative: string,
  skipHidden: boolean,
): Promise<string[]> {
  let entries: Dirent[];
  try {
    entries = await readdir(path.join(directory, relative), { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw new ParquetSinkError(directory, `cannot list ${relative || "the directory"}`, {
      cause: error,
    });
  }
  const files: string[] = [];
  const folders: string[] = [];
  for (const entry of entries) {
    if (skipHidden && entry.name.startsWith(".")) continue;
    const child = relative === "" ? entry.name : `${relative}/${entry.name}`;
    if (entry.isDirectory()) folders.push(child);
    else if (entry.isFile()) files.push(child);
  }
  // Sub-folders listed at once: a turn of a busy event loop for all, not one each.
  const nested = await Promise.all(
    folders.map((folder) => listFiles(directory, folder, skipHidden)),
  );
  return files.concat(...nested);
}

/**
 * Checks a staged file path taken from checkpoint progress:
 * `.staging/epoch-<n>/<k>=<v>/…/epoch-<n>-<i>.parquet.tmp` with `n` at most
 * `checkpointId`. Returns the epoch, or `undefined` when the path is not one.
 */
export function stagedEpoch(file: string, checkpointId: number): number | undefined {
  const segments = file.split("/");
  if (segments.length < 4 || segments[0] !== STAGING) return undefined;
  const folder = EPOCH_FOLDER.exec(segments[1] ?? "");
  const name = STAGED_FILE.exec(segments[segments.length - 1] ?? "");
  if (folder === null || name === null || folder[1] !== name[1]) return undefined;
  for (const segment of segments.slice(2, -1)) {
    if (!PARTITION_FOLDER.test(segment)) return undefined;
  }
  const epoch = Number(folder[1]);
  return epoch <= checkpointId ? epoch : undefined;
}

/**
 * Moves the Parquet files of pending segment folder `segment` into the staging folder of
 * epoch `id`, each to its partition folder as `epoch-<id>-<i>.parquet.tmp`, `i` counting
 * per partition folder in `next` (shared by the segments of one epoch). Returns the
 * staged paths, relative to `directory`. The files keep their content (synced already);
 * their new folders are for the caller to sync.
 */
export async function claimSegment(
  directory: string,
  segment: string,
  id: number,
  next: Map<string, number>,
): Promise<string[]> {
  const epoch = stagingFolder(id);
  const moves = (await listFiles(directory, segment, false)).map((file) => {
    const partition = path.posix.dirname(file.slice(segment.length + 1));
    const i = next.get(partition) ?? 0;
    next.set(partition, i + 1);
    return {
      file,
      partition,
      target: `${epoch}/${partition}/epoch-${id}-${i}.${STAGED_EXTENSION}`,
    };
  });
  await Promise.all(
    moves.map(async ({ file, partition, target }) => {
      try {
        await mkdir(path.join(directory, epoch, partition), { recursive: true });
        await rename(path.join(directory, file), path.join(directory, target));
      } catch (error) {
        throw new ParquetSinkError(directory, `cannot stage ${file} as ${target}`, {
          cause: error,
        });
      }
    }),
  );
  await remove(directory, segment);
  return moves.map((m) => m.target);
}

/** Where a staged file is published: outside the staging folder, `.parquet` for `.parquet.tmp`. */
export function publishedPath(staged: string): string {
  return staged
    .split("/")
    .slice(2)
    .join("/")
    .replace(/\.parquet\.tmp$/, ".parquet");
}

/**
 * Moves staged file `staged` to its published place (both relative to `directory`),
 * creating its partition folders. Idempotent: nothing to do when the staged file is
 * gone and the published one exists, or a compacted file of its folder holds its epoch
 * (a compaction merged it after it was published). Returns the published file's
 * folder, to sync.
 */
export async function publishFile(directory: string, staged: string): Promise<string> {
  const target = publishedPath(staged);
  const folder = path.join(directory, path.posix.dirname(target));
  try {
    await mkdir(folder, { recursive: true });
    await rename(path.join(directory, staged), path.join(directory, target));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") {
      throw new ParquetSinkError(directory, `cannot publish ${staged} as ${target}`, {
        cause: error,
      });
    }
    if (await exists(path.join(directory, target))) return folder;
    if (await compactedHolds(folder, path.posix.basename(target))) return folder;
    throw new ParquetSinkError(
      directory,
      `a committed checkpoint covers ${staged}, but neither it nor ${target} exists: ` +
        "the archive was changed outside the sink",
      { cause: error },
    );
  }
  return folder;
}

/** Whether `folder` holds a compacted file whose epochs include that of published file `name`. */
async function compactedHolds(folder: string, name: string): Promise<boolean> {
  const epoch = publishedEpochs(name)?.last;
  if (epoch === undefined) return false;
  let names: string[];
  try {
    names = await readdir(folder);
  } catch {
    return false;
  }
  return names.some((n) => {
    const m = COMPACTED.exec(n);
    return m !== null && Number(m[1]) <= epoch && epoch <= Number(m[2]);
  });
}

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch {
    return false;
  }
}

/** Deletes `relative` (a file or folder) under `directory`; already gone is fine. */
export async function remove(directory: string, relative: string): Promise<void> {
  try {
    await rm(path.join(directory, relative), { recursive: true, force: true });
  } catch (error) {
    throw new ParquetSinkError(directory, `cannot delete ${relative}`, { cause: error });
  }
}

/**
 * Deletes the folders under `directory` that hold no file any more (after published
 * files were removed), deepest first. Hidden folders are left alone.
 */
export async function pruneEmptyFolders(directory: string, relative = ""): Promise<boolean> {
  const entries = await readdir(path.join(directory, relative), { withFileTypes: true });
  let empty = true;
  for (const entry of entries) {
    const child = relative === "" ? entry.name : `${relative}/${entry.name}`;
    if (entry.isDirectory() && !entry.name.startsWith(".")) {
      if (await pruneEmptyFolders(directory, child)) {
        await rm(path.join(directory, child), { recursive: true, force: true });
      } else empty = false;
    } else empty = false;
  }
  return empty;
}

/** fsyncs files or folders (absolute paths), all at once; see {@link syncPath}. */
export async function syncAll(directory: string, targets: Iterable<string>): Promise<void> {
  await Promise.all(Array.from(targets, (target) => syncPath(directory, target)));
}

/**
 * fsyncs a file or folder (absolute path). Platforms that cannot sync a folder skip
 * it; a file that cannot be synced is an error.
 */
export async function syncPath(directory: string, target: string): Promise<void> {
  let handle: FileHandle;
  try {
    handle = await open(target, "r");
  } catch (error) {
    throw new ParquetSinkError(directory, `cannot open ${target} to sync it`, { cause: error });
  }
  try {
    await handle.sync();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== "EISDIR" && code !== "EPERM" && code !== "EINVAL" && code !== "EBADF") {
      throw new ParquetSinkError(directory, `cannot sync ${target}`, { cause: error });
    }
  } finally {
    await handle.close();
  }
}
