/**
 * Compaction of an archive every so often, beside the pipeline that writes it
 * (`millstream run`) or on its own (`millstream compact --every`).
 */
import { setTimeout as sleep } from "node:timers/promises";
import { type CompactionOptions, type CompactionReport, compactArchive } from "./compaction.js";

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

/** Compacts the archive in `directory` every `everyMs` until stopped. */
export function scheduleCompaction(
  directory: string,
  options: ScheduledCompactionOptions,
): ScheduledCompaction {
  if (!(options.everyMs > 0)) {
    throw new TypeError(`scheduleCompaction: \`everyMs\` must be above 0, got ${options.everyMs}`);
  }
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
