/**
 * The proof of issue 6: a simulated plant published to a real broker (Mosquitto,
 * NATS JetStream), read by `millstream run`, its results written to PostgreSQL and
 * Redis, and compared with `millstream replay` of the same readings loaded through
 * the same sinks: every row of every table (all columns but the processing time of a
 * detection) and every latest-value hash must be equal. For NATS the run is killed
 * with SIGKILL in the middle of the stream and started again.
 *
 * A broker-fed run never sees the end of its input, so the readings end with a
 * sentinel reading an hour later (an unknown facility), which closes every window as
 * the end of a replay does; the sentinel's own records are left out of the comparison.
 * Skipped when a service is missing, except under CI=true.
 */
import assert from "node:assert/strict";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { isDeepStrictEqual } from "node:util";
import { after, before, describe, it } from "node:test";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import type pg from "pg";
import {
  dropSchemas,
  requirePostgres,
  TEST_POSTGRES_URL,
  uniqueName,
} from "../../src/connectors/postgres/test-database.fixture.js";
import { mqttLineTarget } from "../../src/connectors/mqtt/mqtt-publisher.js";
import { requireMqtt, TEST_MQTT_URL } from "../../src/connectors/mqtt/test-mqtt.js";
import { natsLineTarget } from "../../src/connectors/nats/nats-publisher.js";
import { requireNats, TEST_NATS_URL } from "../../src/connectors/nats/test-nats.js";
import {
  deleteKeys,
  requireRedis,
  TEST_REDIS_URL,
  testClient,
  uniquePrefix,
} from "../../src/connectors/redis/test-redis.js";
import { lineTopicTemplate } from "../../src/iot/outputs/index.js";
import {
  counts,
  differences,
  loadIntoPostgres,
  loadIntoRedis,
  millstream,
  pgClient,
  redisHashes,
  replayRecords,
  type SimulatedPlant,
  simulatedPlant,
  startRun,
  waitFor,
} from "./support.js";

const services = [
  await requirePostgres(),
  await requireRedis(),
  await requireMqtt(),
  await requireNats(),
];
const skip = services.find((s) => s.skip !== false)?.skip ?? false;

