/**
 * `millstream simulate --to`: the broker URLs (errors for bad ones), the MQTT and NATS
 * targets against the real brokers on loopback, and the command end to end. Skipped
 * when a broker is missing, except under CI=true.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import mqtt from "mqtt";
import { requireMqtt, TEST_MQTT_URL } from "../../connectors/mqtt/test-mqtt.js";
import { requireNats, TEST_NATS_URL } from "../../connectors/nats/test-nats.js";
import { BrokerUrlError, kafkaTarget, mqttTarget, natsTarget } from "./broker-targets.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const mqttUp = await requireMqtt();
const natsUp = await requireNats();
const unique = () => randomBytes(4).toString("hex");

/** Subscribes to `filter` and returns the messages received until `count` came or 5 s passed. */
async function receive(filter: string, count: number, publish: () => Promise<void>) {
  const client = await mqtt.connectAsync(TEST_MQTT_URL);
  const got: [string, string][] = [];
  await client.subscribeAsync(filter, { qos: 1 });
  const done = new Promise<void>((resolve) => {
    client.on("message", (topic, payload) => {
      got.push([topic, payload.toString()]);
      if (got.length === count) resolve();
    });
  });
  await publish();
  await Promise.race([done, new Promise((r) => setTimeout(r, 5000))]);
  await client.endAsync();
  return got;
}

describe("simulate --to URLs", () => {
  it("refuses what is not a usable URL, saying what is expected", async () => {
    await assert.rejects(mqttTarget("mqtt//nohost"), (e: unknown) => {
      assert.ok(e instanceof BrokerUrlError);
      assert.match(e.message, /is not a URL such as mqtt:\/\/localhost:1883/);
      return true;
    });
    await assert.rejects(
      mqttTarget("mqtt://127.0.0.1:1883/x?qos=5"),
      /qos must be 0, 1 or 2, got "5"/,
    );
    await assert.rejects(kafkaTarget("kafka:///topic"), /names no Kafka broker/);
  });
});

describe("simulate --to mqtt://", { skip: mqttUp.skip }, () => {
  it("publishes each line on the topic its fields fill in", async () => {
    const prefix = `ms-test-to/${unique()}`;
    const lines = ['{"facility_id":"F1","sensor_id":"S/1"}', "malformed"];
    const got = await receive(`${prefix}/#`, 2, async () => {
      const target = await mqttTarget(`${TEST_MQTT_URL}/${prefix}/{facility_id}/{sensor_id}?qos=1`);
      await target.write(lines);
      await target.close();
    });
    assert.deepEqual(got.sort(), [
      [`${prefix}/F1/S_1`, lines[0]],
      [`${prefix}/unknown/unknown`, "malformed"],
    ]);
  });

  it("millstream simulate --to publishes the simulated readings", async () => {
    const prefix = `ms-test-to/${unique()}`;
    let result: ReturnType<typeof spawnSync> | undefined;
    const got = await receive(`${prefix}/#`, 60, async () => {
      result = spawnSync(
        process.execPath,
        [
          "--import",
          "tsx",
          "src/cli/main.ts",
          "simulate",
          "--to",
          `${TEST_MQTT_URL}/${prefix}/{facility_id}/{sensor_id}`,
          "--count",
          "60",
          "--sensors",
          "10",
          "--quiet",
        ],
        { cwd: ROOT, encoding: "utf8" },
      );
    });
    assert.equal(result?.status, 0, String(result?.stderr));
    assert.equal(got.length, 60);
    for (const [topic, payload] of got) {
      const r = JSON.parse(payload) as { facility_id: string; sensor_id: string };
      assert.equal(topic, `${prefix}/${r.facility_id}/${r.sensor_id}`);
    }
  });
});

describe("simulate --to nats://", { skip: natsUp.skip }, () => {
  it("creates the stream when asked and stores each line on its subject", async () => {
    const id = unique();
    const stream = `MS_TEST_TO_${id}`;
    const nc = await connect({ servers: TEST_NATS_URL });
    const jsm = await jetstreamManager(nc);
    try {
      const target = await natsTarget(
        `nats://${TEST_NATS_URL}/mstest.${id}.{facility_id}?stream=${stream}`,
      );
      await target.write(['{"facility_id":"F.1"}', '{"facility_id":"F2"}']);
      await target.close();
      const info = await jsm.streams.info(stream);
      assert.deepEqual(info.config.subjects, [`mstest.${id}.*`]);
      assert.equal(info.state.messages, 2);
      const first = await jsm.streams.getMessage(stream, { seq: 1 });
      assert.equal(first?.subject, `mstest.${id}.F_1`);
    } finally {
      await jsm.streams.delete(stream).catch(() => false);
      await nc.close();
    }
  });
});
