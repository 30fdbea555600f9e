/**
 * Conversion between a job's in-memory snapshots and the rows a checkpoint store
 * keeps: keys and states become JSON text.
 */
import type { Key } from "../partition.js";
import type { KeyDelta, StepSnapshot } from "../runtime/operator.js";
import type { StateRow, StoredCheckpoint } from "./checkpoint-store.js";

/** State of every step and position of every source partition, between two batches. */
export interface JobSnapshot {
  readonly steps: ReadonlyMap<string, StepSnapshot>;
  readonly sources: ReadonlyMap<string, ReadonlyMap<number, unknown>>;
  /** Progress each sink returned for the checkpoint this snapshot was taken at. */
  readonly sinks?: ReadonlyMap<string, unknown>;
  /** The id of the checkpoint this snapshot comes from. */
  readonly checkpointId?: number;
}

/** Rows of captured keys of one step, appended to `rows`; returns the bytes of JSON text. */
export function deltaRows(step: string, keys: readonly KeyDelta[], rows: StateRow[]): number {
  let bytes = 0;
  for (const { partition, key, state, json } of keys) {
    const keyText = JSON.stringify(key);
    const stateText = state === null ? null : (json ?? JSON.stringify(state));
    bytes += keyText.length + (stateText?.length ?? 0);
    rows.push({ step, partition, key: keyText, state: stateText });
  }
  return bytes;
}

/** The job snapshot a stored checkpoint describes. */
export function snapshotFromCheckpoint(stored: StoredCheckpoint): JobSnapshot {
  const partitionsByStep = new Map<string, Map<number, { key: Key; state: unknown }[]>>();
  for (const row of stored.rows) {
    if (row.state === null) continue;
    let partitions = partitionsByStep.get(row.step);
    if (!partitions) {
      partitions = new Map();
      partitionsByStep.set(row.step, partitions);
    }
    let list = partitions.get(row.partition);
    if (!list) {
      list = [];
      partitions.set(row.partition, list);
    }
    list.push({ key: JSON.parse(row.key) as Key, state: JSON.parse(row.state) });
  }
  const steps = new Map<string, StepSnapshot>();
  for (const [step, partitions] of partitionsByStep) steps.set(step, { partitions });
  for (const { step, state } of stored.shared) {
    steps.set(step, {
      partitions: steps.get(step)?.partitions ?? new Map(),
      shared: JSON.parse(state),
    });
  }
  const sources = new Map<string, Map<number, unknown>>();
  for (const { step, partition, position } of stored.positions) {
    let positions = sources.get(step);
    if (!positions) {
      positions = new Map();
      sources.set(step, positions);
    }
    positions.set(partition, JSON.parse(position));
  }
  const sinks = new Map<string, unknown>();
  for (const { step, progress } of stored.sinks) sinks.set(step, JSON.parse(progress));
  return { steps, sources, sinks, checkpointId: stored.id };
}
