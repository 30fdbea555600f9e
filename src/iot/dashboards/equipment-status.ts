/**
 * The health status of one equipment's sensor type over a window: degraded (the data
 * cannot be trusted), unstable (the readings swing too much) or healthy.
 */

/** `degraded`, `unstable` or `healthy`; see {@link classifyEquipmentHealth}. */
export type EquipmentHealthStatus = "degraded" | "unstable" | "healthy";

/** Thresholds of {@link classifyEquipmentHealth}; every field is optional. */
export interface EquipmentStatusRules {
  /** Degraded when the mean quality score is strictly below this. Default 0.7. */
  readonly degradedQualityBelow?: number;
  /**
   * Unstable when the sample standard deviation exceeds this multiple of the mean's
   * magnitude (the coefficient of variation). Default 0.2: a temperature of 60 °C
   * swinging by more than 12 °C, a pressure of 100 psi by more than 20 psi.
   */
  readonly unstableCv?: number;
  /**
   * …and also exceeds this absolute value, in the sensor's unit, so that readings
   * near zero (an idle vibration sensor) are not unstable for tiny swings. Default 0.
   */
  readonly unstableMinStddev?: number;
}

/** The defaults of {@link EquipmentStatusRules}. */
export const EQUIPMENT_STATUS_DEFAULTS = Object.freeze({
  degradedQualityBelow: 0.7,
  unstableCv: 0.2,
  unstableMinStddev: 0,
});

/**
 * The status of a window's statistics, checked in this order:
 *
 * 1. `degraded` when `avgQuality < degradedQualityBelow`;
 * 2. `unstable` when `stddev > unstableCv × |avg|` and `stddev > unstableMinStddev`
 *    (a window of one reading has no standard deviation and is never unstable);
 * 3. `healthy` otherwise.
 */
export function classifyEquipmentHealth(
  stats: {
    readonly avg: number | null;
    readonly stddev: number | null;
    readonly avgQuality: number | null;
  },
  rules: EquipmentStatusRules = {},
): EquipmentHealthStatus {
  const degradedBelow =
    rules.degradedQualityBelow ?? EQUIPMENT_STATUS_DEFAULTS.degradedQualityBelow;
  const cv = rules.unstableCv ?? EQUIPMENT_STATUS_DEFAULTS.unstableCv;
  const minStddev = rules.unstableMinStddev ?? EQUIPMENT_STATUS_DEFAULTS.unstableMinStddev;
  if (stats.avgQuality !== null && stats.avgQuality < degradedBelow) return "degraded";
  const { avg, stddev } = stats;
  if (avg !== null && stddev !== null && stddev > cv * Math.abs(avg) && stddev > minStddev) {
    return "unstable";
  }
  return "healthy";
}
