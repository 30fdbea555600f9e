/**
 * Broker sources against bare clients, in one run: how many messages per second the
 * MQTT source and the NATS JetStream source hand to a reader that polls them (and,
 * like the runtime, acknowledges them at "checkpoints"), against a bare client of
 * the same library consuming the same messages. The ratio is what the source costs
 * over the broker client.
 *
 * - MQTT (Mosquitto on loopback): a publisher in a child process publishes N
 *   readings at QoS 1 (at most 1,000 unacknowledged); first a bare mqtt.js
 *   subscriber counts them, then an `MqttSource` (QoS 1, persistent session,
 *   PUBACK at checkpoints every 5,000 messages) reads the same number from the same
 *   publisher. Rate = messages received / time from first to last.
 * - NATS (JetStream on loopback): N readings are stored in a stream first; a bare
 *   durable pull consumer (`consume()`, ack_policy all, acking every 1,000) reads
 *   them, then a `NatsJetStreamSource` over 4 partitions (acknowledging every 5,000
 *   messages), each from the start of the stream.
 *
 * Usage: node --import tsx bench/broker-sources.ts [--mqtt N] [--nats N] [--runs R]
 */
import { spawn } from "node:child_process";
import os from "node:os";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { AckPolicy, DeliverPolicy, jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import mqtt from "mqtt";
import { MqttSource } from "../src/connectors/mqtt/mqtt-source.js";
import { NatsJetStreamSource } from "../src/connectors/nats/nats-jetstream-source.js";
import { natsPartitionOf } from "../src/connectors/nats/nats-partition.js";
import type { SourceReader } from "../src/engine/index.js";

const MQTT_URL = process.env.MILLSTREAM_BENCH_MQTT_URL ?? "mqtt://127.0.0.1:1883";
const NATS_URL = process.env.MILLSTREAM_BENCH_NATS_URL ?? "127.0.0.1:4222";
const SELF = fileURLToPath(import.meta.url);
const SENSORS = 500;
const CHECKPOINT_EVERY = 5000;

/** A reading of about 170 bytes, like the simulator's. */
function reading(i: number): string {
  const sensor = `TEMP-${String(i % SENSORS).padStart(4, "0")}`;
  return JSON.stringify({
    sensor_id: sensor,
    facility_id: `FAC-${i % 7}`,
    timestamp: 1_790_000_000_000 + i * 10,
    sensor_type: "temperature",
    quality_score: 0.98,
    temperature_celsius: 60 + (i % 100) / 10,
  });
}

/** Child process role: publish `n` readings to `topic` at QoS 1, 1,000 in flight. */
async function publishMqtt(topic: string, n: number): Promise<void> {
  const client = await mqtt.connectAsync(MQTT_URL, { protocolVersion: 5 });
  const window: Promise<unknown>[] = [];
  for (let i = 0; i < n; i++) {
    window.push(client.publishAsync(topic, reading(i), { qos: 1 }));
    if (window.length >= 1000) await Promise.all(window.splice(0));
  }
  await Promise.all(window);
  await client.endAsync();
}

function publisher(topic: string, n: number): Promise<void> {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", SELF, "--publish", topic, "--count", String(n)],
    {
      stdio: "inherit",
    },
  );
  return new Promise((resolve, reject) =>
    child.on("exit", (code) =>
      code === 0 ? resolve() : reject(new Error(`publisher exited ${code}`)),
    ),
  );
}

interface Measured {
  readonly received: number;
  readonly seconds: number;
}

const rate = (m: Measured) => m.received / m.seconds;

async function bareMqtt(n: number): Promise<Measured> {
  const topic = `bench/bare/${process.pid}/${Date.now()}`;
  const client = await mqtt.connectAsync(MQTT_URL, { protocolVersion: 5 });
  await client.subscribeAsync(topic, { qos: 1 });
  let received = 0;
  let first = 0;
  let last = 0;
  const done = new Promise<void>((resolve) => {
    client.on("message", () => {
      if (received === 0) first = performance.now();
      received++;
      last = performance.now();
      if (received === n) resolve();
    });
  });
  const published = publisher(topic, n);
  await Promise.race([done, published.then(() => new Promise((r) => setTimeout(r, 3000)))]);
  await published;
  await client.endAsync();
  return { received, seconds: (last - first) / 1000 };
}

async function pollUntil(
  reader: SourceReader<unknown>,
  n: number,
  finished: Promise<unknown>,
): Promise<Measured> {
  let received = 0;
  let first = 0;
  let last = 0;
  let sinceCheckpoint = 0;
  let over = false;
  void finished.then(() => setTimeout(() => (over = true), 3000));
  while (received < n && !over) {
    const poll = await reader.poll();
    if (poll.kind !== "batch") continue;
    if (received === 0) first = performance.now();
    received += poll.values.length;
    last = performance.now();
    sinceCheckpoint += poll.values.length;
    if (sinceCheckpoint >= CHECKPOINT_EVERY) {
      sinceCheckpoint = 0;
      await reader.acknowledge?.(reader.positions!());
    }
  }
  return { received, seconds: (last - first) / 1000 };
}

