/**
 * The NATS server (with JetStream) that integration tests use, and the rule for when
 * it is missing: under `CI=true` the tests fail; elsewhere they are skipped with a
 * printed reason. Test files only.
 */
import { jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";

/** The test server: `MILLSTREAM_TEST_NATS_URL`, or the machine's own on loopback. */
export const TEST_NATS_URL = process.env.MILLSTREAM_TEST_NATS_URL ?? "127.0.0.1:4222";

let checked: Promise<{ readonly skip: false | string }> | undefined;

/**
 * Checks once per process that {@link TEST_NATS_URL} accepts a connection and has
 * JetStream. Resolves to `{ skip: false }` when it does; otherwise rejects under
 * `CI=true` (or `1`), and elsewhere prints the reason and resolves to `{ skip: reason }`.
 */
export function requireNats(): Promise<{ readonly skip: false | string }> {
  checked ??= probe();
  return checked;
}

async function probe(): Promise<{ readonly skip: false | string }> {
  let nc: NatsConnection | undefined;
  try {
    nc = await connect({ servers: TEST_NATS_URL, timeout: 5000, reconnect: false });
    await (await jetstreamManager(nc)).getAccountInfo();
    return { skip: false };
  } catch (error) {
    const reason = `NATS JetStream at ${TEST_NATS_URL} is unreachable (${(error as Error).message})`;
    if (process.env.CI === "true" || process.env.CI === "1") {
      throw new Error(`${reason}; CI=true, so the NATS tests fail instead of skipping`, {
        cause: error,
      });
    }
    console.warn(`skipping NATS tests: ${reason}`);
    return { skip: reason };
  } finally {
    await nc?.close().catch(() => undefined);
  }
}

/** A name no other test run uses (stream, bucket, consumer prefix), of letters, digits and `_`. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${process.pid}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
}
