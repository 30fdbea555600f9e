/**
 * The plant pipeline of the reference article, built with the engine's public API:
 * raw JSON lines in; validation with reason codes (bad readings to the dead-letter
 * output); event time; enrichment with metadata, local time and shift; per-reading
 * anomaly detectors; the three dashboards and equipment state; the archive of every
 * valid reading; late readings to their own output.
 */

import type { InboundMessage } from "../connectors/index.js";
import {
  type Dataflow,
  dataflow,
  type LateRecord,
  type Sink,
  type SinkStep,
  type Source,
  type Stream,
  source,
} from "../engine/index.js";
import { type PlantAlarmSinks, type PlantAlarmsConfig, plantAlarmSteps } from "./alarms/index.js";
import {
  type EquipmentHealthConfig,
  type EquipmentHealthRecord,
  type EquipmentStateConfig,
  type EquipmentStateRecord,
  equipmentHealthSteps,
  equipmentState,
  type FacilityMetricsConfig,
  type FacilityMetricsRecord,
  facilityMetricsSteps,
  type ProductionEfficiencyConfig,
  type ProductionEfficiencyRecord,
  productionEfficiencySteps,
} from "./dashboards/index.js";
import { applyDetectors, type DetectorsConfig } from "./detectors/index.js";
import { createEnricher, type Enricher } from "./enrich/index.js";
import {
  type DeduplicateOptions,
  deduplicateReadings,
  type ReadingDeadLetter,
  RejectedReading,
  readingParser,
} from "./ingest/index.js";
import type { MetadataCatalog } from "./metadata/index.js";
import type { Anomaly, EnrichedReading, Reading } from "./reading/index.js";

export type { ReadingDeadLetter } from "./ingest/index.js";

/** Where each output of the plant pipeline goes; omit a sink to skip that output. */
export interface PlantSinks extends PlantAlarmSinks {
  readonly anomalies: Sink<Anomaly>;
  readonly deadLetters: Sink<ReadingDeadLetter>;
  readonly late: Sink<LateRecord<unknown>>;
  readonly facilityMetrics?: Sink<FacilityMetricsRecord>;
  readonly equipmentHealth?: Sink<EquipmentHealthRecord>;
  readonly productionEfficiency?: Sink<ProductionEfficiencyRecord>;
  readonly equipmentState?: Sink<EquipmentStateRecord>;
  readonly archive?: Sink<EnrichedReading>;
}

/** Settings of the plant pipeline; every field has a default. */
export interface PlantConfig {
  /** Bounded disorder of readings, ms. Default 10,000. */
  readonly maxOutOfOrderness?: number;
  /** A silent input partition stops holding the watermark back after this many ms. Default 30,000. */
  readonly idleTimeout?: number;
  /** Advance event time with the clock when all input is quiet. Default true (off for replays). */
  readonly advanceWhenQuiet?: boolean;
  /** How far ahead of the clock a reading's timestamp may be, ms. Default 300,000. */
  readonly maxFutureMs?: number;
  /**
   * Reading fields carried in the message topic (MQTT topic, NATS subject), e.g.
   * `plants/{facility_id}/{sensor_type}/{sensor_id}`; fields in the payload win.
   */
  readonly topicTemplate?: string;
  /** Level separator of `topicTemplate`: `/` (default) or `.` for NATS subjects. */
  readonly topicSeparator?: string;
  /** Drop repeated deliveries of a reading (same sensor_id and timestamp). Off by default. */
  readonly deduplicate?: DeduplicateOptions;
  readonly detectors?: DetectorsConfig;
  readonly facilityMetrics?: FacilityMetricsConfig;
  readonly equipmentHealth?: EquipmentHealthConfig;
  readonly productionEfficiency?: ProductionEfficiencyConfig;
  readonly equipmentState?: EquipmentStateConfig;
  /** Alarm management (docs/alarms.md); runs when the `alarms` or `notifications` sink is given. */
  readonly alarms?: PlantAlarmsConfig;
}

