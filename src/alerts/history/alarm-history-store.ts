/**
 * The alarm history in SQLite (better-sqlite3): every transition, indexed by
 * facility, equipment, type, state and event time, and the alarms as they stood at
 * any moment. Written through a sink that inserts by transition id, so a replay after
 * a crash writes nothing twice.
 */
import { mkdirSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import type { Batch, Sink, SinkWriter } from "../../engine/index.js";
import type { AlarmTransition, TransitionKind } from "../lifecycle/alarm-transition.js";
import type { AlarmSnapshot, AlarmState } from "../notification.js";

/** Options of {@link AlarmHistoryStore}. */
export interface AlarmHistoryStoreOptions {
  /** The database file (missing folders are created), or `":memory:"`. */
  readonly path: string;
}

/** Which transitions or alarms to return; every field narrows, all optional. */
export interface AlarmHistoryQuery {
  readonly facility?: string;
  readonly equipment?: string;
  readonly type?: string;
  readonly alarmId?: string;
  /** The state after the transition (for `alarms`: the alarm's state at the time). */
  readonly state?: AlarmState;
  /** Transitions only. */
  readonly kind?: TransitionKind;
  /** Event time range `[from, to)`, epoch ms. For `alarms`, `to` is the moment looked at. */
  readonly from?: number;
  readonly to?: number;
  /** At most this many rows (default 1000). */
  readonly limit?: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS alarm_transitions (
  id TEXT PRIMARY KEY,
  alarm_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  from_state TEXT,
  to_state TEXT NOT NULL,
  at INTEGER NOT NULL,
  type TEXT NOT NULL,
  source_kind TEXT NOT NULL,
  source_id TEXT NOT NULL,
  facility TEXT,
  equipment TEXT,
  sensor TEXT,
  severity TEXT NOT NULL,
  priority INTEGER NOT NULL,
  held TEXT,
  record TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS alarm_transitions_at ON alarm_transitions (at);
CREATE INDEX IF NOT EXISTS alarm_transitions_alarm ON alarm_transitions (alarm_id, at);
CREATE INDEX IF NOT EXISTS alarm_transitions_facility ON alarm_transitions (facility, at);
CREATE INDEX IF NOT EXISTS alarm_transitions_equipment ON alarm_transitions (equipment, at);
CREATE INDEX IF NOT EXISTS alarm_transitions_type ON alarm_transitions (type, at);
`;

function where(q: AlarmHistoryQuery, withKind: boolean): { sql: string; params: unknown[] } {
  const parts: string[] = [];
  const params: unknown[] = [];
  const eq = (column: string, value: unknown) => {
    if (value === undefined) return;
    parts.push(`${column} = ?`);
    params.push(value);
  };
  eq("facility", q.facility);
  eq("equipment", q.equipment);
  eq("type", q.type);
  eq("alarm_id", q.alarmId);
  if (withKind) {
    eq("to_state", q.state);
    eq("kind", q.kind);
  }
  if (q.from !== undefined && withKind) {
    parts.push("at >= ?");
    params.push(q.from);
  }
  if (q.to !== undefined) {
    parts.push("at < ?");
    params.push(q.to);
  }
  return { sql: parts.length > 0 ? `WHERE ${parts.join(" AND ")}` : "", params };
}

function limitOf(q: AlarmHistoryQuery): number {
  const limit = q.limit ?? 1000;
  if (!(Number.isInteger(limit) && limit > 0))
    throw new RangeError(`limit must be a positive integer, got ${limit}`);
  return limit;
}

/**
 * The alarm history. `add` inserts transitions (a transition already stored, by id,
 * is left as it is: ids are deterministic, so it is the same record); `transitions`
 * and `alarms` query it; `sink()` writes a dataflow's transitions into it.
 */
export class AlarmHistoryStore {
  readonly description: string;
  readonly #db: Database.Database;
  readonly #insert: Database.Statement;

  constructor(options: AlarmHistoryStoreOptions) {
    if (options.path !== ":memory:")
      mkdirSync(path.dirname(path.resolve(options.path)), { recursive: true });
    this.description = `alarm history ${options.path === ":memory:" ? "in memory" : path.basename(options.path)}`;
    this.#db = new Database(options.path);
    this.#db.pragma("journal_mode = WAL");
    this.#db.exec(SCHEMA);
    this.#insert = this.#db.prepare(
      `INSERT INTO alarm_transitions
         (id, alarm_id, kind, from_state, to_state, at, type, source_kind, source_id,
          facility, equipment, sensor, severity, priority, held, record)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO NOTHING`,
    );
  }

  /** Stores `transitions` in one transaction. */
  add(transitions: readonly AlarmTransition[]): void {
    const insert = this.#insert;
    this.#db.transaction((list: readonly AlarmTransition[]) => {
      for (const t of list) {
        const a = t.alarm;
        insert.run(
          t.id,
          t.alarmId,
          t.kind,
          t.from,
          t.to,
          t.at,
          a.type,
          a.source.kind,
          a.source.id,
          a.facilityId,
          a.equipmentId,
          a.sensorId,
          a.severity,
          a.priority,
          t.held?.reason ?? null,
          JSON.stringify(t),
        );
      }
    })(transitions);
  }

  /** Transitions matching `query`, oldest first (by event time, then arrival). */
  transitions(query: AlarmHistoryQuery = {}): AlarmTransition[] {
    const w = where(query, true);
    const rows = this.#db
      .prepare(`SELECT record FROM alarm_transitions ${w.sql} ORDER BY at, rowid LIMIT ?`)
      .all(...w.params, limitOf(query)) as { record: string }[];
    return rows.map((r) => JSON.parse(r.record) as AlarmTransition);
  }

  /**
   * Alarms as they stood just before `query.to` (default: now, i.e. their latest
   * transition), filtered by facility, equipment, type, alarm id and `state`; with
   * `from`, only alarms that changed at or after it. Most recently changed first.
   */
  alarms(query: AlarmHistoryQuery = {}): AlarmSnapshot[] {
    const w = where(query, false);
    const outer: string[] = ["rn = 1"];
    const params = [...w.params];
    if (query.state !== undefined) {
      outer.push("to_state = ?");
      params.push(query.state);
    }
    if (query.from !== undefined) {
      outer.push("at >= ?");
      params.push(query.from);
    }
    const rows = this.#db
      .prepare(
        `SELECT record FROM (
           SELECT record, to_state, at, rowid AS r,
                  ROW_NUMBER() OVER (PARTITION BY alarm_id ORDER BY at DESC, rowid DESC) AS rn
           FROM alarm_transitions ${w.sql})
         WHERE ${outer.join(" AND ")} ORDER BY at DESC, r DESC LIMIT ?`,
      )
      .all(...params, limitOf(query)) as { record: string }[];
    return rows.map((r) => (JSON.parse(r.record) as AlarmTransition).alarm);
  }

  /** Number of stored transitions. */
  get size(): number {
    return (this.#db.prepare("SELECT count(*) AS n FROM alarm_transitions").get() as { n: number })
      .n;
  }

  /**
   * A sink that stores a dataflow's transitions: buffered by `write`, inserted by
   * `flush` (and at every checkpoint). Inserting by id makes a replay after a crash
   * harmless. Closing the sink does not close the store.
   */
  sink(): Sink<AlarmTransition> {
    const store = this;
    return {
      description: this.description,
      async open(): Promise<SinkWriter<AlarmTransition>> {
        let buffer: AlarmTransition[] = [];
        const flush = async () => {
          if (buffer.length === 0) return;
          const list = buffer;
          buffer = [];
          store.add(list);
        };
        return {
          write(batch: Batch<AlarmTransition>) {
            for (const t of batch.values) buffer.push(t);
          },
          get needsFlush() {
            return buffer.length >= 1000;
          },
          flush,
          async prepareCommit() {
            await flush();
            return undefined;
          },
          close: flush,
        };
      },
    };
  }

  close(): void {
    this.#db.close();
  }
}
