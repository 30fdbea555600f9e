/**
 * Field readers for metadata records: each returns the field's value or throws a
 * `MetadataError` naming the file, the record and the field. Metadata is loaded rarely,
 * so clarity wins over speed here.
 */
import { MetadataError } from "./errors.js";

/** Where a record came from, for error messages. */
export interface RecordContext {
  readonly file: string;
  /** `record 3` (JSON, 0-based index) or `line 4` (CSV, 1-based with the header). */
  readonly location: string;
  /** The record's id field and value, once known: `sensor_id "S-7"`. */
  id?: string;
}

/** Throws a `MetadataError` for `field` of the record described by `ctx`. */
export function fieldError(ctx: RecordContext, field: string | undefined, problem: string): never {
  const record = ctx.id === undefined ? ctx.location : `${ctx.location} (${ctx.id})`;
  throw new MetadataError(
    field === undefined
      ? { file: ctx.file, record, problem }
      : { file: ctx.file, record, field, problem },
  );
}

/** `value` as a record (a plain object), or an error naming the record. */
export function asRecord(value: unknown, ctx: RecordContext): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    fieldError(ctx, undefined, `expected an object, got ${describe(value)}`);
  }
  return value as Record<string, unknown>;
}

/** A required non-empty string. */
export function requireString(o: Record<string, unknown>, key: string, ctx: RecordContext): string {
  const v = o[key];
  if (v === undefined || v === null) fieldError(ctx, key, "required field is missing");
  if (typeof v !== "string" || v.trim() === "") {
    fieldError(ctx, key, `expected a non-empty string, got ${describe(v)}`);
  }
  return v;
}

/** An optional string: `null` when absent, `null` or empty. */
export function optionalString(
  o: Record<string, unknown>,
  key: string,
  ctx: RecordContext,
): string | null {
  const v = o[key];
  if (v === undefined || v === null || v === "") return null;
  if (typeof v !== "string") fieldError(ctx, key, `expected a string, got ${describe(v)}`);
  return v;
}

/** An optional finite number: `undefined` when absent or `null`. */
export function optionalNumber(
  o: Record<string, unknown>,
  key: string,
  ctx: RecordContext,
  path: string = key,
): number | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "number" || !Number.isFinite(v)) {
    fieldError(ctx, path, `expected a finite number, got ${describe(v)}`);
  }
  return v;
}

/** A required string from a fixed set. */
export function requireOneOf<T extends string>(
  o: Record<string, unknown>,
  key: string,
  allowed: readonly T[],
  ctx: RecordContext,
): T {
  const v = requireString(o, key, ctx);
  if (!(allowed as readonly string[]).includes(v)) {
    fieldError(ctx, key, `expected one of ${allowed.join(", ")}, got ${describe(v)}`);
  }
  return v as T;
}

/** A short description of a value for messages: `the string "x"`, `number 3`, `null`. */
export function describe(v: unknown): string {
  if (v === null) return "null";
  if (v === undefined) return "nothing";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "string")
    return `the string ${JSON.stringify(v.length > 64 ? `${v.slice(0, 64)}…` : v)}`;
  if (typeof v === "object") return "an object";
  return `${typeof v} ${String(v)}`;
}
