/**
 * PostgresCheckpointStore against the real server on loopback: the contract suite, each
 * test in a schema of its own (dropped afterwards), then what is particular to
 * PostgreSQL: the schema and its version, compaction, two processes racing for one
 * job's next id, and an unreachable server. Skipped when no server answers, except
 * under CI=true, where that fails (see test-postgres.ts).
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, describe, it } from "node:test";
import pg from "pg";
import {
  bigRows,
  canonical,
  checkpointData,
  describeCheckpointStore,
  StateModel,
  stateRow,
} from "./checkpoint-store.case.js";
import { CheckpointSchemaError, CheckpointSequenceError, CheckpointStoreError } from "./errors.js";
import { POSTGRES_SCHEMA_VERSION, PostgresCheckpointStore } from "./postgres-checkpoint-store.js";
import { requirePostgres, TEST_POSTGRES_URL } from "./test-postgres.js";

const { skip } = await requirePostgres();

const prefix = `ms_test_${process.pid}_${randomBytes(3).toString("hex")}`;
let schemas = 0;
const created: string[] = [];

/** A schema name no other test (or test run) uses; dropped after the file's tests. */
function newSchema(): string {
  const schema = `${prefix}_${++schemas}`;
  created.push(schema);
  return schema;
}

/** Runs `work` with a connection of its own, as another process or a stray tool would. */
async function withClient<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

after(async () => {
  if (skip !== false || created.length === 0) return;
  await withClient(async (client) => {
    for (const schema of created) await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  });
});

const literal = (text: string): string => `'${text.replaceAll("'", "''")}'`;

describeCheckpointStore(
  "PostgresCheckpointStore",
  async ({ onWarning }) => {
    const schema = newSchema();
    const open = () =>
      new PostgresCheckpointStore({ connectionString: TEST_POSTGRES_URL, schema, onWarning });
    return {
      store: open(),
      reopen: async () => open(),
      corrupt: (job, id) =>
        withClient(async (client) => {
          const changed = await client.query(
            `UPDATE "${schema}".checkpoint_state SET state = state || ' '
             WHERE ctid = (SELECT ctid FROM "${schema}".checkpoint_state
                           WHERE job = $1 AND checkpoint_id = $2 AND state IS NOT NULL LIMIT 1)`,
            [job, id],
          );
          if (changed.rowCount === 0) {
            await client.query(
              `UPDATE "${schema}".checkpoints SET created_at = created_at + 1 WHERE job = $1 AND id = $2`,
              [job, id],
            );
          }
        }),
      failOnKey: (key) =>
        withClient(async (client) => {
          await client.query(
            `CREATE FUNCTION "${schema}".fail_on_key() RETURNS trigger LANGUAGE plpgsql AS $body$
             BEGIN
               IF NEW.key = ${literal(key)} THEN RAISE EXCEPTION 'injected failure'; END IF;
               RETURN NEW;
             END $body$;
             CREATE TRIGGER fail_on_key BEFORE INSERT ON "${schema}".checkpoint_state
             FOR EACH ROW EXECUTE FUNCTION "${schema}".fail_on_key();`,
          );
        }),
      dispose: () =>
        withClient(async (client) => {
          await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
        }),
    };
  },
  { skip },
);

