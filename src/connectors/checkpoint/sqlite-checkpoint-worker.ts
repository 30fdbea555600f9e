/**
 * The SQLite checkpoint store's commit thread: a worker with a connection of its own
 * that checks and writes each row of a checkpoint as it arrives (keeping none: the
 * checksum is computed from the rows read back in canonical order), compacts old
 * versions, commits, and then copies the WAL into the database file. The event loop that runs the dataflow
 * only hands the rows over (in slices, see `SqliteCheckpointStore`), so a commit of
 * 100,000 keys no longer takes it away from the dataflow for seconds.
 *
 * Protocol (`WorkerRequest` in, `WorkerReply` out), per commit: `begin` with the
 * checkpoint's metadata (the worker opens the transaction and checks the id), `rows`
 * slices (flat arrays of step, partition, key, state; written as they arrive, while
 * the engine captures the rest), then `end` or `abort`; the worker answers each `rows`
 * with `written` once it has handled them, and `end` with `done`, carrying an error
 * when the commit failed (nothing of it is kept then).
 * Commits run one at a time: messages of a commit begun while another is open wait
 * for it. `warn` carries the store's warnings.
 */
import { parentPort, workerData } from "node:worker_threads";
import Database from "better-sqlite3";
import type { CheckpointHeader, StateRow } from "../../engine/checkpoint/checkpoint-store.js";
import { checkStateRow, checkpointName, prepareCheckpoint } from "./checkpoint-checksum.js";
import {
  CheckpointSequenceError,
  type CheckpointStoreError,
  InvalidCheckpointError,
} from "./errors.js";
import { runToEnd, SqliteCheckpointDb } from "./sqlite-checkpoint-db.js";

/** What the store passes the worker when it starts it. */
export interface WorkerSetup {
  readonly path: string;
  readonly timeout: number;
  readonly description: string;
}

/** A message from the store to the worker; `seq` names the commit it belongs to. */
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
  | { readonly op: "rows"; readonly seq: number; readonly rows: unknown[] }
  | {
      readonly op: "end";
      readonly seq: number;
      /** The sinks' progress in place of the header's (see `CheckpointWriter.finish`). */
      readonly sinks?: unknown[];
    }
  | { readonly op: "abort"; readonly seq: number }
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
  | { readonly op: "done"; readonly seq: number; readonly error?: WorkerError }
  | { readonly op: "written"; readonly seq: number }
  | { readonly op: "warn"; readonly message: string };

type Begin = Extract<WorkerRequest, { op: "begin" }>;
type ForCommit = Exclude<WorkerRequest, { op: "close" }>;

/** The commit being written: its rows are checked and inserted as they arrive, not kept. */
interface Open {
  readonly seq: number;
  /** The checkpoint's name in messages. */
  readonly name: string;
  /** The validated header; null when it is invalid (`invalid` says why). */
  header: CheckpointHeader | null;
  rowCount: number;
  /** The first validation error (a row of a wrong type, a key twice). Reported first. */
  invalid: unknown;
  /** The first other failure (of the id check or an insert). */
  failure: unknown;
}

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

let open: Open | null = null;
/** Messages of commits begun while another is open, by commit: they run after it, in order. */
const backlog = new Map<number, ForCommit[]>();

port.on("message", (message: WorkerRequest) => {
  if (message.op === "close") {
    tables.rollback();
    db.close();
    port.close();
    return;
  }
  handle(message);
});

function handle(message: ForCommit): void {
  if (open === null ? message.op !== "begin" : message.seq !== open.seq) {
    const later = backlog.get(message.seq) ?? [];
    later.push(message);
    backlog.set(message.seq, later);
    return;
  }
  switch (message.op) {
    case "begin":
      open = start(message);
      return;
    case "rows":
      receive(open!, message.rows);
      // The store counts the rows it has handed over and not yet seen written (backpressure).
      reply({ op: "written", seq: message.seq });
      return;
    case "end":
      if (message.sinks !== undefined) amend(open!, message.sinks);
      finish(open!);
      open = null;
      resume();
      return;
    case "abort":
      tables.rollback();
      open = null;
      resume();
      return;
  }
}

/** Validates the header, opens the transaction and checks the id. */
function start(begin: Begin): Open {
  const { seq, op: _op, ...fields } = begin;
  const header = fields as unknown as CheckpointHeader;
  const commit: Open = {
    seq,
    name: checkpointName(header.job, header.id),
    header: null,
    rowCount: 0,
    invalid: null,
    failure: null,
  };
  check(commit, header);
  if (commit.invalid !== null) return commit;
  try {
    tables.start(header.job, header.id);
  } catch (error) {
    commit.failure = error;
  }
  return commit;
}

/** Replaces the open commit's sinks' progress, checked as `start` checks the header's. */
function amend(commit: Open, sinks: unknown[]): void {
  if (commit.header === null || commit.invalid !== null) return;
  check(commit, { ...commit.header, sinks: sinks as CheckpointHeader["sinks"] });
}

/** Checks `header` and makes it the commit's, or keeps why it is invalid. */
function check(commit: Open, header: CheckpointHeader): void {
  try {
    const { rows: _rows, ...prepared } = prepareCheckpoint({ ...header, rows: [] });
    commit.header = prepared;
  } catch (error) {
    commit.invalid = error;
  }
}

/** Checks and writes a slice of rows (checks only, once the commit has failed). */
function receive(commit: Open, flat: unknown[]): void {
  const job = commit.header?.job ?? "";
  const id = commit.header?.id ?? 0;
  for (let i = 0; i < flat.length; i += 4) {
    const row: StateRow = {
      step: flat[i] as string,
      partition: flat[i + 1] as number,
      key: flat[i + 2] as string,
      state: flat[i + 3] as string | null,
    };
    commit.rowCount++;
    if (commit.invalid !== null) return;
    try {
      checkStateRow(commit.name, row);
      if (commit.failure === null) tables.insertRow(commit.name, job, id, row);
    } catch (error) {
      if (error instanceof InvalidCheckpointError) commit.invalid = error;
      else commit.failure = error;
    }
  }
}

/** Reports the first error, or completes the commit: checksum, metadata, compaction, COMMIT. */
function finish(commit: Open): void {
  let error: WorkerError | undefined;
  try {
    if (commit.invalid !== null) throw commit.invalid;
    if (commit.failure !== null) throw commit.failure;
    const header = commit.header!;
    // Nothing else runs on this thread: the compaction goes straight through.
    runToEnd(tables.complete(header, commit.rowCount, tables.deltaChecksum(header)));
  } catch (caught) {
    tables.rollback();
    error = describe(tables.failure(`cannot commit ${commit.name}`, caught));
  }
  reply(error ? { op: "done", seq: commit.seq, error } : { op: "done", seq: commit.seq });
  if (!error) {
    try {
      db.pragma("wal_checkpoint(PASSIVE)");
    } catch {
      // Busy or failing: the next commit asks again, and the WAL stays valid meanwhile.
    }
  }
}

/** Runs the next commit waiting in the backlog, if its `begin` has come. */
function resume(): void {
  const seqs = [...backlog.keys()].sort((a, b) => a - b);
  for (const seq of seqs) {
    const messages = backlog.get(seq)!;
    if (messages[0]?.op !== "begin") continue;
    backlog.delete(seq);
    for (const message of messages) handle(message);
    return;
  }
}

function describe(error: CheckpointStoreError): WorkerError {
  if (error instanceof CheckpointSequenceError) {
    const { name, message, job, id, expected } = error;
    return { name, message, job, id, expected };
  }
  return { name: error.name, message: error.message };
}
