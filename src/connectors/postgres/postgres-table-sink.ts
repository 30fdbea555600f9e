/**
 * A sink that upserts records into one PostgreSQL table by their deterministic key:
 * batched, one `INSERT … SELECT … FROM json_populate_recordset(…) ON CONFLICT (key)
 * DO UPDATE` per batch, so a replay after a crash rewrites the same rows instead of
 * adding new ones.
 */
import type { Batch, Sink, SinkContext, SinkWriter } from "../../engine/index.js";
import type { RetryOptions } from "../retry.js";
import { SerialQueue } from "../serial-queue.js";
import { PostgresSinkError } from "./errors.js";
import { plainIdentifier, quoteIdentifier } from "./identifiers.js";
import { PARTITION_INTERVALS, type PartitionInterval, partitionStart } from "./partitions.js";
import type { PostgresDatabase } from "./postgres-database.js";

const DEFAULT_BATCH_ROWS = 2000;
const DEFAULT_MAX_DELAY_MS = 1000;
const DEFAULT_STATEMENT_ROWS = 5000;

/** Where and how {@link PostgresTableSink} writes. */
export interface PostgresTableOptions<T> {
  /** The table (created by a migration), in the database's schema. A plain identifier. */
  readonly table: string;
  /** The columns written, each a key of the objects `row` returns. Plain identifiers. */
  readonly columns: readonly string[];
  /**
   * A record's row: column name → value (`null` for SQL NULL; a string, number or
   * boolean; an object or array for a `jsonb` column; an ISO-8601 string for a
   * `timestamptz`). Values are converted by PostgreSQL as `json_populate_recordset`
   * does; a value that does not fit its column fails the write with a
   * {@link PostgresSinkError} naming the table.
   */
  readonly row: (value: T) => object;
  /**
   * The columns of the table's primary key or unique constraint (the `ON CONFLICT`
   * target): a record's identity. A partitioned table's key includes its partition column.
   */
  readonly key: readonly string[];
  /**
   * For a range-partitioned table: the partition column, the partition interval and
   * the record's time (epoch ms, the same instant as the column's value). Missing
   * partitions are created before a write needs them.
   */
  readonly partition?: {
    readonly column: string;
    readonly interval: PartitionInterval;
    readonly time: (value: T) => number;
  };
  /** `"update"` (default) replaces a row with the same key; `"ignore"` keeps the first one. */
  readonly onConflict?: "update" | "ignore";
  /**
   * A column (not of the key) such that a row is replaced only by one whose value
   * there is at least as great, e.g. the `updated_at_ms` of a latest-state table: a
   * replay rewriting older states never moves the row back in time.
   */
  readonly newerBy?: string;
  /** Buffered rows after which `needsFlush` turns true. Default 2000. */
  readonly batchRows?: number;
  /** Age (ms) of the oldest buffered row after which `needsFlush` turns true. Default 1000. */
  readonly maxDelayMs?: number;
  /** Rows per statement. Default 5000. */
  readonly statementRows?: number;
  /** The clock of `maxDelayMs`. Default `Date.now`. */
  readonly now?: () => number;
  /** Overrides the database's retry options for this table. */
  readonly retry?: RetryOptions;
}

/**
 * Upserts records into `schema.table` by `key`. Records are visible in the table as
 * soon as they are flushed, before the checkpoint that covers them commits: the sink
 * is idempotent rather than transactional.
 *
 * - `write` turns each record into its row, serialised at once (so the batch may be
 *   reused), and buffers it; rows with the same key in one flush are merged (the
 *   last one wins), as one statement cannot update a row twice.
 * - `needsFlush` turns true at `batchRows` buffered rows or when the oldest is
 *   `maxDelayMs` old; `flush` upserts the buffer, `statementRows` rows per statement,
 *   each statement in its own transaction, in write order.
 * - `prepareCommit(n)` flushes everything and returns `null`: once it resolves, the
 *   checkpoint's records are in the table. `commit` does nothing.
 * - Transient failures (lost connection, server restarting, deadlock) are retried with
 *   backoff; a statement's effect is the same when run again. Any other failure (a
 *   value that does not fit, a missing table) rejects with a {@link PostgresSinkError}
 *   naming the table and the SQLSTATE, and the writer is unusable from then on.
 * - Replays rewrite the same keys with the records the replay produces; with
 *   `onConflict: "update"` a row whose values did not change is not rewritten, and
 *   with `newerBy` a row is never replaced by an older one.
 * - `close` waits for writes in progress and drops what was buffered (it is replayed
 *   from the last checkpoint); it leaves the database's pool open.
 */
export class PostgresTableSink<T> implements Sink<T> {
  readonly description: string;
  readonly #database: PostgresDatabase;
  readonly #options: PostgresTableOptions<T>;
  readonly #sql: string;

  constructor(database: PostgresDatabase, options: PostgresTableOptions<T>) {
    validate(options);
    this.#database = database;
    this.#options = options;
    this.description = `postgres:${database.schema}.${options.table}`;
    this.#sql = upsertStatement(database.schema, options);
  }

