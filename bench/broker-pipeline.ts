/**
 * The whole path from a broker to PostgreSQL: readings published to Mosquitto (MQTT)
 * or NATS JetStream, read by millstream's source, run through the plant pipeline
 * (validation, enrichment, detectors, dashboards, equipment state) and written to
 * PostgreSQL (every output, raw readings included, by upsert), with SQLite checkpoints
 * every second. Against, in the same run and on the same messages, a bare client of
 * the broker that only counts what it receives. The ratio is what millstream and
 * PostgreSQL cost over the broker.
 *
 * Per broker, three phases:
 * 1. bare: a bare consumer receives N readings (MQTT: published live by a child
 *    process at QoS 1, 1,000 in flight; NATS: stored in a stream first);
 * 2. pipeline: the same N readings (published again the same way) through millstream
 *    into PostgreSQL. Throughput = N / (first reading received → last reading row
 *    committed in PostgreSQL);
 * 3. paced: readings published at a fixed rate for a while (default 5,000/s for 15 s),
 *    each carrying its publish time as its timestamp; latency = the moment the row
 *    of the reading is committed in PostgreSQL minus its publish time (p50, p99), and
 *    the same for the bare consumer receiving them, both subscribed at once.
 *
 * Usage: node --import tsx bench/broker-pipeline.ts [--messages 100000] [--rate 5000]
 *          [--seconds 15] [--sensors 1000] [--only mqtt|nats] [--no-readings-table]
 *
 * `--no-readings-table` keeps the other outputs in PostgreSQL but discards the raw
 * readings (counted when handed over), to show what one row per reading costs.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { AckPolicy, DeliverPolicy, jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import mqtt from "mqtt";
import pg from "pg";
import { SqliteCheckpointStore } from "../src/connectors/checkpoint/index.js";
import { MqttSource } from "../src/connectors/mqtt/mqtt-source.js";
import { NatsJetStreamSource } from "../src/connectors/nats/nats-jetstream-source.js";
import { natsPartitionOf } from "../src/connectors/nats/nats-partition.js";
import { PostgresDatabase } from "../src/connectors/postgres/index.js";
import type { Batch, Sink, SinkWriter, Source } from "../src/engine/index.js";
import { PLANT_MIGRATIONS, PLANT_OUTPUTS, plantPostgresSinks } from "../src/iot/outputs/index.js";
import { plantPipeline } from "../src/iot/plant-pipeline.js";
import type { EnrichedReading } from "../src/iot/reading/index.js";
import { plantCatalog, readingLine } from "./plant-fixture.js";

const MQTT_URL = process.env.MILLSTREAM_BENCH_MQTT_URL ?? "mqtt://127.0.0.1:1883";
const NATS_URL = process.env.MILLSTREAM_BENCH_NATS_URL ?? "127.0.0.1:4222";
const PG_URL =
  process.env.MILLSTREAM_BENCH_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const SELF = fileURLToPath(import.meta.url);
const NATS_PARTITIONS = 2;

const { values: args } = parseArgs({
  options: {
    messages: { type: "string", default: "100000" },
    rate: { type: "string", default: "5000" },
    seconds: { type: "string", default: "15" },
    sensors: { type: "string", default: "1000" },
    only: { type: "string" },
    "no-readings-table": { type: "boolean", default: false },
    // Child process role: publish.
    publish: { type: "string" },
    target: { type: "string" },
    count: { type: "string" },
    "per-second": { type: "string" },
  },
});
const SENSORS = Number(args.sensors);

/** A progress line on standard error. */
function log(line: string): void {
  process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
}

/** Reading `i` with the publish time as its timestamp. */
const reading = (i: number) => readingLine(i % SENSORS, Date.now());

// ---------------------------------------------------------------------------------
// Child process: publishes `count` readings to MQTT or NATS, as fast as acknowledged
// (1,000 in flight) or at `per-second`.

async function publishChild(kind: string, target: string, count: number, perSecond: number) {
  const started = performance.now();
  const pace = async (i: number) => {
    if (perSecond <= 0) return;
    const due = started + (i / perSecond) * 1000;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
  };
  const step = perSecond > 0 ? Math.max(1, Math.round(perSecond / 200)) : 1000;
  if (kind === "mqtt") {
    const client = await mqtt.connectAsync(MQTT_URL, { protocolVersion: 5 });
    const window: Promise<unknown>[] = [];
    for (let i = 0; i < count; i++) {
      if (i % step === 0) await pace(i);
      window.push(client.publishAsync(target, reading(i), { qos: 1 }));
      if (window.length >= 1000) await Promise.all(window.splice(0));
    }
    await Promise.all(window);
    await client.endAsync();
  } else {
    const nc = await connect({ servers: NATS_URL });
    const js = (await jetstreamManager(nc)).jetstream();
    const window: Promise<unknown>[] = [];
    for (let i = 0; i < count; i++) {
      if (i % step === 0) await pace(i);
      const sensor = `S${i % SENSORS}`;
      window.push(
        js.publish(`${target}.${natsPartitionOf([sensor], NATS_PARTITIONS)}.${sensor}`, reading(i)),
      );
      if (window.length >= 1000) await Promise.all(window.splice(0));
    }
    await Promise.all(window);
    await nc.close();
  }
}

