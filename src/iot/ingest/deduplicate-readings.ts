/**
 * Drops repeated deliveries of the same reading: at-least-once brokers (MQTT QoS 1,
 * redelivery after a reconnect) can hand over one reading twice. A reading is a
 * duplicate when its sensor already sent one with the same timestamp within the
 * retention time.
 */
import { type KeyedProcessFunction, mapState, type Stream } from "../../engine/index.js";
import type { Reading } from "../reading/index.js";

/** Settings of {@link deduplicateReadings}. */
export interface DeduplicateOptions {
  /**
   * How long (event time, ms) a sensor's timestamps are remembered; a duplicate
   * arriving later than this passes. Default 600,000 (10 minutes).
   */
  readonly retentionMs?: number;
}

/**
 * The readings of `readings` minus duplicates by (sensor_id, timestamp), as step
 * `deduplicate`. Dropped duplicates show in the step's progress as records in minus
 * records out. State: one entry per remembered timestamp, expiring in event time,
 * checkpointed with the job.
 */
export function deduplicateReadings(
  readings: Stream<Reading>,
  options: DeduplicateOptions = {},
): Stream<Reading> {
  const seen = mapState<number, 1>("seen", { ttl: options.retentionMs ?? 600_000 });
  const dedup: KeyedProcessFunction<string, Reading, Reading> = {
    processElement(reading, ctx) {
      const timestamps = ctx.state(seen);
      if (timestamps.has(reading.timestamp)) return;
      timestamps.set(reading.timestamp, 1);
      ctx.emit(reading);
    },
  };
  return readings.keyBy((r) => r.sensor_id).process("deduplicate", dedup);
}
