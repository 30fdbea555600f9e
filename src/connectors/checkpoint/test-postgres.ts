/**
 * The PostgreSQL server that integration tests use, and the rule for when it is
 * missing: under `CI=true` the tests fail; elsewhere they are skipped with a printed
 * reason. Test files only; shared by every suite that needs PostgreSQL.
 */
import pg from "pg";

/**
 * The test server: `MILLSTREAM_TEST_POSTGRES_URL`, or the machine's own server on
 * loopback (trust authentication, database `test`, user `postgres`).
 */
export const TEST_POSTGRES_URL =
  process.env.MILLSTREAM_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";

/** Whether PostgreSQL tests run: `skip` is `false`, or the reason they are skipped. */
export interface PostgresAvailability {
  readonly skip: false | string;
}

let checked: Promise<PostgresAvailability> | undefined;

/**
 * Checks once per process that {@link TEST_POSTGRES_URL} accepts a connection
 * (within 5 s). Resolves to `{ skip: false }` when it does. When it does not: rejects
 * if `CI` is `true` or `1` (so the test file fails instead of passing without having
 * tested anything), and otherwise prints the reason and resolves to
 * `{ skip: reason }`, meant for `describe(name, { skip }, …)`.
 */
export function requirePostgres(): Promise<PostgresAvailability> {
  checked ??= probe();
  return checked;
}

async function probe(): Promise<PostgresAvailability> {
  const client = new pg.Client({
    connectionString: TEST_POSTGRES_URL,
    connectionTimeoutMillis: 5000,
  });
  try {
    await client.connect();
    await client.query("SELECT 1");
    return { skip: false };
  } catch (error) {
    const reason = `PostgreSQL at ${TEST_POSTGRES_URL} is unreachable (${(error as Error).message})`;
    const ci = process.env.CI === "true" || process.env.CI === "1";
    if (ci) {
      throw new Error(`${reason}; CI=true, so the PostgreSQL tests fail instead of skipping`, {
        cause: error,
      });
    }
    console.warn(`skipping PostgreSQL tests: ${reason}`);
    return { skip: reason };
  } finally {
    await client.end().catch(() => undefined);
  }
}
