/**
 * The archive's compaction beside a long-running job (`millstream run`, the demo): the
 * schedule of `outputs.archiveCompaction`, its reports and failures said in one line
 * each.
 */
import {
  type CompactionReport,
  type ScheduledCompaction,
  scheduleCompaction,
} from "../connectors/parquet/index.js";
import type { ArchiveCompactionConfig } from "./config/plant-config.js";

/** One line for a compaction that changed something, `null` for one that did not. */
export function compactionLine(report: CompactionReport): string | null {
  if (report.folders.length === 0 && report.recovered === 0) return null;
  const recovered = report.recovered > 0 ? `; finished ${report.recovered} a crash had left` : "";
  return (
    `archive compaction: ${report.folders.length} folder(s), ${report.filesBefore.toLocaleString("en")} files → ` +
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
      const line = compactionLine(report);
      if (line !== null) say(line);
    },
    onError: (error) =>
      say(
        `archive compaction failed (tried again in ${settings.everyMs / 1000} s): ${error instanceof Error ? error.message : error}`,
      ),
  });
}