if (args.publish !== undefined) {
  await publishChild(
    args.publish,
    args.target!,
    Number(args.count),
    Number(args["per-second"] ?? 0),
  );
  process.exit(0);
}

function publisher(
  kind: "mqtt" | "nats",
  target: string,
  count: number,
  perSecond = 0,
): Promise<void> {
  const child = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      SELF,
      "--publish",
      kind,
      "--target",
      target,
      "--count",
      String(count),
      "--per-second",
      String(perSecond),
      "--sensors",
      String(SENSORS),
    ],
    { stdio: "inherit" },
  );
  return new Promise((resolve, reject) =>
    child.on("exit", (code) =>
      code === 0 ? resolve() : reject(new Error(`publisher exited ${code}`)),
    ),
  );
}

// ---------------------------------------------------------------------------------
// Measurement helpers.

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

/** What a consumer received: how many, from the first to the last, and latencies (ms). */
interface Measured {
  count: number;
  first: number;
  last: number;
  readonly latencies: number[];
}

const measured = (): Measured => ({ count: 0, first: 0, last: 0, latencies: [] });
const rateOf = (m: Measured) => m.count / ((m.last - m.first) / 1000);

function note(m: Measured, timestamp: number | undefined): void {
  const now = performance.now();
  if (m.count === 0) m.first = now;
  m.count++;
  m.last = now;
  if (timestamp !== undefined) m.latencies.push(Date.now() - timestamp);
}

/**
 * Wraps the readings sink: once a flush or checkpoint that covers a reading has
 * completed (its row committed in PostgreSQL), the reading counts, with its latency.
 */
function durableReadings(
  inner: Sink<EnrichedReading>,
  m: Measured,
  received: Measured,
): Sink<EnrichedReading> {
  return {
    description: inner.description,
    async open(context) {
      const writer = await inner.open(context);
      let pending: number[] = [];
      const settle = async <R>(work: Promise<R>): Promise<R> => {
        const stamps = pending;
        pending = [];
        const result = await work;
        const now = Date.now();
        const at = performance.now();
        if (stamps.length > 0 && m.count === 0) m.first = received.first;
        for (const t of stamps) m.latencies.push(now - t);
        m.count += stamps.length;
        if (stamps.length > 0) m.last = at;
        return result;
      };
      const wrapped: SinkWriter<EnrichedReading> = {
        get needsFlush() {
          return writer.needsFlush === true;
        },
        write(batch: Batch<EnrichedReading>) {
          for (const r of batch.values) pending.push(r.timestamp);
          writer.write(batch);
        },
        flush: () => settle(writer.flush()),
        prepareCommit: (id) =>
          settle(writer.prepareCommit ? writer.prepareCommit(id) : writer.flush().then(() => null)),
        commit: async (id, progress) => writer.commit?.(id, progress),
        close: () => writer.close(),
      };
      return wrapped;
    },
  };
}

/** A source wrapper noting when messages are received. */
function receiving<T>(inner: Source<T>, m: Measured): Source<T> {
  return {
    description: inner.description,
    async open(context) {
      const reader = await inner.open(context);
      const poll = reader.poll.bind(reader);
      reader.poll = async () => {
        const p = await poll();
        if (p.kind === "batch" && p.values.length > 0) {
          const now = performance.now();
          if (m.count === 0) m.first = now;
          m.count += p.values.length;
          m.last = now;
        }
        return p;
      };
      return reader;
    },
  };
}

const discard: Sink<unknown> = {
  description: "discard",
  open: async () => ({ write() {}, flush: async () => {}, close: async () => {} }),
};

async function waitUntil(
  check: () => boolean,
  published: Promise<void>,
  graceMs = 60_000,
): Promise<void> {
  await Promise.race([
    (async () => {
      while (!check()) await new Promise((r) => setTimeout(r, 20));
    })(),
    published.then(() => new Promise((r) => setTimeout(r, graceMs))),
  ]);
}

