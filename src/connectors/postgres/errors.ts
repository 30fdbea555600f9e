/**
 * The PostgreSQL connector's named errors, and which server errors are worth a retry.
 */
import { isSocketError } from "../retry.js";

/**
 * A PostgreSQL sink or migration could not do its work. The message names the schema
 * and table (or migration) and, for a server error, its SQLSTATE code; `cause` is the
 * `pg` error. After such an error the sink is unusable: the job fails and resumes
 * from its last checkpoint when restarted.
 */
export class PostgresSinkError extends Error {
  override readonly name: string = "PostgresSinkError";
}

/**
 * The database's migrations do not match this code: a migration applied there was
 * changed since (checksum), or the database has a migration newer than this code knows.
 */
export class PostgresMigrationError extends PostgresSinkError {
  override readonly name = "PostgresMigrationError";
}

/**
 * SQLSTATE classes and codes of failures that may pass: connection exceptions (08),
 * serialization failure and deadlock (40001, 40P01), insufficient resources (53),
 * operator intervention such as a server shutting down or starting (57P01–57P03),
 * lock not available (55P03) and system errors (58).
 */
function isTransientSqlState(code: string): boolean {
  return (
    code.startsWith("08") ||
    code.startsWith("53") ||
    code.startsWith("58") ||
    code === "40001" ||
    code === "40P01" ||
    code === "55P03" ||
    code === "57P01" ||
    code === "57P02" ||
    code === "57P03"
  );
}

/** Messages of `pg` errors without a code that mean the connection was lost or never made. */
const LOST_CONNECTION =
  /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|Connection ended unexpectedly/i;

/**
 * `true` when a `pg` error is transient: a lost or refused connection, or a server
 * error of a transient SQLSTATE. Data and schema errors (class 22, 23, 42, …) are not.
 */
export function isTransientPgError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) return isTransientSqlState(code);
  return isSocketError(error) || LOST_CONNECTION.test(error.message);
}

/** A short description of a `pg` error: its SQLSTATE and message, and the detail if any. */
export function describePgError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const { code, detail } = error as { code?: unknown; detail?: unknown };
  const state = typeof code === "string" ? ` (SQLSTATE ${code})` : "";
  const more = typeof detail === "string" && detail !== "" ? `: ${detail}` : "";
  return `${error.message}${state}${more}`;
}
