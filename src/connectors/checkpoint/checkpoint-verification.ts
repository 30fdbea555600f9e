/**
 * Reading checkpoints back, shared by the durable stores: checking a checkpoint
 * against the checksum recorded at commit, and choosing the newest intact one, with a
 * warning for each one skipped.
 */
import type {
  PositionRow,
  SharedRow,
  SinkProgressRow,
  StateRow,
  StoredCheckpoint,
} from "../../engine/checkpoint/checkpoint-store.js";
import { checkpointChecksum, checkpointName } from "./checkpoint-checksum.js";

/** A checkpoint's metadata as a store keeps it (groups as JSON text of their row arrays). */
export interface CheckpointRecord {
  readonly id: number;
  readonly createdAt: number;
  readonly shared: string;
  readonly positions: string;
  readonly sinks: string;
  /** How many delta rows (tombstones included) the checkpoint wrote. */
  readonly rowCount: number;
  readonly checksum: string;
}

/** The metadata groups of `checkpoint` as stores keep them: JSON text of their row arrays. */
export function encodeMetadata(checkpoint: {
  readonly shared: readonly SharedRow[];
  readonly positions: readonly PositionRow[];
  readonly sinks: readonly SinkProgressRow[];
}): { shared: string; positions: string; sinks: string } {
  return {
    shared: JSON.stringify(checkpoint.shared.map(({ step, state }) => ({ step, state }))),
    positions: JSON.stringify(
      checkpoint.positions.map(({ step, partition, position }) => ({ step, partition, position })),
    ),
    sinks: JSON.stringify(checkpoint.sinks.map(({ step, progress }) => ({ step, progress }))),
  };
}

/** Keyed state read back for one checkpoint. */
export interface LoadedState {
  /** Full keyed state as of the checkpoint, without tombstones. */
  readonly rows: readonly StateRow[];
  /** The rows the checkpoint itself wrote (its delta), tombstones included. */
  readonly delta: readonly StateRow[];
}

/** The result of checking one checkpoint: the checkpoint, or what is wrong with it. */
export type Verified =
  | { readonly ok: true; readonly checkpoint: StoredCheckpoint }
  | { readonly ok: false; readonly problem: string };

/**
 * Checks `record` and the state read for it against the recorded checksum and row
 * count, and assembles the stored checkpoint. Never throws for bad content: malformed
 * metadata, a missing or extra delta row and any changed value are reported as
 * `problem`.
 */
export function verifyCheckpoint(
  job: string,
  record: CheckpointRecord,
  state: LoadedState,
): Verified {
  let shared: SharedRow[];
  let positions: PositionRow[];
  let sinks: SinkProgressRow[];
  try {
    shared = parseGroup(record.shared, ["step"], ["state"]) as unknown as SharedRow[];
    positions = parseGroup(
      record.positions,
      ["step"],
      ["position"],
      true,
    ) as unknown as PositionRow[];
    sinks = parseGroup(record.sinks, ["step"], ["progress"]) as unknown as SinkProgressRow[];
  } catch (error) {
    return { ok: false, problem: `its metadata is malformed (${(error as Error).message})` };
  }
  if (state.delta.length !== record.rowCount) {
    return {
      ok: false,
      problem: `it recorded ${record.rowCount} state rows but ${state.delta.length} are stored`,
    };
  }
  const checksum = checkpointChecksum({
    job,
    id: record.id,
    createdAt: record.createdAt,
    rows: state.delta,
    shared,
    positions,
    sinks,
  });
  if (checksum !== record.checksum) {
    return {
      ok: false,
      problem: `checksum mismatch: recorded ${record.checksum.slice(0, 12)}…, content hashes to ${checksum.slice(0, 12)}…`,
    };
  }
  return {
    ok: true,
    checkpoint: {
      job,
      id: record.id,
      createdAt: record.createdAt,
      rows: state.rows,
      shared,
      positions,
      sinks,
    },
  };
}

function parseGroup(
  text: string,
  textFields: readonly string[],
  valueFields: readonly string[],
  withPartition = false,
): Record<string, unknown>[] {
  const value: unknown = JSON.parse(text);
  if (!Array.isArray(value)) throw new Error("not an array");
  for (const item of value) {
    if (typeof item !== "object" || item === null) throw new Error("an entry is not an object");
    const entry = item as Record<string, unknown>;
    for (const field of [...textFields, ...valueFields]) {
      if (typeof entry[field] !== "string") throw new Error(`an entry's ${field} is not a string`);
    }
    if (withPartition && !Number.isInteger(entry.partition)) {
      throw new Error("an entry's partition is not an integer");
    }
  }
  return value as Record<string, unknown>[];
}

/**
 * The newest intact checkpoint among `records` (newest first), or `null`. Each one is
 * loaded with `load` and verified; one that fails is reported through `warn` with the
 * store, the job, the checkpoint id and what is wrong, and the next older one is tried.
 */
export async function newestIntact(
  store: string,
  job: string,
  records: readonly CheckpointRecord[],
  load: (record: CheckpointRecord) => Promise<LoadedState> | LoadedState,
  warn: (message: string) => void,
): Promise<StoredCheckpoint | null> {
  for (const [i, record] of records.entries()) {
    const verified = verifyCheckpoint(job, record, await load(record));
    if (verified.ok) return verified.checkpoint;
    const older = records[i + 1];
    const next = older
      ? `falling back to checkpoint ${older.id}`
      : "no older checkpoint is kept, so the job restarts without a checkpoint";
    warn(`${store}: ${checkpointName(job, record.id)} is corrupt, ${verified.problem}; ${next}`);
  }
  return null;
}
