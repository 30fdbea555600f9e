/**
 * The checkpoint store for jobs on many machines: PostgreSQL through a `pg` pool.
 *
 * Same layout and semantics as the SQLite store: keyed state as versioned rows (one
 * per key and checkpoint that wrote it, `state` NULL for a tombstone), a checkpoint's
 * full state read as each key's row with the highest checkpoint id <= it, one
 * transaction per commit that checks the id, bulk-inserts the delta, records the
 * checkpoint with its checksum and drops the versions the two newest checkpoints no
 * longer need. A transaction-scoped advisory lock per job makes the id check race-free
 * between processes; processes writing different jobs do not wait for each other.
 */
import type pg from "pg";
import type {
  CheckpointData,
  CheckpointStore,
  StateRow,
  StoredCheckpoint,
} from "../../engine/checkpoint/checkpoint-store.js";
import { pgLibrary } from "../postgres/pg-library.js";
import {
  ChecksumBuilder,
  checkpointName,
  type PreparedCheckpoint,
  prepareCheckpoint,
} from "./checkpoint-checksum.js";
import {
  type CheckpointRecord,
  encodeMetadata,
  type LoadedState,
  newestIntact,
  verifyCheckpoint,
} from "./checkpoint-verification.js";
import { CheckpointSchemaError, CheckpointStoreError, outOfSequence } from "./errors.js";

/** Options of {@link PostgresCheckpointStore}: a connection string or a pool, and where. */
export type PostgresCheckpointStoreOptions = (
  | {
      /** `postgres://user@host:5432/db`; the store creates and ends its own pool. */
      readonly connectionString: string;
      /** Connections of the store's own pool (default 4). */
      readonly maxConnections?: number;
    }
  | {
      /** A pool owned by the caller: `close` does not end it. */
      readonly pool: pg.Pool;
    }
) & {
  /**
   * The schema holding the store's tables (`checkpoints`, `checkpoint_state`,
   * `checkpoint_schema_version`), created if missing. Letters, digits and `_`, not
   * starting with a digit, at most 63 characters. Default `millstream`.
   */
  readonly schema?: string;
  /**
   * Receives one line per checkpoint skipped as corrupt by `latest` (and per corrupt
   * checkpoint replaced by a commit). Default: `console.warn`.
   */
  readonly onWarning?: (message: string) => void;
};

/** The schema version this code writes. A schema of a higher version is refused. */
export const POSTGRES_SCHEMA_VERSION = 1;

