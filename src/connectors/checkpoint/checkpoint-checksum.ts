/**
 * The checksum every durable checkpoint store records with a checkpoint, and the
 * validation a checkpoint passes before it is written.
 *
 * The checksum is SHA-256 over a canonical text of what the checkpoint committed: a
 * header line `["millstream-checkpoint",1,job,id,createdAt]` (JSON), then one line per
 * delta state row (`row step partition key state`), shared row (`shared step state`),
 * position (`position step partition position`) and sink (`sink step progress`), each
 * group sorted by its fields (strings by UTF-16 code units, numbers numerically). In
 * those lines a string is written as its length in UTF-16 code units, `:` and the
 * string itself (so nothing needs escaping and no two contents share a text), a number
 * in decimal, and a tombstone's `null` state as `~`. The text is the same whatever order
 * the engine passed the rows in or the database returned them in, so a store can
 * recompute it from what it reads back.
 */
import { createHash } from "node:crypto";
import type {
  CheckpointData,
  PositionRow,
  SharedRow,
  SinkProgressRow,
  StateRow,
} from "../../engine/checkpoint/checkpoint-store.js";
import { InvalidCheckpointError } from "./errors.js";

/** The largest partition number the stores accept (PostgreSQL `integer`). */
export const MAX_PARTITION = 2_147_483_647;

/** The content a checksum covers: a checkpoint's metadata and its delta rows. */
export type ChecksumContent = CheckpointData;

/** A validated checkpoint, every group sorted canonically (copies; the input is untouched). */
export type PreparedCheckpoint = CheckpointData;

const compareText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Canonical order of state rows: by step, then partition, then key. */
export function compareStateRows(a: StateRow, b: StateRow): number {
  return compareText(a.step, b.step) || a.partition - b.partition || compareText(a.key, b.key);
}

const compareShared = (a: SharedRow, b: SharedRow): number =>
  compareText(a.step, b.step) || compareText(a.state, b.state);
const comparePositions = (a: PositionRow, b: PositionRow): number =>
  compareText(a.step, b.step) || a.partition - b.partition || compareText(a.position, b.position);
const compareSinks = (a: SinkProgressRow, b: SinkProgressRow): number =>
  compareText(a.step, b.step) || compareText(a.progress, b.progress);

/** `checkpoint 7 of job "plant"`: how messages name a checkpoint. */
export function checkpointName(job: string, id: number): string {
  return `checkpoint ${id} of job ${JSON.stringify(job)}`;
}

/**
 * Validates `data` and returns it with every group sorted canonically, ready for
 * {@link ChecksumBuilder}. Throws `InvalidCheckpointError` (naming the job, the checkpoint and the
 * offending row) for a job that is not a non-empty string, an id that is not a
 * positive integer, a `createdAt` that is not a finite number, a partition outside
 * 0…2,147,483,647, a value of the wrong type, or the same key (step, partition, key)
 * twice in `rows` (likewise a step twice in `shared` or `sinks`, a step and partition
 * twice in `positions`). Reads every row once; does not modify `data`.
 */
export function prepareCheckpoint(data: CheckpointData): PreparedCheckpoint {
  const { job, id, createdAt } = data;
  if (typeof job !== "string" || job.length === 0) {
    throw new InvalidCheckpointError(
      `checkpoint ${String(id)}: job must be a non-empty string, got ${JSON.stringify(job)}`,
    );
  }
  const name = checkpointName(job, id);
  if (!Number.isSafeInteger(id) || id < 1) {
    throw new InvalidCheckpointError(`${name}: the id must be an integer >= 1`);
  }
  if (typeof createdAt !== "number" || !Number.isFinite(createdAt)) {
    throw new InvalidCheckpointError(`${name}: createdAt must be a finite number (epoch ms)`);
  }
  const fail = (what: string): never => {
    throw new InvalidCheckpointError(`${name}: ${what}`);
  };
  const rows = data.rows.slice();
  for (const row of rows) checkStateRow(name, row);
  rows.sort(compareStateRows);
  for (let i = 1; i < rows.length; i++) {
    const a = rows[i - 1]!;
    const b = rows[i]!;
    if (a.step === b.step && a.partition === b.partition && a.key === b.key) {
      throw new InvalidCheckpointError(duplicateKeyMessage(name, a));
    }
  }

  const checkText = (group: string, field: string, value: unknown): void =>
    checkValue(name, group, field, value, false);
  const checkPartition = (group: string, step: string, partition: unknown): void =>
    checkPartitionOf(name, group, step, partition);
  const shared = data.shared.slice();
  for (const row of shared) {
    checkText("shared row", "step", row.step);
    checkText(`shared row of step ${JSON.stringify(row.step)}`, "state", row.state);
  }
  shared.sort(compareShared);
  for (let i = 1; i < shared.length; i++) {
    if (shared[i - 1]!.step === shared[i]!.step) {
      fail(`step ${JSON.stringify(shared[i]!.step)} appears twice in shared`);
    }
  }

  const positions = data.positions.slice();
  for (const row of positions) {
    checkText("position", "step", row.step);
    checkPartition("position", row.step, row.partition);
    checkText(`position of step ${JSON.stringify(row.step)}`, "position", row.position);
  }
  positions.sort(comparePositions);
  for (let i = 1; i < positions.length; i++) {
    const a = positions[i - 1]!;
    const b = positions[i]!;
    if (a.step === b.step && a.partition === b.partition) {
      fail(`step ${JSON.stringify(a.step)} partition ${a.partition} appears twice in positions`);
    }
  }

  const sinks = data.sinks.slice();
  for (const row of sinks) {
    checkText("sink progress", "step", row.step);
    checkText(`sink progress of step ${JSON.stringify(row.step)}`, "progress", row.progress);
  }
  sinks.sort(compareSinks);
  for (let i = 1; i < sinks.length; i++) {
    if (sinks[i - 1]!.step === sinks[i]!.step) {
      fail(`step ${JSON.stringify(sinks[i]!.step)} appears twice in sinks`);
    }
  }

  return { job, id, createdAt, rows, shared, positions, sinks };
}

