/**
 * Scores detections against ground truth: matches anomalies (and dead letters) to
 * fault labels and computes precision, recall and detection delay per fault type
 * and per detector. Pure: labels and records in, a report out. The matching rules
 * are in docs/detection.md.
 */
import type { Anomaly } from "../reading/reading.js";
import { type FaultLabel, LABEL_TYPES, type LabelType } from "../simulator/fault-types.js";
import { DEAD_LETTER_DETECTOR, EXPECTED_DETECTORS } from "./expected-detectors.js";

/** The matching tolerances; every one has a default. */
export interface MatchingOptions {
  /**
   * Anomalies before this event time are the detectors' start-up (first start-ups,
   * baselines being learnt) and are not counted. No fault starts before it.
   */
  readonly countFromMs: number;
  /** Slack around a sensor fault's span for recall, ms (the timestamps' jitter). Default 500. */
  readonly sensorToleranceMs?: number;
  /** Slack around a machine transition's span for recall, ms. Default 10,000. */
  readonly machineToleranceMs?: number;
  /**
   * How long after a fault's end an anomaly on its sensor or machine is still
   * explained by it (a baseline relearning the normal level, a regression window
   * still holding the fault), ms. Default 300,000 (the z-score baseline).
   */
  readonly explainAfterMs?: number;
}

/** What scoring needs of a dead letter: its payload (which names the sensor). */
export interface DeadLetterLike {
  readonly reason: string;
  readonly payload: string;
}

/** One row of the per-type table. */
export interface FaultTypeScore {
  readonly fault: LabelType;
  readonly labels: number;
  /** `null` for types no detector is expected to catch. */
  readonly detected: number | null;
  readonly recall: number | null;
  /** Anomalies of the expected detectors that matched a label of this type. */
  readonly truePositives: number | null;
  /** Anomalies of the expected detectors that no label explains. */
  readonly falsePositives: number | null;
  readonly precision: number | null;
  /** Median and 90th percentile of event time from fault start to first detection, ms. */
  readonly medianDelayMs: number | null;
  readonly p90DelayMs: number | null;
  readonly detectors: readonly string[];
}

/** One row of the per-detector table. */
export interface DetectorScore {
  readonly detector: string;
  readonly anomalies: number;
  readonly explained: number;
  readonly precision: number | null;
}

/** The result of scoring. */
export interface DetectionScore {
  readonly types: readonly FaultTypeScore[];
  readonly detectors: readonly DetectorScore[];
  readonly overall: {
    /** Labels of scored types, and how many were detected. */
    readonly labels: number;
    readonly detected: number;
    readonly recall: number | null;
    /** Anomalies counted (after the start-up), explained by some label, and precision. */
    readonly anomalies: number;
    readonly explained: number;
    readonly precision: number | null;
    readonly medianDelayMs: number | null;
    /** Anomalies before `countFromMs`, not counted. */
    readonly startupAnomalies: number;
  };
  readonly deadLetters: number;
  /** Labels not detected, for inspection (type and id). */
  readonly missed: readonly FaultLabel[];
  /** Up to 50 unexplained anomalies, for inspection. */
  readonly unexplained: readonly Anomaly[];
}

function quantile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i]!;
}

const ratio = (a: number, b: number) => (b === 0 ? null : a / b);

/** Until when a label's fault lasts: a shutdown until the machine starts again. */
function explainEnd(l: FaultLabel): number {
  const off = l.params.off_ms;
  return l.fault === "equipment-shutdown" && typeof off === "number" ? l.end_ms + off : l.end_ms;
}

/** Index of labels by subject: sensor labels by sensor_id, machine labels by equipment_id. */
function indexLabels(labels: readonly FaultLabel[]) {
  const bySensor = new Map<string, FaultLabel[]>();
  const byMachine = new Map<string, FaultLabel[]>();
  for (const l of labels) {
    const [map, key] = l.sensor_id === null ? [byMachine, l.equipment_id] : [bySensor, l.sensor_id];
    const list = map.get(key);
    if (list === undefined) map.set(key, [l]);
    else list.push(l);
  }
  return { bySensor, byMachine };
}

/**
 * Matches `anomalies` and `deadLetters` to `labels` and scores them:
 *
 * - An anomaly is **explained** by a label when it concerns the label's sensor (or,
 *   for a machine label, any sensor of the machine or the machine itself) and its
 *   event time lies in [start − tolerance, end + `explainAfterMs`] (a shutdown's end
 *   being the restart, end + `params.off_ms`). Overall
 *   precision = explained / counted anomalies.
 * - A label is **detected** when an anomaly of one of its expected detectors
 *   (`EXPECTED_DETECTORS`) on its subject has event time in [start − tolerance, end
 *   + tolerance]; the delay is the first such anomaly's event time − start (0 if
 *   earlier). A `malformed` label is detected when a dead letter's payload names
 *   its sensor.
 * - Per type, precision = anomalies of its expected detectors matching a label of
 *   the type / (those + anomalies of the same detectors no label explains).
 */
