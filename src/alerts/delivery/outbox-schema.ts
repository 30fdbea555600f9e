/**
 * The outbox file's schema (versioned migrations), the statements run on it, and
 * the mapping of its rows to records.
 */
import type Database from "better-sqlite3";
import type { OutboxRecord, OutboxStatus } from "./outbox.js";

/** The schema version this code writes (SQLite `user_version`). */
export const OUTBOX_SCHEMA_VERSION = 1;

/** Migrations, the one at index i taking the schema from version i to i + 1. */
export const MIGRATIONS: readonly string[] = [
  `CREATE TABLE outbox (
     id TEXT PRIMARY KEY,
     channel TEXT NOT NULL,
     origin TEXT NOT NULL,
     checkpoint_id INTEGER,
     status TEXT NOT NULL CHECK (status IN ('staged', 'pending', 'delivered', 'dead')),
     payload TEXT NOT NULL,
     attempts INTEGER NOT NULL DEFAULT 0,
     next_attempt_at INTEGER,
     completed_parts TEXT,
     last_error TEXT,
     last_status INTEGER,
     enqueued_at INTEGER NOT NULL,
     published_at INTEGER,
     finished_at INTEGER
   ) STRICT;
   CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE status = 'pending';
   CREATE INDEX outbox_staged ON outbox (origin, checkpoint_id) WHERE status = 'staged';
   CREATE INDEX outbox_finished ON outbox (status, finished_at);`,
];

/** A row of the `outbox` table. */
export interface Row {
  id: string;
  channel: string;
  origin: string;
  checkpoint_id: number | null;
  status: OutboxStatus;
  payload: string;
  attempts: number;
  next_attempt_at: number | null;
  completed_parts: string | null;
  last_error: string | null;
  last_status: number | null;
  enqueued_at: number;
  published_at: number | null;
  finished_at: number | null;
}

/** The statements the outbox runs. */
export type OutboxStatements = Readonly<
  Record<
    | "insert"
    | "tag"
    | "publish"
    | "discardAll"
    | "discardAfter"
    | "due"
    | "nextDue"
    | "delivered"
    | "retry"
    | "dead"
    | "requeueOne"
    | "requeueChannel"
    | "requeueAll"
    | "counts"
    | "oldest"
    | "get"
    | "prune",
    Database.Statement
  >
>;

/** Prepares the statements, once per connection. */
export function prepareStatements(db: Database.Database): OutboxStatements {
  return {
    insert: db.prepare(
      `INSERT OR IGNORE INTO outbox (id, channel, origin, checkpoint_id, status, payload, enqueued_at)
       VALUES (?, ?, ?, ?, 'staged', ?, ?)`,
    ),
    tag: db.prepare(
      `UPDATE outbox SET checkpoint_id = ? WHERE status = 'staged' AND origin = ? AND checkpoint_id IS NULL`,
    ),
    publish: db.prepare(
      `UPDATE outbox SET status = 'pending', published_at = ?, next_attempt_at = ?
       WHERE status = 'staged' AND origin = ? AND checkpoint_id <= ?`,
    ),
    discardAll: db.prepare(`DELETE FROM outbox WHERE status = 'staged' AND origin = ?`),
    discardAfter: db.prepare(
      `DELETE FROM outbox WHERE status = 'staged' AND origin = ? AND (checkpoint_id IS NULL OR checkpoint_id > ?)`,
    ),
    due: db.prepare(
      `SELECT id, channel, payload, attempts, completed_parts FROM outbox
       WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, rowid LIMIT ?`,
    ),
    nextDue: db.prepare(`SELECT MIN(next_attempt_at) AS at FROM outbox WHERE status = 'pending'`),
    delivered: db.prepare(
      `UPDATE outbox SET status = 'delivered', attempts = ?, last_status = ?, last_error = ?,
         finished_at = ?, next_attempt_at = NULL WHERE id = ? AND status = 'pending'`,
    ),
    retry: db.prepare(
      `UPDATE outbox SET attempts = ?, next_attempt_at = ?, last_error = ?, last_status = ?,
         completed_parts = ? WHERE id = ? AND status = 'pending'`,
    ),
    dead: db.prepare(
      `UPDATE outbox SET status = 'dead', attempts = ?, last_error = ?, last_status = ?,
         completed_parts = ?, finished_at = ?, next_attempt_at = NULL WHERE id = ? AND status = 'pending'`,
    ),
    requeueOne: db.prepare(
      `UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = ?, finished_at = NULL
       WHERE status = 'dead' AND id = ?`,
    ),
    requeueChannel: db.prepare(
      `UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = ?, finished_at = NULL
       WHERE status = 'dead' AND channel = ?`,
    ),
    requeueAll: db.prepare(
      `UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = ?, finished_at = NULL
       WHERE status = 'dead'`,
    ),
    counts: db.prepare(
      `SELECT status, channel, COUNT(*) AS n FROM outbox GROUP BY status, channel`,
    ),
    oldest: db.prepare(`SELECT MIN(published_at) AS at FROM outbox WHERE status = 'pending'`),
    get: db.prepare(`SELECT * FROM outbox WHERE id = ?`),
    prune: db.prepare(`DELETE FROM outbox WHERE status = 'delivered' AND finished_at < ?`),
  };
}

/** The JSON list of completed parts, `[]` when absent or unreadable. */
export function parseParts(text: string | null): string[] {
  if (text === null) return [];
  try {
    const parts: unknown = JSON.parse(text);
    return Array.isArray(parts) ? parts.map(String) : [];
  } catch {
    return [];
  }
}

/** Completed parts as stored: null for none. */
export function encodeParts(parts: readonly string[] | undefined): string | null {
  return parts === undefined || parts.length === 0 ? null : JSON.stringify(parts);
}

/** A row as operators see it. */
export function toRecord(row: Row): OutboxRecord {
  let notification: unknown = null;
  try {
    notification = JSON.parse(row.payload);
  } catch {
    notification = null;
  }
  return {
    id: row.id,
    channel: row.channel,
    status: row.status,
    origin: row.origin,
    checkpointId: row.checkpoint_id,
    attempts: row.attempts,
    nextAttemptAt: row.next_attempt_at,
    lastError: row.last_error,
    lastStatus: row.last_status,
    enqueuedAt: row.enqueued_at,
    publishedAt: row.published_at,
    finishedAt: row.finished_at,
    completedParts: parseParts(row.completed_parts),
    notification,
  };
}
