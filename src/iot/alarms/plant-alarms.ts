/**
 * Alarm management for the plant pipeline: anomalies become signals (with the
 * equipment and facility metadata as labels) and go through `alarmPipeline` —
 * lifecycle, shelving and silences, routing, grouping, rate limits.
 */

import { type AlarmStreams, alarmPipeline } from "../../alerts/alarm-pipeline.js";
import type { AlarmSignal } from "../../alerts/alarm-signal.js";
import type { AlarmsConfigInput } from "../../alerts/alarms-config.js";
import type { AlarmCommand } from "../../alerts/commands/alarm-command.js";
import type { Stream } from "../../engine/index.js";
import type { MetadataCatalog } from "../metadata/metadata-catalog.js";
import type { Anomaly } from "../reading/reading.js";
import { anomalySignal } from "./anomaly-signal.js";

/** Alarm settings of the plant pipeline: alarm management's, plus which detectors raise none. */
export interface PlantAlarmsConfig extends AlarmsConfigInput {
  /** Detectors whose anomalies raise no alarm (they stay in the anomalies output). Default none. */
  readonly excludeDetectors?: readonly string[];
}

/**
 * Hysteresis per detector, matched to how often each reports a condition that holds:
 * the z-score detector reports every anomalous reading (the 60 s default suffices);
 * the quality-degradation and trend detectors repeat every `cooldownMs` (60 s), the
 * sensor-drift detector every 300 s, so their alarms wait 2.5 of those before clearing.
 * Detectors that report a condition once (threshold in its default `on-change` mode,
 * stuck-sensor, offline) clear after the default 60 s unless configured otherwise —
 * see docs/alarms.md.
 */
export const plantClearAfterMsByType: Readonly<Record<string, number>> = Object.freeze({
  "quality-degradation": 150_000,
  trend: 150_000,
  "sensor-drift": 750_000,
});

/** Options of {@link plantAlarms}. */
export interface PlantAlarmsOptions {
  /** Equipment and facility metadata for the labels (looked up as each anomaly passes). */
  readonly catalog: MetadataCatalog;
  readonly config?: PlantAlarmsConfig;
  /** Operator commands (acknowledge, shelve, silence), with event time `at`. */
  readonly commands?: Stream<AlarmCommand>;
  /** More signals into the same alarm management (e.g. of another detector). */
  readonly signals?: Stream<AlarmSignal>;
}

/**
 * Adds alarm management to the plant pipeline's `anomalies`: step `alarm-signal` maps
 * each anomaly to a signal, then the `alarms.*` steps of `alarmPipeline`. Returns the
 * transitions (alarms history), notifications, held notifications and rejected inputs.
 */
export function plantAlarms(anomalies: Stream<Anomaly>, options: PlantAlarmsOptions): AlarmStreams {
  const { catalog } = options;
  const { excludeDetectors = [], ...config } = options.config ?? {};
  const excluded = new Set(excludeDetectors);
  const raising =
    excluded.size > 0
      ? anomalies.filter("alarm-detectors", (a) => !excluded.has(a.detector))
      : anomalies;
  let signals = raising.map("alarm-signal", (a) =>
    anomalySignal(
      a,
      a.equipment_id === null ? undefined : catalog.equipment.get(a.equipment_id),
      catalog.facilities.get(a.facility_id),
    ),
  );
  if (options.signals) signals = signals.union("alarm-signals", options.signals);
  const lifecycle = {
    ...config.lifecycle,
    clearAfterMsByType: { ...plantClearAfterMsByType, ...config.lifecycle?.clearAfterMsByType },
  };
  return alarmPipeline(signals, {
    config: { ...config, lifecycle },
    ...(options.commands ? { commands: options.commands } : {}),
  });
}
