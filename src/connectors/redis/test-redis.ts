/**
 * The Redis server that integration tests use, and the rule for when it is missing:
 * under `CI=true` the tests fail; elsewhere they are skipped with a printed reason.
 * Also unique key prefixes per test and their cleanup. Test files only.
 */
import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";

/** The test server: `MILLSTREAM_TEST_REDIS_URL`, or the machine's own on loopback. */
export const TEST_REDIS_URL = process.env.MILLSTREAM_TEST_REDIS_URL ?? "redis://127.0.0.1:6379";

let checked: Promise<{ readonly skip: false | string }> | undefined;

/**
 * Checks once per process that {@link TEST_REDIS_URL} answers PING within 5 s.
 * Resolves to `{ skip: false }` when it does; otherwise rejects under `CI=true` (or
 * `1`) and elsewhere prints the reason and resolves to `{ skip: reason }`.
 */
export function requireRedis(): Promise<{ readonly skip: false | string }> {
  checked ??= (async () => {
    const client = new Redis(TEST_REDIS_URL, {
      lazyConnect: true,
      connectTimeout: 5000,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    client.on("error", () => undefined);
    try {
      await client.connect();
      await client.ping();
      return { skip: false as const };
    } catch (error) {
      const reason = `Redis at ${TEST_REDIS_URL} is unreachable (${(error as Error).message})`;
      if (process.env.CI === "true" || process.env.CI === "1") {
        throw new Error(`${reason}; CI=true, so the Redis tests fail instead of skipping`, {
          cause: error,
        });
      }
      console.warn(`skipping Redis tests: ${reason}`);
      return { skip: reason };
    } finally {
      client.disconnect();
    }
  })();
  return checked;
}

/** A key prefix (ending in `:`) no other test or run uses. */
export function uniquePrefix(): string {
  return `ms:test:${process.pid}:${randomBytes(4).toString("hex")}:`;
}

/** A client of the test server named `name` (so its connection can be found and killed). */
export function testClient(name?: string): Redis {
  const client = new Redis(TEST_REDIS_URL, name === undefined ? {} : { connectionName: name });
  client.on("error", () => undefined);
  return client;
}

/** Deletes every key starting with `prefix`. */
export async function deleteKeys(client: Redis, prefix: string): Promise<void> {
  let cursor = "0";
  do {
    const [next, keys] = await client.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000);
    cursor = next;
    if (keys.length > 0) await client.del(...keys);
  } while (cursor !== "0");
}

/** Kills the server connections of clients named `name`; returns how many. */
export async function killClients(client: Redis, name: string): Promise<number> {
  const list = (await client.client("LIST")) as string;
  let killed = 0;
  for (const line of list.split("\n")) {
    const id = /(?:^| )id=(\d+)/.exec(line)?.[1];
    if (id !== undefined && line.includes(` name=${name} `)) {
      await client.client("KILL", "ID", id);
      killed++;
    }
  }
  return killed;
}