/**
 * Throws `InvalidCheckpointError` (its message starting with `name`, the checkpoint's
 * name) unless `row` is a state row of the right types: step and key strings, a
 * partition in 0…2,147,483,647, a string or null state.
 */
export function checkStateRow(name: string, row: StateRow): void {
  checkValue(name, "state row", "step", row.step, false);
  checkPartitionOf(name, "state row", row.step, row.partition);
  checkValue(name, "state row", "key", row.key, false);
  checkValue(name, `state row of step ${JSON.stringify(row.step)}`, "state", row.state, true);
}

/** The message of a key given twice in one checkpoint. */
export function duplicateKeyMessage(name: string, row: StateRow): string {
  return `${name}: step ${JSON.stringify(row.step)} partition ${row.partition} key ${row.key} appears twice in rows`;
}

function checkValue(
  name: string,
  group: string,
  field: string,
  value: unknown,
  nullable: boolean,
): void {
  if (typeof value !== "string" && !(nullable && value === null)) {
    throw new InvalidCheckpointError(
      `${name}: ${group}: ${field} must be a string${nullable ? " or null" : ""}, got ${typeof value}`,
    );
  }
}

function checkPartitionOf(name: string, group: string, step: string, partition: unknown): void {
  if (!Number.isInteger(partition) || (partition as number) < 0) {
    throw new InvalidCheckpointError(
      `${name}: ${group} of step ${JSON.stringify(step)}: partition must be an integer >= 0`,
    );
  }
  if ((partition as number) > MAX_PARTITION) {
    throw new InvalidCheckpointError(
      `${name}: ${group} of step ${JSON.stringify(step)}: partition ${partition} > ${MAX_PARTITION}`,
    );
  }
}

/**
 * The checksum of `content`, whatever the order of its rows (they are sorted on a
 * copy). Used to verify a checkpoint read back against the checksum recorded with it.
 */
export function checkpointChecksum(content: ChecksumContent): string {
  const rows = isSorted(content.rows, compareStateRows)
    ? content.rows
    : content.rows.slice().sort(compareStateRows);
  const builder = new ChecksumBuilder(content.job, content.id, content.createdAt);
  for (const row of rows) builder.addRow(row);
  return builder.finish(content.shared, content.positions, content.sinks);
}

function isSorted<T>(items: readonly T[], compare: (a: T, b: T) => number): boolean {
  for (let i = 1; i < items.length; i++) if (compare(items[i - 1]!, items[i]!) > 0) return false;
  return true;
}

/** Strings are handed to the hash in pieces of about this many characters. */
const CHUNK_CHARS = 1 << 16;

/** A string in the canonical text: its length, `:`, itself. */
const text = (s: string): string => `${s.length}:${s}`;

/**
 * Computes a checkpoint's checksum piece by piece, so that a store can hash the rows
 * of a large commit in the same slices it writes them in. Rows must be added in
 * canonical order ({@link compareStateRows}), as {@link prepareCheckpoint} sorts them.
 */
export class ChecksumBuilder {
  readonly #hash = createHash("sha256");
  #chunk: string;

  constructor(job: string, id: number, createdAt: number) {
    this.#chunk = `${JSON.stringify(["millstream-checkpoint", 1, job, id, createdAt])}\n`;
  }

  /** Adds the next delta state row. */
  addRow(row: StateRow): void {
    const state = row.state === null ? "~" : text(row.state);
    this.#add(`row ${text(row.step)} ${row.partition} ${text(row.key)} ${state}\n`);
  }

  /** Adds the metadata groups (in any order: they are sorted on copies) and returns the checksum, hex. */
  finish(
    shared: readonly SharedRow[],
    positions: readonly PositionRow[],
    sinks: readonly SinkProgressRow[],
  ): string {
    for (const r of shared.slice().sort(compareShared)) {
      this.#add(`shared ${text(r.step)} ${text(r.state)}\n`);
    }
    for (const r of positions.slice().sort(comparePositions)) {
      this.#add(`position ${text(r.step)} ${r.partition} ${text(r.position)}\n`);
    }
    for (const r of sinks.slice().sort(compareSinks)) {
      this.#add(`sink ${text(r.step)} ${text(r.progress)}\n`);
    }
    this.#hash.update(this.#chunk, "utf8");
    this.#chunk = "";
    return this.#hash.digest("hex");
  }

  #add(line: string): void {
    this.#chunk += line;
    if (this.#chunk.length >= CHUNK_CHARS) {
      this.#hash.update(this.#chunk, "utf8");
      this.#chunk = "";
    }
  }
}
