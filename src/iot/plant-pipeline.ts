/**
 * The plant pipeline of the reference article, built with the engine's public API:
 * raw JSON lines in; validation with reason codes (bad readings to the dead-letter
 * output); event time; enrichment with metadata, local time and shift; per-reading
 * anomaly detectors; the three dashboards and equipment state; the archive of every
 * valid reading; late readings to their own output.
 */
import {
  dataflow,
  type Dataflow,
  type LateRecord,
  type Sink,
  type SinkStep,
  type Source,
  type Stream,
  source,
} from "../engine/index.js";
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
import type { MetadataCatalog } from "./metadata/index.js";
import {
  type Anomaly,
  type EnrichedReading,
  type ParseResult,
  parseReading,
  type ReasonCode,
  type Reading,
  truncatePayload,
} from "./reading/index.js";

/** A raw reading millstream could not use, with why and what it was. */
export interface ReadingDeadLetter {
  readonly reason: ReasonCode | string;
  /** The field at fault (`""` for the whole payload). */
  readonly path: string;
  readonly message: string;
  /** The raw payload, cut at 4 KiB. */
  readonly payload: string;
  /** The step that rejected it. */
  readonly step: string;
}

/** Where each output of the plant pipeline goes; omit a sink to skip that output. */
export interface PlantSinks {
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
  readonly detectors?: DetectorsConfig;
  readonly facilityMetrics?: FacilityMetricsConfig;
  readonly equipmentHealth?: EquipmentHealthConfig;
  readonly productionEfficiency?: ProductionEfficiencyConfig;
  readonly equipmentState?: EquipmentStateConfig;
}

export interface PlantPipelineOptions {
  /** Raw readings, one JSON document per record. */
  readonly input: Source<string>;
  readonly catalog: MetadataCatalog;
  readonly sinks: PlantSinks;
  readonly config?: PlantConfig;
  /** The clock for the `timestamp-in-future` check. Default `Date.now`. */
  readonly now?: () => number;
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

  const checked = source("input", options.input).map(
    "parse",
    (raw): ParseResult & { raw: string } => {
      const result = parseReading(raw, { now: now(), maxFutureMs });
      return { ...result, raw };
    },
  );
  const rejected = checked
    .filter("rejected", (r) => !r.ok)
    .map("dead-letter", (r): ReadingDeadLetter => {
      const failure = r as Extract<ParseResult, { ok: false }> & { raw: string };
      return {
        reason: failure.code,
        path: failure.path,
        message: failure.message,
        payload: truncatePayload(failure.raw, 4096),
        step: "parse",
      };
    });
  const readings = checked
    .filter("valid", (r) => r.ok)
    .map("reading", (r) => (r as Extract<ParseResult, { ok: true }>).reading)
    .withEventTime("event-time", {
      timestamp: (r: Reading) => r.timestamp,
      maxOutOfOrderness: config.maxOutOfOrderness ?? 10_000,
      idleTimeout: config.idleTimeout ?? 30_000,
      advanceWhenQuiet: config.advanceWhenQuiet ?? true,
    });
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
  const [firstLate, ...moreLate] = late;
  if (firstLate) {
    const allLate = moreLate.length > 0 ? firstLate.union("late", ...moreLate) : firstLate;
    outputs.push(allLate.to("late-out", sinks.late));
  }
  return { dataflow: dataflow(name, outputs), enricher };
}
