/**
 * Time partitions of a range-partitioned table: which partition an event time falls
 * in, and the partition's name and bounds. Boundaries are in UTC.
 */

/** How much event time one partition holds. */
export type PartitionInterval = "hour" | "day" | "month";

/** The intervals {@link partitionOf} accepts. */
export const PARTITION_INTERVALS: readonly PartitionInterval[] = ["hour", "day", "month"];

/** One partition: `[start, end)` in epoch ms and the suffix of its table name. */
export interface PartitionRange {
  readonly start: number;
  readonly end: number;
  /** `YYYYMMDDHH`, `YYYYMMDD` or `YYYYMM` of the start, UTC. */
  readonly suffix: string;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

function pad(n: number, width = 2): string {
  return String(n).padStart(width, "0");
}

/** The start (epoch ms) of the partition holding `timeMs`. */
export function partitionStart(timeMs: number, interval: PartitionInterval): number {
  if (interval === "hour") return Math.floor(timeMs / HOUR) * HOUR;
  if (interval === "day") return Math.floor(timeMs / DAY) * DAY;
  const d = new Date(timeMs);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
}

/** The partition starting at `start` (a value {@link partitionStart} returned). */
export function partitionRange(start: number, interval: PartitionInterval): PartitionRange {
  const d = new Date(start);
  const ymd = `${pad(d.getUTCFullYear(), 4)}${pad(d.getUTCMonth() + 1)}`;
  if (interval === "hour") {
    return {
      start,
      end: start + HOUR,
      suffix: `${ymd}${pad(d.getUTCDate())}${pad(d.getUTCHours())}`,
    };
  }
  if (interval === "day") {
    return { start, end: start + DAY, suffix: `${ymd}${pad(d.getUTCDate())}` };
  }
  return { start, end: Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1), suffix: ymd };
}