describe("broker → millstream → PostgreSQL and Redis equals millstream replay", { skip }, () => {
  let dir: string;
  let plant: SimulatedPlant;
  let client: pg.Client;
  const redis = skip === false ? testClient() : undefined;
  const expectedSchema = uniqueName("expected");
  const expectedPrefix = uniquePrefix();
  const schemas = [expectedSchema];
  const prefixes = [expectedPrefix];
  let expectedCounts: Record<string, number>;
  const env = { MS_IT_PG: TEST_POSTGRES_URL, MS_IT_REDIS: TEST_REDIS_URL };

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "millstream-broker-it-"));
    plant = await simulatedPlant(dir, 12, 10);
    await millstream(
      "replay",
      "--input",
      plant.linesFile,
      "--metadata",
      plant.metadata,
      "--out",
      path.join(dir, "replay"),
      "--no-archive",
      "--quiet",
    );
    const records = replayRecords(path.join(dir, "replay"));
    await loadIntoPostgres(TEST_POSTGRES_URL, expectedSchema, records);
    await loadIntoRedis(redis!, expectedPrefix, records);
    client = await pgClient(TEST_POSTGRES_URL);
    expectedCounts = await counts(client, expectedSchema);
    for (const [table, n] of Object.entries(expectedCounts))
      assert.ok(n > 0, `the replay produced ${table}`);
  });

  after(async () => {
    if (skip !== false) return;
    await client?.end();
    await dropSchemas(schemas);
    for (const p of prefixes) await deleteKeys(redis!, p);
    redis!.disconnect();
    // MILLSTREAM_IT_KEEP=1 keeps the folder (readings, configurations, outputs) to look into.
    if (process.env.MILLSTREAM_IT_KEEP === "1") console.log(`kept ${dir}`);
    else await rm(dir, { recursive: true, force: true });
  });

  /** A `millstream run` configuration reading `input`, writing to `schema` and `prefix`. */
  async function config(
    name: string,
    input: string,
    schema: string,
    prefix: string,
  ): Promise<string> {
    const file = path.join(dir, `${name}.yaml`);
    await writeFile(
      file,
      `name: ${name}
input:
${input}
metadata:
  folder: ${plant.metadata}
outputs:
  folder: ${path.join(dir, `out-${name}`)}
  archive: false
checkpoint:
  sqlite: ${path.join(dir, `${name}.sqlite`)}
  intervalMs: 400
pipeline:
  advanceWhenQuiet: false
sinks:
  postgres:
    connection: env:MS_IT_PG
    schema: ${schema}
    maxDelayMs: 200
  redis:
    url: env:MS_IT_REDIS
    keyPrefix: "${prefix}"
`,
    );
    return file;
  }

  /** Waits until the run's tables hold as many rows as the replay's, then compares everything. */
  async function assertEqualToReplay(
    schema: string,
    prefix: string,
    output: () => string,
  ): Promise<void> {
    let seen: Record<string, number> = {};
    await waitFor(
      async () => {
        seen = await counts(client, schema);
        return Object.entries(expectedCounts).every(([t, n]) => seen[t] === n);
      },
      90_000,
      () => `rows ${JSON.stringify(seen)}, expected ${JSON.stringify(expectedCounts)}\n${output()}`,
    );
    assert.deepEqual(
      await differences(client, schema, expectedSchema),
      {},
      "every row equals the replay's",
    );
    // Redis shows a checkpoint's records when it commits, after PostgreSQL has them.
    const expected = await redisHashes(redis!, expectedPrefix);
    assert.ok(expected.size > 0);
    let actual = new Map<string, Record<string, string>>();
    await waitFor(
      async () => {
        actual = await redisHashes(redis!, prefix);
        return isDeepStrictEqual(actual, expected);
      },
      10_000,
      () => "the Redis hashes never matched",
    ).catch(() => undefined);
    assert.deepEqual(actual, expected, "every latest-value hash equals the replay's");
  }

  it("MQTT: simulator → Mosquitto → millstream run → PostgreSQL and Redis", async () => {
    const schema = uniqueName("mqtt");
    const prefix = uniquePrefix();
    schemas.push(schema);
    prefixes.push(prefix);
    const topic = `ms-it/${path.basename(dir)}`;
    const file = await config(
      "mqtt",
      `  type: mqtt\n  url: ${TEST_MQTT_URL}\n  topics: ["${topic}/#"]\n  qos: 1`,
      schema,
      prefix,
    );
    const run = startRun(file, env);
    const target = await mqttLineTarget({
      url: TEST_MQTT_URL,
      topic: lineTopicTemplate(`${topic}/{facility_id}/{sensor_id}`, "mqtt"),
    });
    try {
      // Clean sessions keep nothing for a subscriber not yet connected: send probes (dead
      // letters, compared with nothing) until one comes out, then the readings.
      const deadLetters = path.join(dir, "out-mqtt", "dead_letters");
      let probes = 0;
      await waitFor(
        async () => {
          await target.write([`probe-${++probes}`]);
          const parts = await readdir(deadLetters).catch(() => [] as string[]);
          for (const p of parts.filter((n) => n.startsWith("part-"))) {
            if ((await readFile(path.join(deadLetters, p), "utf8")).includes("probe-")) return true;
          }
          return false;
        },
        30_000,
        () => run.output(),
      );
      for (let i = 0; i < plant.lines.length; i += 500)
        await target.write(plant.lines.slice(i, i + 500));
      await assertEqualToReplay(schema, prefix, run.output);
      // The comparison can fail: one value changed in one row is found.
      await client.query(
        `UPDATE "${schema}".facility_metrics SET readings = readings + 1 WHERE id = (SELECT min(id) FROM "${schema}".facility_metrics)`,
      );
      const found = await differences(client, schema, expectedSchema);
      assert.deepEqual(Object.keys(found), ["facility_metrics"]);
      assert.equal(found.facility_metrics?.missing, 1);
    } finally {
      await target.close();
      assert.equal(await run.stop("SIGTERM"), 0, run.output());
    }
  });

  it("NATS JetStream: killed with SIGKILL mid-stream and restarted, still exactly the replay's", async () => {
    const schema = uniqueName("nats");
    const prefix = uniquePrefix();
    schemas.push(schema);
    prefixes.push(prefix);
    const id = path.basename(dir).replace(/[^A-Za-z0-9]/g, "");
    const stream = `MSIT_${id}`;
    const ingest = `msit.${id}`;
    const file = await config(
      "nats",
      `  type: nats\n  servers: ${TEST_NATS_URL}\n  stream: ${stream}\n  partitions: 1\n  subjectTemplate: "${ingest}.{partition}.>"\n  create: true`,
      schema,
      prefix,
    );
    const nc = await connect({ servers: TEST_NATS_URL });
    const jsm = await jetstreamManager(nc);
    let run = startRun(file, env);
    const target = await natsLineTarget({
      servers: TEST_NATS_URL,
      subject: lineTopicTemplate(`${ingest}.0.{facility_id}.{sensor_id}`, "nats"),
    });
    try {
      await waitFor(
        async () => (await jsm.streams.info(stream).catch(() => null)) !== null,
        30_000,
        () => run.output(),
      );
      const half = Math.floor(plant.lines.length * 0.6);
      for (let i = 0; i < half; i += 500)
        await target.write(plant.lines.slice(i, Math.min(i + 500, half)));
      let before: Record<string, number> = {};
      await waitFor(
        async () => {
          before = await counts(client, schema);
          return (before.facility_metrics ?? 0) > 0;
        },
        60_000,
        () => run.output(),
      );
      assert.equal(await run.stop("SIGKILL"), "SIGKILL");
      assert.ok(
        (before.facility_metrics ?? 0) < (expectedCounts.facility_metrics ?? 0),
        "killed before the end",
      );
      for (let i = half; i < plant.lines.length; i += 500)
        await target.write(plant.lines.slice(i, i + 500));
      run = startRun(file, env);
      await assertEqualToReplay(schema, prefix, run.output);
    } finally {
      await target.close();
      assert.equal(await run.stop("SIGTERM"), 0, run.output());
      await jsm.streams.delete(stream).catch(() => false);
      await nc.close();
    }
  });
});
