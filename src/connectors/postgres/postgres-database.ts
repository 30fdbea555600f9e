/**
 * One PostgreSQL database as a destination of outputs: a `pg` pool, a schema brought
 * up to date by versioned migrations before the first write, and time partitions
 * created on demand. It hands out one {@link PostgresTableSink} per table.
 */
import type pg from "pg";
import type { Sink } from "../../engine/index.js";
import { type RetryOptions, withRetry } from "../retry.js";
import { describePgError, isTransientPgError, PostgresSinkError } from "./errors.js";
import { plainIdentifier, quoteIdentifier } from "./identifiers.js";
import { type Migration, migrate } from "./migrations.js";
import { type PartitionInterval, partitionRange } from "./partitions.js";
import { pgLibrary } from "./pg-library.js";
import { type PostgresTableOptions, PostgresTableSink } from "./postgres-table-sink.js";

/** Options of {@link PostgresDatabase}: a connection string or a pool, a schema, its migrations. */
export type PostgresDatabaseOptions = (
  | {
      /** `postgres://user:password@host:5432/db`; the database makes and ends its own pool. */
      readonly connectionString: string;
      /** Connections of that pool. Default 4. */
      readonly maxConnections?: number;
    }
  | {
      /** A pool owned by the caller: `close` leaves it open. */
      readonly pool: pg.Pool;
    }
) & {
  /** The schema of the tables, created if missing. A plain identifier. Default `millstream`. */
  readonly schema?: string;
  /** Applied (once) before the first write; see {@link migrate}. Default none. */
  readonly migrations?: readonly Migration[];
  /** Retries of transient failures (lost connection, server restarting, deadlock). */
  readonly retry?: RetryOptions;
  /** Told of each retried failure. Default: a line on `console.warn`. */
  readonly onRetry?: (what: string, error: unknown, attempt: number, delayMs: number) => void;
};

/** Counters of a {@link PostgresDatabase}, for logs, metrics and benchmarks. */
export interface PostgresWriteStats {
  /** Rows sent in upserts (a replayed row counts again). */
  rows: number;
  /** Upsert statements that succeeded. */
  statements: number;
  /** Failed tries that were retried. */
  retries: number;
  /** Partitions this process created. */
  partitionsCreated: number;
}

/**
 * A PostgreSQL database that outputs are written to. The constructor does no I/O;
 * the first write (or {@link ready}) applies the migrations, retrying transient
 * failures. Partitions of range-partitioned tables are created when a write first
 * needs them (`CREATE TABLE IF NOT EXISTS … PARTITION OF …` under an advisory lock on
 * the table, so concurrent writers do not collide) and remembered.
 */
export class PostgresDatabase {
  /** The schema name (unquoted). */
  readonly schema: string;
  readonly description: string;
  readonly pool: pg.Pool;
  readonly stats: PostgresWriteStats = { rows: 0, statements: 0, retries: 0, partitionsCreated: 0 };
  readonly #ownsPool: boolean;
  readonly #migrations: readonly Migration[];
  readonly #retry: RetryOptions;
  readonly #onRetry: NonNullable<PostgresDatabaseOptions["onRetry"]>;
  #ready: Promise<void> | null = null;
  /** Per table: starts (epoch ms) of the partitions known to exist. */
  readonly #partitions = new Map<string, Set<number>>();
  #closed = false;

  constructor(options: PostgresDatabaseOptions) {
    this.schema = plainIdentifier(options.schema ?? "millstream", "schema");
    if ("pool" in options && options.pool) {
      this.pool = options.pool;
      this.#ownsPool = false;
    } else {
      const { connectionString, maxConnections } = options as {
        connectionString: string;
        maxConnections?: number;
      };
      if (typeof connectionString !== "string" || connectionString === "") {
        throw new TypeError("PostgresDatabase: give `connectionString` or `pool`");
      }
      this.pool = new (pgLibrary().Pool)({
        connectionString,
        max: maxConnections ?? 4,
        connectionTimeoutMillis: 10_000,
      });
      // An idle client losing its connection must not crash the process: the next query reconnects.
      this.pool.on("error", () => undefined);
      this.#ownsPool = true;
    }
    this.#migrations = options.migrations ?? [];
    this.#retry = options.retry ?? {};
    this.#onRetry =
      options.onRetry ??
      ((what, error, attempt, delayMs) =>
        console.warn(
          `postgres ${this.schema}: ${what} failed (try ${attempt}), retrying in ${delayMs} ms: ${describePgError(error)}`,
        ));
    this.description = `postgres:${this.schema}`;
  }

