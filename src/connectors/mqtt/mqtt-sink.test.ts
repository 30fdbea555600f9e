/**
 * The MQTT sink and line target against the real Mosquitto on loopback: the sink
 * contract (at-least-once; a session takeover by another client with the same id as
 * the transient fault), then topics, the id user property and the line target.
 * Skipped when no broker answers, except under CI=true.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, describe, it } from "node:test";
import mqtt, { type MqttClient } from "mqtt";
import { describeSink } from "../testing/sink-contract.case.js";
import { mqttLineTarget } from "./mqtt-publisher.js";
import { mqttSink } from "./mqtt-sink.js";
import { requireMqtt, TEST_MQTT_URL } from "./test-mqtt.js";

const MQTT_URL = TEST_MQTT_URL;
const { skip } = await requireMqtt();

interface Received {
  readonly topic: string;
  readonly payload: string;
  readonly id: string | undefined;
}

/** A QoS 1 subscriber of `filter` that keeps what it receives. */
async function subscriber(filter: string): Promise<{ client: MqttClient; received: Received[] }> {
  const client = await mqtt.connectAsync(MQTT_URL, { protocolVersion: 5 });
  const received: Received[] = [];
  client.on("message", (topic, payload, packet) => {
    const id = packet.properties?.userProperties?.id;
    received.push({ topic, payload: payload.toString("utf8"), id: Array.isArray(id) ? id[0] : id });
  });
  await client.subscribeAsync(filter, { qos: 1 });
  return { client, received };
}

/** Waits until `received` has not grown for `quietMs` (at most `maxMs`). */
async function settle(received: readonly unknown[], quietMs = 120, maxMs = 3000): Promise<void> {
  const start = Date.now();
  let count = -1;
  let since = Date.now();
  while (Date.now() - start < maxMs) {
    if (received.length !== count) {
      count = received.length;
      since = Date.now();
    } else if (Date.now() - since >= quietMs) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}

const unique = () => randomBytes(4).toString("hex");

interface Item {
  readonly n: number;
  readonly site: string;
}

if (skip !== false) describe("MQTT sink (sink contract)", { skip }, () => {});
else
  describeSink<Item>("MQTT sink", async () => {
    const prefix = `ms-test/${unique()}`;
    const clientId = `ms-sink-${unique()}`;
    const sub = await subscriber(`${prefix}/#`);
    return {
      transactional: false,
      ordered: false,
      delivery: "at-least-once",
      sink: () =>
        mqttSink<Item>({
          url: MQTT_URL,
          clientId,
          reconnectPeriodMs: 50,
          topic: (i) => `${prefix}/${i.site}`,
          id: (i) => `item|${i.n}`,
          bufferMessages: 300,
        }),
      record: (n) => ({ n, site: `site-${n % 3}` }),
      idOf: (i) => i.n,
      published: async () => {
        await settle(sub.received);
        return sub.received.map((r) => JSON.parse(r.payload) as Item);
      },
      interrupt: async () => {
        // Another client with the same id takes the session over: the broker drops the sink's connection.
        const intruder = await mqtt.connectAsync(MQTT_URL, { clientId, reconnectPeriod: 0 });
        await intruder.endAsync();
      },
      cleanup: () => sub.client.endAsync(),
    };
  });

describe("MQTT sink and line target", { skip }, () => {
  const clients: MqttClient[] = [];
  after(async () => {
    for (const c of clients) await c.endAsync();
  });

  it("publishes each record on its topic with the record id as a user property", async () => {
    const prefix = `ms-test/${unique()}`;
    const sub = await subscriber(`${prefix}/#`);
    clients.push(sub.client);
    const writer = await mqttSink<Item>({
      url: MQTT_URL,
      topic: (i) => `${prefix}/${i.site}/items`,
      id: (i) => `item|${i.n}`,
    }).open({ step: "out" });
    const values = [1, 2, 3].map((n) => ({ n, site: `s${n}` }));
    writer.write({ values, times: [0, 0, 0], channel: 0 });
    await writer.prepareCommit!(1);
    await writer.close();
    await settle(sub.received);
    assert.deepEqual(
      sub.received.map((r) => [r.topic, r.id, JSON.parse(r.payload)]).sort(),
      values.map((v) => [`${prefix}/${v.site}/items`, `item|${v.n}`, v]).sort(),
    );
  });

  it("publishes nothing before the buffer fills or a checkpoint, unless maxDelayMs passed", async () => {
    const prefix = `ms-test/${unique()}`;
    const sub = await subscriber(`${prefix}/#`);
    clients.push(sub.client);
    const writer = await mqttSink<Item>({
      url: MQTT_URL,
      topic: () => `${prefix}/x`,
      id: (i) => String(i.n),
      maxDelayMs: 100,
      bufferMessages: 10,
    }).open({ step: "out" });
    try {
      writer.write({ values: [{ n: 1, site: "a" }], times: [0], channel: 0 });
      assert.equal(writer.needsFlush, false);
      await settle(sub.received, 80, 400);
      assert.equal(sub.received.length, 0);
      await new Promise((r) => setTimeout(r, 110));
      assert.equal(writer.needsFlush, true);
      await writer.flush();
      await settle(sub.received);
      assert.equal(sub.received.length, 1);
    } finally {
      await writer.close();
    }
  });

  it("publishes simulator lines on topics built from each line", async () => {
    const prefix = `ms-test/${unique()}`;
    const sub = await subscriber(`${prefix}/#`);
    clients.push(sub.client);
    const target = await mqttLineTarget({
      url: MQTT_URL,
      topic: (line) => `${prefix}/${(JSON.parse(line) as { sensor_id: string }).sensor_id}`,
    });
    const lines = ['{"sensor_id":"T-1","value":1}', '{"sensor_id":"T-2","value":2}'];
    await target.write(lines);
    await target.close();
    await settle(sub.received);
    assert.deepEqual(sub.received.map((r) => [r.topic, r.payload]).sort(), [
      [`${prefix}/T-1`, lines[0]],
      [`${prefix}/T-2`, lines[1]],
    ]);
  });

  it("fails to connect to a closed port with a message naming the broker, not the password", async () => {
    await assert.rejects(
      mqttLineTarget({
        url: "mqtt://user:secret@127.0.0.1:1",
        password: "secret",
        connectTimeoutMs: 2000,
        reconnectPeriodMs: 100,
        topic: () => "x",
      }),
      (e: unknown) => {
        assert.match((e as Error).message, /cannot connect to mqtt:\/\/127\.0\.0\.1:1/);
        assert.doesNotMatch((e as Error).message, /secret/);
        return true;
      },
    );
  });
});
