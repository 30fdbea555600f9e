/**
 * The durable notification outbox: one SQLite file (better-sqlite3, WAL) holding every notification from the moment the dataflow wrote
 * it until it is delivered or dead. The {@link OutboxSink} writes rows as `staged`
 * and makes them `pending` when the checkpoint covering them commits; the
 * {@link Dispatcher} delivers `pending` rows and records each attempt. Several
 * processes may open the same file (the pipeline and a dispatcher); one dispatcher
 * per file.
 *
 * Row states: `staged` (written, its checkpoint not yet committed: invisible to
 * the dispatcher) → `pending` (to deliver, `next_attempt_at` says when) →
 * `delivered` | `dead` (out of retries or rejected; kept, counted, and re-queueable).
 */
import { mkdirSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { OutboxError, OutboxSchemaError } from "./errors.js";
import {
  encodeParts,
  MIGRATIONS,
  OUTBOX_SCHEMA_VERSION,
  parseParts,
  prepareStatements,
  type Row,
  toRecord,
} from "./outbox-schema.js";

export { OUTBOX_SCHEMA_VERSION } from "./outbox-schema.js";

/** Where a notification is in its delivery. */
export type OutboxStatus = "staged" | "pending" | "delivered" | "dead";

/** A row to stage: the notification's id, channel and JSON. */
export interface StagedRow {
  readonly id: string;
  readonly channel: string;
  readonly payload: string;
}

/** A pending notification handed to the dispatcher. */
export interface DueEntry {
  readonly id: string;
  readonly channel: string;
  /** The notification as stored (JSON text). */
  readonly payload: string;
  /** Attempts made so far. */
  readonly attempts: number;
  /** Parts delivered by earlier attempts (SMS recipients, PagerDuty alarms). */
  readonly completedParts: readonly string[];
}

/** One row as operators see it (`list`, `get`). */
export interface OutboxRecord {
  readonly id: string;
  readonly channel: string;
  readonly status: OutboxStatus;
  readonly origin: string;
  /** The checkpoint that covers it (null while its epoch is being written). */
  readonly checkpointId: number | null;
  readonly attempts: number;
  /** When the next attempt is due (pending rows), epoch ms. */
  readonly nextAttemptAt: number | null;
  /** Why the last attempt failed (retries, dead rows), or what it noted. */
  readonly lastError: string | null;
  /** The last HTTP status or SMTP reply code, when there was one. */
  readonly lastStatus: number | null;
  readonly enqueuedAt: number;
  readonly publishedAt: number | null;
  readonly finishedAt: number | null;
  readonly completedParts: readonly string[];
  /** The notification (parsed JSON; `null` if the stored text is not JSON). */
  readonly notification: unknown;
}

/** Counts by status, overall and per channel. */
export interface OutboxStats {
  readonly staged: number;
  readonly pending: number;
  readonly delivered: number;
  readonly dead: number;
  /** When the oldest pending notification was published (epoch ms), or null. */
  readonly oldestPendingSince: number | null;
  readonly byChannel: Readonly<
    Record<string, { readonly pending: number; readonly delivered: number; readonly dead: number }>
  >;
}

/** Options of {@link Outbox}. */
export interface OutboxOptions {
  /** The database file; missing parent folders are created. */
  readonly path: string;
  /** How long a write waits for another process's lock, in ms. Default 5000. */
  readonly busyTimeoutMs?: number;
  /** The wall clock, epoch ms. Default `Date.now`. */
  readonly now?: () => number;
}

/**
 * The outbox file. Methods are synchronous (SQLite on local disk; notifications are
 * few) and throw an {@link OutboxError} when the file cannot be read or written.
 * State changes of delivery (`recordDelivered`, `recordRetry`, `recordDead`) apply only
 * to `pending` rows, so a late result can never revive a row re-queued or pruned meanwhile.
 */
export class Outbox {
  readonly path: string;
  readonly #db: Database.Database;
  readonly #now: () => number;
  readonly #listeners = new Set<(count: number) => void>();
  readonly #statements: ReturnType<typeof prepareStatements>;
  #closed = false;

  constructor(options: OutboxOptions) {
    this.path = options.path;
    this.#now = options.now ?? Date.now;
    try {
      mkdirSync(path.dirname(path.resolve(options.path)), { recursive: true });
      this.#db = new Database(options.path, { timeout: options.busyTimeoutMs ?? 5000 });
      this.#db.pragma("journal_mode = WAL");
      // NORMAL: a commit survives the process being killed, not a power cut. `prepare`
      // switches to FULL for its transaction, which syncs the WAL and with it every
      // write before it; what NORMAL may lose in a power cut is an attempt's outcome
      // (the notification is then sent again) or a publish (redone on restore).
      this.#db.pragma("synchronous = NORMAL");
    } catch (error) {
      throw new OutboxError(options.path, `cannot open: ${(error as Error).message}`, {
        cause: error,
      });
    }
    this.#migrate();
    this.#statements = this.#io("prepare statements", () => prepareStatements(this.#db));
  }

  #migrate(): void {
    const version = this.#db.pragma("user_version", { simple: true }) as number;
    if (version > OUTBOX_SCHEMA_VERSION) {
      this.#db.close();
      throw new OutboxSchemaError(
        this.path,
        `schema version ${version} is newer than this millstream's (${OUTBOX_SCHEMA_VERSION}); upgrade millstream`,
      );
    }
    if (version === OUTBOX_SCHEMA_VERSION) return;
    this.#io("migrate", () =>
      this.#db
        .transaction(() => {
          const now = this.#db.pragma("user_version", { simple: true }) as number;
          for (let v = now; v < OUTBOX_SCHEMA_VERSION; v++) this.#db.exec(MIGRATIONS[v] as string);
          this.#db.pragma(`user_version = ${OUTBOX_SCHEMA_VERSION}`);
        })
        .immediate(),
    );
  }

  #io<R>(what: string, operation: () => R): R {
    if (this.#closed) throw new OutboxError(this.path, `${what} after close`);
    try {
      return operation();
    } catch (error) {
      if (error instanceof OutboxError) throw error;
      throw new OutboxError(this.path, `cannot ${what}: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }

  /**
   * Stores `rows` as `staged` for `origin` (a sink step), in the epoch being written
   * (`checkpointId` null) or tagged with a checkpoint. A row whose id is already in the
   * outbox, in any state, is ignored: one delivery per notification id. Returns the
   * number of rows added.
   */
  stage(origin: string, rows: readonly StagedRow[], checkpointId: number | null = null): number {
    if (rows.length === 0) return 0;
    return this.#io("stage notifications", () =>
      this.#db.transaction(() => this.#insert(origin, rows, checkpointId))(),
    );
  }

  #insert(origin: string, rows: readonly StagedRow[], checkpointId: number | null): number {
    const now = this.#now();
    let added = 0;
    for (const row of rows) {
      added += this.#statements.insert.run(
        row.id,
        row.channel,
        origin,
        checkpointId,
        row.payload,
        now,
      ).changes;
    }
    return added;
  }

  /**
   * In one durable transaction (`synchronous=FULL`: it survives a power cut once it
   * returns): stages `rows`, then tags every staged row of `origin` written in the
   * current epoch with `checkpointId`. Returns the rows tagged.
   */
  prepare(origin: string, rows: readonly StagedRow[], checkpointId: number): number {
    return this.#io(`prepare checkpoint ${checkpointId}`, () => {
      this.#db.pragma("synchronous = FULL");
      try {
        return this.#db.transaction(() => {
          this.#insert(origin, rows, null);
          return this.#statements.tag.run(checkpointId, origin).changes;
        })();
      } finally {
        this.#db.pragma("synchronous = NORMAL");
      }
    });
  }

  /**
   * Makes the staged rows of `origin` up to checkpoint `checkpointId` pending (visible
   * to the dispatcher, due now). Idempotent. Returns the rows published and tells
   * {@link onPublished} listeners.
   */
  publish(origin: string, checkpointId: number): number {
    const now = this.#now();
    const count = this.#io(
      `publish checkpoint ${checkpointId}`,
      () => this.#statements.publish.run(now, now, origin, checkpointId).changes,
    );
    if (count > 0) for (const listener of this.#listeners) listener(count);
    return count;
  }

  /**
   * Deletes the staged rows of `origin` that checkpoint `after` does not cover (all
   * of them when `after` is null): output the job will replay. Returns the rows deleted.
   */
  discardStaged(origin: string, after: number | null): number {
    return this.#io("discard staged notifications", () =>
      after === null
        ? this.#statements.discardAll.run(origin).changes
        : this.#statements.discardAfter.run(origin, after).changes,
    );
  }

  /** Up to `limit` pending rows due at `now`, oldest due first, skipping the ids in `exclude`. */
  due(now: number, limit: number, exclude: ReadonlySet<string> = new Set()): DueEntry[] {
    if (limit <= 0) return [];
    const rows = this.#io(
      "read due notifications",
      () =>
        this.#statements.due.all(now, limit + exclude.size) as Pick<
          Row,
          "id" | "channel" | "payload" | "attempts" | "completed_parts"
        >[],
    );
    const out: DueEntry[] = [];
    for (const row of rows) {
      if (exclude.has(row.id)) continue;
      out.push({
        id: row.id,
        channel: row.channel,
        payload: row.payload,
        attempts: row.attempts,
        completedParts: parseParts(row.completed_parts),
      });
      if (out.length === limit) break;
    }
    return out;
  }

  /** When the earliest pending row is due (epoch ms), or null when none is pending. */
  nextDueAt(): number | null {
    const row = this.#io("read the next due time", () => this.#statements.nextDue.get()) as
      | { at: number | null }
      | undefined;
    return row?.at ?? null;
  }

  /** Marks a pending row delivered after `attempts` attempts. */
  recordDelivered(id: string, attempts: number, status?: number, detail?: string): void {
    this.#io("record a delivery", () =>
      this.#statements.delivered.run(attempts, status ?? null, detail ?? null, this.#now(), id),
    );
  }

  /** Schedules the next attempt of a pending row. */
  recordRetry(
    id: string,
    update: {
      readonly attempts: number;
      readonly nextAttemptAt: number;
      readonly reason: string;
      readonly status?: number;
      readonly completedParts?: readonly string[];
    },
  ): void {
    this.#io("record a retry", () =>
      this.#statements.retry.run(
        update.attempts,
        Math.round(update.nextAttemptAt),
        update.reason,
        update.status ?? null,
        encodeParts(update.completedParts),
        id,
      ),
    );
  }

  /** Marks a pending row dead: out of retries, or rejected for good. */
  recordDead(
    id: string,
    update: {
      readonly attempts: number;
      readonly reason: string;
      readonly status?: number;
      readonly completedParts?: readonly string[];
    },
  ): void {
    this.#io("record a dead notification", () =>
      this.#statements.dead.run(
        update.attempts,
        update.reason,
        update.status ?? null,
        encodeParts(update.completedParts),
        this.#now(),
        id,
      ),
    );
  }

  /**
   * Puts dead rows back to pending, attempts reset, due now: one (`{ id }`), those of a
   * channel (`{ channel }`), or all (`{}`). Returns how many, and tells listeners.
   */
  requeue(filter: { readonly id?: string; readonly channel?: string } = {}): number {
    const now = this.#now();
    const count = this.#io("re-queue dead notifications", () => {
      if (filter.id !== undefined) return this.#statements.requeueOne.run(now, filter.id).changes;
      if (filter.channel !== undefined) {
        return this.#statements.requeueChannel.run(now, filter.channel).changes;
      }
      return this.#statements.requeueAll.run(now).changes;
    });
    if (count > 0) for (const listener of this.#listeners) listener(count);
    return count;
  }

  /** Counts by status and channel. */
  stats(): OutboxStats {
    const rows = this.#io("count notifications", () => this.#statements.counts.all()) as {
      status: OutboxStatus;
      channel: string;
      n: number;
    }[];
    const totals = { staged: 0, pending: 0, delivered: 0, dead: 0 };
    const byChannel: Record<string, { pending: number; delivered: number; dead: number }> = {};
    for (const { status, channel, n } of rows) {
      totals[status] += n;
      if (status === "staged") continue;
      const entry = byChannel[channel] ?? { pending: 0, delivered: 0, dead: 0 };
      byChannel[channel] = entry;
      entry[status] += n;
    }
    const oldest = this.#io("read the oldest pending notification", () =>
      this.#statements.oldest.get(),
    ) as { at: number | null } | undefined;
    return { ...totals, oldestPendingSince: oldest?.at ?? null, byChannel };
  }

  /** Rows in a status (default `dead`), newest first, optionally of one channel. */
  list(
    filter: {
      readonly status?: OutboxStatus;
      readonly channel?: string;
      readonly limit?: number;
    } = {},
  ): OutboxRecord[] {
    const status = filter.status ?? "dead";
    const limit = filter.limit ?? 100;
    const rows = this.#io("list notifications", () =>
      filter.channel === undefined
        ? this.#db
            .prepare(`SELECT * FROM outbox WHERE status = ? ORDER BY rowid DESC LIMIT ?`)
            .all(status, limit)
        : this.#db
            .prepare(
              `SELECT * FROM outbox WHERE status = ? AND channel = ? ORDER BY rowid DESC LIMIT ?`,
            )
            .all(status, filter.channel, limit),
    ) as Row[];
    return rows.map(toRecord);
  }

  /** One row by notification id, or null. */
  get(id: string): OutboxRecord | null {
    const row = this.#io("read a notification", () => this.#statements.get.get(id)) as
      | Row
      | undefined;
    return row === undefined ? null : toRecord(row);
  }

  /** Deletes delivered rows finished before `before` (epoch ms). Returns how many. */
  pruneDelivered(before: number): number {
    return this.#io(
      "prune delivered notifications",
      () => this.#statements.prune.run(before).changes,
    );
  }

  /**
   * Calls `listener(count)` whenever rows become pending in this process (publish,
   * requeue). Returns a function that removes it. Other processes' publications are
   * seen by polling.
   */
  onPublished(listener: (count: number) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Closes the file. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#listeners.clear();
    this.#db.close();
  }
}
