/**
 * PostgresTableSink and PostgresDatabase against the real server on loopback: the
 * sink contract on a plain and on a partitioned table (with a cut connection as the
 * transient fault and a dropped table as the permanent one), then migrations,
 * partitions, upsert rules, value errors and retries. Each test works in a schema of
 * its own, dropped afterwards. Skipped when no server answers, except under CI=true.
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import type pg from "pg";
import type { SinkWriter } from "../../engine/index.js";
import { describeSink } from "../testing/sink-contract.case.js";
import { PostgresMigrationError, PostgresSinkError } from "./errors.js";
import { type Migration, migrate } from "./migrations.js";
import { PostgresDatabase } from "./postgres-database.js";
import type { PostgresTableOptions } from "./postgres-table-sink.js";
import {
  cutConnections,
  dropSchemas,
  requirePostgres,
  taggedPool,
  uniqueName,
  withClient,
} from "./test-database.fixture.js";

const { skip } = await requirePostgres();
const schemas: string[] = [];
const pools: pg.Pool[] = [];
after(async () => {
  if (skip !== false) return;
  for (const p of pools.splice(0)) await p.end();
  await dropSchemas(schemas);
});

/** A tagged pool ended after the file's tests. */
function pool(name: string): pg.Pool {
  const p = taggedPool(name);
  pools.push(p);
  return p;
}

const DAY = 86_400_000;
const T0 = Date.UTC(2024, 0, 1, 12);

interface Item {
  readonly n: number;
  readonly text: string;
  readonly at: number;
}

const itemsMigration: Migration = {
  version: 1,
  name: "items",
  up: (s) => [
    `CREATE TABLE ${s}.items (n bigint PRIMARY KEY, text text, at timestamptz NOT NULL)`,
    `CREATE TABLE ${s}.timed_items (n bigint NOT NULL, text text, at timestamptz NOT NULL, PRIMARY KEY (n, at)) PARTITION BY RANGE (at)`,
  ],
};

const itemRow = (i: Item) => ({ n: i.n, text: i.text, at: new Date(i.at).toISOString() });

function itemsTable(partitioned: boolean): PostgresTableOptions<Item> {
  return partitioned
    ? {
        table: "timed_items",
        columns: ["n", "text", "at"],
        key: ["n", "at"],
        row: itemRow,
        partition: { column: "at", interval: "day", time: (i) => i.at },
        batchRows: 500,
      }
    : { table: "items", columns: ["n", "text", "at"], key: ["n"], row: itemRow, batchRows: 500 };
}

/** A fresh schema with the items tables, through a pool tagged `name`. */
function database(
  name: string,
  extra: Partial<ConstructorParameters<typeof PostgresDatabase>[0]> = {},
) {
  const schema = uniqueName();
  schemas.push(schema);
  const db = new PostgresDatabase({
    pool: pool(name),
    schema,
    migrations: [itemsMigration],
    retry: { attempts: 5, initialDelayMs: 20 },
    onRetry: () => undefined,
    ...extra,
  });
  return { db, schema };
}

async function rows(schema: string, sql: string): Promise<Record<string, unknown>[]> {
  return withClient(async (c) => (await c.query(sql.replaceAll("$schema", `"${schema}"`))).rows);
}

for (const partitioned of [false, true]) {
  const name = `PostgresTableSink (${partitioned ? "partitioned" : "plain"} table)`;
  if (skip !== false) {
    describe(name, { skip }, () => {});
    continue;
  }
  describeSink<Item>(name, async () => {
    const tag = uniqueName("app");
    const { db, schema } = database(tag);
    const table = partitioned ? "timed_items" : "items";
    return {
      transactional: false,
      ordered: false,
      sink: () => db.sink(itemsTable(partitioned)),
      record: (n) => ({
        n,
        text: n % 2 === 0 ? "Grüße 🌡" : "line\nbreak 'quoted'",
        at: T0 + (n % 3) * DAY,
      }),
      idOf: (i) => i.n,
      published: async () =>
        (await rows(schema, `SELECT n, text, at FROM $schema.${table}`)).map((r) => ({
          n: Number(r.n),
          text: String(r.text),
          at: (r.at as Date).getTime(),
        })),
      interrupt: async () => {
        assert.ok((await cutConnections(tag)) > 0, "a connection was cut");
      },
      breakDestination: async () => {
        await withClient((c) => c.query(`DROP TABLE "${schema}".${table}`));
      },
      destinationName: table,
      cleanup: () => db.close(),
    };
  });
}

