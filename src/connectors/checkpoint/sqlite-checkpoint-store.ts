/**
 * The embedded checkpoint store: one SQLite file (better-sqlite3) in WAL mode with
 * `synchronous=FULL`, so a committed checkpoint survives a crash of the process or
 * of the machine. The tables and the commit are in sqlite-checkpoint-db.ts; commits
 * run on a worker thread (sqlite-checkpoint-worker.ts) unless `thread: false`.
 */
import { mkdirSync } from "node:fs";
import path from "node:path";
import { setImmediate as nextTurn } from "node:timers/promises";
import type { Worker } from "node:worker_threads";
import Database from "better-sqlite3";
import {
  type CheckpointData,
  type CheckpointHeader,
  type CheckpointStore,
  type CheckpointWriter,
  collectingWriter,
  type StoredCheckpoint,
} from "../../engine/checkpoint/checkpoint-store.js";
import { siblingModule, startModuleWorker } from "../../engine/index.js";
import { checkpointName, prepareCheckpoint } from "./checkpoint-checksum.js";
import { newestIntact } from "./checkpoint-verification.js";
import {
  CheckpointSchemaError,
  CheckpointSequenceError,
  CheckpointStoreError,
  InvalidCheckpointError,
} from "./errors.js";
import { ROWS_PER_SLICE, SqliteCheckpointDb } from "./sqlite-checkpoint-db.js";
import { CommitBacklog, textLength } from "./sqlite-commit-backlog.js";
import type {
  WorkerError,
  WorkerReply,
  WorkerRequest,
  WorkerSetup,
} from "./sqlite-checkpoint-worker.js";

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
  /**
   * Commit on a worker thread with its own connection (default `true`): the event loop
   * only hands the rows over, in slices. `false` commits on the event loop's
   * connection, in slices between which the event loop runs.
   */
  readonly thread?: boolean;
  /**
   * Backpressure of a commit on the thread: once this much JSON text (keys and states,
   * in characters) has been handed to the thread and not yet written, the writer's
   * `ready()` waits until the thread has caught up. Default 8 MiB.
   */
  readonly maxUnwrittenBytes?: number;
}

/** Default of {@link SqliteCheckpointStoreOptions.maxUnwrittenBytes}. */
export const DEFAULT_MAX_UNWRITTEN_BYTES = 8 * 1024 * 1024;

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

/**
 * The commit thread's young generation, in MB (V8's default is 48 on 64-bit): it only
 * deserialises slices of rows and writes them, so a small one does, and the process's
 * memory is smaller by the difference.
 */
const WORKER_YOUNG_GENERATION_MB = 8;

interface CommitThread {
  readonly worker: Worker;
  /** The commit waiting for its `done`, by sequence number. */
  readonly waiting: Map<number, { resolve: () => void; reject: (error: Error) => void }>;
  /**
   * Each open commit's backpressure, by sequence number: `written` when the thread has
   * handled one more of its `rows` messages, `gone` when the thread stopped.
   */
  readonly progress: Map<number, (event: "written" | "gone") => void>;
  seq: number;
}

/**
 * A {@link CheckpointStore} in one SQLite file, for a single machine: the embedded
 * default. Several processes may share the file (each commit takes SQLite's write
 * lock); each job must be written by one process at a time.
 *
 * Opening creates the file and its tables, or migrates an older schema; it throws
 * `CheckpointSchemaError` for a file of a newer schema and `CheckpointStoreError` when
 * the file cannot be opened. Commits run on a worker thread with a connection of its
 * own (validating, sorting, hashing, writing and compacting there), and the event loop
 * only passes the rows over in slices; if the thread cannot start, or with
 * `thread: false`, commits run on the event loop in slices between which it runs other
 * work. Calls on one store run one at a time, in order.
 */
export class SqliteCheckpointStore implements CheckpointStore {
  readonly description: string;
  /** The database file, absolute. */
  readonly path: string;
  readonly #db: Database.Database;
  readonly #tables: SqliteCheckpointDb;
  readonly #warn: (message: string) => void;
  readonly #maxUnwritten: number;
  #thread: CommitThread | null = null;
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;

