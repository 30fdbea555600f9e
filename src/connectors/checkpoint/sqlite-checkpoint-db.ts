/**
 * What the SQLite checkpoint store does on one connection: reading a job's checkpoint
 * records and keyed state, and committing a checkpoint. The store runs commits on a
 * connection of its own in a worker thread (sqlite-checkpoint-worker.ts), or on its main
 * connection when asked to; both go through this class, so the two paths are one code.
 *
 * Keyed state is kept as versioned rows: a row per (job, step, partition, key) and
 * checkpoint that wrote it, `state` NULL for a tombstone. Checkpoint C's full state is,
 * for each key, its row with the highest checkpoint id <= C, tombstones left out.
 */
import type Database from "better-sqlite3";
import type { CheckpointHeader, StateRow } from "../../engine/checkpoint/checkpoint-store.js";
import {
  ChecksumBuilder,
  checkpointName,
  compareStateRows,
  duplicateKeyMessage,
  type PreparedCheckpoint,
} from "./checkpoint-checksum.js";
import {
  type CheckpointRecord,
  encodeMetadata,
  type LoadedState,
  verifyCheckpoint,
} from "./checkpoint-verification.js";
import { CheckpointStoreError, InvalidCheckpointError, outOfSequence } from "./errors.js";

/** Rows written (or compacted) between two yields of a commit. */
export const ROWS_PER_SLICE = 2000;

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

/** The checkpoint tables of one connection, with their statements prepared. */
export class SqliteCheckpointDb {
  readonly #db: Database.Database;
  readonly #description: string;
  readonly #warn: (message: string) => void;
  readonly #sql: ReturnType<typeof prepareStatements>;

  /** `db` must hold the current schema (the store migrates it before). */
  constructor(db: Database.Database, description: string, warn: (message: string) => void) {
    this.#db = db;
    this.#description = description;
    this.#warn = warn;
    this.#sql = prepareStatements(db);
  }

