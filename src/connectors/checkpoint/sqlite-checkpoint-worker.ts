/**
 * The SQLite checkpoint store's commit thread: a worker with a connection of its own
 * that validates, sorts, hashes and writes each checkpoint, compacts old versions, and
 * then copies the WAL into the database file. The event loop that runs the dataflow
 * only hands the rows over (in slices, see `SqliteCheckpointStore`), so a commit of
 * 100,000 keys no longer takes it away from the dataflow for seconds.
 *
 * Protocol (`WorkerRequest` in, `WorkerReply` out): `begin` with the checkpoint's
 * metadata, `rows` slices (flat arrays of step, partition, key, state), `end`; the
 * worker answers `done` with the sequence number of the commit, and an error when it
 * failed (nothing of the checkpoint is kept then). `warn` carries the store's warnings.
 */
import { parentPort, workerData } from "node:worker_threads";
import Database from "better-sqlite3";
import type { StateRow } from "../../engine/checkpoint/checkpoint-store.js";
import { prepareCheckpoint } from "./checkpoint-checksum.js";
import { CheckpointSequenceError, CheckpointStoreError } from "./errors.js";
import { runToEnd, SqliteCheckpointDb } from "./sqlite-checkpoint-db.js";

/** What the store passes the worker when it starts it. */
export interface WorkerSetup {
  readonly path: string;
  readonly timeout: number;
  readonly description: string;
}

/** A message from the store to the worker. */
export type WorkerRequest =
  | {
      readonly op: "begin";
      readonly seq: number;
      readonly job: string;
      readonly id: number;
      readonly createdAt: number;
      readonly shared: unknown[];
      readonly positions: unknown[];
      readonly sinks: unknown[];
    }
  | { readonly op: "rows"; readonly rows: unknown[] }
  | { readonly op: "end" }
  | { readonly op: "abort" }
  | { readonly op: "close" };

/** An error crossing from the worker: enough to rebuild the store's named errors. */
export interface WorkerError {
  readonly name: string;
  readonly message: string;
  readonly job?: string;
  readonly id?: number;
  readonly expected?: number;
}

/** A message from the worker to the store. */
export type WorkerReply =
  | { readonly op: "ready" }
  | { readonly op: "done"; readonly seq: number; readonly error?: WorkerError }
  | { readonly op: "warn"; readonly message: string };

const port = parentPort!;
const setup = workerData as WorkerSetup;
const reply = (message: WorkerReply): void => port.postMessage(message);

const db = new Database(setup.path, { timeout: setup.timeout });
db.pragma("synchronous = FULL");
db.pragma("journal_size_limit = 67108864");
// This thread copies the WAL itself after each commit, outside the commit's transaction.
db.pragma("wal_autocheckpoint = 0");
const tables = new SqliteCheckpointDb(db, setup.description, (message) =>
  reply({ op: "warn", message }),
);

let pending: Extract<WorkerRequest, { op: "begin" }> | null = null;
let rows: StateRow[] = [];

port.on("message", (message: WorkerRequest) => {
  switch (message.op) {
    case "begin":
      pending = message;
      rows = [];
      return;
    case "rows": {
      const flat = message.rows;
      for (let i = 0; i < flat.length; i += 4) {
        rows.push({
          step: flat[i] as string,
          partition: flat[i + 1] as number,
          key: flat[i + 2] as string,
          state: flat[i + 3] as string | null,
        });
      }
      return;
    }
    case "end": {
      const begin = pending!;
      pending = null;
      const data = { ...begin, rows } as unknown as Parameters<typeof prepareCheckpoint>[0];
      rows = [];
      let error: WorkerError | undefined;
      try {
        // Nothing else runs on this thread: the commit goes straight through.
        runToEnd(tables.commit(prepareCheckpoint(data)));
      } catch (caught) {
        error = describe(caught);
      }
      reply(error ? { op: "done", seq: begin.seq, error } : { op: "done", seq: begin.seq });
      if (!error) {
        try {
          db.pragma("wal_checkpoint(PASSIVE)");
        } catch {
          // Busy or failing: the next commit asks again, and the WAL stays valid meanwhile.
        }
      }
      return;
    }
    case "abort":
      pending = null;
      rows = [];
      return;
    case "close":
      db.close();
      port.close();
      return;
  }
});
reply({ op: "ready" });

function describe(error: unknown): WorkerError {
  if (error instanceof CheckpointSequenceError) {
    const { name, message, job, id, expected } = error;
    return { name, message, job, id, expected };
  }
  if (error instanceof CheckpointStoreError) return { name: error.name, message: error.message };
  const failure = tables.failure("the commit failed", error);
  return { name: failure.name, message: failure.message };
}
