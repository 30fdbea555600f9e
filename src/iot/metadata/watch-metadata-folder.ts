/**
 * Reloading a metadata folder while the pipeline runs: polls the files' `stat` and, when
 * one changed, loads and validates the whole folder again and swaps the catalog's tables.
 */
import { stat } from "node:fs/promises";
import path from "node:path";
import { loadMetadataFolder, METADATA_KINDS } from "./load-metadata-folder.js";
import type { MetadataCatalog } from "./metadata-catalog.js";
import type { MetadataSet } from "./metadata-set.js";

/** Options of {@link watchMetadataFolder}. */
export interface WatchMetadataOptions {
  /** Poll interval in ms. Default 2,000. */
  readonly intervalMs?: number;
  /** Called after a reload swapped the tables in. */
  readonly onReload?: (set: MetadataSet) => void;
  /**
   * Called when a reload failed (a `MetadataError` naming file, record and field). The
   * catalog keeps its previous tables; the folder is tried again when a file changes.
   */
  readonly onError?: (error: Error) => void;
}

/** A running watch. */
export interface MetadataWatcher {
  /** Checks the files now (as a poll would) and reloads if one changed. Never rejects. */
  check(): Promise<void>;
  /** Stops polling; a reload under way still finishes. */
  close(): void;
}

/**
 * Watches `dir` and reloads `catalog` when `facilities`, `sensors` or `equipment`
 * (`.json` or `.csv`) is created, changed (mtime, ctime, size or inode, so an atomic
 * rename counts) or removed. The state of the files when the watch starts is the
 * baseline: load the folder first, then watch it. Polling (`fs.stat` every
 * `intervalMs`) rather than `fs.watch` works the same on every file system, including
 * network mounts and editors that replace files. The timer does not keep the process
 * alive. Write files atomically (write a temporary file, then rename) so a poll never
 * sees half a file; a half file is reported through `onError` and picked up complete on
 * the next change.
 */
export function watchMetadataFolder(
  dir: string,
  catalog: MetadataCatalog,
  options: WatchMetadataOptions = {},
): MetadataWatcher {
  const intervalMs = options.intervalMs ?? 2000;
  let baseline: Promise<string> = fingerprint(dir);
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  let running: Promise<void> | undefined;

  const poll = async () => {
    const before = await baseline;
    const now = await fingerprint(dir);
    if (now === before) return;
    baseline = Promise.resolve(now);
    try {
      const set = await loadMetadataFolder(dir);
      catalog.replaceAll(set);
      options.onReload?.(set);
    } catch (error) {
      options.onError?.(error instanceof Error ? error : new Error(String(error)));
    }
  };
  const check = (): Promise<void> => {
    running ??= poll()
      .catch((error) => options.onError?.(error as Error))
      .finally(() => {
        running = undefined;
      });
    return running;
  };
  const schedule = () => {
    if (closed) return;
    timer = setTimeout(() => void check().then(schedule), intervalMs);
    timer.unref();
  };
  schedule();
  return {
    check,
    close() {
      closed = true;
      if (timer !== undefined) clearTimeout(timer);
    },
  };
}

async function fingerprint(dir: string): Promise<string> {
  const parts = await Promise.all(
    METADATA_KINDS.flatMap((kind) =>
      [".json", ".csv"].map(async (ext) => {
        const file = path.join(dir, kind + ext);
        const s = await stat(file).catch(() => undefined);
        return s === undefined
          ? `${file}:-`
          : `${file}:${s.mtimeMs}:${s.ctimeMs}:${s.size}:${s.ino}`;
      }),
    ),
  );
  return parts.join("|");
}
