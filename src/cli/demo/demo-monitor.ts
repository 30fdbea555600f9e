/**
 * Gathers what the demo's live view shows: the job's progress (throughput,
 * watermark, checkpoints, counts per sink), the anomalies and facility-metrics
 * windows the taps saw, the simulator's clock and its fault labels. `sample()`
 * returns it as a `DemoViewState` once per refresh.
 */
import { type AlarmTransition, isActive } from "../../alerts/index.js";
import type { JobProgress } from "../../engine/index.js";
import type { FacilityMetricsRecord } from "../../iot/dashboards/index.js";
import type { Anomaly, Severity } from "../../iot/reading/index.js";
import type { FaultLabel } from "../../iot/simulator/index.js";
import type { DemoViewState, ViewAnomaly, ViewFacility } from "./demo-view-state.js";

/** Fixed facts of the demo the monitor reports with every state. */
export interface DemoMonitorOptions {
  readonly facilities: readonly { readonly id: string; readonly name: string }[];
  readonly sensors: number;
  readonly intervalMs: number;
  readonly checkpointIntervalMs: number;
  readonly dataDir: string;
  readonly startedAtMs: number;
  /** Latest anomalies kept for the view. Default 20. */
  readonly keepAnomalies?: number;
  /** Only anomalies of this severity or worse are listed (all are counted). Default `"low"`. */
  readonly minSeverity?: Severity;
}

/** Severities from least to most severe. */
export const SEVERITIES: readonly Severity[] = ["low", "medium", "high", "critical"];

/** Collects the demo's live figures; not thread-safe, called from the event loop only. */
export class DemoMonitor {
  readonly #options: DemoMonitorOptions;
  readonly #latest: ViewAnomaly[] = [];
  readonly #bySeverity: Record<string, number> = {};
  readonly #windows = new Map<string, FacilityMetricsRecord>();
  /** Start times of labelled faults the simulation has not reached yet, ascending. */
  #upcoming: number[] = [];
  /** Alarms whose latest transition left them active. */
  readonly #activeAlarms = new Set<string>();
  #alarmsOpened = 0;
  #faultsInjected = 0;
  #anomalyCount = 0;
  #phase: DemoViewState["phase"] = "starting";
  #notice: string | null = null;
  #resumedFrom: number | null = null;
  #progress: (() => JobProgress) | null = null;
  #simulatedTime: (() => number) | null = null;
  #last: { atMs: number; readingsIn: number; recordsOut: number } | null = null;

  constructor(options: DemoMonitorOptions) {
    this.#options = options;
  }

  /** Where the job's progress comes from. */
  watchJob(progress: () => JobProgress): void {
    this.#progress = progress;
  }

  /** Where the simulator's clock comes from (simulated ms reached). */
  watchSimulator(simulatedTime: () => number): void {
    this.#simulatedTime = simulatedTime;
  }

  set phase(phase: DemoViewState["phase"]) {
    this.#phase = phase;
  }

  set resumedFrom(checkpointId: number | null) {
    this.#resumedFrom = checkpointId;
  }

  /** Shows `text` under the view until the next notice. */
  notice(text: string): void {
    this.#notice = text;
  }

  /** Anomalies written to the anomalies sink. */
  addAnomalies(values: readonly Anomaly[]): void {
    const keep = this.#options.keepAnomalies ?? 20;
    const min = SEVERITIES.indexOf(this.#options.minSeverity ?? "low");
    for (const a of values) {
      this.#anomalyCount++;
      this.#bySeverity[a.severity] = (this.#bySeverity[a.severity] ?? 0) + 1;
      if (SEVERITIES.indexOf(a.severity) < min) continue;
      this.#latest.unshift({
        timeMs: a.event_time_ms,
        severity: a.severity,
        detector: a.detector,
        sensorId: a.sensor_id ?? null,
        equipmentId: a.equipment_id,
        facilityId: a.facility_id ?? null,
        message: a.message,
      });
    }
    if (this.#latest.length > keep) this.#latest.length = keep;
  }

  /** Facility-metrics window results: each facility keeps its latest window. */
  addFacilityMetrics(values: readonly FacilityMetricsRecord[]): void {
    for (const r of values) {
      const known = this.#windows.get(r.facility_id);
      if (known === undefined || r.window_start_ms >= known.window_start_ms) {
        this.#windows.set(r.facility_id, r);
      }
    }
  }