describe("PostgresCheckpointStore", { skip }, () => {
  it("creates its schema and tables on first use and records the schema version", async () => {
    const schema = newSchema();
    const store = new PostgresCheckpointStore({ connectionString: TEST_POSTGRES_URL, schema });
    assert.equal(
      store.description,
      `postgres:postgres@${new URL(TEST_POSTGRES_URL).host}/test schema=${schema}`,
    );
    assert.equal(await store.latest("line-1"), null);
    const tables = await withClient(async (client) => {
      const result = await client.query(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1",
        [schema],
      );
      const version = await client.query(
        `SELECT version FROM "${schema}".checkpoint_schema_version`,
      );
      return { tables: result.rows.map((r) => r.table_name), version: version.rows };
    });
    assert.deepEqual(tables, {
      tables: ["checkpoint_schema_version", "checkpoint_state", "checkpoints"],
      version: [{ version: POSTGRES_SCHEMA_VERSION }],
    });
    await store.close();
  });

  it("refuses tables of a newer schema version", async () => {
    const schema = newSchema();
    const first = new PostgresCheckpointStore({ connectionString: TEST_POSTGRES_URL, schema });
    await first.latest("line-1");
    await first.close();
    await withClient((client) =>
      client.query(`UPDATE "${schema}".checkpoint_schema_version SET version = $1`, [
        POSTGRES_SCHEMA_VERSION + 1,
      ]),
    );
    const store = new PostgresCheckpointStore({ connectionString: TEST_POSTGRES_URL, schema });
    await assert.rejects(store.latest("line-1"), (error: Error) => {
      assert.ok(error instanceof CheckpointSchemaError);
      assert.match(
        error.message,
        new RegExp(`schema=${schema}: the checkpoint tables have schema version 2`),
      );
      return true;
    });
    await store.close();
  });

  it("rejects a schema name that is not a plain identifier", () => {
    assert.throws(
      () =>
        new PostgresCheckpointStore({ connectionString: TEST_POSTGRES_URL, schema: 'x"; DROP' }),
      CheckpointStoreError,
    );
  });

  it("uses a pool passed in without ending it", async () => {
    const pool = new pg.Pool({ connectionString: TEST_POSTGRES_URL, max: 2 });
    const store = new PostgresCheckpointStore({ pool, schema: newSchema() });
    await store.commit(checkpointData("line-1", 1, [stateRow("avg", 0, "a", 1)]));
    await store.close();
    assert.deepEqual((await pool.query("SELECT 1 AS one")).rows, [{ one: 1 }]);
    await pool.end();
  });

  it("compaction keeps at most two versions of a key and the two newest checkpoints", async () => {
    const schema = newSchema();
    const store = new PostgresCheckpointStore({ connectionString: TEST_POSTGRES_URL, schema });
    const model = new StateModel();
    for (let id = 1; id <= 30; id++) {
      const rows = [];
      for (let k = 0; k < 100; k++) {
        rows.push(stateRow("avg", k % 4, `k${k}`, id % 7 === 0 && k % 10 === 0 ? null : { id, k }));
      }
      const data = checkpointData("line-1", id, rows);
      await store.commit(data);
      model.apply(data);
    }
    const counts = await withClient(async (client) => {
      const state = await client.query(
        `SELECT count(*)::int AS n, count(DISTINCT key)::int AS keys, min(checkpoint_id)::int AS oldest
         FROM "${schema}".checkpoint_state`,
      );
      const ids = await client.query(`SELECT id::int FROM "${schema}".checkpoints ORDER BY id`);
      return { ...state.rows[0], ids: ids.rows.map((r) => r.id) };
    });
    assert.deepEqual(counts, { n: 200, keys: 100, oldest: 29, ids: [29, 30] });
    assert.deepEqual(canonical(await store.latest("line-1")), model.expected());
    await store.close();
  });

  it("two processes racing to commit one job's next checkpoint: exactly one wins", async () => {
    const schema = newSchema();
    const a = new PostgresCheckpointStore({ connectionString: TEST_POSTGRES_URL, schema });
    const b = new PostgresCheckpointStore({ connectionString: TEST_POSTGRES_URL, schema });
    await a.commit(checkpointData("line-1", 1, bigRows(1000, 1)));
    for (let id = 2; id <= 4; id++) {
      const results = await Promise.allSettled([
        a.commit(checkpointData("line-1", id, bigRows(20_000, id))),
        b.commit(checkpointData("line-1", id, bigRows(20_000, 100 + id))),
      ]);
      const won = results.filter((r) => r.status === "fulfilled");
      const lost = results.filter((r) => r.status === "rejected");
      assert.equal(won.length, 1, `checkpoint ${id}: ${results.map((r) => r.status).join(", ")}`);
      const error = (lost[0] as PromiseRejectedResult).reason as CheckpointSequenceError;
      assert.ok(error instanceof CheckpointSequenceError, String(error));
      assert.equal(error.expected, id + 1);
    }
    const stored = await a.latest("line-1");
    assert.equal(stored?.id, 4);
    assert.equal(stored?.rows.length, 20_000);
    await a.close();
    await b.close();
  });

  it("processes writing different jobs commit side by side", async () => {
    const schema = newSchema();
    const stores = [0, 1, 2].map(
      () => new PostgresCheckpointStore({ connectionString: TEST_POSTGRES_URL, schema }),
    );
    for (let id = 1; id <= 3; id++) {
      await Promise.all(
        stores.map((store, i) =>
          store.commit(checkpointData(`line-${i}`, id, bigRows(2000, id + i))),
        ),
      );
    }
    for (const [i, store] of stores.entries()) {
      const stored = await store.latest(`line-${i}`);
      assert.equal(stored?.id, 3);
      assert.deepEqual(
        canonical(stored)?.rows,
        canonical({ ...checkpointData("x", 3, bigRows(2000, 3 + i)) })?.rows,
      );
      await store.close();
    }
  });

  it("an unreachable server makes calls reject with CheckpointStoreError, without the password", async () => {
    const store = new PostgresCheckpointStore({
      connectionString: "postgres://millstream:secret@127.0.0.1:1/test",
      schema: newSchema(),
    });
    assert.equal(store.description.includes("secret"), false);
    await assert.rejects(store.latest("line-1"), (error: Error) => {
      assert.ok(error instanceof CheckpointStoreError);
      assert.match(
        error.message,
        /^postgres:millstream@127\.0\.0\.1:1\/test schema=\w+: cannot set up the checkpoint tables: cannot connect: /,
      );
      assert.equal(error.message.includes("secret"), false);
      return true;
    });
    await store.close();
  });
});
