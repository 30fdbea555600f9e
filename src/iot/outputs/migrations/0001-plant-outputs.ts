/**
 * Migration 1: the tables of the plant pipeline's outputs. Window results, anomalies,
 * equipment state history and raw readings are range-partitioned by event time (the
 * partitions are created by the sink as data arrives); the latest equipment state is
 * one plain row per equipment. Every table's key is the record's deterministic id
 * (plus the partition column, which PostgreSQL requires in a partitioned table's key).
 * Never edit a released migration: add the next one.
 */
import type { Migration } from "../../../connectors/postgres/index.js";

const WINDOW = `
  window_start timestamptz NOT NULL,
  window_end timestamptz NOT NULL,
  window_start_ms bigint NOT NULL,
  window_end_ms bigint NOT NULL,
  emission text NOT NULL`;

const EQUIPMENT_STATE = `
  equipment_id text NOT NULL,
  facility_id text NOT NULL,
  production_line text,
  equipment_class text,
  criticality text,
  status text NOT NULL,
  updated_at timestamptz NOT NULL,
  updated_at_ms bigint NOT NULL,
  last_reading_at timestamptz NOT NULL,
  last_reading_at_ms bigint NOT NULL,
  last_sensor_id text NOT NULL,
  last_sensor_type text NOT NULL,
  last_value double precision,
  readings bigint NOT NULL,
  fault_count bigint NOT NULL,
  runtime_hours double precision NOT NULL,
  worst_anomaly jsonb`;

export const plantOutputsMigration: Migration = {
  version: 1,
  name: "plant outputs",
  up: (s) => [
    `CREATE TABLE ${s}.anomalies (
      id text NOT NULL,
      event_time timestamptz NOT NULL,
      event_time_ms bigint NOT NULL,
      detector text NOT NULL,
      severity text NOT NULL,
      sensor_id text NOT NULL,
      equipment_id text,
      facility_id text NOT NULL,
      production_line text,
      sensor_type text NOT NULL,
      detected_at timestamptz NOT NULL,
      value double precision,
      baseline jsonb NOT NULL,
      score double precision,
      message text NOT NULL,
      PRIMARY KEY (id, event_time)
    ) PARTITION BY RANGE (event_time)`,
    `CREATE INDEX anomalies_facility_time ON ${s}.anomalies (facility_id, event_time)`,
    `CREATE INDEX anomalies_equipment_time ON ${s}.anomalies (equipment_id, event_time)`,

    `CREATE TABLE ${s}.facility_metrics (
      id text NOT NULL,${WINDOW},
      facility_id text NOT NULL,
      facility_name text,
      readings integer NOT NULL,
      active_sensors integer NOT NULL,
      active_equipment integer NOT NULL,
      unassigned_readings integer NOT NULL,
      quality_alerts integer NOT NULL,
      anomalies integer NOT NULL,
      by_sensor_type jsonb NOT NULL,
      PRIMARY KEY (id, window_start)
    ) PARTITION BY RANGE (window_start)`,
    `CREATE INDEX facility_metrics_facility_time ON ${s}.facility_metrics (facility_id, window_start)`,

    `CREATE TABLE ${s}.equipment_health (
      id text NOT NULL,${WINDOW},
      facility_id text NOT NULL,
      equipment_id text NOT NULL,
      sensor_type text NOT NULL,
      production_line text,
      count integer NOT NULL,
      avg double precision,
      max double precision,
      stddev double precision,
      avg_quality double precision,
      status text NOT NULL,
      PRIMARY KEY (id, window_start)
    ) PARTITION BY RANGE (window_start)`,
    `CREATE INDEX equipment_health_equipment_time ON ${s}.equipment_health (equipment_id, window_start)`,

    `CREATE TABLE ${s}.production_efficiency (
      id text NOT NULL,${WINDOW},
      facility_id text NOT NULL,
      production_line text NOT NULL,
      shift text NOT NULL,
      readings integer NOT NULL,
      avg_power double precision,
      avg_vibration double precision,
      avg_temperature double precision,
      active_equipment integer NOT NULL,
      running_equipment integer NOT NULL,
      optimal_readings integer NOT NULL,
      power_readings integer NOT NULL,
      running_readings integer NOT NULL,
      optimal_share double precision,
      utilization double precision,
      efficiency_score double precision,
      PRIMARY KEY (id, window_start)
    ) PARTITION BY RANGE (window_start)`,
    `CREATE INDEX production_efficiency_line_time ON ${s}.production_efficiency (facility_id, production_line, window_start)`,

    `CREATE TABLE ${s}.equipment_state (
      id text PRIMARY KEY,${EQUIPMENT_STATE}
    )`,
    `CREATE INDEX equipment_state_facility ON ${s}.equipment_state (facility_id)`,

    `CREATE TABLE ${s}.equipment_state_history (
      id text NOT NULL,${EQUIPMENT_STATE},
      PRIMARY KEY (id, updated_at)
    ) PARTITION BY RANGE (updated_at)`,
    `CREATE INDEX equipment_state_history_equipment_time ON ${s}.equipment_state_history (equipment_id, updated_at)`,

    `CREATE TABLE ${s}.readings (
      id text NOT NULL,
      "timestamp" timestamptz NOT NULL,
      sensor_id text NOT NULL,
      facility_id text NOT NULL,
      sensor_type text NOT NULL,
      value double precision,
      quality_score double precision,
      equipment_id text,
      production_line text,
      shift text,
      unit text,
      temperature_celsius double precision,
      humidity double precision,
      acceleration_x double precision,
      acceleration_y double precision,
      acceleration_z double precision,
      pressure_psi double precision,
      flow_rate double precision,
      voltage double precision,
      current double precision,
      power_watts double precision,
      PRIMARY KEY (id, "timestamp")
    ) PARTITION BY RANGE ("timestamp")`,
    `CREATE INDEX readings_sensor_time ON ${s}.readings (sensor_id, "timestamp")`,
  ],
};