/** Migrations, the one at index i taking the schema from version i to i + 1 (`$S` = schema). */
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE $S.checkpoints (
     job text COLLATE "C" NOT NULL,
     id bigint NOT NULL,
     created_at double precision NOT NULL,
     shared text NOT NULL,
     positions text NOT NULL,
     sinks text NOT NULL,
     row_count integer NOT NULL,
     checksum text NOT NULL,
     PRIMARY KEY (job, id)
   );
   CREATE TABLE $S.checkpoint_state (
     job text COLLATE "C" NOT NULL,
     step text COLLATE "C" NOT NULL,
     partition integer NOT NULL,
     key text COLLATE "C" NOT NULL,
     checkpoint_id bigint NOT NULL,
     state text,
     PRIMARY KEY (job, step, partition, key, checkpoint_id)
   );
   CREATE INDEX checkpoint_state_by_checkpoint ON $S.checkpoint_state (job, checkpoint_id);
   CREATE INDEX checkpoint_state_tombstones ON $S.checkpoint_state (job, checkpoint_id)
     WHERE state IS NULL;`,
];

/** Rows sent in one INSERT statement. */
const ROWS_PER_STATEMENT = 5000;

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

type Queryable = pg.PoolClient;

/**
 * A {@link CheckpointStore} in PostgreSQL, shared by processes on many machines, each
 * writing its own jobs. The constructor does no I/O: the schema and tables are created
 * (or migrated) by the first call, which is retried by the next call if it failed; a
 * schema of a newer version makes calls reject with `CheckpointSchemaError`.
 * Calls may run concurrently, each on its own pooled connection.
 */
export class PostgresCheckpointStore implements CheckpointStore {
  readonly description: string;
  /** The schema holding the tables. */
  readonly schema: string;
  readonly #pool: pg.Pool;
  readonly #ownsPool: boolean;
  readonly #warn: (message: string) => void;
  readonly #t: { checkpoints: string; state: string; version: string };
  #ready: Promise<void> | null = null;
  #closed = false;

  constructor(options: PostgresCheckpointStoreOptions) {
    this.schema = options.schema ?? "millstream";
    if (!IDENTIFIER.test(this.schema)) {
      throw new CheckpointStoreError(
        `PostgreSQL checkpoint store: schema ${JSON.stringify(this.schema)} is not a plain identifier (letters, digits, _; at most 63)`,
      );
    }
    const s = `"${this.schema}"`;
    this.#t = {
      checkpoints: `${s}.checkpoints`,
      state: `${s}.checkpoint_state`,
      version: `${s}.checkpoint_schema_version`,
    };
    if ("pool" in options) {
      this.#pool = options.pool;
      this.#ownsPool = false;
      this.description = `postgres:schema=${this.schema}`;
    } else {
      this.#pool = new (pgLibrary().Pool)({
        connectionString: options.connectionString,
        max: options.maxConnections ?? 4,
      });
      this.#pool.on("error", () => {
        // An idle connection dropped by the server: the pool replaces it on next use.
      });
      this.#ownsPool = true;
      this.description = `postgres:${describeConnection(options.connectionString)} schema=${this.schema}`;
    }
    this.#warn = options.onWarning ?? ((message) => console.warn(message));
  }

  /**
   * Commits `data` atomically (see {@link CheckpointStore.commit}). Rejects with
   * `InvalidCheckpointError` for malformed data, `CheckpointSequenceError` when the id
   * is not the job's latest plus one, and `CheckpointStoreError` when PostgreSQL fails;
   * in every case nothing of the checkpoint is kept. An id that is not the latest plus
   * one is accepted in one case: when every checkpoint from that id on is corrupt (as
   * after `latest` fell back past them), they are replaced, with a warning.
   */
  async commit(data: CheckpointData): Promise<void> {
    const checkpoint = prepareCheckpoint(data);
    const { job, id, rows } = checkpoint;
    const name = checkpointName(job, id);
    await this.#withClient(`cannot commit ${name}`, async (client) => {
      await client.query("BEGIN");
      try {
        await client.query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", [
          `millstream-checkpoint:${JSON.stringify([this.schema, job])}`,
        ]);
        await this.#checkSequence(client, checkpoint);
        const checksum = new ChecksumBuilder(job, id, checkpoint.createdAt);
        for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) {
          const slice = rows.slice(i, i + ROWS_PER_STATEMENT);
          for (const row of slice) checksum.addRow(row);
          await client.query(
            `INSERT INTO ${this.#t.state} (job, step, partition, key, checkpoint_id, state)
             SELECT $1, e->>0, (e->>1)::integer, e->>2, $2, e->>3
             FROM json_array_elements($3::json) AS e`,
            [job, id, JSON.stringify(slice.map((r) => [r.step, r.partition, r.key, r.state]))],
          );
        }
        const meta = encodeMetadata(checkpoint);
        await client.query(
          `INSERT INTO ${this.#t.checkpoints}
             (job, id, created_at, shared, positions, sinks, row_count, checksum)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
          [
            job,
            id,
            checkpoint.createdAt,
            meta.shared,
            meta.positions,
            meta.sinks,
            rows.length,
            checksum.finish(checkpoint.shared, checkpoint.positions, checkpoint.sinks),
          ],
        );
        if (id > 1) await this.#compact(client, job, id - 1);
        await client.query("COMMIT");
      } catch (error) {
        await client.query("ROLLBACK").catch(() => undefined);
        throw error;
      }
    });
  }

  /**
   * The job's newest intact checkpoint with its keyed state in full, or `null` (see
   * {@link CheckpointStore.latest}). Reads one consistent snapshot. Each checkpoint
   * skipped as corrupt is reported through `onWarning`. Rejects with
   * `CheckpointStoreError` when PostgreSQL fails.
   */
  async latest(job: string): Promise<StoredCheckpoint | null> {
    return this.#withClient(
      `cannot read the latest checkpoint of job ${JSON.stringify(job)}`,
      async (client) => {
        await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
        try {
          const records = await this.#records(client, job);
          return await newestIntact(
            this.description,
            job,
            records,
            (record) => this.#load(client, job, record.id),
            this.#warn,
          );
        } finally {
          await client.query("COMMIT").catch(() => undefined);
        }
      },
    );
  }

  /**
   * Waits for the schema set-up, then ends the store's own pool (waiting for calls in
   * progress); a pool passed in is left open. Calling it again does nothing.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#ready?.catch(() => undefined);
    if (this.#ownsPool) await this.#pool.end();
  }

  async #withClient<T>(what: string, work: (client: Queryable) => Promise<T>): Promise<T> {
    if (this.#closed) throw new CheckpointStoreError(`${this.description}: the store is closed`);
    // Set up the tables on first use; after a failure (server down), try again next call.
    this.#ready ??= this.#migrate().catch((error: unknown) => {
      this.#ready = null;
      throw error;
    });
    await this.#ready;
    let client: pg.PoolClient;
    try {
      client = await this.#pool.connect();
    } catch (error) {
      throw this.#failure(`${what}: cannot connect`, error);
    }
    let broken = false;
    try {
      return await work(client);
    } catch (error) {
      broken = !(error instanceof CheckpointStoreError) && !isServerError(error);
      throw this.#failure(what, error);
    } finally {
      client.release(broken);
    }
  }

  async #migrate(): Promise<void> {
    const what = "cannot set up the checkpoint tables";
    let client: pg.PoolClient;
    try {
      client = await this.#pool.connect();
    } catch (error) {
      throw this.#failure(`${what}: cannot connect`, error);
    }
    try {
      await client.query("BEGIN");
      await client.query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", [
        `millstream-checkpoint-migrate:${this.schema}`,
      ]);
      const exists = await client.query("SELECT 1 FROM pg_namespace WHERE nspname = $1", [
        this.schema,
      ]);
      if (exists.rowCount === 0) await client.query(`CREATE SCHEMA "${this.schema}"`);
      const table = await client.query("SELECT to_regclass($1) AS found", [this.#t.version]);
      if (table.rows[0]?.found === null) {
        await client.query(`CREATE TABLE ${this.#t.version} (version integer NOT NULL)`);
      }
      const found = await client.query<{ version: number | null }>(
        `SELECT max(version) AS version FROM ${this.#t.version}`,
      );
      const version = found.rows[0]?.version ?? 0;
      if (version > POSTGRES_SCHEMA_VERSION) {
        throw new CheckpointSchemaError(
          `${this.description}: the checkpoint tables have schema version ${version}; this millstream knows versions up to ${POSTGRES_SCHEMA_VERSION}`,
        );
      }
      for (let v = version; v < POSTGRES_SCHEMA_VERSION; v++) {
        await client.query(MIGRATIONS[v]!.replaceAll("$S", `"${this.schema}"`));
      }
      if (version < POSTGRES_SCHEMA_VERSION) {
        await client.query(`DELETE FROM ${this.#t.version}`);
        await client.query(`INSERT INTO ${this.#t.version} (version) VALUES ($1)`, [
          POSTGRES_SCHEMA_VERSION,
        ]);
      }
      await client.query("COMMIT");
      client.release();
    } catch (error) {
      await client.query("ROLLBACK").catch(() => undefined);
      client.release(true);
      throw this.#failure(what, error);
    }
  }

  async #records(client: Queryable, job: string): Promise<CheckpointRecord[]> {
    const result = await client.query<CheckpointRecord>(
      `SELECT id::float8 AS id, created_at AS "createdAt", shared, positions, sinks,
              row_count AS "rowCount", checksum
       FROM ${this.#t.checkpoints} WHERE job = $1 ORDER BY id DESC`,
      [job],
    );
    return result.rows;
  }

  /** The job's keyed state as of checkpoint `id`: in full, and that checkpoint's delta. */
  async #load(client: Queryable, job: string, id: number): Promise<LoadedState> {
    const result = await client.query<[string, number, string, string | null, boolean]>({
      text: `SELECT DISTINCT ON (step, partition, key)
                    step, partition, key, state, checkpoint_id = $2 AS in_delta
             FROM ${this.#t.state}
             WHERE job = $1 AND checkpoint_id <= $2
             ORDER BY step DESC, partition DESC, key DESC, checkpoint_id DESC`,
      values: [job, id],
      rowMode: "array",
    });
    const rows: StateRow[] = [];
    const delta: StateRow[] = [];
    // Read backwards: the query returns keys in descending order.
    for (let i = result.rows.length - 1; i >= 0; i--) {
      const [step, partition, key, state, inDelta] = result.rows[i]!;
      const row: StateRow = { step, partition, key, state };
      if (state !== null) rows.push(row);
      if (inDelta) delta.push(row);
    }
    return { rows, delta };
  }

  /**
   * Throws `CheckpointSequenceError` unless `checkpoint.id` is the job's latest plus
   * one, or replaces the job's checkpoints from that id on when all of them are corrupt.
   */
  async #checkSequence(client: Queryable, checkpoint: PreparedCheckpoint): Promise<void> {
    const { job, id } = checkpoint;
    const records = await this.#records(client, job);
    const latest = records[0]?.id ?? 0;
    if (id === latest + 1) return;
    const later = records.filter((r) => r.id >= id);
    let allCorrupt = id <= latest && (id === 1 || records.some((r) => r.id === id - 1));
    for (const record of later) {
      if (!allCorrupt) break;
      const state = await this.#load(client, job, record.id);
      if (verifyCheckpoint(job, record, state).ok) allCorrupt = false;
    }
    if (!allCorrupt) throw outOfSequence(this.description, job, id, latest);
    await client.query(`DELETE FROM ${this.#t.state} WHERE job = $1 AND checkpoint_id >= $2`, [
      job,
      id,
    ]);
    await client.query(`DELETE FROM ${this.#t.checkpoints} WHERE job = $1 AND id >= $2`, [job, id]);
    this.#warn(
      `${this.description}: ${checkpointName(job, id)} replaces corrupt checkpoint(s) ${later.map((r) => r.id).join(", ")}`,
    );
  }

  /** Drops what neither checkpoint `previous` nor `previous + 1` needs. */
  async #compact(client: Queryable, job: string, previous: number): Promise<void> {
    await client.query(
      `DELETE FROM ${this.#t.state} AS old USING ${this.#t.state} AS cur
       WHERE cur.job = $1 AND cur.checkpoint_id = $2
         AND old.job = $1 AND old.step = cur.step AND old.partition = cur.partition
         AND old.key = cur.key AND old.checkpoint_id < cur.checkpoint_id`,
      [job, previous],
    );
    await client.query(
      `DELETE FROM ${this.#t.state} WHERE job = $1 AND checkpoint_id < $2 AND state IS NULL`,
      [job, previous],
    );
    await client.query(`DELETE FROM ${this.#t.checkpoints} WHERE job = $1 AND id < $2`, [
      job,
      previous,
    ]);
  }

  #failure(what: string, error: unknown): CheckpointStoreError {
    if (error instanceof CheckpointStoreError) return error;
    return new CheckpointStoreError(`${this.description}: ${what}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/** An error the server reported (the connection is still usable after a rollback). */
function isServerError(error: unknown): boolean {
  return error instanceof pgLibrary().DatabaseError;
}

/** `user@host:port/database` of a connection string, without its password. */
function describeConnection(connectionString: string): string {
  try {
    const url = new URL(connectionString);
    const user = url.username ? `${decodeURIComponent(url.username)}@` : "";
    return `${user}${url.host}${url.pathname}`;
  } catch {
    return "(connection string)";
  }
}
