/**
 * The on-disk layout of the JSONL file sink's output directory: file names per
 * checkpoint epoch, listing them, publishing a pending epoch by atomic rename, and
 * reading the published output back.
 *
 * - `.epoch-<n>.jsonl.tmp`: records of the epoch being written;
 * - `.epoch-<n>.jsonl.pending`: records of checkpoint `n`, durable, not published;
 * - `part-<n, 10 digits>.jsonl`: published output of checkpoint `n`.
 */
import { access, type FileHandle, open, readdir, readFile, rename, rm } from "node:fs/promises";
import path from "node:path";
import { FileSinkError } from "./errors.js";

/** Names of published parts, `part-<id>.jsonl`. */
export const PART = /^part-(\d+)\.jsonl$/;
/** Names of epochs being written, `.epoch-<id>.jsonl.tmp`. */
export const TMP = /^\.epoch-(\d+)\.jsonl\.tmp$/;
/** Names of prepared epochs, `.epoch-<id>.jsonl.pending`. */
export const PENDING = /^\.epoch-(\d+)\.jsonl\.pending$/;

/** File name of the published part of checkpoint `id`. */
export function partName(id: number): string {
  return `part-${String(id).padStart(10, "0")}.jsonl`;
}

/** File name of the prepared, unpublished records of checkpoint `id`. */
export function pendingName(id: number): string {
  return `.epoch-${id}.jsonl.pending`;
}

/** File name of the records of epoch `id` written so far. */
export function tmpName(id: number): string {
  return `.epoch-${id}.jsonl.tmp`;
}

/**
 * Every line of the published parts in `directory`, in part order (the order the
 * records were written). Reads whole parts into memory: meant for tests, tools and
 * modest outputs. Hidden epoch files are not read: they are not published.
 */
export async function readJsonlParts(directory: string): Promise<string[]> {
  let files: EpochFiles;
  try {
    files = await listEpochFiles(directory);
  } catch (error) {
    if (error instanceof FileSinkError) throw error;
    throw new FileSinkError(directory, "cannot list the output directory", { cause: error });
  }
  const lines: string[] = [];
  for (const part of files.parts) {
    let text: string;
    try {
      text = await readFile(path.join(directory, part.name), "utf8");
    } catch (error) {
      throw new FileSinkError(directory, `cannot read ${part.name}`, { cause: error });
    }
    for (const line of text.split("\n")) if (line !== "") lines.push(line);
  }
  return lines;
}

/** An epoch file and the checkpoint id in its name. */
export interface EpochFile {
  readonly name: string;
  readonly id: number;
}

/** The epoch files of a directory, each kind sorted by id. */
export interface EpochFiles {
  /** Published parts, by id. */
  readonly parts: EpochFile[];
  readonly pending: EpochFile[];
  readonly tmp: EpochFile[];
}

/** Lists the part, pending and tmp files of `directory`; other files are ignored. */
export async function listEpochFiles(directory: string): Promise<EpochFiles> {
  let names: string[];
  try {
    names = await readdir(directory);
  } catch (error) {
    throw new FileSinkError(directory, "cannot list the output directory", { cause: error });
  }
  const files: EpochFiles = { parts: [], pending: [], tmp: [] };
  for (const name of names) {
    const part = PART.exec(name);
    if (part) files.parts.push({ name, id: Number(part[1]) });
    const pending = PENDING.exec(name);
    if (pending) files.pending.push({ name, id: Number(pending[1]) });
    const tmp = TMP.exec(name);
    if (tmp) files.tmp.push({ name, id: Number(tmp[1]) });
  }
  const byId = (a: EpochFile, b: EpochFile) => a.id - b.id;
  files.parts.sort(byId);
  files.pending.sort(byId);
  files.tmp.sort(byId);
  return files;
}

/**
 * Renames `pending` to the part of checkpoint `id` and syncs the directory.
 * Idempotent: nothing to do when `pending` is gone and the part exists.
 */
export async function publish(directory: string, pending: string, id: number): Promise<void> {
  const part = partName(id);
  try {
    await rename(path.join(directory, pending), path.join(directory, part));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") {
      throw new FileSinkError(directory, `cannot publish ${pending} as ${part}`, { cause: error });
    }
    if (await exists(path.join(directory, part))) return;
    throw new FileSinkError(
      directory,
      `checkpoint ${id} covers records in ${pending}, but neither it nor ${part} exists: ` +
        "the output was changed outside the sink",
      { cause: error },
    );
  }
  await syncDirectory(directory);
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}

/** Deletes `name` in `directory`; a file already gone is fine. */
export async function removeFile(directory: string, name: string): Promise<void> {
  try {
    await rm(path.join(directory, name), { force: true });
  } catch (error) {
    throw new FileSinkError(directory, `cannot delete ${name}`, { cause: error });
  }
}

/** Makes renames in `directory` durable. Platforms that cannot sync a directory skip it. */
export async function syncDirectory(directory: string): Promise<void> {
  let handle: FileHandle;
  try {
    handle = await open(directory, "r");
  } catch (error) {
    throw new FileSinkError(directory, "cannot open the directory to sync it", { cause: error });
  }
  try {
    await handle.sync();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== "EISDIR" && code !== "EPERM" && code !== "EINVAL" && code !== "EBADF") {
      throw new FileSinkError(directory, "cannot sync the directory", { cause: error });
    }
  } finally {
    await handle.close();
  }
}
