/**
 * Compaction of an archive every so often, beside the pipeline that writes it
 * (`millstream run`) or on its own (`millstream compact --every`).
 *
 * Each compaction runs on a worker thread started for it (`compaction-thread.ts`): a
 * compaction is a few hundred file operations and DuckDB calls, and on the pipeline's
 * busy event loop each would wait its turn, and DuckDB's synchronous calls (closing
 * the instance) would stall the pipeline. A thread that lived between compactions
 * would hold its heap (about 10 MiB) for nothing.
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
  readonly options: Omit<CompactionOptions, "signal" | "onFolder">;
  readonly folders: boolean;
}

/**
 * Compacts the archive in `directory` every `everyMs` until stopped. Each compaction
 * runs on a worker thread started for it, which ends with it (between compactions the
 * schedule holds only a timer); where no thread can start, on this one.
 */
export function scheduleCompaction(
  directory: string,
  options: ScheduledCompactionOptions,
): ScheduledCompaction {
  if (!(options.everyMs > 0)) {
    throw new TypeError(`scheduleCompaction: \`everyMs\` must be above 0, got ${options.everyMs}`);
  }
  // Here, on the main thread: a thread's environment is its own copy.
  releaseFreedMemoryPromptly();
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
        onReport?.(await compactOnThread(directory, compaction, signal, keepAlive ?? false));
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

/**
 * One compaction on a thread of its own (here if none starts); `signal` stops it after
 * the folder it is on. The thread keeps the process alive only with `keepAlive`, or
 * once stopping (the stop is waited for).
 */
async function compactOnThread(
  directory: string,
  options: Omit<CompactionOptions, "signal">,
  signal: AbortSignal,
  keepAlive: boolean,
): Promise<CompactionReport> {
  const { onFolder, ...settings } = options;
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
    return compactArchive(directory, { ...options, signal });
  }
  if (!keepAlive) worker.unref();
  const stop = () => {
    worker.ref();
    worker.postMessage("stop");
  };
  signal.addEventListener("abort", stop, { once: true });
  try {
    return await new Promise<CompactionReport>((resolve, reject) => {
      let outcome: { report: CompactionReport } | { error: unknown } | undefined;
      worker.on("message", (message: CompactionThreadMessage) => {
        if (message.kind === "folder") onFolder?.(message.folder);
        else
          outcome =
            message.kind === "report" ? { report: message.report } : { error: message.error };
      });
      worker.once("error", (error) => {
        outcome ??= { error };
      });
      worker.once("exit", (code) => {
        if (outcome !== undefined && "report" in outcome) resolve(outcome.report);
        else reject(outcome?.error ?? new Error(`the compaction thread ended with code ${code}`));
      });
    });
  } finally {
    signal.removeEventListener("abort", stop);
  }
}