  async open(_context: SinkContext): Promise<SinkWriter<T>> {
    await this.#database.ready();
    return new PostgresTableWriter(this.#database, this.#options, this.#sql, this.description);
  }
}

/** `INSERT … SELECT … FROM json_populate_recordset(NULL::table, $1) ON CONFLICT …`. */
function upsertStatement<T>(schemaName: string, options: PostgresTableOptions<T>): string {
  const table = `${quoteIdentifier(schemaName)}.${quoteIdentifier(options.table)}`;
  const columns = options.columns.map(quoteIdentifier);
  const list = columns.join(", ");
  const key = options.key.map(quoteIdentifier).join(", ");
  const updated = options.columns.filter((c) => !options.key.includes(c)).map(quoteIdentifier);
  let conflict: string;
  if (options.onConflict === "ignore" || updated.length === 0) conflict = "DO NOTHING";
  else {
    const set = updated.map((c) => `${c} = EXCLUDED.${c}`).join(", ");
    const current = updated.map((c) => `t.${c}`).join(", ");
    const incoming = updated.map((c) => `EXCLUDED.${c}`).join(", ");
    const row = (list: string) => (updated.length === 1 ? list : `ROW(${list})`);
    const newer =
      options.newerBy === undefined
        ? ""
        : ` AND EXCLUDED.${quoteIdentifier(options.newerBy)} >= t.${quoteIdentifier(options.newerBy)}`;
    conflict = `DO UPDATE SET ${set} WHERE ${row(current)} IS DISTINCT FROM ${row(incoming)}${newer}`;
  }
  return (
    `INSERT INTO ${table} AS t (${list}) SELECT ${list} FROM json_populate_recordset(NULL::${table}, $1::json) ` +
    `ON CONFLICT (${key}) ${conflict}`
  );
}

function validate<T>(options: PostgresTableOptions<T>): void {
  const fail = (message: string): never => {
    throw new TypeError(`PostgresTableSink: ${message}`);
  };
  plainIdentifier(options.table, "table");
  if (options.partition && options.table.length > 52) {
    fail(`table "${options.table}" is too long for partition names (at most 52 characters)`);
  }
  if (!Array.isArray(options.columns) || options.columns.length === 0)
    fail("`columns` must list at least one column");
  for (const c of options.columns) plainIdentifier(c, "column");
  if (new Set(options.columns).size !== options.columns.length)
    fail("`columns` names a column twice");
  if (!Array.isArray(options.key) || options.key.length === 0)
    fail("`key` must name at least one column");
  for (const k of options.key) {
    if (!options.columns.includes(k)) fail(`key column "${k}" is not among \`columns\``);
  }
  if (typeof options.row !== "function") fail("`row` must be a function");
  if (
    options.newerBy !== undefined &&
    (!options.columns.includes(options.newerBy) || options.key.includes(options.newerBy))
  ) {
    fail(
      `\`newerBy\` column "${options.newerBy}" must be among \`columns\` and not part of \`key\``,
    );
  }
  const p = options.partition;
  if (p) {
    if (!options.key.includes(p.column)) {
      fail(
        `partition column "${p.column}" must be part of \`key\` (PostgreSQL requires it in the primary key)`,
      );
    }
    if (!PARTITION_INTERVALS.includes(p.interval)) {
      fail(
        `partition interval must be one of ${PARTITION_INTERVALS.join(", ")}, got ${JSON.stringify(p.interval)}`,
      );
    }
    if (typeof p.time !== "function") fail("`partition.time` must be a function");
  }
  for (const name of ["batchRows", "statementRows"] as const) {
    const v = options[name];
    if (v !== undefined && (!Number.isSafeInteger(v) || v < 1))
      fail(`\`${name}\` must be a positive integer, got ${v}`);
  }
  if (options.maxDelayMs !== undefined && !(options.maxDelayMs >= 0)) {
    fail(`\`maxDelayMs\` must be a number >= 0, got ${options.maxDelayMs}`);
  }
}

/** One buffered row: its JSON and, for a partitioned table, its partition's start. */
interface BufferedRow {
  readonly json: string;
  readonly partition: number;
}

/** Replaces NUL characters, which PostgreSQL text cannot hold, in strings of a JSON value. */
function withoutNul(_key: string, value: unknown): unknown {
  return typeof value === "string" ? value.replaceAll("\u0000", "\uFFFD") : value;
}

class PostgresTableWriter<T> implements SinkWriter<T> {
  readonly #database: PostgresDatabase;
  readonly #options: PostgresTableOptions<T>;
  readonly #sql: string;
  readonly #description: string;
  readonly #batchRows: number;
  readonly #maxDelayMs: number;
  readonly #statementRows: number;
  readonly #now: () => number;
  /** Buffered rows by key; a later row with the same key replaces the earlier one. */
  #rows = new Map<string, BufferedRow>();
  #firstBufferedAt = 0;
  readonly #queue = new SerialQueue(
    (cause) =>
      new PostgresSinkError(`${this.#description}: an earlier write failed; the sink is unusable`, {
        cause,
      }),
  );
  #closed = false;

