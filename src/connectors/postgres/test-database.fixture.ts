/**
 * Helpers of the PostgreSQL connector's tests: a schema per test (dropped at the end
 * of the file), a pool whose connections can be cut, and a client of its own.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";
import { TEST_POSTGRES_URL } from "../checkpoint/test-postgres.js";

export { requirePostgres, TEST_POSTGRES_URL } from "../checkpoint/test-postgres.js";

const prefix = `ms_sink_${process.pid}_${randomBytes(3).toString("hex")}`;
let counter = 0;

/** A schema name no other test or run uses. */
export function uniqueName(what = "s"): string {
  return `${prefix}_${what}_${++counter}`;
}

/** Runs `work` with a connection of its own, as another process would. */
export async function withClient<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** A pool tagged with `application_name` so that its connections can be found and cut. */
export function taggedPool(applicationName: string, max = 4): pg.Pool {
  const pool = new pg.Pool({
    connectionString: TEST_POSTGRES_URL,
    application_name: applicationName,
    max,
  });
  pool.on("error", () => undefined);
  return pool;
}

/** Terminates every server connection of `applicationName` (a transient fault). */
export async function cutConnections(applicationName: string): Promise<number> {
  return withClient(async (client) => {
    const { rows } = await client.query(
      "SELECT pg_terminate_backend(pid) AS done FROM pg_stat_activity WHERE application_name = $1",
      [applicationName],
    );
    return rows.length;
  });
}

/** Drops the given schemas with everything in them. */
export async function dropSchemas(schemas: readonly string[]): Promise<void> {
  if (schemas.length === 0) return;
  await withClient(async (client) => {
    for (const s of schemas) await client.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
  });
}