async function sourceMqtt(n: number): Promise<Measured> {
  const topic = `bench/source/${process.pid}/${Date.now()}`;
  const reader = await new MqttSource({
    url: MQTT_URL,
    topics: [topic],
    clientId: `bench-${process.pid}-${Date.now()}`,
    clean: false,
    sessionExpirySeconds: 60,
  }).open({ step: "in" });
  const published = publisher(topic, n);
  const measured = await pollUntil(reader, n, published);
  await published;
  await reader.close();
  return measured;
}

async function natsRound(n: number): Promise<{ bare: Measured; source: Measured }> {
  const nc = await connect({ servers: NATS_URL });
  const jsm = await jetstreamManager(nc);
  const js = jsm.jetstream();
  const stream = `ms_bench_${process.pid}_${Date.now()}`;
  await jsm.streams.add({ name: stream, subjects: [`${stream}.*.>`] });
  try {
    const window: Promise<unknown>[] = [];
    for (let i = 0; i < n; i++) {
      const sensor = `TEMP-${i % SENSORS}`;
      window.push(
        js.publish(`${stream}.${natsPartitionOf(["f", sensor], 4)}.f.${sensor}`, reading(i)),
      );
      if (window.length >= 2000) await Promise.all(window.splice(0));
    }
    await Promise.all(window);

    await jsm.consumers.add(stream, {
      durable_name: "bare",
      ack_policy: AckPolicy.All,
      deliver_policy: DeliverPolicy.All,
      max_ack_pending: 100_000,
    });
    const messages = await (await js.consumers.get(stream, "bare")).consume({ max_messages: 1000 });
    let received = 0;
    let first = 0;
    let last = 0;
    for await (const m of messages) {
      if (received === 0) first = performance.now();
      received++;
      last = performance.now();
      if (received % 1000 === 0 || received === n) m.ack();
      if (received === n) break;
    }
    await messages.close();
    const bare = { received, seconds: (last - first) / 1000 };

    const reader = await new NatsJetStreamSource({
      servers: NATS_URL,
      stream,
      partitions: 4,
      batchSize: 1000,
    }).open({ step: "in" });
    const source = await pollUntil(reader, n, new Promise(() => {}));
    await reader.close();
    return { bare, source };
  } finally {
    await jsm.streams.delete(stream).catch(() => false);
    await nc.close();
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (r: number) => `${Math.round(r).toLocaleString("en")}/s`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      publish: { type: "string" },
      count: { type: "string" },
      mqtt: { type: "string", default: "100000" },
      nats: { type: "string", default: "200000" },
      runs: { type: "string", default: "3" },
    },
  });
  if (values.publish) {
    await publishMqtt(values.publish, Number(values.count));
    return;
  }
  const runs = Number(values.runs);
  const mqttN = Number(values.mqtt);
  const natsN = Number(values.nats);
  console.log(
    `${os.cpus()[0]?.model} (${os.cpus().length} CPUs), ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}; load ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}`,
  );
  const rows: [string, number[], number[], number[], number[]][] = [];
  const mqttBare: number[] = [];
  const mqttSource: number[] = [];
  const mqttLost: number[] = [];
  for (let r = 0; r < runs && mqttN > 0; r++) {
    const bare = await bareMqtt(mqttN);
    const source = await sourceMqtt(mqttN);
    mqttBare.push(rate(bare));
    mqttSource.push(rate(source));
    mqttLost.push(mqttN - bare.received + (mqttN - source.received));
    console.log(
      `mqtt run ${r + 1}: bare ${fmt(rate(bare))} (${bare.received}), source ${fmt(rate(source))} (${source.received})`,
    );
  }
  const natsBare: number[] = [];
  const natsSource: number[] = [];
  for (let r = 0; r < runs && natsN > 0; r++) {
    const { bare, source } = await natsRound(natsN);
    natsBare.push(rate(bare));
    natsSource.push(rate(source));
    console.log(
      `nats run ${r + 1}: bare ${fmt(rate(bare))} (${bare.received}), source ${fmt(rate(source))} (${source.received})`,
    );
  }
  rows.push(["MQTT (QoS 1)", mqttBare, mqttSource, mqttLost, []]);
  rows.push(["NATS JetStream", natsBare, natsSource, [], []]);
  console.log("\n| Broker | Messages | Bare client (median) | Source (median) | Source / bare |");
  console.log("| --- | ---: | ---: | ---: | ---: |");
  for (const [name, bare, source] of rows) {
    if (bare.length === 0) continue;
    const n = name.startsWith("MQTT") ? mqttN : natsN;
    console.log(
      `| ${name} | ${n.toLocaleString("en")} | ${fmt(median(bare))} | ${fmt(median(source))} | ${(median(source) / median(bare)).toFixed(2)}× |`,
    );
  }
  if (mqttLost.some((l) => l > 0))
    console.log(`MQTT messages not received: ${mqttLost.join(", ")}`);
}

await main();
