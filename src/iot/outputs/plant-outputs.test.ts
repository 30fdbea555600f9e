/**
 * The plant outputs in PostgreSQL and Redis: a simulated plant run through the plant
 * pipeline, every output also collected in memory, then compared with what the
 * tables, hashes and streams hold (ids, values, latest records). Against the real
 * servers on loopback; skipped when one is missing, except under CI=true.
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { FanOutSink } from "../../connectors/fan-out-sink.js";
import { PostgresDatabase } from "../../connectors/postgres/index.js";
import {
  dropSchemas,
  requirePostgres,
  TEST_POSTGRES_URL,
  uniqueName,
  withClient,
} from "../../connectors/postgres/test-database.fixture.js";
import {
  deleteKeys,
  requireRedis,
  testClient,
  uniquePrefix,
} from "../../connectors/redis/test-redis.js";
import type { Sink } from "../../engine/index.js";
import { CollectingSink } from "../../engine/testing/index.js";
import { MetadataCatalog } from "../metadata/index.js";
import { plantPipeline } from "../plant-pipeline.js";
import { createPlant, plantMetadataSet, simulatorSource } from "../simulator/index.js";
import { PLANT_MIGRATIONS } from "./migrations/index.js";
import { PLANT_OUTPUTS, type PlantOutputName } from "./output-names.js";
import { plantPostgresSinks } from "./postgres-outputs.js";
import { plantRedisSinks } from "./redis-outputs.js";

const pg = await requirePostgres();
const redisUp = await requireRedis();
const skip = pg.skip !== false ? pg.skip : redisUp.skip;

interface Identified {
  readonly id: string;
}

/** The last record of each id, as an upserting sink keeps it. */
function latestById<T extends Identified>(records: readonly T[]): Map<string, T> {
  const latest = new Map<string, T>();
  for (const r of records) latest.set(r.id, r);
  return latest;
}

