/**
 * One stream of readings and anomalies. Dashboards that count anomalies (facility
 * metrics) and equipment state (current worst anomaly) need both in one keyed step:
 * each stream is mapped to a tagged record and the two are unioned, so a window or
 * process function sees them in event-time order under one watermark (the minimum
 * of both inputs).
 */
import type { Stream } from "../../engine/index.js";
import type { Anomaly, EnrichedReading } from "../reading/reading.js";

/** A reading or an anomaly, tagged by `kind`. */
export type PlantEvent =
  | { readonly kind: "reading"; readonly reading: EnrichedReading }
  | { readonly kind: "anomaly"; readonly anomaly: Anomaly };

/**
 * The union of `readings` and (when given) `anomalies` as tagged records, built from
 * steps named `<prefix>.readings`, `<prefix>.anomalies` and `<prefix>.events`. Each
 * record keeps its stream's event time; detectors emit an anomaly at the event time
 * of the reading that showed it, so it lands in the same windows as that reading.
 */
export function plantEvents(
  prefix: string,
  readings: Stream<EnrichedReading>,
  anomalies?: Stream<Anomaly>,
): Stream<PlantEvent> {
  const tagged = readings.map(
    `${prefix}.readings`,
    (reading): PlantEvent => ({ kind: "reading", reading }),
  );
  if (anomalies === undefined) return tagged;
  return tagged.union(
    `${prefix}.events`,
    anomalies.map(`${prefix}.anomalies`, (anomaly): PlantEvent => ({ kind: "anomaly", anomaly })),
  );
}
