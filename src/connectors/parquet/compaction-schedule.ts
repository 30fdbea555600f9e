/**
 * Compaction of an archive every so often, beside the pipeline that writes it
 * (`millstream run`) or on its own (`millstream compact --every`).
 *
 * The schedule runs on a worker thread of its own (`compaction-thread.ts`): a
 * compaction is a few hundred file operations and DuckDB calls, and on the pipeline's
 * busy event loop each would wait its turn, and DuckDB's synchronous calls (closing
 * the instance) would stall the pipeline. Where no thread can start, it runs here.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { Worker } from "node:worker_threads";
import { siblingModule, startModuleWorker } from "../../engine/index.js";
import {
  type CompactionOptions,
  type CompactionReport,
  compactArchive,
  type FolderCompaction,
} from "./compaction.js";
import { releaseFreedMemoryPromptly } from "./duckdb-allocator.js";

/** Options of {@link scheduleCompaction}: those of a compaction, and when to run it. */
export interface ScheduledCompactionOptions extends Omit<CompactionOptions, "signal"> {
  /** Time between the end of one compaction and the start of the next, in ms. */
  readonly everyMs: number;
  /** Run the first compaction at once rather than after `everyMs` (default false). */
  readonly immediately?: boolean;
  /** Keep the process alive while waiting (default false: a job's end is not delayed). */
  readonly keepAlive?: boolean;
  /** Called with each compaction's report. */
  readonly onReport?: (report: CompactionReport) => void;
  /**
   * Called when a compaction fails (another one holds the lock, a file cannot be read);
   * the next is tried after `everyMs` as usual.
   */
  readonly onError?: (error: unknown) => void;
}

/** A running schedule. */
export interface ScheduledCompaction {
  /** Stops: a compaction under way ends after the folder it is on. Resolves once it has. */
  stop(): Promise<void>;
}

/** What the compaction thread tells its owner. */
export type CompactionThreadMessage =
  | { readonly kind: "report"; readonly report: CompactionReport }
  | { readonly kind: "folder"; readonly folder: FolderCompaction }
  | { readonly kind: "error"; readonly error: unknown };

/** What the compaction thread is started with. */
export interface CompactionThreadData {
  readonly directory: string;
  readonly options: Omit<ScheduledCompactionOptions, "onReport" | "onError" | "onFolder">;
  readonly folders: boolean;
}

/** Compacts the archive in `directory` every `everyMs` until stopped, on a thread of its own. */
export function scheduleCompaction(
  directory: string,
  options: ScheduledCompactionOptions,
): ScheduledCompaction {
  if (!(options.everyMs > 0)) {
    throw new TypeError(`scheduleCompaction: \`everyMs\` must be above 0, got ${options.everyMs}`);
  }
  // Here, on the main thread: the thread's environment is its own copy.
  releaseFreedMemoryPromptly();
  const { onReport, onError, onFolder, ...settings } = options;
  let worker: Worker;
  try {
    worker = startModuleWorker(siblingModule(import.meta.url, "./compaction-thread"), {
      workerData: {
        directory,
        options: settings,
        folders: onFolder !== undefined,
      } satisfies CompactionThreadData,
    });
  } catch {
    return runSchedule(directory, options);
  }
  if (!options.keepAlive) worker.unref();
  worker.on("message", (message: CompactionThreadMessage) => {
    if (message.kind === "report") onReport?.(message.report);
    else if (message.kind === "folder") onFolder?.(message.folder);
    else onError?.(message.error);
  });
  worker.on("error", (error) => onError?.(error));
  const exited = new Promise<void>((resolve) => worker.once("exit", () => resolve()));
  return {
    stop: async () => {
      worker.ref(); // waited for now: the process must not end meanwhile
      worker.postMessage("stop");
      await exited;
    },
  };
}

/** The schedule itself, on the thread that calls it. */
export function runSchedule(
  directory: string,
  options: ScheduledCompactionOptions,
): ScheduledCompaction {
  const controller = new AbortController();
  const { signal } = controller;
  const { everyMs, immediately, keepAlive, onReport, onError, ...compaction } = options;
  const loop = (async () => {
    let first = true;
    while (!signal.aborted) {
      if (!(first && immediately)) {
        try {
          await sleep(everyMs, undefined, { signal, ref: keepAlive ?? false });
        } catch {
          return; // stopped while waiting
        }
      }
      first = false;
      try {
        onReport?.(await compactArchive(directory, { ...compaction, signal }));
      } catch (error) {
        onError?.(error);
      }
    }
  })();
  return {
    stop: async () => {
      controller.abort();
      await loop;
    },
  };
}