export function scoreDetections(
  labels: readonly FaultLabel[],
  anomalies: readonly Anomaly[],
  deadLetters: readonly DeadLetterLike[],
  options: MatchingOptions,
): DetectionScore {
  const sensorTol = options.sensorToleranceMs ?? 500;
  const machineTol = options.machineToleranceMs ?? 10_000;
  const after = options.explainAfterMs ?? 300_000;
  const { bySensor, byMachine } = indexLabels(labels);
  const tolOf = (l: FaultLabel) => (l.sensor_id === null ? machineTol : sensorTol);

  const firstDetection = new Map<FaultLabel, number>();
  const typeTp = new Map<LabelType, number>();
  const detectorCounts = new Map<string, { anomalies: number; explained: number }>();
  const unexplainedByDetector = new Map<string, number>();
  const unexplained: Anomaly[] = [];
  let counted = 0;
  let explainedCount = 0;
  let startup = 0;

  for (const a of anomalies) {
    const t = a.event_time_ms;
    if (t < options.countFromMs) {
      startup++;
      continue;
    }
    counted++;
    let explained = false;
    const candidates = [
      ...(bySensor.get(a.sensor_id) ?? []),
      ...(a.equipment_id === null ? [] : (byMachine.get(a.equipment_id) ?? [])),
    ];
    const matchedTypes = new Set<LabelType>();
    for (const l of candidates) {
      const tol = tolOf(l);
      if (t < l.start_ms - tol || t > explainEnd(l) + after) continue;
      explained = true;
      const expected = EXPECTED_DETECTORS[l.fault];
      if (expected?.includes(a.detector) && t <= l.end_ms + tol) {
        matchedTypes.add(l.fault);
        const previous = firstDetection.get(l);
        if (previous === undefined || t < previous) firstDetection.set(l, t);
      }
    }
    for (const type of matchedTypes) typeTp.set(type, (typeTp.get(type) ?? 0) + 1);
    let d = detectorCounts.get(a.detector);
    if (d === undefined) {
      d = { anomalies: 0, explained: 0 };
      detectorCounts.set(a.detector, d);
    }
    d.anomalies++;
    if (explained) {
      d.explained++;
      explainedCount++;
    } else {
      unexplainedByDetector.set(a.detector, (unexplainedByDetector.get(a.detector) ?? 0) + 1);
      if (unexplained.length < 50) unexplained.push(a);
    }
  }

  // Malformed labels against dead letters: the payload names the sensor (even cut short).
  const malformed = labels.filter((l) => l.fault === "malformed" && l.sensor_id !== null);
  if (malformed.length > 0) {
    const bySensorId = new Map(malformed.map((l) => [l.sensor_id!, l]));
    for (const d of deadLetters) {
      const m = /"sensor_id":"([^"]+)"/.exec(d.payload);
      const l = m === null ? undefined : bySensorId.get(m[1]!);
      if (l !== undefined && !firstDetection.has(l)) firstDetection.set(l, l.start_ms);
    }
  }

  const types: FaultTypeScore[] = [];
  const allDelays: number[] = [];
  let scoredLabels = 0;
  let scoredDetected = 0;
  const missed: FaultLabel[] = [];
  for (const type of LABEL_TYPES) {
    const ofType = labels.filter((l) => l.fault === type);
    if (ofType.length === 0) continue;
    const expected = EXPECTED_DETECTORS[type];
    if (expected === undefined) {
      types.push({
        fault: type,
        labels: ofType.length,
        detected: null,
        recall: null,
        truePositives: null,
        falsePositives: null,
        precision: null,
        medianDelayMs: null,
        p90DelayMs: null,
        detectors: [],
      });
      continue;
    }
    const delays: number[] = [];
    for (const l of ofType) {
      const t = firstDetection.get(l);
      if (t === undefined) missed.push(l);
      else delays.push(Math.max(0, t - l.start_ms));
    }
    delays.sort((a, b) => a - b);
    scoredLabels += ofType.length;
    scoredDetected += delays.length;
    const isDeadLetter = expected.includes(DEAD_LETTER_DETECTOR);
    if (!isDeadLetter) allDelays.push(...delays);
    const tp = isDeadLetter ? null : (typeTp.get(type) ?? 0);
    const fp = isDeadLetter
      ? null
      : expected.reduce((sum, d) => sum + (unexplainedByDetector.get(d) ?? 0), 0);
    types.push({
      fault: type,
      labels: ofType.length,
      detected: delays.length,
      recall: ratio(delays.length, ofType.length),
      truePositives: tp,
      falsePositives: fp,
      precision: tp === null || fp === null ? null : ratio(tp, tp + fp),
      medianDelayMs: quantile(delays, 0.5),
      p90DelayMs: quantile(delays, 0.9),
      detectors: expected,
    });
  }
  allDelays.sort((a, b) => a - b);
  const detectors: DetectorScore[] = [...detectorCounts.entries()]
    .sort((a, b) => a[0].localeCompare(b[0]))
    .map(([detector, c]) => ({
      detector,
      anomalies: c.anomalies,
      explained: c.explained,
      precision: ratio(c.explained, c.anomalies),
    }));
  return {
    types,
    detectors,
    overall: {
      labels: scoredLabels,
      detected: scoredDetected,
      recall: ratio(scoredDetected, scoredLabels),
      anomalies: counted,
      explained: explainedCount,
      precision: ratio(explainedCount, counted),
      medianDelayMs: quantile(allDelays, 0.5),
      startupAnomalies: startup,
    },
    deadLetters: deadLetters.length,
    missed,
    unexplained,
  };
}
