/**
 * The archive's compaction beside a long-running job (`millstream run`, the demo): the
 * schedule of `outputs.archiveCompaction`, its reports and failures said in one line
 * each.
 */
import {
  COMPACTION_DEFAULTS,
  type CompactionReport,
  type ScheduledCompaction,
  scheduleCompaction,
} from "../connectors/parquet/index.js";
import { LIVE_COMPACTION_MEMORY_MB } from "../iot/archive/index.js";

/** `outputs.archiveCompaction`: when and how a long-running job compacts its archive. */
export interface ArchiveCompactionConfig {
  readonly everyMs: number;
  readonly targetFileMb: number;
  readonly minFiles: number;
  readonly minAgeMs: number;
  readonly memoryMb: number;
}

/** `outputs.archiveCompaction` when the configuration does not set it: every 15 minutes. */
export const DEFAULT_ARCHIVE_COMPACTION: ArchiveCompactionConfig = {
  everyMs: 900_000,
  targetFileMb: COMPACTION_DEFAULTS.targetFileMb,
  minFiles: COMPACTION_DEFAULTS.minFiles,
  minAgeMs: COMPACTION_DEFAULTS.minAgeMs,
  memoryMb: LIVE_COMPACTION_MEMORY_MB,
};

/** What a compaction did: `3 folder(s), 1,200 files → 3 in 2.1 s`. */
export function compactionSummary(report: CompactionReport): string {
  const recovered =
    report.recovered > 0 ? `; finished ${report.recovered} compaction(s) a crash had left` : "";
  return (
    `${report.folders.length} folder(s), ${report.filesBefore.toLocaleString("en")} files → ` +
    `${report.filesAfter.toLocaleString("en")} in ${(report.ms / 1000).toFixed(1)} s${recovered}`
  );
}

/**
 * Compacts the archive in `directory` every `settings.everyMs`, each time on a thread of
 * its own; `say` gets a line for each compaction that changed something and for each
 * failure (the next is tried as usual). Stop it before the job's end is reported.
 */
export function startArchiveCompaction(
  directory: string,
  settings: ArchiveCompactionConfig,
  say: (line: string) => void,
): ScheduledCompaction {
  return scheduleCompaction(directory, {
    everyMs: settings.everyMs,
    targetFileMb: settings.targetFileMb,
    minFiles: settings.minFiles,
    minAgeMs: settings.minAgeMs,
    memoryLimitMb: settings.memoryMb,
    onReport: (report) => {
      if (report.folders.length > 0 || report.recovered > 0) {
        say(`archive compaction: ${compactionSummary(report)}`);
      }
    },
    onError: (error) =>
      say(
        `archive compaction failed (tried again in ${settings.everyMs / 1000} s): ${error instanceof Error ? error.message : error}`,
      ),
  });
}