  /**
   * Applies the migrations (once; a failed attempt is tried again by the next call).
   * Rejects with a {@link PostgresSinkError} when they cannot be applied.
   */
  ready(): Promise<void> {
    if (this.#closed) return Promise.reject(new PostgresSinkError(`${this.description}: closed`));
    this.#ready ??= this.run("applying migrations", async () => {
      await migrate(this.pool, this.schema, this.#migrations);
    }).catch((error: unknown) => {
      this.#ready = null;
      throw error;
    });
    return this.#ready;
  }

  /** A sink upserting records into one table of this database; see {@link PostgresTableSink}. */
  sink<T>(options: PostgresTableOptions<T>): Sink<T> {
    return new PostgresTableSink(this, options);
  }

  /**
   * Runs `operation`, retrying it on transient failures with the database's retry
   * options (and on errors `alsoTransient` accepts). A PostgresSinkError (permanent
   * by construction) is rethrown as is; a failure that remains is wrapped in one
   * naming `what`.
   */
  async run<R>(
    what: string,
    operation: () => Promise<R>,
    alsoTransient?: (error: unknown) => boolean,
  ): Promise<R> {
    let attempts = 0;
    try {
      return await withRetry(
        () => {
          attempts++;
          return operation();
        },
        {
          ...this.#retry,
          isTransient: (error) =>
            !(error instanceof PostgresSinkError) &&
            (isTransientPgError(error) || alsoTransient?.(error) === true),
          onRetry: (error, attempt, delayMs) => {
            this.stats.retries++;
            this.#onRetry(what, error, attempt, delayMs);
          },
          stopped: () => this.#closed,
        },
      );
    } catch (error) {
      if (error instanceof PostgresSinkError) throw error;
      const tries = attempts > 1 ? ` after ${attempts} tries` : "";
      throw new PostgresSinkError(
        `${this.description}: ${what} failed${tries}: ${describePgError(error)}`,
        { cause: error },
      );
    }
  }

  /**
   * Makes sure the partitions of `table` starting at `starts` exist, creating the
   * missing ones. Runs inside the caller's retried operation.
   */
  async ensurePartitions(
    table: string,
    interval: PartitionInterval,
    starts: Iterable<number>,
  ): Promise<void> {
    let known = this.#partitions.get(table);
    if (known === undefined) {
      known = new Set();
      this.#partitions.set(table, known);
    }
    const missing = [...starts].filter((s) => !known.has(s));
    if (missing.length === 0) return;
    const schema = quoteIdentifier(this.schema);
    const client = await this.pool.connect();
    let ok = false;
    try {
      await client.query("BEGIN");
      await client.query("SELECT pg_advisory_xact_lock(hashtext($1))", [
        `millstream:partitions:${this.schema}.${table}`,
      ]);
      for (const start of missing) {
        const range = partitionRange(start, interval);
        const name = quoteIdentifier(`${table}_p${range.suffix}`);
        const result = await client.query(`SELECT to_regclass($1) IS NOT NULL AS present`, [
          `${schema}.${name}`,
        ]);
        if (result.rows[0]?.present !== true) {
          await client.query(
            `CREATE TABLE ${schema}.${name} PARTITION OF ${schema}.${quoteIdentifier(table)} ` +
              `FOR VALUES FROM ('${new Date(range.start).toISOString()}') TO ('${new Date(range.end).toISOString()}')`,
          );
          this.stats.partitionsCreated++;
        }
      }
      await client.query("COMMIT");
      ok = true;
    } finally {
      if (!ok) await client.query("ROLLBACK").catch(() => undefined);
      client.release(!ok);
    }
    for (const start of missing) known.add(start);
  }

  /** Forgets the partitions known for `table` (after a write found one missing). */
  forgetPartitions(table: string): void {
    this.#partitions.delete(table);
  }

  /** Ends the pool if the database made it. Writers still open fail their next write. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#ownsPool) await this.pool.end();
  }
}
