/**
 * The reference checkpoint store: everything in memory, nothing durable. For
 * tests, and for jobs that want snapshots without a database. Versions are kept
 * the same way the durable stores keep them, so it passes the same conformance
 * suite.
 */
import type {
  CheckpointData,
  CheckpointStore,
  StateRow,
  StoredCheckpoint,
} from "./checkpoint-store.js";

interface JobHistory {
  /** Full keyed state as of `baseId` (no tombstones). */
  base: Map<string, StateRow>;
  baseId: number;
  /** Checkpoints after `baseId`, oldest first. */
  recent: CheckpointData[];
}

const rowId = (row: StateRow): string => `${row.step}\u0000${row.partition}\u0000${row.key}`;

/** Keeps every job's checkpoints in memory; the latest two stay restorable. */
export class MemoryCheckpointStore implements CheckpointStore {
  readonly description = "memory";
  readonly #jobs = new Map<string, JobHistory>();
  #closed = false;

  async commit(data: CheckpointData): Promise<void> {
    this.#open();
    let history = this.#jobs.get(data.job);
    const latest = history ? this.#latestId(history) : 0;
    if (data.id !== latest + 1) {
      throw new RangeError(
        `checkpoint ${data.id} of job "${data.job}" does not follow the latest checkpoint ${latest}`,
      );
    }
    if (!history) {
      history = { base: new Map(), baseId: 0, recent: [] };
      this.#jobs.set(data.job, history);
    }
    history.recent.push(structuredClone(data));
    while (history.recent.length > 2) {
      const oldest = history.recent.shift()!;
      apply(history.base, oldest.rows);
      history.baseId = oldest.id;
    }
  }

  async latest(job: string): Promise<StoredCheckpoint | null> {
    this.#open();
    const history = this.#jobs.get(job);
    const last = history?.recent.at(-1);
    if (!history || !last) return null;
    const state = new Map(history.base);
    for (const c of history.recent) apply(state, c.rows);
    return structuredClone({
      job,
      id: last.id,
      createdAt: last.createdAt,
      rows: [...state.values()],
      shared: last.shared,
      positions: last.positions,
      sinks: last.sinks,
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
  }

  #latestId(history: JobHistory): number {
    return history.recent.at(-1)?.id ?? history.baseId;
  }

  #open(): void {
    if (this.#closed) throw new Error("MemoryCheckpointStore is closed");
  }
}

function apply(state: Map<string, StateRow>, rows: readonly StateRow[]): void {
  for (const row of rows) {
    if (row.state === null) state.delete(rowId(row));
    else state.set(rowId(row), row);
  }
}