  /** Alarm transitions written to the alarms sink. */
  addAlarmTransitions(values: readonly AlarmTransition[]): void {
    for (const t of values) {
      if (t.kind === "opened") this.#alarmsOpened++;
      if (isActive(t.to)) this.#activeAlarms.add(t.alarmId);
      else this.#activeAlarms.delete(t.alarmId);
    }
  }

  /** Fault labels the simulator planned (ahead of their data). */
  addLabels(labels: readonly FaultLabel[]): void {
    for (const l of labels) this.#upcoming.push(l.start_ms);
    this.#upcoming.sort((a, b) => a - b);
  }

  /** The state to show at `nowMs`; rates are over the time since the previous sample. */
  sample(nowMs: number): DemoViewState {
    const o = this.#options;
    const progress = this.#progress?.() ?? null;
    let readingsIn = 0;
    let recordsOut = 0;
    let archived = 0;
    let deadLetters = 0;
    let late = 0;
    let watermarkMs: number | null = null;
    if (progress !== null) {
      readingsIn = progress.recordsIn;
      for (const step of progress.steps) {
        if (step.step === "event-time") watermarkMs = step.watermark;
        if (step.kind !== "sink") continue;
        if (step.step === "archive-out") archived = step.recordsIn;
        else recordsOut += step.recordsIn;
        if (step.step === "dead-letters-out") deadLetters = step.recordsIn;
        if (step.step === "late-out") late = step.recordsIn;
      }
    }
    if (watermarkMs !== null && !Number.isFinite(watermarkMs)) watermarkMs = null;
    const simulatedMs = this.#simulatedTime?.() ?? null;
    if (simulatedMs !== null) {
      let passed = 0;
      while (passed < this.#upcoming.length && this.#upcoming[passed]! < simulatedMs) passed++;
      if (passed > 0) {
        this.#faultsInjected += passed;
        this.#upcoming = this.#upcoming.slice(passed);
      }
    }
    const last = this.#last;
    const seconds = last === null ? 0 : (nowMs - last.atMs) / 1000;
    const rate = (now: number, before: number) =>
      seconds > 0 ? Math.max(0, now - before) / seconds : 0;
    const readingsPerSecond = last === null ? 0 : rate(readingsIn, last.readingsIn);
    const recordsOutPerSecond = last === null ? 0 : rate(recordsOut, last.recordsOut);
    this.#last = { atMs: nowMs, readingsIn, recordsOut };
    const cp = progress?.checkpoints;
    const facilities: ViewFacility[] = o.facilities.map((f) => {
      const w = this.#windows.get(f.id);
      return {
        facilityId: f.id,
        name: f.name,
        windowStartMs: w?.window_start_ms ?? null,
        windowEndMs: w?.window_end_ms ?? null,
        readings: w?.readings ?? null,
        activeSensors: w?.active_sensors ?? null,
        qualityAlerts: w?.quality_alerts ?? null,
        anomalies: w?.anomalies ?? null,
      };
    });
    return {
      nowMs,
      startedAtMs: o.startedAtMs,
      phase: this.#phase,
      plant: { facilities: o.facilities.length, sensors: o.sensors, intervalMs: o.intervalMs },
      dataDir: o.dataDir,
      resumedFrom: this.#resumedFrom,
      readingsIn,
      readingsPerSecond,
      recordsOut,
      recordsOutPerSecond,
      archived,
      watermarkMs,
      simulatedMs,
      checkpoints: {
        lastId: cp?.lastId ?? null,
        completed: cp?.completed ?? 0,
        ageMs: cp?.ageMs ?? null,
        intervalMs: o.checkpointIntervalMs,
      },
      deadLetters,
      late,
      faultsInjected: this.#faultsInjected,
      alarms: { active: this.#activeAlarms.size, opened: this.#alarmsOpened },
      anomalyCount: this.#anomalyCount,
      anomaliesBySeverity: { ...this.#bySeverity },
      minSeverity: o.minSeverity ?? "low",
      latestAnomalies: [...this.#latest],
      facilities,
      notice: this.#notice,
    };
  }
}