describe("plant outputs in PostgreSQL and Redis", { skip }, () => {
  const schema = uniqueName("plant");
  const prefix = uniquePrefix();
  const redis = skip === false ? testClient() : undefined;
  after(async () => {
    if (skip !== false) return;
    await dropSchemas([schema]);
    await deleteKeys(redis!, prefix);
    redis!.disconnect();
  });

  it("writes every output record by id, with the values the pipeline produced", async () => {
    const plant = createPlant({ facilities: 2, sensors: 20, seed: 7 });
    const database = new PostgresDatabase({
      connectionString: TEST_POSTGRES_URL,
      schema,
      migrations: PLANT_MIGRATIONS,
    });
    const postgres = plantPostgresSinks(database, { outputs: PLANT_OUTPUTS, batchRows: 500 });
    const inRedis = plantRedisSinks(redis!, {
      outputs: ["facility_metrics", "equipment_state", "anomalies"],
      job: "outputs-test",
      keyPrefix: prefix,
      ttlMs: 60_000,
    });
    const collected = Object.fromEntries(
      PLANT_OUTPUTS.map((o) => [o, new CollectingSink<never>()]),
    ) as Record<PlantOutputName, CollectingSink<never>>;
    const both = (output: PlantOutputName): Sink<never> =>
      new FanOutSink<never>([
        { name: "memory", sink: collected[output] },
        { name: "postgres", sink: postgres[output] as Sink<never> },
        ...(inRedis[output] ? [{ name: "redis", sink: inRedis[output] as Sink<never> }] : []),
      ]);
    const ignored = new CollectingSink<never>();
    const { dataflow } = plantPipeline("outputs-test", {
      input: simulatorSource(plant, { durationMs: 15 * 60_000, seed: 7 }),
      catalog: new MetadataCatalog(plantMetadataSet(plant)),
      config: { advanceWhenQuiet: false },
      sinks: {
        anomalies: both("anomalies"),
        deadLetters: ignored,
        late: ignored,
        facilityMetrics: both("facility_metrics"),
        equipmentHealth: both("equipment_health"),
        productionEfficiency: both("production_efficiency"),
        equipmentState: both("equipment_state"),
        archive: both("readings"),
      } as unknown as Parameters<typeof plantPipeline>[1]["sinks"],
    });
    try {
      await dataflow.job({ checkpoint: { interval: 500 } }).run();
    } finally {
      await database.close();
    }
    const values = <T>(o: PlantOutputName) => collected[o].values as T[];
    const query = (sql: string) =>
      withClient(async (c) => (await c.query(sql.replaceAll("$s", `"${schema}"`))).rows);

    for (const output of [
      "anomalies",
      "facility_metrics",
      "equipment_health",
      "production_efficiency",
    ] as const) {
      const expected = latestById(values<Identified>(output));
      assert.ok(expected.size > 0, `${output}: the run produced records`);
      const ids = (await query(`SELECT id FROM $s.${output} ORDER BY id`)).map((r) => r.id);
      assert.deepEqual(ids, [...expected.keys()].sort(), `${output}: one row per id`);
    }

    const metrics = latestById(values<Identified & Record<string, unknown>>("facility_metrics"));
    const rows = await query(
      `SELECT id, readings, active_sensors, anomalies, by_sensor_type, window_start_ms::float8 AS start FROM $s.facility_metrics`,
    );
    for (const row of rows) {
      const r = metrics.get(row.id as string)!;
      assert.deepEqual(
        [row.readings, row.active_sensors, row.anomalies, row.by_sensor_type, row.start],
        [r.readings, r.active_sensors, r.anomalies, r.by_sensor_type, r.window_start_ms],
        `facility_metrics row ${row.id}`,
      );
    }

    const states = values<
      Identified & { equipment_id: string; updated_at_ms: number; readings: number }
    >("equipment_state");
    const lastState = new Map<string, (typeof states)[number]>();
    for (const s of states) {
      const seen = lastState.get(s.equipment_id);
      if (seen === undefined || s.updated_at_ms >= seen.updated_at_ms)
        lastState.set(s.equipment_id, s);
    }
    const current = await query(
      `SELECT id, updated_at_ms::float8 AS at, readings::int AS n FROM $s.equipment_state ORDER BY id`,
    );
    assert.deepEqual(
      current.map((r) => [r.id, r.at, r.n]),
      [...lastState.values()]
        .sort((a, b) => (a.id < b.id ? -1 : 1))
        .map((s) => [s.id, s.updated_at_ms, s.readings]),
    );
    const history = await query(`SELECT count(*)::int AS n FROM $s.equipment_state_history`);
    assert.equal(
      history[0]?.n,
      new Set(states.map((s) => `${s.equipment_id}|${s.updated_at_ms}`)).size,
    );

    const readings = values<{ sensor_id: string; timestamp: number }>("readings");
    const stored = await query(`SELECT count(*)::int AS n FROM $s.readings`);
    assert.equal(stored[0]?.n, new Set(readings.map((r) => `${r.sensor_id}|${r.timestamp}`)).size);
    const partitions = await query(
      `SELECT count(*)::int AS n FROM pg_inherits WHERE inhparent = '$s.readings'::regclass`,
    );
    const days = new Set(readings.map((r) => Math.floor(r.timestamp / 86_400_000)));
    assert.equal(partitions[0]?.n, days.size, "one partition per day of event time");

    // Redis: the latest window of each facility, the latest state of each machine, every update streamed.
    const windows = values<
      Identified & { facility_id: string; window_start_ms: number; readings: number }
    >("facility_metrics");
    for (const facility of new Set(windows.map((w) => w.facility_id))) {
      const latest = windows
        .filter((w) => w.facility_id === facility)
        .reduce((a, b) => (b.window_start_ms >= a.window_start_ms ? b : a));
      const hash = await redis!.hgetall(`${prefix}facility:${facility}:metrics`);
      assert.equal(hash.id, latest.id);
      assert.equal(hash.readings, String(latest.readings));
      assert.ok(
        (await redis!.pttl(`${prefix}facility:${facility}:metrics`)) > 0,
        "the hash has a TTL",
      );
    }
    for (const [equipment, s] of lastState) {
      const hash = await redis!.hgetall(`${prefix}equipment:${equipment}:state`);
      assert.equal(hash.updated_at_ms, String(s.updated_at_ms), `state of ${equipment}`);
    }
    assert.equal(await redis!.xlen(`${prefix}updates`), windows.length + states.length);
    assert.equal(await redis!.xlen(`${prefix}anomalies`), values("anomalies").length);
  });
});

describe("topic templates", () => {
  it("fill placeholders from records and lines, with values made safe for each broker", async () => {
    const { lineTopicTemplate, topicTemplate } = await import("./topic-template.js");
    const record = { facility_id: "FAC/1", sensor_id: "T.1 a", n: 3 };
    assert.equal(
      topicTemplate("plant/{facility_id}/{sensor_id}", "mqtt")(record),
      "plant/FAC_1/T.1 a",
    );
    assert.equal(
      topicTemplate("plant.{facility_id}.{sensor_id}", "nats")(record),
      "plant.FAC/1.T_1_a",
    );
    assert.equal(topicTemplate("plant-{facility_id}", "kafka")(record), "plant-FAC_1");
    assert.equal(topicTemplate("fixed/topic", "mqtt")(record), "fixed/topic");
    assert.equal(topicTemplate("x/{missing}", "mqtt")(record), "x/unknown");
    const line = lineTopicTemplate("r/{facility_id}", "mqtt");
    assert.equal(line('{"facility_id":"F2"}'), "r/F2");
    assert.equal(line("not json"), "r/unknown");
  });
});
