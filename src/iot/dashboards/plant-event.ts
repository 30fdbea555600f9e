/**
 * One stream of readings and anomalies. Dashboards that count anomalies (facility
 * metrics) and equipment state (current worst anomaly) need both in one keyed step:
 * the two streams are unioned, so a window or process function sees them in
 * event-time order under one watermark (the minimum of both inputs). The records are
 * not wrapped: `isAnomaly` tells them apart, which saves an object per record.
 */
import type { Stream } from "../../engine/index.js";
import type { Anomaly, EnrichedReading } from "../reading/reading.js";

/** A reading or an anomaly; tell them apart with {@link isAnomaly}. */
export type PlantEvent = EnrichedReading | Anomaly;

/** Whether `e` is an anomaly (anomalies have a `detector`, readings do not). */
export function isAnomaly(e: PlantEvent): e is Anomaly {
  return (e as Anomaly).detector !== undefined;
}

/** The reading of `e`, or `null` for an anomaly. */
export function readingOf(e: PlantEvent): EnrichedReading | null {
  return (e as Anomaly).detector !== undefined ? null : (e as EnrichedReading);
}

/**
 * The union of `readings` and (when given) `anomalies`, as step `<prefix>.events`.
 * Each record keeps its stream's event time; detectors emit an anomaly at the event
 * time of the reading that showed it, so it lands in the same windows as that reading.
 */
export function plantEvents(
  prefix: string,
  readings: Stream<EnrichedReading>,
  anomalies?: Stream<Anomaly>,
): Stream<PlantEvent> {
  const events = readings as Stream<PlantEvent>;
  if (anomalies === undefined) return events;
  return events.union(`${prefix}.events`, anomalies as Stream<PlantEvent>);
}
