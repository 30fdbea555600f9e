/**
 * The SQLite checkpoint store's commit thread: a worker with a connection of its own
 * that validates, sorts, hashes and writes each checkpoint, compacts old versions, and
 * then copies the WAL into the database file. The event loop that runs the dataflow
 * only hands the rows over (in slices, see `SqliteCheckpointStore`), so a commit of
 * 100,000 keys no longer takes it away from the dataflow for seconds.
 *
 * Protocol (`WorkerRequest` in, `WorkerReply` out), per commit: `begin` with the
 * checkpoint's metadata (the worker opens the transaction and checks the id), `rows`
 * slices (flat arrays of step, partition, key, state; written as they arrive, while
 * the engine captures the rest), then `end` or `abort`; the worker answers `end` with
 * `done`, carrying an error when the commit failed (nothing of it is kept then).
 * Commits run one at a time: messages of a commit begun while another is open wait
 * for it. `warn` carries the store's warnings.
 */
import { parentPort, workerData } from "node:worker_threads";
import Database from "better-sqlite3";
import type { CheckpointData, StateRow } from "../../engine/checkpoint/checkpoint-store.js";
import { checkpointName, prepareCheckpoint } from "./checkpoint-checksum.js";
import { CheckpointSequenceError, type CheckpointStoreError } from "./errors.js";
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
  | { readonly op: "end"; readonly seq: number }
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
  | { readonly op: "warn"; readonly message: string };

type Begin = Extract<WorkerRequest, { op: "begin" }>;
type ForCommit = Exclude<WorkerRequest, { op: "close" }>;

/** The commit being written: its rows are inserted as they arrive. */
interface Open {
  readonly begin: Begin;
  readonly rows: StateRow[];
  /** The first failure (of the id check or an insert); reported at `end`. */
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
  if (open === null ? message.op !== "begin" : message.seq !== open.begin.seq) {
    const later = backlog.get(message.seq) ?? [];
    later.push(message);
    backlog.set(message.seq, later);
    return;
  }
  switch (message.op) {
    case "begin":
      open = { begin: message, rows: [], failure: null };
      try {
        tables.start(message.job, message.id);
      } catch (error) {
        open.failure = error;
      }
      return;
    case "rows":
      receive(open!, message.rows);
      return;
    case "end":
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

/** Keeps a slice of rows for the checksum and, unless the commit failed already, writes it. */
function receive(commit: Open, flat: unknown[]): void {
  const from = commit.rows.length;
  for (let i = 0; i < flat.length; i += 4) {
    commit.rows.push({
      step: flat[i] as string,
      partition: flat[i + 1] as number,
      key: flat[i + 2] as string,
      state: flat[i + 3] as string | null,
    });
  }
  if (commit.failure !== null) return;
  try {
    tables.insert(commit.begin.job, commit.begin.id, commit.rows.slice(from));
  } catch (error) {
    // Perhaps a row of the wrong type or a key twice: validation at `end` names it.
    commit.failure = error;
  }
}

/**
 * Validates and sorts the rows (`InvalidCheckpointError` first, as a commit on the
 * event loop would report it), then reports an earlier failure or completes.
 */
function finish(commit: Open): void {
  const { seq, op: _op, ...header } = commit.begin;
  let error: WorkerError | undefined;
  try {
    const prepared = prepareCheckpoint({
      ...(header as unknown as Omit<CheckpointData, "rows">),
      rows: commit.rows,
    });
    if (commit.failure !== null) throw commit.failure;
    // Nothing else runs on this thread: the compaction goes straight through.
    runToEnd(tables.complete(prepared));
  } catch (caught) {
    tables.rollback();
    const name = checkpointName(commit.begin.job, commit.begin.id);
    error = describe(tables.failure(`cannot commit ${name}`, caught));
  }
  reply(error ? { op: "done", seq, error } : { op: "done", seq });
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
