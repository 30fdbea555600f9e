/**
 * Versioned schema migrations: numbered steps of SQL, each applied once per schema
 * and recorded in its `schema_migrations` table, all pending ones in one transaction
 * under an advisory lock, so processes starting together apply them once.
 */
import { createHash } from "node:crypto";
import type pg from "pg";
import {
  describePgError,
  isTransientPgError,
  PostgresMigrationError,
  PostgresSinkError,
} from "./errors.js";
import { plainIdentifier, quoteIdentifier } from "./identifiers.js";

/**
 * One migration, written as a TypeScript module (see `src/iot/outputs/migrations/`).
 * Never change a migration once released: add a new one. The checksum of its SQL is
 * recorded, and a database whose applied migration differs is refused.
 */
export interface Migration {
  /** Position in the sequence: a positive integer, unique, applied in ascending order. */
  readonly version: number;
  /** A short description, recorded with the version. */
  readonly name: string;
  /**
   * The SQL statements of the migration, run in order. `schema` is the target schema,
   * already quoted (`"millstream"`): write `${schema}.anomalies`.
   */
  up(schema: string): readonly string[];
}

/** What {@link migrate} did. */
export interface MigrationResult {
  /** Versions applied by this call, ascending; empty when the schema was up to date. */
  readonly applied: readonly number[];
}

/** The checksum recorded for a migration: SHA-256 of its SQL for a placeholder schema. */
export function migrationChecksum(migration: Migration): string {
  return createHash("sha256").update(migration.up('"$schema"').join("\n;\n")).digest("hex");
}

function checkSequence(migrations: readonly Migration[]): Migration[] {
  const sorted = [...migrations].sort((a, b) => a.version - b.version);
  for (const [i, m] of sorted.entries()) {
    if (!Number.isSafeInteger(m.version) || m.version < 1) {
      throw new TypeError(
        `migration "${m.name}": version must be a positive integer, got ${m.version}`,
      );
    }
    if (i > 0 && sorted[i - 1]?.version === m.version) {
      throw new TypeError(`two migrations have version ${m.version}`);
    }
  }
  return sorted;
}

/**
 * Brings `schema` up to date with `migrations`: creates the schema and its
 * `schema_migrations (version, name, checksum, applied_at)` table if missing, then,
 * in one transaction holding an advisory lock on the schema, applies every migration
 * newer than the newest applied one, in order, recording each. Either all pending
 * migrations are applied or none is.
 *
 * Refuses, with a {@link PostgresMigrationError} and without changing anything, a
 * schema holding a migration this code does not know (written by a newer millstream),
 * one whose applied migration has a different checksum, or one missing a migration
 * older than an applied one; a migration statement failing is a PostgresMigrationError
 * too. A transient failure (lost connection) rejects with the `pg` error itself, for
 * the caller to retry: the transaction was rolled back.
 */
export async function migrate(
  pool: pg.Pool,
  schemaName: string,
  migrations: readonly Migration[],
): Promise<MigrationResult> {
  plainIdentifier(schemaName, "schema");
  const sorted = checkSequence(migrations);
  const schema = quoteIdentifier(schemaName);
  const client = await pool.connect();
  let done = false;
  try {
    await client.query("BEGIN");
    await client.query("SELECT pg_advisory_xact_lock(hashtext($1))", [
      `millstream:migrate:${schemaName}`,
    ]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${schema}.schema_migrations (
        version integer PRIMARY KEY,
        name text NOT NULL,
        checksum text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
      )`,
    );
    const { rows } = await client.query<{ version: number; name: string; checksum: string }>(
      `SELECT version, name, checksum FROM ${schema}.schema_migrations ORDER BY version`,
    );
    const known = new Map(sorted.map((m) => [m.version, m]));
    for (const row of rows) {
      const m = known.get(row.version);
      if (m === undefined) {
        throw new PostgresMigrationError(
          `postgres schema ${schemaName}: migration ${row.version} ("${row.name}") is applied there but unknown to this millstream (written by a newer version?); refusing to write`,
        );
      }
      if (migrationChecksum(m) !== row.checksum) {
        throw new PostgresMigrationError(
          `postgres schema ${schemaName}: migration ${row.version} ("${row.name}") was applied with different SQL than this millstream's; refusing to write`,
        );
      }
    }
    const newest = rows.at(-1)?.version ?? 0;
    const applied = new Set(rows.map((r) => r.version));
    const missing = sorted.filter((m) => m.version < newest && !applied.has(m.version));
    if (missing.length > 0) {
      throw new PostgresMigrationError(
        `postgres schema ${schemaName}: migration ${missing[0]?.version} was never applied, but the newer ${newest} was; refusing to write`,
      );
    }
    const pending = sorted.filter((m) => m.version > newest);
    for (const m of pending) {
      for (const statement of m.up(schema)) {
        try {
          await client.query(statement);
        } catch (error) {
          if (isTransientPgError(error)) throw error;
          throw new PostgresMigrationError(
            `postgres schema ${schemaName}: migration ${m.version} ("${m.name}") failed: ${describePgError(error)}`,
            { cause: error },
          );
        }
      }
      await client.query(
        `INSERT INTO ${schema}.schema_migrations (version, name, checksum) VALUES ($1, $2, $3)`,
        [m.version, m.name, migrationChecksum(m)],
      );
    }
    await client.query("COMMIT");
    done = true;
    return { applied: pending.map((m) => m.version) };
  } catch (error) {
    if (error instanceof PostgresSinkError || isTransientPgError(error)) throw error;
    throw new PostgresSinkError(
      `postgres schema ${schemaName}: cannot apply migrations: ${describePgError(error)}`,
      { cause: error },
    );
  } finally {
    if (!done) await client.query("ROLLBACK").catch(() => undefined);
    client.release(!done);
  }
}