  constructor(options: SqliteCheckpointStoreOptions) {
    this.path = path.resolve(options.path);
    this.description = `sqlite:${this.path}`;
    this.#warn = options.onWarning ?? ((message) => console.warn(message));
    const timeout = options.busyTimeoutMs ?? 5000;
    this.#maxUnwritten = options.maxUnwrittenBytes ?? DEFAULT_MAX_UNWRITTEN_BYTES;
    if (!(this.#maxUnwritten > 0)) {
      throw new RangeError(`maxUnwrittenBytes must be > 0, got ${this.#maxUnwritten}`);
    }
    try {
      mkdirSync(path.dirname(this.path), { recursive: true });
      this.#db = new Database(this.path, { timeout });
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
      this.#tables = new SqliteCheckpointDb(this.#db, this.description, this.#warn);
    } catch (error) {
      this.#db.close();
      if (error instanceof CheckpointStoreError) throw error;
      throw new CheckpointStoreError(
        `${this.description}: cannot set up the checkpoint database: ${(error as Error).message}`,
        { cause: error },
      );
    }
    if (options.thread !== false) this.#thread = this.#startThread(timeout);
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
    const { rows, ...header } = data;
    const writer = this.begin(header);
    try {
      for (let from = 0; from < rows.length; from += ROWS_PER_SLICE) {
        writer.add(rows.slice(from, from + ROWS_PER_SLICE));
        if (from + ROWS_PER_SLICE < rows.length) {
          await nextTurn();
          await writer.ready?.();
        }
      }
    } catch (error) {
      // Reading a row failed: nothing of the checkpoint is kept.
      writer.abort();
      throw error;
    }
    await writer.finish();
  }

  /**
   * Starts a commit whose rows come in pieces (see {@link CheckpointStore.begin});
   * `finish` resolves or rejects as `commit` would. On the commit thread the rows are
   * written as they come; on the event loop they are collected and written by `finish`.
   */
  begin(header: CheckpointHeader): CheckpointWriter {
    const thread = this.#thread;
    if (thread === null || this.#closed) {
      return collectingWriter(header, (data) => this.#exclusive(() => this.#commitHere(data)));
    }
    return this.#beginOnThread(thread, header);
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
          return await newestIntact(
            this.description,
            job,
            this.#tables.records(job),
            (record) => this.#tables.load(job, record.id),
            this.#warn,
          );
        } finally {
          db.exec("COMMIT");
          // Commits use the thread's connection: the pages read here are not needed again.
          if (this.#thread !== null) db.pragma("shrink_memory");
        }
      } catch (error) {
        throw this.#tables.failure(
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
    const thread = this.#thread;
    this.#thread = null;
    if (thread) {
      const exited = new Promise((resolve) => thread.worker.once("exit", resolve));
      thread.worker.ref();
      thread.worker.postMessage({ op: "close" } satisfies WorkerRequest);
      await exited;
    }
    this.#db.close();
  }

  /** Commits on the event loop's connection, letting it run between slices. */
  async #commitHere(data: CheckpointData): Promise<void> {
    const steps = this.#tables.commit(prepareCheckpoint(data));
    while (!steps.next().done) await nextTurn();
  }

  /**
   * A commit on the thread: `begin` goes now (the thread opens the transaction), each
   * `add` sends its rows at once (the thread writes them while the caller captures the
   * rest), `finish` sends `end` and waits for the thread's answer. The thread answers
   * each slice of rows once written: `ready` waits while more than `maxUnwrittenBytes`
   * of the rows sent are not.
   */
  #beginOnThread(thread: CommitThread, header: CheckpointHeader): CheckpointWriter {
    const seq = ++thread.seq;
    const done = new Promise<void>((resolve, reject) => {
      thread.waiting.set(seq, { resolve, reject });
    });
    // Rejected early if the thread stops: awaited by `finish`.
    done.catch(() => undefined);
    const post = (message: WorkerRequest): void => thread.worker.postMessage(message);
    const { job, id } = header;
    let refused: Error | null = null;
    const backlog = new CommitBacklog(this.#maxUnwritten);
    thread.progress.set(seq, (event) =>
      event === "written" ? backlog.written() : backlog.close(),
    );
    thread.worker.ref();
    const end = (): void => {
      thread.waiting.delete(seq);
      thread.progress.delete(seq);
      backlog.close();
      if (this.#thread === thread && thread.waiting.size === 0) thread.worker.unref();
    };
    try {
      post({
        op: "begin",
        seq,
        job,
        id,
        createdAt: header.createdAt,
        shared: header.shared as unknown[],
        positions: header.positions as unknown[],
        sinks: header.sinks as unknown[],
      });
    } catch (error) {
      refused = error as Error;
    }
    return {
      add: (rows) => {
        if (refused !== null) return;
        const flat: unknown[] = new Array(rows.length * 4);
        let size = 0;
        for (let i = 0, k = 0; i < rows.length; i++, k += 4) {
          const row = rows[i]!;
          flat[k] = row.step;
          flat[k + 1] = row.partition;
          flat[k + 2] = row.key;
          flat[k + 3] = row.state;
          size += textLength(row.key) + textLength(row.state);
        }
        try {
          post({ op: "rows", seq, rows: flat });
          backlog.sent(size);
        } catch (error) {
          refused = error as Error;
        }
      },
      ready: () => backlog.ready(),
      finish: (sinks) =>
        this.#exclusive(async () => {
          try {
            if (refused !== null) {
              // A value that cannot be copied to the thread (a function, a symbol).
              post({ op: "abort", seq });
              throw new InvalidCheckpointError(
                `${checkpointName(String(job), Number(id))}: it holds a value that is not a string, number or null (${refused.message})`,
              );
            }
            post(sinks === undefined ? { op: "end", seq } : { op: "end", seq, sinks: [...sinks] });
            await done;
          } finally {
            end();
          }
        }),
      abort: () => {
        post({ op: "abort", seq });
        end();
      },
    };
  }