  /** The job's checkpoint records, newest first. */
  records(job: string): CheckpointRecord[] {
    return (this.#sql.selectRecords.all(job) as RecordRow[]).map(toRecord);
  }

  /** The job's keyed state as of checkpoint `id`: in full, and that checkpoint's delta. */
  load(job: string, id: number): LoadedState {
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

  /**
   * Commits `checkpoint` (validated and sorted by `prepareCheckpoint`) in one
   * transaction: `start`, `insertRow` in slices, `complete`. Yields after every slice of
   * rows, so that a caller on the event loop can let it run between them; run it to
   * its end (nothing is committed before). Throws (after rolling back) as
   * `SqliteCheckpointStore.commit` rejects.
   */
  *commit(checkpoint: PreparedCheckpoint): Generator<void, void, void> {
    const { job, id, rows } = checkpoint;
    const name = checkpointName(job, id);
    this.start(job, id);
    let checksum: string;
    try {
      const builder = new ChecksumBuilder(job, id, checkpoint.createdAt);
      for (let from = 0; from < rows.length; from += ROWS_PER_SLICE) {
        const slice = rows.slice(from, from + ROWS_PER_SLICE);
        for (const row of slice) {
          this.insertRow(name, job, id, row);
          builder.addRow(row);
        }
        yield;
      }
      checksum = builder.finish(checkpoint.shared, checkpoint.positions, checkpoint.sinks);
    } catch (error) {
      this.rollback();
      throw this.failure(`cannot commit ${name}`, error);
    }
    yield* this.complete(checkpoint, rows.length, checksum);
  }

  /**
   * Opens the transaction of checkpoint `id` of `job` and checks that the id follows
   * the job's latest (see `#checkSequence`). Throws, with the transaction rolled
   * back, when it cannot.
   */
  start(job: string, id: number): void {
    try {
      this.#db.exec("BEGIN IMMEDIATE");
    } catch (error) {
      throw this.failure(`cannot start the transaction of ${checkpointName(job, id)}`, error);
    }
    try {
      this.#checkSequence(job, id);
    } catch (error) {
      this.rollback();
      throw this.failure(`cannot commit ${checkpointName(job, id)}`, error);
    }
  }

  /**
   * Writes one delta row of the open checkpoint. A key already written by it throws
   * `InvalidCheckpointError` naming the key; any other failure throws as it is.
   */
  insertRow(name: string, job: string, id: number, row: StateRow): void {
    try {
      this.#sql.insertRow.run(job, row.step, row.partition, row.key, id, row.state);
    } catch (error) {
      if ((error as { code?: string }).code === "SQLITE_CONSTRAINT_UNIQUE") {
        throw new InvalidCheckpointError(duplicateKeyMessage(name, row));
      }
      throw error;
    }
  }

  /**
   * The checksum of the open checkpoint (see checkpoint-checksum.ts) from the rows it
   * wrote, read back in canonical order (SQLite's order, which differs from the
   * canonical one only for some characters outside the BMP; then they are sorted).
   */
  deltaChecksum(header: CheckpointHeader): string {
    const { job, id, createdAt } = header;
    const attempt = (rows: Iterable<StateRow>): string | null => {
      const builder = new ChecksumBuilder(job, id, createdAt);
      let previous: StateRow | null = null;
      for (const row of rows) {
        if (previous !== null && compareStateRows(previous, row) > 0) return null;
        builder.addRow(row);
        previous = row;
      }
      return builder.finish(header.shared, header.positions, header.sinks);
    };
    return (
      attempt(this.#delta(job, id)) ?? attempt([...this.#delta(job, id)].sort(compareStateRows))!
    );
  }

  /**
   * Ends the open checkpoint, whose `rowCount` rows are all written: its metadata with
   * `checksum`, the compaction of what no kept checkpoint needs, and COMMIT. Yields
   * between slices of the compaction. Throws after rolling back.
   */
  *complete(
    header: CheckpointHeader,
    rowCount: number,
    checksum: string,
  ): Generator<void, void, void> {
    const { job, id } = header;
    try {
      const meta = encodeMetadata(header);
      this.#sql.insertCheckpoint.run(
        job,
        id,
        header.createdAt,
        meta.shared,
        meta.positions,
        meta.sinks,
        rowCount,
        checksum,
      );
      if (id > 1) yield* this.#compact(job, id - 1);
      this.#db.exec("COMMIT");
    } catch (error) {
      this.rollback();
      throw this.failure(`cannot commit ${checkpointName(job, id)}`, error);
    }
  }

  /** The rows checkpoint `id` wrote, in SQLite's order of (step, partition, key). */
  *#delta(job: string, id: number): Generator<StateRow, void, void> {
    for (const raw of this.#sql.selectDelta.iterate(job, id)) {
      const [step, partition, key, state] = raw as [string, number, string, string | null];
      yield { step, partition, key, state };
    }
  }

  /** Rolls the open transaction back, if there is one. */
  rollback(): void {
    if (this.#db.inTransaction) this.#db.exec("ROLLBACK");
  }

  /** `error` as a `CheckpointStoreError` naming the store and `what` failed (kept if it is one). */
  failure(what: string, error: unknown): CheckpointStoreError {
    if (error instanceof CheckpointStoreError) return error;
    return new CheckpointStoreError(`${this.#description}: ${what}: ${(error as Error).message}`, {
      cause: error,
    });
  }

  /**
   * Drops what neither checkpoint `previous` nor `previous + 1` needs: versions that a
   * version written by `previous` supersedes, tombstones older than `previous` (nothing
   * older is left for them to hide), and the metadata of older checkpoints.
   */
  *#compact(job: string, previous: number): Generator<void, void, void> {
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
      yield;
    }
    this.#sql.dropTombstones.run(job, previous);
    this.#sql.dropCheckpoints.run(job, previous);
  }

  /**
   * Throws `CheckpointSequenceError` unless `id` is the job's latest plus
   * one, or replaces the job's checkpoints from that id on when all of them are corrupt.
   */
  #checkSequence(job: string, id: number): void {
    const records = this.records(job);
    const latest = records[0]?.id ?? 0;
    if (id === latest + 1) return;
    const later = records.filter((r) => r.id >= id);
    const follows = id === 1 || records.some((r) => r.id === id - 1);
    const allCorrupt =
      id <= latest &&
      follows &&
      later.every((r) => !verifyCheckpoint(job, r, this.load(job, r.id)).ok);
    if (!allCorrupt) throw outOfSequence(this.#description, job, id, latest);
    this.#sql.dropStateFrom.run(job, id);
    this.#sql.dropCheckpointsFrom.run(job, id);
    this.#warn(
      `${this.#description}: ${checkpointName(job, id)} replaces corrupt checkpoint(s) ${later.map((r) => r.id).join(", ")}`,
    );
  }
}

/** Runs a generator such as `SqliteCheckpointDb.commit` to its end, without yielding to anything. */
export function runToEnd(steps: Generator<void, void, void>): void {
  while (!steps.next().done) {
    // Each step did its slice.
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
    // The rows one checkpoint wrote, in (step, partition, key) order straight from the index.
    selectDelta: db
      .prepare(
        `SELECT step, partition, key, state
         FROM checkpoint_state INDEXED BY checkpoint_state_version
         WHERE job = ? AND checkpoint_id = ?
         ORDER BY step, partition, key`,
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
