/**
 * The durable checkpoint stores: SQLite (embedded, one machine) and PostgreSQL (jobs on
 * many machines). Both implement the engine's `CheckpointStore`; see
 * docs/checkpoints.md.
 */
export {
  CheckpointSchemaError,
  CheckpointSequenceError,
  CheckpointStoreError,
  InvalidCheckpointError,
} from "./errors.js";
export {
  POSTGRES_SCHEMA_VERSION,
  PostgresCheckpointStore,
  type PostgresCheckpointStoreOptions,
} from "./postgres-checkpoint-store.js";
export {
  SQLITE_SCHEMA_VERSION,
  SqliteCheckpointStore,
  type SqliteCheckpointStoreOptions,
} from "./sqlite-checkpoint-store.js";