/** The plant pipeline from `source` into a fresh PostgreSQL schema; returns how to stop it. */
async function startPipeline(
  name: string,
  source: Source<unknown>,
  durable: Measured,
  received: Measured,
) {
  const schema = `ms_bench_${process.pid}_${name}_${Date.now()}`;
  const database = new PostgresDatabase({
    connectionString: PG_URL,
    schema,
    migrations: PLANT_MIGRATIONS,
    maxConnections: 6,
  });
  const sinks = plantPostgresSinks(database, {
    outputs: PLANT_OUTPUTS,
    batchRows: 5000,
    maxDelayMs: 100,
  });
  const folder = mkdtempSync(path.join(os.tmpdir(), "millstream-bench-broker-"));
  const store = new SqliteCheckpointStore({ path: path.join(folder, "checkpoints.sqlite") });
  const { dataflow } = plantPipeline(name, {
    input: receiving(source, received) as Source<string>,
    catalog: plantCatalog(SENSORS),
    sinks: {
      anomalies: sinks.anomalies!,
      deadLetters: discard,
      late: discard,
      facilityMetrics: sinks.facility_metrics!,
      equipmentHealth: sinks.equipment_health!,
      productionEfficiency: sinks.production_efficiency!,
      equipmentState: sinks.equipment_state!,
      // --no-readings-table: readings are counted as "durable" when handed to a sink
      // that discards them, to see what the raw-readings table costs.
      archive: durableReadings(
        args["no-readings-table"] ? (discard as Sink<EnrichedReading>) : sinks.readings!,
        durable,
        received,
      ),
    },
  });
  const job = dataflow.job({ checkpoint: { store, interval: 1000 } });
  const running = job.run();
  return {
    async stop() {
      job.stop();
      await running;
      await store.close();
      await database.close();
      rmSync(folder, { recursive: true, force: true });
      const client = new pg.Client({ connectionString: PG_URL });
      await client.connect();
      await client.query(`DROP SCHEMA "${schema}" CASCADE`);
      await client.end();
    },
    failed: running.then(() => undefined),
  };
}

interface Result {
  readonly broker: string;
  readonly bare: Measured;
  readonly pipeline: Measured;
  readonly pacedBare: Measured;
  readonly pacedPipeline: Measured;
}

// ---------------------------------------------------------------------------------
// MQTT.

async function bareMqttConsumer(topic: string, m: Measured, timestamps: boolean) {
  const client = await mqtt.connectAsync(MQTT_URL, { protocolVersion: 5 });
  client.on("message", (_t, payload) => {
    note(
      m,
      timestamps ? (JSON.parse(payload.toString()) as { timestamp: number }).timestamp : undefined,
    );
  });
  await client.subscribeAsync(topic, { qos: 1 });
  return client;
}

function mqttSource(topic: string): MqttSource {
  return new MqttSource({
    url: MQTT_URL,
    topics: [topic],
    clientId: `bench-pipe-${process.pid}-${Date.now()}`,
    clean: false,
    sessionExpirySeconds: 60,
  });
}

async function runMqtt(n: number, rate: number, seconds: number): Promise<Result> {
  const base = `bench/pipeline/${process.pid}/${Date.now()}`;
  log("mqtt: bare consumer");
  const bare = measured();
  const client = await bareMqttConsumer(`${base}/bare`, bare, false);
  let published = publisher("mqtt", `${base}/bare`, n);
  await waitUntil(() => bare.count >= n, published, 3000);
  await published;
  await client.endAsync();
  log(`mqtt: bare ${bare.count}; pipeline`);
  const received = measured();
  const pipeline = measured();
  let running = await startPipeline("mqtt", mqttSource(`${base}/pipe`), pipeline, received);
  await new Promise((r) => setTimeout(r, 1000)); // subscribed
  published = publisher("mqtt", `${base}/pipe`, n);
  await waitUntil(() => pipeline.count >= n, published);
  await published;
  await running.stop();
  log(`mqtt: pipeline ${pipeline.count} (received ${received.count}); paced`);
  const pacedBare = measured();
  const pacedReceived = measured();
  const pacedPipeline = measured();
  const pacedClient = await bareMqttConsumer(`${base}/paced`, pacedBare, true);
  running = await startPipeline(
    "mqttpaced",
    mqttSource(`${base}/paced`),
    pacedPipeline,
    pacedReceived,
  );
  await new Promise((r) => setTimeout(r, 1000));
  const total = rate * seconds;
  published = publisher("mqtt", `${base}/paced`, total, rate);
  await waitUntil(
    () => pacedPipeline.count >= total && pacedBare.count >= total,
    published,
    30_000,
  );
  await published;
  await running.stop();
  await pacedClient.endAsync();
  return { broker: "MQTT (QoS 1)", bare, pipeline, pacedBare, pacedPipeline };
}

// ---------------------------------------------------------------------------------
// NATS JetStream.

