/**
 * Tests of MqttSource against the real Mosquitto broker on loopback: the live-source
 * contract, wildcard filters, shared subscriptions spread over consumers, QoS 1
 * redelivery after a consumer is killed before acknowledging, reconnection through a
 * proxy that drops connections, backpressure with a small buffer, bad messages and
 * the errors that name the broker.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import net from "node:net";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import mqtt, { type MqttClient } from "mqtt";
import type { SourceReader } from "../../engine/index.js";
import type { InboundMessage } from "../inbound-message.js";
import { describeLiveSource } from "../testing/source-contract.case.js";
import { MqttSourceError } from "./errors.js";
import { checkTopicFilter, MqttSource } from "./mqtt-source.js";
import { requireMqtt, TEST_MQTT_URL, uniqueTopic } from "./test-mqtt.js";

const { skip } = await requireMqtt();
const CONSUMER = fileURLToPath(new URL("./mqtt-consumer.fixture.ts", import.meta.url));

describeLiveSource(
  "MqttSource",
  async () => {
    const publisher = await mqtt.connectAsync(TEST_MQTT_URL);
    return {
      async create(batchSize) {
        const base = uniqueTopic("ms-contract");
        return {
          source: new MqttSource({ url: TEST_MQTT_URL, topics: [`${base}/#`], batchSize }),
          async send(records) {
            for (const r of records) await publisher.publishAsync(`${base}/t`, r, { qos: 1 });
          },
          async sendInvalidUtf8() {
            await publisher.publishAsync(`${base}/t`, Buffer.from([0xc3, 0x28, 0xff]), { qos: 1 });
          },
        };
      },
      text: (value) => value.payload,
      cleanup: () => publisher.endAsync(),
    };
  },
  { skip },
);

/** Polls until `count` messages arrived. */
async function read(
  reader: SourceReader<InboundMessage>,
  count: number,
): Promise<InboundMessage[]> {
  const values: InboundMessage[] = [];
  for (let idle = 0; values.length < count; ) {
    const poll = await reader.poll();
    if (poll.kind === "batch") {
      values.push(...poll.values);
      idle = 0;
    } else assert.ok(++idle < 100, `only ${values.length} of ${count} messages arrived`);
  }
  return values;
}

/** Polls a few times; returns what arrived. */
async function drain(reader: SourceReader<InboundMessage>, polls = 5): Promise<InboundMessage[]> {
  const values: InboundMessage[] = [];
  for (let i = 0; i < polls; i++) {
    const poll = await reader.poll();
    if (poll.kind === "batch") values.push(...poll.values);
  }
  return values;
}

