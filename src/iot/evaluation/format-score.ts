/**
 * The detection-quality report as text: a table per fault type, one per detector,
 * and the overall figures.
 */
import type { DetectionScore } from "./score-detections.js";

const pct = (v: number | null) => (v === null ? "—" : v.toFixed(3));
const secs = (ms: number | null) => (ms === null ? "—" : `${(ms / 1000).toFixed(1)} s`);

function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)];
}

/** Renders `score` as plain-text tables. */
export function formatScore(score: DetectionScore): string {
  const types = table(
    [
      "fault",
      "labels",
      "detected",
      "recall",
      "precision",
      "median delay",
      "p90 delay",
      "detectors",
    ],
    score.types.map((t) => [
      t.fault,
      String(t.labels),
      t.detected === null ? "—" : String(t.detected),
      pct(t.recall),
      pct(t.precision),
      secs(t.medianDelayMs),
      secs(t.p90DelayMs),
      t.detectors.length === 0 ? "(not scored)" : t.detectors.join(", "),
    ]),
  );
  const detectors = table(
    ["detector", "anomalies", "explained", "precision"],
    score.detectors.map((d) => [
      d.detector,
      String(d.anomalies),
      String(d.explained),
      pct(d.precision),
    ]),
  );
  const o = score.overall;
  return [
    ...types,
    "",
    ...detectors,
    "",
    `overall: recall ${pct(o.recall)} (${o.detected} of ${o.labels} scored faults), precision ${pct(o.precision)} (${o.explained} of ${o.anomalies} anomalies explained), median delay ${secs(o.medianDelayMs)}`,
    `not counted: ${o.startupAnomalies} anomalies during the warm-up; dead letters: ${score.deadLetters}`,
  ].join("\n");
}
