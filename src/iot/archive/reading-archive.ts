/**
 * The archive of every valid, enriched reading: Parquet files partitioned Hive-style
 * by `facility_id`, `sensor_type` and `date` (UTC), written per checkpoint, readable
 * by DuckDB, Spark or pandas.
 */
import { type ColumnSpec, ParquetArchiveSink } from "../../connectors/parquet/index.js";
import { type EnrichedReading, MEASURE_FIELDS } from "../reading/index.js";

/** The archive's columns, in file order. */
export const READING_ARCHIVE_COLUMNS: readonly ColumnSpec[] = [
  { name: "facility_id", type: "VARCHAR" },
  { name: "sensor_type", type: "VARCHAR" },
  { name: "date", type: "DATE" },
  { name: "sensor_id", type: "VARCHAR" },
  { name: "timestamp", type: "TIMESTAMP_MS" },
  { name: "value", type: "DOUBLE" },
  { name: "quality_score", type: "DOUBLE" },
  { name: "equipment_id", type: "VARCHAR" },
  { name: "production_line", type: "VARCHAR" },
  { name: "shift", type: "VARCHAR" },
  { name: "hour_of_day", type: "INTEGER" },
  { name: "unit", type: "VARCHAR" },
  ...MEASURE_FIELDS.map((name): ColumnSpec => ({ name, type: "DOUBLE" })),
];

const MS_PER_DAY = 86_400_000;
/** The UTC day last formatted by {@link utcDay}, and its text: readings come in time order. */
let lastDay = Number.NaN;
let lastDayText = "";

/** The UTC day of epoch milliseconds `ms` as `"YYYY-MM-DD"` (throws for an invalid time). */
function utcDay(ms: number): string {
  const day = Math.floor(ms / MS_PER_DAY);
  if (day !== lastDay) {
    lastDayText = new Date(ms).toISOString().slice(0, 10);
    lastDay = day;
  }
  return lastDayText;
}

const FIRST_MEASURE = READING_ARCHIVE_COLUMNS.length - MEASURE_FIELDS.length;

/**
 * The archive's `row`: a reading's values in column order, in one array reused from
 * reading to reading (the sink copies the values at once).
 */
function rowOf(): (r: EnrichedReading) => unknown[] {
  const values = new Array<unknown>(READING_ARCHIVE_COLUMNS.length).fill(null);
  return (r) => {
    values[0] = r.facility_id;
    values[1] = r.sensor_type;
    values[2] = utcDay(r.timestamp);
    values[3] = r.sensor_id;
    values[4] = r.timestamp;
    values[5] = r.value;
    values[6] = r.quality_score;
    values[7] = r.equipment_id;
    values[8] = r.production_line;
    values[9] = r.shift;
    values[10] = r.hour_of_day;
    values[11] = r.unit ?? null;
    for (let m = 0; m < MEASURE_FIELDS.length; m++) {
      values[FIRST_MEASURE + m] = r[MEASURE_FIELDS[m] as (typeof MEASURE_FIELDS)[number]] ?? null;
    }
    return values;
  };
}

/**
 * Memory for the archive's DuckDB in long-running jobs (`millstream run`, the demo), in
 * MiB: at 50,000 readings/s it kept the process 160 MiB smaller than no limit at the
 * same rate; 128 MiB saved 180 MiB but cost a tenth of the rate on two vCPUs
 * (docs/benchmarks.md, "Archive memory").
 */
export const LIVE_ARCHIVE_MEMORY_MB = 256;

/**
 * Memory of the archive compaction's DuckDB in long-running jobs (`millstream run`), in
 * MiB: it reads one partition folder's small files and writes merged ones, streaming.
 */
export const LIVE_COMPACTION_MEMORY_MB = 128;

/** Options of {@link readingArchiveSink}. */
export interface ReadingArchiveOptions {
  /** On a fresh start, remove files an earlier run published. Default false. */
  readonly overwrite?: boolean;
  /**
   * Memory the archive's DuckDB may hold, in MiB (see `ParquetArchiveSinkOptions`).
   * Default (or `null`): no limit, fastest (for finite replays).
   */
  readonly memoryLimitMb?: number | null;
}

/**
 * An exactly-once Parquet archive of enriched readings under `directory`. With
 * `overwrite`, files already published there are removed on a fresh start.
 */
export function readingArchiveSink(
  directory: string,
  options: ReadingArchiveOptions = {},
): ParquetArchiveSink<EnrichedReading> {
  return new ParquetArchiveSink<EnrichedReading>({
    directory,
    overwrite: options.overwrite ?? false,
    columns: READING_ARCHIVE_COLUMNS,
    row: rowOf(),
    partitionBy: ["facility_id", "sensor_type", "date"],
    ...(options.memoryLimitMb == null ? {} : { memoryLimitMb: options.memoryLimitMb }),
  });
}
