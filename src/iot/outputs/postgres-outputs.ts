/**
 * Where each plant output goes in PostgreSQL: its table, columns and key (the
 * tables come from `migrations/`), and the sinks writing them through one
 * {@link PostgresDatabase}.
 */
import { FanOutSink } from "../../connectors/fan-out-sink.js";
import type {
  PartitionInterval,
  PostgresDatabase,
  PostgresTableOptions,
} from "../../connectors/postgres/index.js";
import type { Sink } from "../../engine/index.js";
import type {
  EquipmentHealthRecord,
  FacilityMetricsRecord,
  ProductionEfficiencyRecord,
} from "../dashboards/index.js";
import type { EquipmentStateRecord } from "../equipment/index.js";
import { type Anomaly, type EnrichedReading, MEASURE_FIELDS } from "../reading/index.js";
import type { PlantOutputName, PlantOutputRecords } from "./output-names.js";

/** Sinks of some plant outputs, by output name. */
export type PlantOutputSinks = { -readonly [K in PlantOutputName]?: Sink<PlantOutputRecords[K]> };

/** Options of {@link plantPostgresSinks}. */
export interface PlantPostgresOptions {
  /** The outputs to write. */
  readonly outputs: readonly PlantOutputName[];
  /** Event time per partition of the partitioned tables. Default `day`. */
  readonly partitionInterval?: PartitionInterval;
  /** Rows buffered per table before a write. Default 2000. */
  readonly batchRows?: number;
  /** Longest a row waits in the buffer, ms. Default 1000. */
  readonly maxDelayMs?: number;
}

const iso = (ms: number) => new Date(ms).toISOString();

const WINDOW_COLUMNS = [
  "id",
  "window_start",
  "window_end",
  "window_start_ms",
  "window_end_ms",
  "emission",
] as const;

const EQUIPMENT_STATE_COLUMNS = [
  "id",
  "equipment_id",
  "facility_id",
  "production_line",
  "equipment_class",
  "criticality",
  "status",
  "updated_at",
  "updated_at_ms",
  "last_reading_at",
  "last_reading_at_ms",
  "last_sensor_id",
  "last_sensor_type",
  "last_value",
  "readings",
  "fault_count",
  "runtime_hours",
  "worst_anomaly",
];

/** The id of a reading row: sensor and event time, so a reading delivered twice is one row. */
export function readingId(r: { readonly sensor_id: string; readonly timestamp: number }): string {
  return `${r.sensor_id}|${r.timestamp}`;
}

/** The table layout of each output (without the options that depend on configuration). */
export const PLANT_TABLES = {
  anomalies: {
    table: "anomalies",
    columns: [
      "id",
      "event_time",
      "event_time_ms",
      "detector",
      "severity",
      "sensor_id",
      "equipment_id",
      "facility_id",
      "production_line",
      "sensor_type",
      "detected_at",
      "value",
      "baseline",
      "score",
      "message",
    ],
    key: ["id", "event_time"],
    row: (a: Anomaly) => a,
    time: (a: Anomaly) => a.event_time_ms,
    partitionColumn: "event_time",
  },
  facility_metrics: {
    table: "facility_metrics",
    columns: [
      ...WINDOW_COLUMNS,
      "facility_id",
      "facility_name",
      "readings",
      "active_sensors",
      "active_equipment",
      "unassigned_readings",
      "quality_alerts",
      "anomalies",
      "by_sensor_type",
    ],
    key: ["id", "window_start"],
    row: (r: FacilityMetricsRecord) => r,
    time: (r: FacilityMetricsRecord) => r.window_start_ms,
    partitionColumn: "window_start",
  },
  equipment_health: {
    table: "equipment_health",
    columns: [
      ...WINDOW_COLUMNS,
      "facility_id",
      "equipment_id",
      "sensor_type",
      "production_line",
      "count",
      "avg",
      "max",
      "stddev",
      "avg_quality",
      "status",
    ],
    key: ["id", "window_start"],
    row: (r: EquipmentHealthRecord) => r,
    time: (r: EquipmentHealthRecord) => r.window_start_ms,
    partitionColumn: "window_start",
  },
  production_efficiency: {
    table: "production_efficiency",
    columns: [
      ...WINDOW_COLUMNS,
      "facility_id",
      "production_line",
      "shift",
      "readings",
      "avg_power",
      "avg_vibration",
      "avg_temperature",
      "active_equipment",
      "running_equipment",
      "optimal_readings",
      "power_readings",
      "running_readings",
      "optimal_share",
      "utilization",
      "efficiency_score",
    ],
    key: ["id", "window_start"],
    row: (r: ProductionEfficiencyRecord) => r,
    time: (r: ProductionEfficiencyRecord) => r.window_start_ms,
    partitionColumn: "window_start",
  },
  equipment_state_history: {
    table: "equipment_state_history",
    columns: EQUIPMENT_STATE_COLUMNS,
    key: ["id", "updated_at"],
    row: (r: EquipmentStateRecord) => ({ ...r, id: `${r.equipment_id}|${r.updated_at_ms}` }),
    time: (r: EquipmentStateRecord) => r.updated_at_ms,
    partitionColumn: "updated_at",
  },
  readings: {
    table: "readings",
    columns: [
      "id",
      "timestamp",
      "sensor_id",
      "facility_id",
      "sensor_type",
      "value",
      "quality_score",
      "equipment_id",
      "production_line",
      "shift",
      "unit",
      ...MEASURE_FIELDS,
    ],
    key: ["id", "timestamp"],
    row: (r: EnrichedReading) => {
      const row: Record<string, unknown> = {
        id: readingId(r),
        timestamp: iso(r.timestamp),
        sensor_id: r.sensor_id,
        facility_id: r.facility_id,
        sensor_type: r.sensor_type,
        value: r.value,
        quality_score: r.quality_score,
        equipment_id: r.equipment_id,
        production_line: r.production_line,
        shift: r.shift,
        unit: r.unit ?? null,
      };
      for (const m of MEASURE_FIELDS) row[m] = r[m] ?? null;
      return row;
    },
    time: (r: EnrichedReading) => r.timestamp,
    partitionColumn: "timestamp",
  },
} as const;