async function runNats(n: number, rate: number, seconds: number): Promise<Result> {
  const nc = await connect({ servers: NATS_URL });
  const jsm = await jetstreamManager(nc);
  const js = jsm.jetstream();
  const streams: string[] = [];
  const newStream = async (tag: string) => {
    const name = `ms_bench_pipe_${tag}_${process.pid}_${Date.now()}`;
    await jsm.streams.add({ name, subjects: [`${name}.*.>`] });
    streams.push(name);
    return name;
  };
  const source = (stream: string) =>
    new NatsJetStreamSource({
      servers: NATS_URL,
      stream,
      partitions: NATS_PARTITIONS,
      batchSize: 1000,
    });
  try {
    // 1. Bare consumer of N stored messages.
    const stored = await newStream("stored");
    await publisher("nats", stored, n);
    await jsm.consumers.add(stored, {
      durable_name: "bare",
      ack_policy: AckPolicy.All,
      deliver_policy: DeliverPolicy.All,
      max_ack_pending: 100_000,
    });
    const bare = measured();
    const messages = await (await js.consumers.get(stored, "bare")).consume({ max_messages: 1000 });
    for await (const m of messages) {
      note(bare, undefined);
      if (bare.count % 1000 === 0 || bare.count === n) m.ack();
      if (bare.count === n) break;
    }
    await messages.close();
    log(`nats: bare ${bare.count}; pipeline`);
    const received = measured();
    const pipeline = measured();
    let running = await startPipeline("nats", source(stored), pipeline, received);
    await waitUntil(() => pipeline.count >= n, Promise.resolve(), 120_000);
    await running.stop();
    log(`nats: pipeline ${pipeline.count} (received ${received.count}); paced`);
    const paced = await newStream("paced");
    const pacedBare = measured();
    const pacedReceived = measured();
    const pacedPipeline = measured();
    running = await startPipeline("natspaced", source(paced), pacedPipeline, pacedReceived);
    await jsm.consumers.add(paced, {
      durable_name: "bare",
      ack_policy: AckPolicy.All,
      deliver_policy: DeliverPolicy.All,
      max_ack_pending: 100_000,
    });
    const live = await (await js.consumers.get(paced, "bare")).consume({ max_messages: 1000 });
    const total = rate * seconds;
    const reading = (async () => {
      for await (const m of live) {
        note(pacedBare, (m.json() as { timestamp: number }).timestamp);
        if (pacedBare.count % 1000 === 0 || pacedBare.count === total) m.ack();
        if (pacedBare.count === total) break;
      }
    })();
    const published = publisher("nats", paced, total, rate);
    await waitUntil(
      () => pacedPipeline.count >= total && pacedBare.count >= total,
      published,
      30_000,
    );
    await published;
    await running.stop();
    await live.close();
    await reading;
    return { broker: "NATS JetStream", bare, pipeline, pacedBare, pacedPipeline };
  } finally {
    for (const s of streams) await jsm.streams.delete(s).catch(() => false);
    await nc.close();
  }
}

// ---------------------------------------------------------------------------------

const n = Number(args.messages);
const rate = Number(args.rate);
const seconds = Number(args.seconds);
const cpu = os.cpus()[0]?.model ?? "unknown CPU";
console.log(
  `${cpu}, ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}, load ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(" ")}`,
);
console.log(
  `${n.toLocaleString("en")} readings per throughput phase; paced ${rate.toLocaleString("en")}/s for ${seconds} s; ${SENSORS} sensors`,
);
const results: Result[] = [];
if (args.only !== "nats") results.push(await runMqtt(n, rate, seconds));
if (args.only !== "mqtt") results.push(await runNats(n, rate, seconds));

const fmt = (x: number) => (Number.isFinite(x) ? Math.round(x).toLocaleString("en") : "–");
console.log("");
console.log(
  "| Broker | Rows in PostgreSQL / bare received | Bare consumer | Pipeline → PostgreSQL | Pipeline / bare | Paced: rows (bare received) | Bare p50 / p99 | Pipeline → PostgreSQL p50 / p99 |",
);
console.log("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
for (const r of results) {
  const sorted = (m: Measured) => [...m.latencies].sort((a, b) => a - b);
  const [b, p] = [sorted(r.pacedBare), sorted(r.pacedPipeline)];
  console.log(
    `| ${r.broker} | ${fmt(r.pipeline.count)} / ${fmt(r.bare.count)} of ${fmt(n)} | ${fmt(rateOf(r.bare))}/s | ${fmt(rateOf(r.pipeline))}/s | ${(rateOf(r.pipeline) / rateOf(r.bare)).toFixed(2)}× | ${fmt(r.pacedPipeline.count)} (${fmt(r.pacedBare.count)}) of ${fmt(rate * seconds)} at ${fmt(rate)}/s | ${fmt(percentile(b, 50))} / ${fmt(percentile(b, 99))} ms | ${fmt(percentile(p, 50))} / ${fmt(percentile(p, 99))} ms |`,
  );
}
process.exit(0);
