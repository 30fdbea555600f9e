/**
 * Builds the destinations of the `sinks` section (PostgreSQL, Redis, MQTT, NATS,
 * Kafka) and combines them with the plant pipeline's file sinks: each output that
 * goes to more than one place becomes a fan-out sink, its file sink first (so
 * checkpoints taken before the section existed restore as before).
 */
import { FanOutSink, type FanOutTarget } from "../../connectors/fan-out-sink.js";
import { kafkaSink } from "../../connectors/kafka/kafka-sink.js";
import { mqttSink } from "../../connectors/mqtt/mqtt-sink.js";
import { natsSink } from "../../connectors/nats/nats-sink.js";
import { type PartitionInterval, PostgresDatabase } from "../../connectors/postgres/index.js";
import { redisLibrary } from "../../connectors/redis/index.js";
import type { Sink } from "../../engine/index.js";
import {
  PLANT_MIGRATIONS,
  type PlantOutputName,
  type PlantOutputRecords,
  type PlantOutputSinks,
  plantPostgresSinks,
  plantPublisherSinks,
  plantRedisSinks,
  type RedisOutputName,
} from "../../iot/outputs/index.js";
import type { PlantSinks } from "../../iot/plant-pipeline.js";
import type { SinksConfig } from "./sinks-config.js";

/** The configured destinations of each output, and how to release them. */
export interface ConfiguredSinks {
  /** Per output, the destinations besides files, in configuration order. */
  readonly targets: {
    readonly [K in PlantOutputName]?: readonly FanOutTarget<PlantOutputRecords[K]>[];
  };
  /** One line per destination, for the start-up log (no credentials). */
  readonly summary: readonly string[];
  /** Closes the clients the destinations share (pools, connections). */
  close(): Promise<void>;
}

/** The `PlantSinks` key of each output. */
const PLANT_SINK_KEYS = {
  anomalies: "anomalies",
  facility_metrics: "facilityMetrics",
  equipment_health: "equipmentHealth",
  production_efficiency: "productionEfficiency",
  equipment_state: "equipmentState",
  readings: "archive",
} as const satisfies Record<PlantOutputName, keyof PlantSinks>;

/** `url` without its user information, for logs. */
function withoutCredentials(url: string): string {
  try {
    const u = new URL(url);
    u.username = "";
    u.password = "";
    return u.toString();
  } catch {
    return "(invalid URL)";
  }
}

/**
 * Builds the destinations of `config` for the job `job`. Does no I/O for PostgreSQL
 * (its migrations run when the first sink opens) and brokers (each writer connects
 * when it opens); the Redis client connects in the background.
 */
