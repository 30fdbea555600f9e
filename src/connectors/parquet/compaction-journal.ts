/**
 * The on-disk protocol of archive compaction, which makes replacing a partition
 * folder's small files by merged ones safe through a crash at any moment:
 *
 * 1. The merged files are written and synced in `.compaction/<run>/` as
 *    `part-<i>.parquet.tmp`; the archive is unchanged.
 * 2. `journal.json` is written there (through a synced temporary file and a rename):
 *    the folder, the files it replaces and the names the merged files take. From this
 *    moment the compaction is decided.
 * 3. The replaced files are deleted, the merged ones renamed into the folder, the folder
 *    synced and the run's folder deleted.
 *
 * A crash before step 2 leaves a run folder without a journal: the archive is as it
 * was, and the next compaction deletes the folder. A crash during step 3 leaves the
 * journal: {@link completeJournals} finishes it, and every step of it may run twice.
 * The archive's sink also finishes journals when it opens, before it publishes a
 * restored checkpoint's files, which may be among those replaced.
 */
import { hostname } from "node:os";
import { mkdir, open, readdir, readFile, rename, rm, stat, unlink } from "node:fs/promises";
import path from "node:path";
import { ParquetSinkError } from "./errors.js";
import { syncPath } from "./staging.js";

/** The hidden folder of compaction runs, relative to the archive directory. */
export const COMPACTION = ".compaction";
const JOURNAL = "journal.json";
const LOCK = "lock";

/** A decided compaction of one partition folder. */
export interface CompactionJournal {
  /** The partition folder, relative to the archive directory, `/`-separated. */
  readonly folder: string;
  /** Names of the files replaced, in that folder. */
  readonly replaced: readonly string[];
  /** Merged files: their name in the run folder and the name they take in `folder`. */
  readonly merged: readonly { readonly from: string; readonly to: string }[];
}

/** The folder of compaction run `run`, relative to the archive directory. */
export function runFolder(run: string): string {
  return `${COMPACTION}/${run}`;
}

/** Writes `journal` durably into run folder `run`: the compaction is decided once it returns. */
export async function writeJournal(
  directory: string,
  run: string,
  journal: CompactionJournal,
): Promise<void> {
  const folder = path.join(directory, runFolder(run));
  const temporary = path.join(folder, `${JOURNAL}.tmp`);
  const handle = await open(temporary, "w");
  try {
    await handle.writeFile(JSON.stringify(journal));
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temporary, path.join(folder, JOURNAL));
  await syncPath(directory, folder);
}

/** Carries out decided compaction `journal` of run `run`; safe to repeat. */
export async function applyJournal(
  directory: string,
  run: string,
  journal: CompactionJournal,
): Promise<void> {
  const folder = path.join(directory, journal.folder);
  const from = path.join(directory, runFolder(run));
  try {
    // All replaced files go before any merged one comes in: a reader may miss rows for
    // a moment, never count them twice.
    await Promise.all(
      journal.replaced.map((name) => unlink(path.join(folder, name)).catch(ignoreGone)),
    );
    await Promise.all(
      journal.merged.map(({ from: staged, to }) =>
        rename(path.join(from, staged), path.join(folder, to)).catch(async (error) => {
          if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
          await stat(path.join(folder, to)); // done before: the merged file is in place
        }),
      ),
    );
  } catch (error) {
    throw new ParquetSinkError(directory, `cannot complete the compaction of ${journal.folder}`, {
      cause: error,
    });
  }
  await syncPath(directory, folder);
  await rm(from, { recursive: true, force: true });
}

function ignoreGone(error: unknown): void {
  if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
}

/**
 * Finishes every decided compaction left by a crash (run folders with a journal).
 * With `discardUndecided`, also deletes run folders without one: only a compaction
 * holding the lock may, since another may be writing there. Returns how many
 * journals it completed.
 */
export async function completeJournals(
  directory: string,
  discardUndecided = false,
): Promise<number> {
  let runs: string[];
  try {
    runs = (await readdir(path.join(directory, COMPACTION), { withFileTypes: true }))
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return 0;
    throw error;
  }
  let completed = 0;
  for (const run of runs.sort()) {
    const journal = await readJournal(directory, run);
    if (journal !== undefined) {
      await applyJournal(directory, run, journal);
      completed++;
    } else if (discardUndecided) {
      await rm(path.join(directory, runFolder(run)), { recursive: true, force: true });
    }
  }
  return completed;
}

async function readJournal(directory: string, run: string): Promise<CompactionJournal | undefined> {
  const file = path.join(directory, runFolder(run), JOURNAL);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  const journal = JSON.parse(text) as CompactionJournal;
  const names = (list: unknown) =>
    Array.isArray(list) && list.every((n) => typeof n === "string" && !/[\\/]/.test(n));
  if (
    typeof journal?.folder !== "string" ||
    journal.folder.split("/").some((part) => part === ".." || part.startsWith(".")) ||
    !names(journal.replaced) ||
    !Array.isArray(journal.merged) ||
    !names(journal.merged.map((m) => m?.from)) ||
    !names(journal.merged.map((m) => m?.to))
  ) {
    throw new ParquetSinkError(
      directory,
      `${runFolder(run)}/${JOURNAL} is not a compaction journal`,
    );
  }
  return journal;
}

/**
 * Takes the archive's compaction lock (`.compaction/lock`, holding this process's id and
 * host). A lock left by a process of this host that is gone is taken over; one held by
 * a live process, or by another host, fails with a `ParquetSinkError`. Returns a
 * function that releases it.
 */
export async function takeCompactionLock(directory: string): Promise<() => Promise<void>> {
  await mkdir(path.join(directory, COMPACTION), { recursive: true });
  const file = path.join(directory, COMPACTION, LOCK);
  const owner = `${process.pid}@${hostname()}`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(file, "wx");
      await handle.writeFile(owner);
      await handle.close();
      return () => rm(file, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const holder = (await readFile(file, "utf8").catch(() => "")).trim();
    const [pid, host] = holder.split("@");
    if (host === hostname() && !isAlive(Number(pid))) {
      await rm(file, { force: true });
      continue;
    }
    throw new ParquetSinkError(
      directory,
      `another compaction holds ${COMPACTION}/${LOCK} (process ${holder || "unknown"}); ` +
        "one compaction at a time. Delete the file if that process is gone",
    );
  }
  throw new ParquetSinkError(directory, `cannot take ${COMPACTION}/${LOCK}`);
}

function isAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