describe("MqttSource", { skip }, () => {
  let publisher: MqttClient;

  before(async () => {
    publisher = await mqtt.connectAsync(TEST_MQTT_URL);
  });
  after(async () => {
    await publisher.endAsync();
  });

  it("matches + and # wildcards and carries the topic and origin", async () => {
    const base = uniqueTopic("ms-wild");
    const reader = await new MqttSource({
      url: TEST_MQTT_URL,
      topics: [`${base}/+/temperature`, `${base}/f2/#`],
      now: () => 7,
    }).open({ step: "in" });
    try {
      for (const topic of [
        `${base}/f1/temperature`,
        `${base}/f1/pressure`,
        `${base}/f2/line-1/vibration`,
        `${base}/f3/temperature`,
        `${base}/f1/x/temperature`,
      ]) {
        await publisher.publishAsync(topic, JSON.stringify({ topic }), { qos: 1 });
      }
      const got = await read(reader, 3);
      assert.deepEqual(got, [
        {
          payload: JSON.stringify({ topic: `${base}/f1/temperature` }),
          origin: `mqtt:${base}/f1/temperature`,
          topic: `${base}/f1/temperature`,
          receivedAt: 7,
        },
        {
          payload: JSON.stringify({ topic: `${base}/f2/line-1/vibration` }),
          origin: `mqtt:${base}/f2/line-1/vibration`,
          topic: `${base}/f2/line-1/vibration`,
          receivedAt: 7,
        },
        {
          payload: JSON.stringify({ topic: `${base}/f3/temperature` }),
          origin: `mqtt:${base}/f3/temperature`,
          topic: `${base}/f3/temperature`,
          receivedAt: 7,
        },
      ]);
      assert.deepEqual(await drain(reader), []);
      assert.deepEqual(reader.status!(), { state: "connected", lag: null });
    } finally {
      await reader.close();
    }
  });

  it("spreads a shared subscription over its consumers, each message to one", async () => {
    const base = uniqueTopic("ms-share");
    const filter = `$share/millstream-${base}/${base}/#`;
    const a = await new MqttSource({
      url: TEST_MQTT_URL,
      topics: [filter],
      clientId: `${base}-a`,
    }).open({
      step: "in",
    });
    const b = await new MqttSource({
      url: TEST_MQTT_URL,
      topics: [filter],
      clientId: `${base}-b`,
    }).open({
      step: "in",
    });
    try {
      const sent = Array.from({ length: 200 }, (_, i) => `{"i":${i}}`);
      for (const [i, payload] of sent.entries()) {
        await publisher.publishAsync(`${base}/s${i % 7}`, payload, { qos: 1 });
      }
      const got: InboundMessage[][] = [[], []];
      for (let idle = 0; got[0]!.length + got[1]!.length < sent.length && idle < 50; ) {
        const [pa, pb] = await Promise.all([a.poll(), b.poll()]);
        if (pa.kind === "batch") got[0]!.push(...pa.values);
        if (pb.kind === "batch") got[1]!.push(...pb.values);
        if (pa.kind !== "batch" && pb.kind !== "batch") idle++;
      }
      assert.ok(
        got[0]!.length > 0 && got[1]!.length > 0,
        `split ${got[0]!.length}/${got[1]!.length}`,
      );
      assert.deepEqual(
        [...got[0]!, ...got[1]!].map((m) => m.payload).sort(),
        [...sent].sort(),
        "every message exactly once over the two consumers",
      );
    } finally {
      await a.close();
      await b.close();
    }
  });

  it("QoS 1 with a persistent session: a consumer killed before acknowledging gets the messages again", async () => {
    const base = uniqueTopic("ms-redeliver");
    const clientId = `${base}-consumer`;
    const filter = `${base}/#`;
    // The session must exist before publishing: connect once, subscribe, leave.
    const first = await new MqttSource({
      url: TEST_MQTT_URL,
      topics: [filter],
      clientId,
      clean: false,
    }).open({
      step: "in",
    });
    await first.close();
    const sent = Array.from({ length: 30 }, (_, i) => `{"i":${i}}`);
    for (const payload of sent) await publisher.publishAsync(`${base}/t`, payload, { qos: 1 });

    // A process reads all 30, acknowledges the first 10 (a committed checkpoint), and is killed.
    const child = spawn(
      process.execPath,
      ["--import", "tsx", CONSUMER, TEST_MQTT_URL, clientId, filter, "30", "10"],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    const exited = new Promise((resolve) => child.on("exit", resolve));
    await new Promise<void>((resolve, reject) => {
      let out = "";
      child.stdout!.on("data", (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes("ready 30")) resolve();
      });
      child.on("exit", () => reject(new Error(`consumer exited early: ${out}`)));
    });
    child.kill("SIGKILL");
    await exited;

    const again = await new MqttSource({
      url: TEST_MQTT_URL,
      topics: [filter],
      clientId,
      clean: false,
    }).open({
      step: "in",
    });
    try {
      const redelivered = await read(again, 20);
      assert.deepEqual(
        redelivered.map((m) => m.payload),
        sent.slice(10),
        "the 20 messages never acknowledged come again, the 10 acknowledged do not",
      );
      assert.deepEqual(await drain(again), []);
      await again.acknowledge!(again.positions!());
    } finally {
      await again.close();
    }
    const third = await new MqttSource({
      url: TEST_MQTT_URL,
      topics: [filter],
      clientId,
      clean: false,
    }).open({
      step: "in",
    });
    try {
      assert.deepEqual(await drain(third), [], "acknowledged messages are not sent again");
    } finally {
      await third.close();
    }
  });

  it("reconnects with backoff after the connection drops, and reports it", async () => {
    const base = uniqueTopic("ms-reconnect");
    const broker = new URL(TEST_MQTT_URL);
    const sockets = new Set<net.Socket>();
    const proxy = net.createServer((client) => {
      const upstream = net.connect(Number(broker.port || 1883), broker.hostname);
      client.pipe(upstream).pipe(client);
      const drop = () => {
        client.destroy();
        upstream.destroy();
      };
      client.on("error", drop).on("close", drop);
      upstream.on("error", drop).on("close", drop);
      sockets.add(client);
      client.on("close", () => sockets.delete(client));
    });
    await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
    const port = (proxy.address() as net.AddressInfo).port;
    const reader = await new MqttSource({
      url: `mqtt://127.0.0.1:${port}`,
      topics: [`${base}/#`],
      clientId: `${base}-c`,
      clean: false,
      reconnectMinMs: 50,
    }).open({ step: "in" });
    try {
      await publisher.publishAsync(`${base}/t`, '{"n":1}', { qos: 1 });
      assert.deepEqual(
        (await read(reader, 1)).map((m) => m.payload),
        ['{"n":1}'],
      );
      for (const socket of sockets) socket.destroy();
      await waitFor(() => reader.status!().state === "reconnecting");
      assert.ok(reader.status!().detail, "reconnecting says why");
      await publisher.publishAsync(`${base}/t`, '{"n":2}', { qos: 1 });
      await waitFor(() => reader.status!().state === "connected");
      assert.deepEqual(
        (await read(reader, 1)).map((m) => m.payload),
        ['{"n":2}'],
      );
    } finally {
      await reader.close();
      for (const socket of sockets) socket.destroy();
      proxy.close();
    }
  });

  it("holds back a fast publisher with a small buffer and loses nothing", async () => {
    const base = uniqueTopic("ms-backpressure");
    const reader = await new MqttSource({
      url: TEST_MQTT_URL,
      topics: [`${base}/#`],
      bufferSize: 10,
      batchSize: 7,
    }).open({ step: "in" });
    try {
      const sent = Array.from({ length: 500 }, (_, i) => `{"i":${i}}`);
      await Promise.all(sent.map((p) => publisher.publishAsync(`${base}/t`, p, { qos: 1 })));
      await new Promise((resolve) => setTimeout(resolve, 200)); // nobody polls meanwhile
      assert.deepEqual(
        (await read(reader, 500)).map((m) => m.payload),
        sent,
      );
    } finally {
      await reader.close();
    }
  });

  it("turns an oversize message into a payload that says so", async () => {
    const base = uniqueTopic("ms-oversize");
    const reader = await new MqttSource({
      url: TEST_MQTT_URL,
      topics: [`${base}/#`],
      maxMessageBytes: 64,
    }).open({ step: "in" });
    try {
      await publisher.publishAsync(`${base}/t`, "x".repeat(100), { qos: 1 });
      await publisher.publishAsync(`${base}/t`, "{}", { qos: 1 });
      const got = await read(reader, 2);
      assert.match(got[0]!.payload, /^oversize message: 100 bytes \(limit 64\); starts with: x+$/);
      assert.equal(got[1]!.payload, "{}");
    } finally {
      await reader.close();
    }
  });

  it("fails open naming the broker, without its password", async () => {
    await assert.rejects(
      new MqttSource({
        url: "mqtt://user:secret@127.0.0.1:1",
        topics: ["a/#"],
        connectTimeoutMs: 1000,
      }).open({ step: "in" }),
      (error: unknown) => {
        assert.ok(error instanceof MqttSourceError);
        assert.match(error.message, /^MQTT mqtt:\/\/user:\*\*\*@127\.0\.0\.1:1: cannot connect/);
        assert.doesNotMatch(error.message, /secret/);
        return true;
      },
    );
  });

  it("checks topic filters and options", () => {
    assert.equal(checkTopicFilter("plant/+/temp/#"), null);
    assert.equal(checkTopicFilter("$share/g/plant/#"), null);
    assert.equal(checkTopicFilter("plant/#/x"), "# must be a whole last level");
    assert.equal(checkTopicFilter("plant/a+"), "+ must be a whole level");
    assert.equal(
      checkTopicFilter("$share/plant"),
      "a shared subscription is $share/<group>/<filter>",
    );
    assert.throws(() => new MqttSource({ url: TEST_MQTT_URL, topics: [] }), /at least one topic/);
    assert.throws(
      () => new MqttSource({ url: TEST_MQTT_URL, topics: ["a"], clean: false }),
      /needs a fixed `clientId`/,
    );
  });
});

async function waitFor(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (check()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  assert.fail("condition not met within 5 s");
}
