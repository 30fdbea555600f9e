/**
 * The embedded checkpoint store: one SQLite file (better-sqlite3) in WAL mode with
 * `synchronous=FULL`, so a committed checkpoint survives a crash of the process or
 * of the machine.
 *
 * Keyed state is kept as versioned rows: a row per (job, step, partition, key) and
 * checkpoint that wrote it, `state` NULL for a tombstone. Checkpoint C's full state is,
 * for each key, its row with the highest checkpoint id <= C, tombstones left out. Each
 * commit is one transaction that checks the id, writes the delta rows and the
 * checkpoint's metadata with its checksum, and drops the versions that neither the new
 * checkpoint nor the one before it needs, so those two stay restorable.
 */
import { mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { setImmediate as nextTurn } from "node:timers/promises";
import { Worker } from "node:worker_threads";
import Database from "better-sqlite3";
import type {
  CheckpointData,
  CheckpointStore,
  StateRow,
  StoredCheckpoint,
} from "../../engine/checkpoint/checkpoint-store.js";
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
import { CheckpointSchemaError, CheckpointSequenceError, CheckpointStoreError } from "./errors.js";

/** Options of {@link SqliteCheckpointStore}. */
export interface SqliteCheckpointStoreOptions {
  /** The database file. Missing parent folders are created. */
  readonly path: string;
  /**
   * Receives one line per checkpoint skipped as corrupt by `latest` (and per corrupt
   * checkpoint replaced by a commit). Default: `console.warn`.
   */
  readonly onWarning?: (message: string) => void;
  /** How long a commit waits for another process's write lock, in ms (default 5000). */
  readonly busyTimeoutMs?: number;
}

/**
 * The schema version this code writes, kept in SQLite's `user_version`. A file with a
 * higher version was written by a newer millstream and is refused.
 */
export const SQLITE_SCHEMA_VERSION = 1;

/** Migrations, the one at index i taking the schema from version i to i + 1. */
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE checkpoints (
     job TEXT NOT NULL,
     id INTEGER NOT NULL,
     created_at REAL NOT NULL,
     shared TEXT NOT NULL,
     positions TEXT NOT NULL,
     sinks TEXT NOT NULL,
     row_count INTEGER NOT NULL,
     checksum TEXT NOT NULL,
     PRIMARY KEY (job, id)
   ) STRICT;
   CREATE TABLE checkpoint_state (
     job TEXT NOT NULL,
     step TEXT NOT NULL,
     partition INTEGER NOT NULL,
     key TEXT NOT NULL,
     checkpoint_id INTEGER NOT NULL,
     state TEXT
   ) STRICT;
   CREATE UNIQUE INDEX checkpoint_state_version
     ON checkpoint_state (job, step, partition, key, checkpoint_id);
   CREATE INDEX checkpoint_state_by_checkpoint ON checkpoint_state (job, checkpoint_id);
   CREATE INDEX checkpoint_state_tombstones ON checkpoint_state (job, checkpoint_id)
     WHERE state IS NULL;`,
];

/** Rows written between two turns of the event loop during a commit. */
const ROWS_PER_SLICE = 2000;

/**
 * The WAL checkpointer, a worker thread with its own connection: copying the WAL into
 * the database file (and its fsync) takes tens of milliseconds after a large commit,
 * which would otherwise block the event loop inside `COMMIT`. A PASSIVE checkpoint
 * never blocks the store's writes.
 */
const WAL_CHECKPOINTER = `
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.driver);
const db = new Database(workerData.path, { timeout: workerData.timeout });
db.pragma("synchronous = FULL");
db.pragma("journal_size_limit = 67108864");
parentPort.on("message", (message) => {
  if (message === "close") {
    db.close();
    parentPort.close();
    return;
  }
  try {
    db.pragma("wal_checkpoint(PASSIVE)");
  } catch {
    // Busy or failing: the next commit asks again, and the WAL stays valid meanwhile.
  }
  parentPort.postMessage("done");
});
`;

type Row = [step: string, partition: number, key: string, state: string | null, version: number];

interface RecordRow {
  id: number;
  created_at: number;
  shared: string;
  positions: string;
  sinks: string;
  row_count: number;
  checksum: string;
}

/**
 * A {@link CheckpointStore} in one SQLite file, for a single machine: the embedded
 * default. Several processes may share the file (each commit takes SQLite's write
 * lock); each job must be written by one process at a time.
 *
 * Opening creates the file and its tables, or migrates an older schema; it throws
 * `CheckpointSchemaError` for a file of a newer schema and `CheckpointStoreError` when
 * the file cannot be opened. A commit writes its rows in slices and lets the event loop
 * run between them, so a large commit does not stall the dataflow; calls on one store
 * run one at a time, in order.
 */
export class SqliteCheckpointStore implements CheckpointStore {
  readonly description: string;
  /** The database file, absolute. */
  readonly path: string;
  readonly #db: Database.Database;
  readonly #warn: (message: string) => void;
  readonly #sql: ReturnType<typeof prepareStatements>;
  #checkpointer: { worker: Worker; busy: boolean; again: boolean } | null = null;
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;

  constructor(options: SqliteCheckpointStoreOptions) {
    this.path = path.resolve(options.path);
    this.description = `sqlite:${this.path}`;
    this.#warn = options.onWarning ?? ((message) => console.warn(message));
    try {
      mkdirSync(path.dirname(this.path), { recursive: true });
      this.#db = new Database(this.path, { timeout: options.busyTimeoutMs ?? 5000 });
    } catch (error) {
      throw new CheckpointStoreError(
        `${this.description}: cannot open the checkpoint database: ${(error as Error).message}`,
        { cause: error },
      );
    }
    try {
      const mode = this.#db.pragma("journal_mode = WAL", { simple: true });
      if (mode !== "wal") throw new Error(`journal_mode is ${String(mode)}, WAL is not supported`);
      this.#db.pragma("synchronous = FULL");
      this.#db.pragma("journal_size_limit = 67108864");
      this.#migrate();
      this.#sql = prepareStatements(this.#db);
      this.#startCheckpointer(options.busyTimeoutMs ?? 5000);
    } catch (error) {
      this.#db.close();
      if (error instanceof CheckpointStoreError) throw error;
      throw new CheckpointStoreError(
        `${this.description}: cannot set up the checkpoint database: ${(error as Error).message}`,
        { cause: error },
      );
    }
  }

  /**
   * Commits `data` atomically (see {@link CheckpointStore.commit}). Rejects with
   * `InvalidCheckpointError` for malformed data, `CheckpointSequenceError` when the id
   * is not the job's latest plus one, and `CheckpointStoreError` when SQLite fails; in
   * every case nothing of the checkpoint is kept. An id that is not the latest plus
   * one is accepted in one case: when every checkpoint from that id on is corrupt (as
   * after `latest` fell back past them), they are replaced, with a warning.
   */
  async commit(data: CheckpointData): Promise<void> {
    const checkpoint = prepareCheckpoint(data);
    await this.#exclusive(async () => {
      const db = this.#db;
      const name = checkpointName(checkpoint.job, checkpoint.id);
      try {
        db.exec("BEGIN IMMEDIATE");
      } catch (error) {
        throw this.#failure(`cannot start the transaction of ${name}`, error);
      }
      try {
        this.#checkSequence(checkpoint);
        const { job, id, rows } = checkpoint;
        const insert = this.#sql.insertRow;
        const checksum = new ChecksumBuilder(job, id, checkpoint.createdAt);
        for (let i = 0; i < rows.length; i++) {
          const row = rows[i]!;
          insert.run(job, row.step, row.partition, row.key, id, row.state);
          checksum.addRow(row);
          if ((i + 1) % ROWS_PER_SLICE === 0 && i + 1 < rows.length) await nextTurn();
        }
        const meta = encodeMetadata(checkpoint);
        this.#sql.insertCheckpoint.run(
          job,
          id,
          checkpoint.createdAt,
          meta.shared,
          meta.positions,
          meta.sinks,
          rows.length,
          checksum.finish(checkpoint.shared, checkpoint.positions, checkpoint.sinks),
        );
        if (id > 1) await this.#compact(job, id - 1);
        db.exec("COMMIT");
      } catch (error) {
        if (db.inTransaction) db.exec("ROLLBACK");
        if (error instanceof CheckpointStoreError) throw error;
        throw this.#failure(`cannot commit ${name}`, error);
      }
      this.#checkpointWal();
    });
  }

  /**
   * The job's newest intact checkpoint with its keyed state in full, or `null` (see
   * {@link CheckpointStore.latest}). Each checkpoint skipped as corrupt is reported
   * through `onWarning`. Rejects with `CheckpointStoreError` when SQLite fails.
   */
  async latest(job: string): Promise<StoredCheckpoint | null> {
    return this.#exclusive(async () => {
      const db = this.#db;
      try {
        db.exec("BEGIN");
        try {
          const records = (this.#sql.selectRecords.all(job) as RecordRow[]).map(toRecord);
          return await newestIntact(
            this.description,
            job,
            records,
            (record) => this.#load(job, record.id),
            this.#warn,
          );
        } finally {
          db.exec("COMMIT");
        }
      } catch (error) {
        throw this.#failure(
          `cannot read the latest checkpoint of job ${JSON.stringify(job)}`,
          error,
        );
      }
    });
  }

  /** Waits for the call in progress, then closes the file. Calling it again does nothing. */
  async close(): Promise<void> {
    if (this.#closed) return;
    const last = this.#queue;
    this.#closed = true;
    await last;
    const checkpointer = this.#checkpointer;
    this.#checkpointer = null;
    if (checkpointer) {
      const exited = new Promise((resolve) => checkpointer.worker.once("exit", resolve));
      checkpointer.worker.ref();
      checkpointer.worker.postMessage("close");
      await exited;
    }
    this.#db.close();
  }

  /**
   * Starts the WAL checkpointer and turns SQLite's own checkpoints (run inside
   * `COMMIT`) off; if the worker cannot run, they stay on.
   */
  #startCheckpointer(timeout: number): void {
    let worker: Worker;
    try {
      const driver = createRequire(import.meta.url).resolve("better-sqlite3");
      worker = new Worker(WAL_CHECKPOINTER, {
        eval: true,
        workerData: { driver, path: this.path, timeout },
      });
    } catch {
      return;
    }
    worker.unref();
    const checkpointer = { worker, busy: false, again: false };
    worker.on("message", () => {
      checkpointer.busy = false;
      if (checkpointer.again) this.#checkpointWal();
    });
    const stopped = (): void => {
      if (this.#checkpointer !== checkpointer) return;
      this.#checkpointer = null;
      if (!this.#closed) this.#db.pragma("wal_autocheckpoint = 1000");
    };
    worker.on("error", stopped);
    worker.on("exit", stopped);
    this.#checkpointer = checkpointer;
    this.#db.pragma("wal_autocheckpoint = 0");
  }

  /** Asks the checkpointer to copy the WAL into the database file (once at a time). */
  #checkpointWal(): void {
    const checkpointer = this.#checkpointer;
    if (!checkpointer) return;
    checkpointer.again = checkpointer.busy;
    if (checkpointer.busy) return;
    checkpointer.busy = true;
    checkpointer.worker.postMessage("checkpoint");
  }

  /**
   * Drops what neither checkpoint `previous` nor `previous + 1` needs: versions that a
   * version written by `previous` supersedes, tombstones older than `previous` (nothing
   * older is left for them to hide), and the metadata of older checkpoints. Deletes in
   * slices, letting the event loop run between them.
   */
  async #compact(job: string, previous: number): Promise<void> {
    // Pages of checkpoint `previous`'s rows, by rowid, each with the versions it supersedes.
    let after = 0;
    for (;;) {
      const page = this.#sql.selectSuperseded.all(job, previous, after, ROWS_PER_SLICE) as [
        number,
        number | null,
      ][];
      if (page.length === 0) break;
      const doomed: number[] = [];
      for (const [current, old] of page) {
        if (current > after) after = current;
        if (old !== null) doomed.push(old);
      }
      if (doomed.length > 0) this.#sql.dropRows.run(JSON.stringify(doomed));
      await nextTurn();
    }
    this.#sql.dropTombstones.run(job, previous);
    this.#sql.dropCheckpoints.run(job, previous);
  }

  #migrate(): void {
    const db = this.#db;
    const read = (): number => Number(db.pragma("user_version", { simple: true }));
    if (read() === SQLITE_SCHEMA_VERSION) return;
    db.exec("BEGIN IMMEDIATE");
    try {
      const version = read();
      if (version > SQLITE_SCHEMA_VERSION) {
        throw new CheckpointSchemaError(
          `${this.description}: the checkpoint database has schema version ${version}; this millstream knows versions up to ${SQLITE_SCHEMA_VERSION}`,
        );
      }
      for (let v = version; v < SQLITE_SCHEMA_VERSION; v++) db.exec(MIGRATIONS[v]!);
      db.pragma(`user_version = ${SQLITE_SCHEMA_VERSION}`);
      db.exec("COMMIT");
    } catch (error) {
      if (db.inTransaction) db.exec("ROLLBACK");
      throw error;
    }
  }

  /**
   * Throws `CheckpointSequenceError` unless `checkpoint.id` is the job's latest plus
   * one, or replaces the job's checkpoints from that id on when all of them are corrupt.
   */
  #checkSequence(checkpoint: PreparedCheckpoint): void {
    const { job, id } = checkpoint;
    const records = (this.#sql.selectRecords.all(job) as RecordRow[]).map(toRecord);
    const latest = records[0]?.id ?? 0;
    if (id === latest + 1) return;
    const later = records.filter((r) => r.id >= id);
    const follows = id === 1 || records.some((r) => r.id === id - 1);
    const allCorrupt =
      id <= latest &&
      follows &&
      later.every((r) => !verifyCheckpoint(job, r, this.#load(job, r.id)).ok);
    if (!allCorrupt) {
      const name = checkpointName(job, id);
      const why =
        latest === 0
          ? `job ${JSON.stringify(job)} has no checkpoint, so the first id must be 1`
          : `the latest committed checkpoint is ${latest}, so the next id must be ${latest + 1} (is another process writing this job's checkpoints?)`;
      throw new CheckpointSequenceError(
        job,
        id,
        latest + 1,
        `${this.description}: ${name} rejected: ${why}`,
      );
    }
    this.#sql.dropStateFrom.run(job, id);
    this.#sql.dropCheckpointsFrom.run(job, id);
    this.#warn(
      `${this.description}: ${checkpointName(job, id)} replaces corrupt checkpoint(s) ${later.map((r) => r.id).join(", ")}`,
    );
  }

  /** The job's keyed state as of checkpoint `id`: in full, and that checkpoint's delta. */
  #load(job: string, id: number): LoadedState {
    const rows: StateRow[] = [];
    const delta: StateRow[] = [];
    for (const raw of this.#sql.selectState.iterate(job, id)) {
      const [step, partition, key, state, version] = raw as Row;
      const row: StateRow = { step, partition, key, state };
      if (state !== null) rows.push(row);
      if (version === id) delta.push(row);
    }
    return { rows, delta };
  }

  #exclusive<T>(work: () => Promise<T>): Promise<T> {
    if (this.#closed) {
      return Promise.reject(new CheckpointStoreError(`${this.description}: the store is closed`));
    }
    const run = this.#queue.then(work);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  #failure(what: string, error: unknown): CheckpointStoreError {
    if (error instanceof CheckpointStoreError) return error;
    return new CheckpointStoreError(`${this.description}: ${what}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

function toRecord(row: RecordRow): CheckpointRecord {
  return {
    id: row.id,
    createdAt: row.created_at,
    shared: row.shared,
    positions: row.positions,
    sinks: row.sinks,
    rowCount: row.row_count,
    checksum: row.checksum,
  };
}

function prepareStatements(db: Database.Database) {
  return {
    insertRow: db.prepare(
      `INSERT INTO checkpoint_state (job, step, partition, key, checkpoint_id, state)
       VALUES (?, ?, ?, ?, ?, ?)`,
    ),
    insertCheckpoint: db.prepare(
      `INSERT INTO checkpoints (job, id, created_at, shared, positions, sinks, row_count, checksum)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    selectRecords: db.prepare(
      `SELECT id, created_at, shared, positions, sinks, row_count, checksum
       FROM checkpoints WHERE job = ? ORDER BY id DESC`,
    ),
    // Per key, the row with the highest checkpoint id <= the one asked for (SQLite takes the bare
    // columns from the row where max() is found), tombstones included.
    selectState: db
      .prepare(
        `SELECT step, partition, key, state, max(checkpoint_id)
         FROM checkpoint_state INDEXED BY checkpoint_state_version
         WHERE job = ? AND checkpoint_id <= ?
         GROUP BY step, partition, key`,
      )
      .raw(),
    // Versions older than a version written by the given checkpoint (the one before the new
    // latest): neither of the two newest checkpoints reads them any more.
    selectSuperseded: db
      .prepare(
        `SELECT cur.rowid, old.rowid
         FROM (SELECT rowid, job, step, partition, key, checkpoint_id
               FROM checkpoint_state INDEXED BY checkpoint_state_by_checkpoint
               WHERE job = ? AND checkpoint_id = ? AND rowid > ?
               ORDER BY rowid LIMIT ?) AS cur
         LEFT JOIN checkpoint_state AS old INDEXED BY checkpoint_state_version
           ON old.job = cur.job AND old.step = cur.step AND old.partition = cur.partition
          AND old.key = cur.key AND old.checkpoint_id < cur.checkpoint_id`,
      )
      .raw(),
    dropRows: db.prepare(
      "DELETE FROM checkpoint_state WHERE rowid IN (SELECT value FROM json_each(?))",
    ),
    // A tombstone older than the given checkpoint has nothing older left to hide.
    dropTombstones: db.prepare(
      `DELETE FROM checkpoint_state
       WHERE job = ? AND checkpoint_id < ? AND state IS NULL`,
    ),
    dropCheckpoints: db.prepare("DELETE FROM checkpoints WHERE job = ? AND id < ?"),
    dropStateFrom: db.prepare("DELETE FROM checkpoint_state WHERE job = ? AND checkpoint_id >= ?"),
    dropCheckpointsFrom: db.prepare("DELETE FROM checkpoints WHERE job = ? AND id >= ?"),
  };
}