type TableLayout<T> = {
  readonly table: string;
  readonly columns: readonly string[];
  readonly key: readonly string[];
  readonly row: (value: T) => object;
  readonly time: (value: T) => number;
  readonly partitionColumn: string;
};

function partitioned<T>(
  layout: TableLayout<T>,
  options: PlantPostgresOptions,
): PostgresTableOptions<T> {
  return {
    table: layout.table,
    columns: layout.columns,
    key: layout.key,
    row: layout.row,
    partition: {
      column: layout.partitionColumn,
      interval: options.partitionInterval ?? "day",
      time: layout.time,
    },
    ...(options.batchRows !== undefined ? { batchRows: options.batchRows } : {}),
    ...(options.maxDelayMs !== undefined ? { maxDelayMs: options.maxDelayMs } : {}),
  };
}

/**
 * Sinks writing the chosen outputs to `database` (whose migrations must include
 * `PLANT_MIGRATIONS`). Equipment state goes to two tables: `equipment_state`, one
 * row per equipment that never moves back in time, and `equipment_state_history`,
 * every emission.
 */
export function plantPostgresSinks(
  database: PostgresDatabase,
  options: PlantPostgresOptions,
): PlantOutputSinks {
  const sinks: PlantOutputSinks = {};
  const wanted = new Set(options.outputs);
  if (wanted.has("anomalies"))
    sinks.anomalies = database.sink(partitioned(PLANT_TABLES.anomalies, options));
  if (wanted.has("facility_metrics")) {
    sinks.facility_metrics = database.sink(partitioned(PLANT_TABLES.facility_metrics, options));
  }
  if (wanted.has("equipment_health")) {
    sinks.equipment_health = database.sink(partitioned(PLANT_TABLES.equipment_health, options));
  }
  if (wanted.has("production_efficiency")) {
    sinks.production_efficiency = database.sink(
      partitioned(PLANT_TABLES.production_efficiency, options),
    );
  }
  if (wanted.has("equipment_state")) {
    const current = database.sink<EquipmentStateRecord>({
      table: "equipment_state",
      columns: EQUIPMENT_STATE_COLUMNS,
      key: ["id"],
      row: (r) => r,
      newerBy: "updated_at_ms",
      ...(options.batchRows !== undefined ? { batchRows: options.batchRows } : {}),
      ...(options.maxDelayMs !== undefined ? { maxDelayMs: options.maxDelayMs } : {}),
    });
    const history = database.sink(partitioned(PLANT_TABLES.equipment_state_history, options));
    sinks.equipment_state = new FanOutSink<EquipmentStateRecord>([
      { name: "current", sink: current },
      { name: "history", sink: history },
    ]);
  }
  if (wanted.has("readings"))
    sinks.readings = database.sink(partitioned(PLANT_TABLES.readings, options));
  return sinks;
}