export function buildConfiguredSinks(config: SinksConfig, job: string): ConfiguredSinks {
  const targets: Partial<Record<PlantOutputName, FanOutTarget<never>[]>> = {};
  const summary: string[] = [];
  const closers: (() => Promise<unknown>)[] = [];
  const add = (name: string, sinks: PlantOutputSinks) => {
    for (const [output, sink] of Object.entries(sinks) as [
      PlantOutputName,
      Sink<never> | undefined,
    ][]) {
      if (sink === undefined) continue;
      const list = targets[output] ?? [];
      list.push({ name, sink });
      targets[output] = list;
    }
  };

  if (config.postgres) {
    const pg = config.postgres;
    const database = new PostgresDatabase({
      connectionString: pg.connection,
      maxConnections: pg.maxConnections,
      schema: pg.schema,
      migrations: PLANT_MIGRATIONS,
    });
    closers.push(() => database.close());
    const outputs = [
      ...(pg.outputs as PlantOutputName[]),
      ...(pg.readings ? (["readings"] as const) : []),
    ];
    add(
      "postgres",
      plantPostgresSinks(database, {
        outputs,
        partitionInterval: pg.partitionInterval as PartitionInterval,
        ...(pg.batchRows !== undefined ? { batchRows: pg.batchRows } : {}),
        ...(pg.maxDelayMs !== undefined ? { maxDelayMs: pg.maxDelayMs } : {}),
      }),
    );
    summary.push(
      `postgres schema ${pg.schema}: ${outputs.join(", ")} (partitions by ${pg.partitionInterval})`,
    );
  }

  if (config.redis) {
    const r = config.redis;
    const redis = new (redisLibrary().Redis)(r.url, {
      lazyConnect: false,
      maxRetriesPerRequest: 20,
    });
    let reported = "";
    redis.on("error", (error: Error) => {
      // ioredis reconnects by itself; say so once per distinct error, without the URL.
      if (error.message !== reported) {
        reported = error.message;
        console.error(`redis: ${error.message} (reconnecting)`);
      }
    });
    closers.push(() => redis.quit().catch(() => redis.disconnect()));
    add(
      "redis",
      plantRedisSinks(redis, {
        outputs: r.outputs as RedisOutputName[],
        job,
        keyPrefix: r.keyPrefix,
        ttlMs: Math.round(r.ttlSeconds * 1000),
        streamMaxLen: r.streamMaxLen,
        ...(r.channel !== undefined ? { channel: r.channel } : {}),
      }),
    );
    summary.push(
      `redis ${withoutCredentials(r.url)}: ${r.outputs.join(", ")} (keys ${r.keyPrefix}…)`,
    );
  }

  if (config.mqtt) {
    const m = config.mqtt;
    add(
      "mqtt",
      plantPublisherSinks(m.outputs, "mqtt", (o) =>
        mqttSink({
          url: m.url,
          qos: m.qos,
          retain: m.retain,
          ...(m.username !== undefined ? { username: m.username } : {}),
          ...(m.password !== undefined ? { password: m.password } : {}),
          ...(m.clientId !== undefined ? { clientId: `${m.clientId}-${o.output}` } : {}),
          ...(m.maxDelayMs !== undefined ? { maxDelayMs: m.maxDelayMs } : {}),
          topic: o.topic,
          id: o.id,
        }),
      ),
    );
    summary.push(`mqtt ${withoutCredentials(m.url)}: ${Object.keys(m.outputs).join(", ")}`);
  }

  if (config.nats) {
    const n = config.nats;
    add(
      "nats",
      plantPublisherSinks(n.outputs, "nats", (o) =>
        natsSink({
          servers: typeof n.servers === "string" ? n.servers : [...n.servers],
          jetstream: n.jetstream,
          ...(n.user !== undefined ? { user: n.user } : {}),
          ...(n.pass !== undefined ? { pass: n.pass } : {}),
          ...(n.token !== undefined ? { token: n.token } : {}),
          ...(n.credsFile !== undefined ? { credsFile: n.credsFile } : {}),
          ...(n.maxDelayMs !== undefined ? { maxDelayMs: n.maxDelayMs } : {}),
          name: `millstream ${job} ${o.output}`,
          subject: o.topic,
          id: o.id,
        }),
      ),
    );
    summary.push(
      `nats ${n.jetstream ? "jetstream" : "core"}: ${Object.keys(n.outputs).join(", ")}`,
    );
  }

  if (config.kafka) {
    const k = config.kafka;
    add(
      "kafka",
      plantPublisherSinks(k.outputs, "kafka", (o) =>
        kafkaSink({
          brokers: k.brokers,
          clientId: k.clientId,
          ...(k.sasl ? { sasl: k.sasl } : {}),
          ...(k.tls ? { tls: true } : {}),
          ...(k.maxDelayMs !== undefined ? { maxDelayMs: k.maxDelayMs } : {}),
          topic: o.topic,
          key: o.key,
          id: o.id,
        }),
      ),
    );
    summary.push(`kafka ${k.brokers.join(",")}: ${Object.keys(k.outputs).join(", ")}`);
  }

  return {
    targets,
    summary,
    async close() {
      const results = await Promise.allSettled(closers.map((c) => c()));
      const failed = results.find((r) => r.status === "rejected");
      if (failed) throw (failed as PromiseRejectedResult).reason;
    },
  };
}

function combine<T>(
  file: Sink<T> | undefined,
  extra: readonly FanOutTarget<T>[] | undefined,
): Sink<T> | undefined {
  if (extra === undefined || extra.length === 0) return file;
  const all = file === undefined ? [...extra] : [{ name: "file", sink: file }, ...extra];
  return all.length === 1 ? all[0]?.sink : new FanOutSink(all);
}

/**
 * `sinks` with the configured destinations added to each output: the file sink
 * (when there is one) stays first, as the fan-out target `file`. Raw readings
 * (`readings`) go with the archive; they are written even when the Parquet archive is off.
 */
export function withConfiguredSinks(
  configured: ConfiguredSinks | undefined,
  sinks: PlantSinks,
): PlantSinks {
  if (configured === undefined) return sinks;
  const result: Record<string, unknown> = { ...sinks };
  for (const [output, key] of Object.entries(PLANT_SINK_KEYS) as [
    PlantOutputName,
    keyof PlantSinks,
  ][]) {
    const sink = combine(
      sinks[key] as Sink<never> | undefined,
      configured.targets[output] as readonly FanOutTarget<never>[] | undefined,
    );
    if (sink !== undefined) result[key] = sink;
  }
  return result as unknown as PlantSinks;
}