  /** Starts the commit thread, or returns `null` when it cannot run (commits stay here). */
  #startThread(timeout: number): CommitThread | null {
    let worker: Worker;
    try {
      const setup: WorkerSetup = { path: this.path, timeout, description: this.description };
      worker = startModuleWorker(siblingModule(import.meta.url, "./sqlite-checkpoint-worker"), {
        workerData: setup,
        resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB },
      });
    } catch {
      return null;
    }
    worker.unref();
    const thread: CommitThread = { worker, waiting: new Map(), progress: new Map(), seq: 0 };
    worker.on("message", (reply: WorkerReply) => {
      if (reply.op === "warn") this.#warn(reply.message);
      if (reply.op === "written") thread.progress.get(reply.seq)?.("written");
      if (reply.op !== "done") return;
      const waiting = thread.waiting.get(reply.seq);
      thread.waiting.delete(reply.seq);
      if (reply.error) waiting?.reject(this.#rebuild(reply.error));
      else waiting?.resolve();
    });
    const stopped = (why: string): void => {
      // Commits from now on run here; the one in flight (if any) failed.
      if (this.#thread === thread) this.#thread = null;
      for (const { reject } of thread.waiting.values()) {
        reject(new CheckpointStoreError(`${this.description}: the commit thread stopped: ${why}`));
      }
      thread.waiting.clear();
      for (const progress of thread.progress.values()) progress("gone");
      thread.progress.clear();
    };
    worker.on("error", (error) => stopped(error.message));
    worker.on("exit", (code) => stopped(`exit code ${code}`));
    return thread;
  }

  /** The store's named error for an error the commit thread reported. */
  #rebuild(error: WorkerError): Error {
    switch (error.name) {
      case "CheckpointSequenceError":
        return new CheckpointSequenceError(error.job!, error.id!, error.expected!, error.message);
      case "InvalidCheckpointError":
        return new InvalidCheckpointError(error.message);
      default:
        return new CheckpointStoreError(error.message);
    }
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

  #exclusive<T>(work: () => Promise<T>): Promise<T> {
    if (this.#closed) {
      return Promise.reject(new CheckpointStoreError(`${this.description}: the store is closed`));
    }
    const run = this.#queue.then(work);
    this.#queue = run.catch(() => undefined);
    return run;
  }
}
