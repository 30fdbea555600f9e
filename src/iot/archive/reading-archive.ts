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

function row(r: EnrichedReading): unknown[] {
  const values: unknown[] = [
    r.facility_id,
    r.sensor_type,
    new Date(r.timestamp).toISOString().slice(0, 10),
    r.sensor_id,
    r.timestamp,
    r.value,
    r.quality_score,
    r.equipment_id,
    r.production_line,
    r.shift,
    r.hour_of_day,
    r.unit ?? null,
  ];
  for (const m of MEASURE_FIELDS) values.push(r[m] ?? null);
  return values;
}

/**
 * An exactly-once Parquet archive of enriched readings under `directory`. With
 * `overwrite`, files already published there are removed on a fresh start.
 */
export function readingArchiveSink(
  directory: string,
  options: { overwrite?: boolean } = {},
): ParquetArchiveSink<EnrichedReading> {
  return new ParquetArchiveSink<EnrichedReading>({
    directory,
    overwrite: options.overwrite ?? false,
    columns: READING_ARCHIVE_COLUMNS,
    row,
    partitionBy: ["facility_id", "sensor_type", "date"],
  });
}
