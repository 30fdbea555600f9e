/**
 * The PostgreSQL connector: tables created by versioned migrations, time-partitioned
 * tables with partitions created on demand, and idempotent batched upserts by key.
 */
export {
  describePgError,
  isTransientPgError,
  PostgresMigrationError,
  PostgresSinkError,
} from "./errors.js";
export { plainIdentifier, quoteIdentifier } from "./identifiers.js";
export { type Migration, type MigrationResult, migrate, migrationChecksum } from "./migrations.js";
export {
  PARTITION_INTERVALS,
  type PartitionInterval,
  type PartitionRange,
  partitionRange,
  partitionStart,
} from "./partitions.js";
export {
  PostgresDatabase,
  type PostgresDatabaseOptions,
  type PostgresWriteStats,
} from "./postgres-database.js";
export { PostgresTableSink, type PostgresTableOptions } from "./postgres-table-sink.js";