export interface PlantPipelineOptions {
  /** Raw readings, one JSON document per record, bare or with its origin and topic. */
  readonly input: Source<string | InboundMessage>;
  readonly catalog: MetadataCatalog;
  readonly sinks: PlantSinks;
  readonly config?: PlantConfig;
  /** The clock for the `timestamp-in-future` check. Default `Date.now`. */
  readonly now?: () => number;
  /** Operator alarm commands, one JSON document per record (docs/alarms.md). */
  readonly alarmCommands?: Source<string>;
}

/** The plant pipeline and the enricher it uses (whose counters report unknown sensors). */
export interface PlantPipeline {
  readonly dataflow: Dataflow;
  readonly enricher: Enricher;
}

/** Builds the plant pipeline as the dataflow named `name`. */
export function plantPipeline(name: string, options: PlantPipelineOptions): PlantPipeline {
  const config = options.config ?? {};
  const now = options.now ?? Date.now;
  const maxFutureMs = config.maxFutureMs ?? 300_000;
  const { sinks } = options;

  // Valid readings leave the parse step with room for their enrichment, which the
  // enrich step fills in place: nothing between the two keeps or outputs them.
  const parse = readingParser({
    now,
    maxFutureMs,
    pending: true,
    ...(config.topicTemplate ? { topicTemplate: config.topicTemplate } : {}),
    ...(config.topicSeparator ? { topicSeparator: config.topicSeparator } : {}),
  });
  const checked = source("input", options.input).map("parse", parse);
  const rejected = checked.filter(
    "rejected",
    (r): r is ReadingDeadLetter => r instanceof RejectedReading,
  );
  const valid = checked.filter("valid", (r): r is Reading => !(r instanceof RejectedReading));
  const timed = valid.withEventTime("event-time", {
    timestamp: (r: Reading) => r.timestamp,
    maxOutOfOrderness: config.maxOutOfOrderness ?? 10_000,
    idleTimeout: config.idleTimeout ?? 30_000,
    advanceWhenQuiet: config.advanceWhenQuiet ?? true,
  });
  const readings = config.deduplicate ? deduplicateReadings(timed, config.deduplicate) : timed;
  const enricher = createEnricher(options.catalog);
  const enriched = readings.map("enrich", enricher.enrich);
  const anomalies = applyDetectors(enriched, config.detectors);

  const outputs: SinkStep[] = [
    anomalies.to("anomalies-out", sinks.anomalies),
    rejected.to("dead-letters-out", sinks.deadLetters),
  ];
  const late: Stream<LateRecord<unknown>>[] = [];
  if (sinks.facilityMetrics) {
    const fm = facilityMetricsSteps(enriched, anomalies, config.facilityMetrics);
    outputs.push(fm.records.to("facility-metrics-out", sinks.facilityMetrics));
    late.push(fm.late as Stream<LateRecord<unknown>>);
  }
  if (sinks.equipmentHealth) {
    const eh = equipmentHealthSteps(enriched, config.equipmentHealth);
    outputs.push(eh.records.to("equipment-health-out", sinks.equipmentHealth));
    late.push(eh.late as Stream<LateRecord<unknown>>);
  }
  if (sinks.productionEfficiency) {
    const pe = productionEfficiencySteps(enriched, config.productionEfficiency);
    outputs.push(pe.records.to("production-efficiency-out", sinks.productionEfficiency));
    late.push(pe.late as Stream<LateRecord<unknown>>);
  }
  if (sinks.equipmentState) {
    outputs.push(
      equipmentState(enriched, anomalies, config.equipmentState).to(
        "equipment-state-out",
        sinks.equipmentState,
      ),
    );
  }
  if (sinks.archive) outputs.push(enriched.to("archive-out", sinks.archive));
  outputs.push(
    ...plantAlarmSteps(
      anomalies,
      { catalog: options.catalog, config: config.alarms, commands: options.alarmCommands },
      sinks,
    ),
  );
  const [firstLate, ...moreLate] = late;
  if (firstLate) {
    const allLate = moreLate.length > 0 ? firstLate.union("late", ...moreLate) : firstLate;
    outputs.push(allLate.to("late-out", sinks.late));
  }
  return { dataflow: dataflow(name, outputs), enricher };
}
