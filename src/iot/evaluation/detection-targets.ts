/**
 * The detection-quality targets of issue 5 and a check of a score against them.
 */
import type { LabelType } from "../simulator/fault-types.js";
import type { DetectionScore } from "./score-detections.js";

/** Lowest acceptable recall per fault type, and lowest overall precision. */
export const DETECTION_TARGETS = Object.freeze({
  recall: Object.freeze({
    spike: 0.95,
    stuck: 0.95,
    offline: 0.95,
    drift: 0.9,
    quality: 0.9,
  }) as Readonly<Partial<Record<LabelType, number>>>,
  precision: 0.9,
});

/**
 * The targets `score` misses, one line each (`drift: recall 0.85 < 0.9`); empty when
 * all are met. A type without labels in the run is reported as unmeasured.
 */
export function missedTargets(
  score: DetectionScore,
  targets: typeof DETECTION_TARGETS = DETECTION_TARGETS,
): string[] {
  const missed: string[] = [];
  for (const [type, min] of Object.entries(targets.recall)) {
    const row = score.types.find((t) => t.fault === type);
    if (row === undefined || row.recall === null) missed.push(`${type}: no labels, not measured`);
    else if (row.recall < min!) missed.push(`${type}: recall ${row.recall.toFixed(3)} < ${min}`);
  }
  const precision = score.overall.precision;
  if (precision === null) missed.push("precision: no anomalies, not measured");
  else if (precision < targets.precision) {
    missed.push(`overall: precision ${precision.toFixed(3)} < ${targets.precision}`);
  }
  return missed;
}
