/**
 * The MQTT broker integration tests use (Mosquitto on loopback by default), and the
 * rule for when it is missing: under `CI=true` the tests fail; elsewhere they are
 * skipped with a printed reason. Test files only.
 */
import mqtt from "mqtt";

/** The test broker: `MILLSTREAM_TEST_MQTT_URL`, or the machine's own on loopback. */
export const TEST_MQTT_URL = process.env.MILLSTREAM_TEST_MQTT_URL ?? "mqtt://127.0.0.1:1883";

let checked: Promise<{ readonly skip: false | string }> | undefined;

/** Like `requirePostgres()`: `{ skip: false }`, or the reason, or a rejection under CI. */
export function requireMqtt(): Promise<{ readonly skip: false | string }> {
  checked ??= probe();
  return checked;
}

async function probe(): Promise<{ readonly skip: false | string }> {
  try {
    const client = await mqtt.connectAsync(TEST_MQTT_URL, {
      connectTimeout: 5000,
      reconnectPeriod: 0,
    });
    await client.endAsync();
    return { skip: false };
  } catch (error) {
    const reason = `MQTT broker at ${TEST_MQTT_URL} is unreachable (${(error as Error).message})`;
    if (process.env.CI === "true" || process.env.CI === "1") {
      throw new Error(`${reason}; CI=true, so the MQTT tests fail instead of skipping`, {
        cause: error,
      });
    }
    console.warn(`skipping MQTT tests: ${reason}`);
    return { skip: reason };
  }
}

/** A topic prefix (and client id base) no other test run uses. */
export function uniqueTopic(prefix: string): string {
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}