  constructor(
    database: PostgresDatabase,
    options: PostgresTableOptions<T>,
    sql: string,
    description: string,
  ) {
    this.#database = database;
    this.#options = options;
    this.#sql = sql;
    this.#description = description;
    this.#batchRows = options.batchRows ?? DEFAULT_BATCH_ROWS;
    this.#maxDelayMs = options.maxDelayMs ?? DEFAULT_MAX_DELAY_MS;
    this.#statementRows = options.statementRows ?? DEFAULT_STATEMENT_ROWS;
    this.#now = options.now ?? Date.now;
  }

  get needsFlush(): boolean {
    const n = this.#rows.size;
    return (
      n >= this.#batchRows || (n > 0 && this.#now() - this.#firstBufferedAt >= this.#maxDelayMs)
    );
  }

  write(batch: Batch<T>): void {
    if (this.#closed) throw new PostgresSinkError(`${this.#description}: write after close`);
    this.#queue.check();
    const { values } = batch;
    if (values.length === 0) return;
    if (this.#rows.size === 0) this.#firstBufferedAt = this.#now();
    const { key, row, partition } = this.#options;
    for (let i = 0; i < values.length; i++) {
      const value = values[i] as T;
      let json: string;
      let id: string;
      let start = 0;
      try {
        const r = row(value);
        id = keyOf(r as Readonly<Record<string, unknown>>, key);
        json = JSON.stringify(r);
        if (json.includes("\\u0000")) json = JSON.stringify(r, withoutNul);
        if (partition) {
          const time = partition.time(value);
          if (!Number.isFinite(time))
            throw new RangeError(`partition time is ${time}, not a finite epoch ms`);
          start = partitionStart(time, partition.interval);
        }
      } catch (error) {
        throw new PostgresSinkError(
          `${this.#description}: cannot turn record ${i} of a batch into a row`,
          {
            cause: error,
          },
        );
      }
      this.#rows.delete(id);
      this.#rows.set(id, { json, partition: start });
    }
  }

  flush(): Promise<void> {
    if (this.#closed) return this.#rejectClosed("flush");
    const rows = this.#take();
    return this.#queue.run(() => this.#upsert(rows));
  }

  prepareCommit(_checkpointId: number): Promise<unknown> {
    if (this.#closed) return this.#rejectClosed("prepareCommit");
    const rows = this.#take();
    return this.#queue.run(() => this.#upsert(rows)).then(() => null);
  }

  commit(_checkpointId: number, _progress: unknown): Promise<void> {
    if (this.#closed) return this.#rejectClosed("commit");
    return this.#queue.run(async () => {});
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#rows = new Map();
    await this.#queue.idle();
  }

  #take(): BufferedRow[] {
    if (this.#rows.size === 0) return [];
    const rows = [...this.#rows.values()];
    this.#rows = new Map();
    return rows;
  }

  async #upsert(rows: readonly BufferedRow[]): Promise<void> {
    const { partition, table } = this.#options;
    for (let from = 0; from < rows.length; from += this.#statementRows) {
      const chunk = rows.slice(from, from + this.#statementRows);
      const json = `[${chunk.map((r) => r.json).join(",")}]`;
      const starts = partition ? new Set(chunk.map((r) => r.partition)) : null;
      await this.#database.run(
        `upserting ${chunk.length} rows into ${table}`,
        async () => {
          if (partition && starts) {
            await this.#database.ensurePartitions(table, partition.interval, starts);
          }
          try {
            await this.#database.pool.query(this.#sql, [json]);
          } catch (error) {
            // A partition dropped behind our back (retention): create it again and retry.
            if (partition && isMissingPartition(error)) this.#database.forgetPartitions(table);
            throw error;
          }
        },
        (error) => partition !== undefined && isMissingPartition(error),
      );
      this.#database.stats.rows += chunk.length;
      this.#database.stats.statements++;
    }
  }

  #rejectClosed(operation: string): Promise<never> {
    return Promise.reject(new PostgresSinkError(`${this.#description}: ${operation} after close`));
  }
}

/** The identity of a row: its key columns' values, which must not be null. */
function keyOf(row: Readonly<Record<string, unknown>>, key: readonly string[]): string {
  let id = "";
  for (const [i, k] of key.entries()) {
    const v = row[k];
    if (v === null || v === undefined) throw new TypeError(`key column "${k}" is ${v}`);
    id = i === 0 ? String(v) : `${id}\u0001${String(v)}`;
  }
  return id;
}

/** `no partition of relation … found for row` (SQLSTATE 23514). */
function isMissingPartition(error: unknown): boolean {
  return (
    error instanceof Error &&
    (error as { code?: unknown }).code === "23514" &&
    /no partition of relation/i.test(error.message)
  );
}