describe("PostgresDatabase and PostgresTableSink", { skip }, () => {
  const open: { close(): Promise<void> }[] = [];
  after(async () => {
    for (const o of open.splice(0)) await o.close();
  });

  function track<T extends { close(): Promise<void> }>(x: T): T {
    open.push(x);
    return x;
  }

  function write<T>(writer: SinkWriter<T>, values: T[]): void {
    writer.write({ values, times: values.map(() => 0), channel: 0 });
  }

  describe("migrations", () => {
    it("applies each migration once and records it, also with two processes starting together", async () => {
      const schema = uniqueName();
      schemas.push(schema);
      const both = [pool(uniqueName("a")), pool(uniqueName("b"))];
      const second: Migration = {
        version: 2,
        name: "index",
        up: (s) => [`CREATE INDEX items_text ON ${s}.items (text)`],
      };
      const results = await Promise.all(
        both.map((p) => migrate(p, schema, [second, itemsMigration])),
      );
      const applied = results.map((r) => r.applied).sort((a, b) => b.length - a.length);
      assert.deepEqual(applied, [[1, 2], []]);
      const recorded = await rows(
        schema,
        "SELECT version, name FROM $schema.schema_migrations ORDER BY version",
      );
      assert.deepEqual(recorded, [
        { version: 1, name: "items" },
        { version: 2, name: "index" },
      ]);
      assert.deepEqual((await migrate(both[0]!, schema, [itemsMigration, second])).applied, []);
    });

    it("refuses a changed migration, an unknown newer one, and rolls back a failing one", async () => {
      const schema = uniqueName();
      schemas.push(schema);
      const p = pool(uniqueName("m"));
      await migrate(p, schema, [itemsMigration]);
      const changed: Migration = {
        ...itemsMigration,
        up: (s) => [`CREATE TABLE ${s}.other (n int)`],
      };
      await assert.rejects(migrate(p, schema, [changed]), (e: unknown) => {
        assert.ok(e instanceof PostgresMigrationError);
        assert.match(e.message, /migration 1 \("items"\) was applied with different SQL/);
        return true;
      });
      await assert.rejects(
        migrate(p, schema, []),
        /migration 1 \("items"\) is applied there but unknown/,
      );
      const broken: Migration = {
        version: 2,
        name: "broken",
        up: (s) => [`CREATE TABLE ${s}.fine (n int)`, `ALTER TABLE ${s}.missing ADD COLUMN x int`],
      };
      await assert.rejects(migrate(p, schema, [itemsMigration, broken]), (e: unknown) => {
        assert.ok(e instanceof PostgresMigrationError);
        assert.match(e.message, /migration 2 \("broken"\) failed: .*missing.* \(SQLSTATE 42P01\)/);
        return true;
      });
      const left = await rows(
        schema,
        "SELECT to_regclass('$schema.fine') IS NULL AS gone, (SELECT max(version) FROM $schema.schema_migrations) AS v",
      );
      assert.deepEqual(left, [{ gone: true, v: 1 }]);
    });
  });

  describe("partitions", () => {
    it("creates one partition per day on demand, and again after one is dropped", async () => {
      const { db, schema } = database(uniqueName("p"));
      track(db);
      const writer = track(await db.sink(itemsTable(true)).open({ step: "out" }));
      write(
        writer,
        [0, 1, 2, 3].map((n) => ({ n, text: "x", at: T0 + n * DAY })),
      );
      await writer.flush();
      const names = async () =>
        (
          await rows(
            schema,
            `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = '$schema.timed_items'::regclass ORDER BY 1`,
          )
        ).map((r) => r.name);
      assert.deepEqual(await names(), [
        "timed_items_p20240101",
        "timed_items_p20240102",
        "timed_items_p20240103",
        "timed_items_p20240104",
      ]);
      assert.equal(db.stats.partitionsCreated, 4);
      await withClient((c) => c.query(`DROP TABLE "${schema}".timed_items_p20240102`));
      write(writer, [{ n: 1, text: "again", at: T0 + DAY }]);
      await writer.flush();
      assert.equal((await names()).length, 4);
      const [row] = await rows(schema, "SELECT text FROM $schema.timed_items WHERE n = 1");
      assert.equal(row?.text, "again");
    });
  });

  describe("upserts", () => {
    it("replaces a row by key, merges one key written twice in a flush, and skips unchanged rows", async () => {
      const { db, schema } = database(uniqueName("u"));
      track(db);
      const writer = track(await db.sink(itemsTable(false)).open({ step: "out" }));
      write(writer, [
        { n: 1, text: "a", at: T0 },
        { n: 2, text: "b", at: T0 },
        { n: 1, text: "c", at: T0 },
      ]);
      await writer.prepareCommit!(1);
      write(writer, [{ n: 2, text: "d", at: T0 }]);
      await writer.prepareCommit!(2);
      assert.deepEqual(await rows(schema, "SELECT n::int, text FROM $schema.items ORDER BY n"), [
        { n: 1, text: "c" },
        { n: 2, text: "d" },
      ]);
      const xmin = async () =>
        (await rows(schema, "SELECT xmin::text AS x FROM $schema.items WHERE n = 1"))[0]?.x;
      const before = await xmin();
      write(writer, [{ n: 1, text: "c", at: T0 }]);
      await writer.flush();
      assert.equal(await xmin(), before, "an identical row is not rewritten");
    });

    it("with newerBy, never replaces a row by an older one", async () => {
      const { db, schema } = database(uniqueName("nb"));
      track(db);
      const writer = track(
        await db.sink({ ...itemsTable(false), newerBy: "at" }).open({ step: "out" }),
      );
      write(writer, [{ n: 1, text: "new", at: T0 + 10 }]);
      await writer.flush();
      write(writer, [{ n: 1, text: "old", at: T0 }]);
      await writer.flush();
      write(writer, [{ n: 2, text: "x", at: T0 }]);
      write(writer, [{ n: 2, text: "same time replaces", at: T0 }]);
      await writer.flush();
      assert.deepEqual(await rows(schema, "SELECT n::int, text FROM $schema.items ORDER BY n"), [
        { n: 1, text: "new" },
        { n: 2, text: "same time replaces" },
      ]);
    });

    it("keeps the first row with onConflict: ignore", async () => {
      const { db, schema } = database(uniqueName("i"));
      track(db);
      const writer = track(
        await db.sink({ ...itemsTable(false), onConflict: "ignore" }).open({ step: "out" }),
      );
      write(writer, [{ n: 1, text: "first", at: T0 }]);
      await writer.flush();
      write(writer, [{ n: 1, text: "second", at: T0 }]);
      await writer.flush();
      assert.deepEqual(await rows(schema, "SELECT text FROM $schema.items"), [{ text: "first" }]);
    });

    it("stores jsonb, null and NUL-bearing values", async () => {
      const migration: Migration = {
        version: 1,
        name: "docs",
        up: (s) => [
          `CREATE TABLE ${s}.docs (id text PRIMARY KEY, body jsonb, score double precision, note text)`,
        ],
      };
      const { db, schema } = database(uniqueName("j"), { migrations: [migration] });
      track(db);
      const sink = db.sink<{ id: string; body: object; score: number | null; note: string }>({
        table: "docs",
        columns: ["id", "body", "score", "note"],
        key: ["id"],
        row: (d) => d,
      });
      const writer = track(await sink.open({ step: "out" }));
      write(writer, [
        { id: "a|1", body: { nested: { x: [1, 2] } }, score: null, note: "nul\u0000here" },
      ]);
      await writer.flush();
      assert.deepEqual(await rows(schema, "SELECT id, body, score, note FROM $schema.docs"), [
        { id: "a|1", body: { nested: { x: [1, 2] } }, score: null, note: "nul\uFFFDhere" },
      ]);
    });
  });

  describe("errors", () => {
    it("fails a value that does not fit its column with the table and SQLSTATE, and stays failed", async () => {
      const { db } = database(uniqueName("e"));
      track(db);
      const sink = db.sink<{ n: string }>({
        table: "items",
        columns: ["n", "at"],
        key: ["n"],
        row: (r) => ({ n: r.n, at: new Date(T0).toISOString() }),
      });
      const writer = track(await sink.open({ step: "out" }));
      write(writer, [{ n: "not a number" }]);
      await assert.rejects(writer.flush(), (e: unknown) => {
        assert.ok(e instanceof PostgresSinkError);
        assert.match(e.message, /upserting 1 rows into items failed: .*bigint.*\(SQLSTATE 22P02\)/);
        return true;
      });
      assert.throws(
        () => write(writer, [{ n: "1" }]),
        /an earlier write failed; the sink is unusable/,
      );
    });

    it("fails a record without its key at write time", async () => {
      const { db } = database(uniqueName("k"));
      track(db);
      const writer = track(
        await db
          .sink<{ n: number | null }>({
            table: "items",
            columns: ["n", "at"],
            key: ["n"],
            row: (r) => ({ n: r.n, at: null }),
          })
          .open({ step: "out" }),
      );
      assert.throws(
        () => write(writer, [{ n: null }]),
        /cannot turn record 0 of a batch into a row/,
      );
    });

    it("gives up on an unreachable server after the configured tries, naming what it tried", async () => {
      const db = track(
        new PostgresDatabase({
          connectionString: "postgres://postgres@127.0.0.1:1/none",
          retry: { attempts: 3, initialDelayMs: 5 },
          onRetry: () => undefined,
        }),
      );
      await assert.rejects(db.sink(itemsTable(false)).open({ step: "out" }), (e: unknown) => {
        assert.ok(e instanceof PostgresSinkError);
        assert.match(
          e.message,
          /postgres:millstream: applying migrations failed after 3 tries: .*ECONNREFUSED/,
        );
        return true;
      });
    });

    it("rejects invalid options with the option named", () => {
      const { db } = database(uniqueName("o"));
      track(db);
      assert.throws(
        () => db.sink({ ...itemsTable(false), key: ["missing"] }),
        /key column "missing" is not among `columns`/,
      );
      assert.throws(
        () => db.sink({ ...itemsTable(true), key: ["n"] }),
        /partition column "at" must be part of `key`/,
      );
      assert.throws(
        () => db.sink({ ...itemsTable(false), table: "bad-name" }),
        /table "bad-name" must hold only/,
      );
    });
  });

  describe("needsFlush", () => {
    it("turns true at batchRows rows or when the oldest row is maxDelayMs old", async () => {
      const { db } = database(uniqueName("f"));
      track(db);
      let now = 1000;
      const writer = track(
        await db
          .sink({ ...itemsTable(false), batchRows: 3, maxDelayMs: 50, now: () => now })
          .open({ step: "out" }),
      );
      write(writer, [{ n: 1, text: "", at: T0 }]);
      assert.equal(writer.needsFlush, false);
      now += 50;
      assert.equal(writer.needsFlush, true);
      await writer.flush();
      assert.equal(writer.needsFlush, false);
      write(
        writer,
        [1, 2, 3].map((n) => ({ n, text: "", at: T0 })),
      );
      assert.equal(writer.needsFlush, true);
    });
  });
});
