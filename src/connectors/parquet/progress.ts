/**
 * The checkpoint progress of the Parquet archive sink: what `prepareCommit` returns and
 * `commit` and a restore get back, and publishing it.
 */
import { ParquetSinkError } from "./errors.js";
import { publishFile, stagedEpoch, stagingFolder, syncPath } from "./staging.js";

/** The progress a `ParquetArchiveSink` returns from `prepareCommit` and expects back. */
export interface ParquetSinkProgress {
  /** The epoch's staging folder (relative to the directory); `null` when the epoch had no row. */
  readonly staging: string | null;
  /**
   * Staged files to publish, relative to the directory, sorted: this epoch's and those
   * of earlier epochs prepared but never committed.
   */
  readonly files: readonly string[];
}

/** Validates progress read back from a checkpoint. */
export function parseProgress(
  directory: string,
  progress: unknown,
  checkpointId: number,
): ParquetSinkProgress {
  if (typeof progress === "object" && progress !== null) {
    const { staging, files } = progress as { staging?: unknown; files?: unknown };
    const stagingOk =
      staging === null || (typeof staging === "string" && staging === stagingFolder(checkpointId));
    if (
      stagingOk &&
      Array.isArray(files) &&
      files.every((f) => typeof f === "string" && stagedEpoch(f, checkpointId) !== undefined)
    ) {
      return { staging: staging as string | null, files: files as string[] };
    }
  }
  throw new ParquetSinkError(
    directory,
    `invalid sink progress ${JSON.stringify(progress)} for checkpoint ${checkpointId}: expected ` +
      `{ staging: "${stagingFolder(checkpointId)}" | null, files: [".staging/epoch-<n>/<k>=<v>/…/epoch-<n>-<i>.parquet.tmp", …] }`,
  );
}

/** Publishes every file of `progress` and syncs the folders they went to. */
export async function publishAll(directory: string, progress: ParquetSinkProgress): Promise<void> {
  const folders = new Set<string>();
  for (const file of progress.files) folders.add(await publishFile(directory, file));
  for (const folder of folders) await syncPath(directory, folder);
}
