/**
 * Validating readers for aggregator snapshots. `restore` receives `unknown` (a
 * snapshot that went through JSON, a checkpoint file or the network), so every
 * aggregator checks the shape it reads and throws a `SnapshotError` naming the
 * aggregator and the bad field instead of building a corrupt accumulator.
 */
import { SnapshotError } from "../errors.js";

/** A `SnapshotError` for a snapshot of `aggregator` that is not what it wrote. */
export function malformedSnapshot(aggregator: string, detail: string): SnapshotError {
  return new SnapshotError(`malformed ${aggregator} snapshot: ${detail}`);
}

/** Reads a plain object (not null, not an array). */
export function readObject(value: unknown, aggregator: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw malformedSnapshot(aggregator, `expected an object, got ${describe(value)}`);
  }
  return value as Record<string, unknown>;
}

/** Reads an array. */
export function readArray(value: unknown, aggregator: string, field: string): unknown[] {
  if (!Array.isArray(value)) {
    throw malformedSnapshot(aggregator, `${field} must be an array, got ${describe(value)}`);
  }
  return value;
}

/** Reads a finite number. */
export function readNumber(value: unknown, aggregator: string, field: string): number {
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw malformedSnapshot(aggregator, `${field} must be a finite number, got ${describe(value)}`);
  }
  return value;
}

/** Reads a finite number or `null` (how snapshots write "no value"). */
export function readNumberOrNull(value: unknown, aggregator: string, field: string): number | null {
  return value === null ? null : readNumber(value, aggregator, field);
}

/** Reads a count: a non-negative safe integer. */
export function readCount(value: unknown, aggregator: string, field: string): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
    throw malformedSnapshot(
      aggregator,
      `${field} must be a non-negative integer, got ${describe(value)}`,
    );
  }
  return value;
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "string")
    return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === "object") return "an object";
  return String(value);
}
