/**
 * The checkpoint store contract. A checkpoint is the state of every step, the
 * position of every source partition and the progress of every sink, committed
 * atomically. Checkpoints are incremental: each holds only the keys that changed
 * since the previous one (and tombstones for keys that went away), so 50,000
 * sensors' state is not rewritten every interval.
 *
 * Implementations live with the I/O (SQLite, PostgreSQL); the engine only speaks
 * this interface. `MemoryCheckpointStore` is the reference implementation.
 */

/** One key's state in one step, serialised. `state: null` is a tombstone. */
export interface StateRow {
  readonly step: string;
  readonly partition: number;
  /** The key, JSON-encoded (so `1` and `"1"` stay distinct). */
  readonly key: string;
  /** The key's state as JSON, or `null` when the key has no state any more. */
  readonly state: string | null;
}

/** State of a step that belongs to no key (its watermark, source channels, …), as JSON. */
export interface SharedRow {
  readonly step: string;
  readonly state: string;
}

/** Where a source partition resumes, as JSON. */
export interface PositionRow {
  readonly step: string;
  readonly partition: number;
  readonly position: string;
}

/** What a sink needs to finish (or roll back) the writes a checkpoint covers, as JSON. */
export interface SinkProgressRow {
  readonly step: string;
  readonly progress: string;
}

/** What one checkpoint commits. */
export interface CheckpointData {
  readonly job: string;
  /** Increasing from 1 within a job; the next id is one more than the latest committed. */
  readonly id: number;
  /** Processing time when the checkpoint was taken (epoch ms). */
  readonly createdAt: number;
  /** Keyed state changed since checkpoint `id - 1` (upserts and tombstones). */
  readonly rows: readonly StateRow[];
  /** Every step's shared state, in full. */
  readonly shared: readonly SharedRow[];
  /** Every source partition's position, in full. */
  readonly positions: readonly PositionRow[];
  /** Every sink's progress, in full. */
  readonly sinks: readonly SinkProgressRow[];
}

/** What a checkpoint commits besides its keyed state: all of it known when it is taken. */
export type CheckpointHeader = Omit<CheckpointData, "rows">;

/**
 * A commit fed its keyed state while the state is captured (see
 * `CheckpointStore.begin`): rows are added in any order over several calls, then
 * `finish` commits header and rows exactly as `commit` would have, with the same
 * errors; `abort` gives the checkpoint up and keeps nothing of it.
 *
 * Backpressure: a writer that writes rows as they come (to a thread, a socket) may
 * offer `ready`, and the engine awaits it before capturing more state, so that a
 * checkpoint holds a bounded amount of captured state rather than everything the
 * writer has not written yet.
 */
export interface CheckpointWriter {
  /**
   * Adds delta rows (upserts and tombstones). The writer may read them later: do not
   * change them. Always accepted: `add` never waits, whatever `ready` says.
   */
  add(rows: readonly StateRow[]): void;
  /**
   * Optional: resolves once the rows added but not yet written are within the writer's
   * bound (at once when they already are). Never rejects (a failure comes out of
   * `finish`), and resolves after `abort` or when the writer cannot go on. A writer
   * that must hold every row until `finish` (as `collectingWriter` does) leaves it out.
   */
  ready?(): Promise<void>;
  /**
   * Commits the checkpoint; nothing may be added after. `sinks`, when given, is the
   * sinks' progress in place of the header's: a job whose sinks prepare in the
   * background (`SinkWriter.preparesInBackground`) begins the commit, and captures its
   * state, before it knows their progress.
   */
  finish(sinks?: readonly SinkProgressRow[]): Promise<void>;
  /** Gives the checkpoint up; `finish` is not called after. */
  abort(): void;
}

/** A checkpoint read back: keyed state in full as of that checkpoint, without tombstones. */
export interface StoredCheckpoint {
  readonly job: string;
  readonly id: number;
  readonly createdAt: number;
  readonly rows: readonly StateRow[];
  readonly shared: readonly SharedRow[];
  readonly positions: readonly PositionRow[];
  readonly sinks: readonly SinkProgressRow[];
}

/**
 * Durable storage of checkpoints.
 *
 * - `commit` is atomic: after it resolves the checkpoint is durable; if it rejects
 *   or the process dies during it, the store is as before (no part of it is ever
 *   read back). Ids must increase by one; committing an id that is not the latest
 *   plus one rejects (two processes writing one job's checkpoints is a bug), with
 *   one exception: after `latest` fell back over corrupt checkpoints, the job
 *   commits the next id after the one it restored, which replaces the corrupt ones.
 * - `latest` returns the most recent complete, intact checkpoint of a job, with the
 *   keyed state in full, or `null` when the job has none. A checkpoint whose
 *   content does not match the checksum recorded at commit is skipped with a
 *   warning naming it, and the one before it is returned. Stores keep at least the
 *   last two checkpoints restorable for that reason, and may drop older versions.
 * - `close` releases connections; the store is not used after it.
 */
export interface CheckpointStore {
  readonly description: string;
  commit(data: CheckpointData): Promise<void>;
  /**
   * Optional: starts a commit whose rows come later, in pieces, so a store can write
   * them while the engine is still capturing the rest (and the engine need not hold
   * them all). Without it the engine collects the rows and calls `commit`. A writer
   * that offers `ready` is fed no faster than it writes (see `CheckpointWriter`).
   */
  begin?(header: CheckpointHeader): CheckpointWriter;
  latest(job: string): Promise<StoredCheckpoint | null>;
  close(): Promise<void>;
}

/**
 * `store.begin(header)`, or for a store without `begin` a writer that collects the
 * rows and calls `store.commit` on `finish` (it has no `ready`: `commit` takes all the
 * rows at once, so they are all held until then).
 */
export function beginCheckpoint(
  store: CheckpointStore,
  header: CheckpointHeader,
): CheckpointWriter {
  return store.begin ? store.begin(header) : collectingWriter(header, (data) => store.commit(data));
}

/**
 * A writer that collects the rows added and hands `header` with them to `commit` on
 * `finish`, with the sinks' progress `finish` was given, if any, else the header's.
 */
export function collectingWriter(
  header: CheckpointHeader,
  commit: (data: CheckpointData) => Promise<void>,
): CheckpointWriter {
  const rows: StateRow[] = [];
  return {
    add: (more) => {
      for (const row of more) rows.push(row);
    },
    finish: (sinks) => commit({ ...header, sinks: sinks ?? header.sinks, rows }),
    abort: () => {
      rows.length = 0;
    },
  };
}
