/**
 * Where each plant output goes in Redis: the latest window or state per facility,
 * equipment and line as hashes with a TTL, and streams of every update for live
 * dashboards. The key layout is documented in docs/connectors-redis.md.
 */
import type { Redis } from "ioredis";
import { RedisSink } from "../../connectors/redis/index.js";
import type {
  EquipmentHealthRecord,
  FacilityMetricsRecord,
  ProductionEfficiencyRecord,
} from "../dashboards/index.js";
import type { EquipmentStateRecord } from "../equipment/index.js";
import type { Anomaly } from "../reading/index.js";
import type { PlantOutputName } from "./output-names.js";
import type { PlantOutputSinks } from "./postgres-outputs.js";

/** The outputs Redis can take (raw readings cannot: use PostgreSQL or the archive). */
export const REDIS_OUTPUTS = [
  "anomalies",
  "facility_metrics",
  "equipment_health",
  "production_efficiency",
  "equipment_state",
] as const satisfies readonly PlantOutputName[];

export type RedisOutputName = (typeof REDIS_OUTPUTS)[number];

/** Options of {@link plantRedisSinks}. */
export interface PlantRedisOptions {
  /** The outputs to write. */
  readonly outputs: readonly RedisOutputName[];
  /** The job's name: it keys the sinks' staged epochs. */
  readonly job: string;
  /** Prefix of every key. Default `millstream:`. */
  readonly keyPrefix?: string;
  /** Time to live of the latest-value hashes, ms. Default 3,600,000 (1 h). */
  readonly ttlMs?: number;
  /** Approximate length of the update and anomaly streams. Default 100,000. */
  readonly streamMaxLen?: number;
  /** Also publish every update on this pub/sub channel (after the prefix). Default none. */
  readonly channel?: string;
}

/**
 * Sinks writing the chosen outputs to Redis through `redis` (one client shared by all,
 * owned by the caller). Keys, with the default prefix `millstream:`:
 *
 * - `millstream:facility:<facility_id>:metrics` — latest facility metrics window;
 * - `millstream:equipment:<equipment_id>:health:<sensor_type>` — latest health window;
 * - `millstream:line:<facility_id>:<production_line>:efficiency` — latest efficiency window;
 * - `millstream:equipment:<equipment_id>:state` — latest equipment state;
 * - `millstream:updates` — stream of every window and state record (`id`, `type`, `data`);
 * - `millstream:anomalies` — stream of every anomaly;
 * - `millstream:sink:<job>:<output>:epoch:<n>` — staged entries of a checkpoint (internal).
 */
export function plantRedisSinks(redis: Redis, options: PlantRedisOptions): PlantOutputSinks {
  const prefix = options.keyPrefix ?? "millstream:";
  const ttlMs = options.ttlMs ?? 3_600_000;
  const maxLen = options.streamMaxLen ?? 100_000;
  const channel = options.channel === undefined ? {} : { channel: `${prefix}${options.channel}` };
  const wanted = new Set(options.outputs);
  const common = (output: RedisOutputName) => ({
    redis,
    stateKey: `${prefix}sink:${options.job}:${output}`,
    ...channel,
  });
  const updates = (type: RedisOutputName) => ({ key: `${prefix}updates`, maxLen, type });
  const sinks: PlantOutputSinks = {};
  if (wanted.has("facility_metrics")) {
    sinks.facility_metrics = new RedisSink<FacilityMetricsRecord>({
      ...common("facility_metrics"),
      id: (r) => r.id,
      hash: {
        key: (r) => `${prefix}facility:${r.facility_id}:metrics`,
        ttlMs,
        order: (r) => r.window_start_ms,
      },
      stream: updates("facility_metrics"),
    });
  }
  if (wanted.has("equipment_health")) {
    sinks.equipment_health = new RedisSink<EquipmentHealthRecord>({
      ...common("equipment_health"),
      id: (r) => r.id,
      hash: {
        key: (r) => `${prefix}equipment:${r.equipment_id}:health:${r.sensor_type}`,
        ttlMs,
        order: (r) => r.window_start_ms,
      },
      stream: updates("equipment_health"),
    });
  }
  if (wanted.has("production_efficiency")) {
    sinks.production_efficiency = new RedisSink<ProductionEfficiencyRecord>({
      ...common("production_efficiency"),
      id: (r) => r.id,
      hash: {
        key: (r) => `${prefix}line:${r.facility_id}:${r.production_line}:efficiency`,
        ttlMs,
        order: (r) => r.window_start_ms,
      },
      stream: updates("production_efficiency"),
    });
  }
  if (wanted.has("equipment_state")) {
    sinks.equipment_state = new RedisSink<EquipmentStateRecord>({
      ...common("equipment_state"),
      id: (r) => r.id,
      hash: {
        key: (r) => `${prefix}equipment:${r.equipment_id}:state`,
        ttlMs,
        order: (r) => r.updated_at_ms,
      },
      stream: updates("equipment_state"),
    });
  }
  if (wanted.has("anomalies")) {
    sinks.anomalies = new RedisSink<Anomaly>({
      ...common("anomalies"),
      id: (a) => a.id,
      stream: { key: `${prefix}anomalies`, maxLen, type: "anomaly" },
    });
  }
  return sinks;
}
