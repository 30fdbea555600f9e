/**
 * Plant outputs published to brokers: each output's message key (records of one key
 * stay in order on a Kafka partition), its id, and the topic template configured for it.
 */
import type { Sink } from "../../engine/index.js";
import type { PlantOutputName, PlantOutputRecords } from "./output-names.js";
import type { PlantOutputSinks } from "./postgres-outputs.js";
import { readingId } from "./postgres-outputs.js";
import { type TopicSyntax, topicTemplate } from "./topic-template.js";

/** The message key of each output's records. */
export const OUTPUT_KEYS: {
  readonly [K in PlantOutputName]: (r: PlantOutputRecords[K]) => string;
} = {
  anomalies: (a) => a.equipment_id ?? a.sensor_id,
  facility_metrics: (r) => r.facility_id,
  equipment_health: (r) => r.equipment_id,
  production_efficiency: (r) => `${r.facility_id}|${r.production_line}`,
  equipment_state: (r) => r.equipment_id,
  readings: (r) => r.sensor_id,
};

/** The deterministic id of each output's records (readings: sensor and event time). */
export const OUTPUT_IDS: { readonly [K in PlantOutputName]: (r: PlantOutputRecords[K]) => string } =
  {
    anomalies: (r) => r.id,
    facility_metrics: (r) => r.id,
    equipment_health: (r) => r.id,
    production_efficiency: (r) => r.id,
    equipment_state: (r) => `${r.equipment_id}|${r.updated_at_ms}`,
    readings: (r) => readingId(r),
  };

/** What a broker's sink factory gets for one output. */
export interface PublishedOutput<T> {
  readonly output: PlantOutputName;
  readonly topic: (value: T) => string;
  readonly key: (value: T) => string;
  readonly id: (value: T) => string;
}

/**
 * Sinks publishing the outputs of `topics` (output name → topic template such as
 * `millstream/{facility_id}/anomalies`), each built by `make` for the broker.
 */
export function plantPublisherSinks(
  topics: Readonly<Partial<Record<PlantOutputName, string>>>,
  syntax: TopicSyntax,
  make: <T extends object>(output: PublishedOutput<T>) => Sink<T>,
): PlantOutputSinks {
  const sinks: Record<string, Sink<never>> = {};
  for (const [output, template] of Object.entries(topics) as [
    PlantOutputName,
    string | undefined,
  ][]) {
    if (template === undefined) continue;
    sinks[output] = make({
      output,
      topic: topicTemplate<object>(template, syntax),
      key: OUTPUT_KEYS[output] as (value: object) => string,
      id: OUTPUT_IDS[output] as (value: object) => string,
    }) as Sink<never>;
  }
  return sinks as PlantOutputSinks;
}
