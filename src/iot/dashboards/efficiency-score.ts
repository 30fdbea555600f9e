/**
 * The production efficiency score: how much of a line's time its equipment was
 * running, discounted by how much of its data was of optimal quality. The
 * reference article's `optimal_readings / (active_equipment × 10)` has no unit and
 * no bound; this one is a share in [0, 1].
 */

/** The counts the score is computed from, all over one window. */
export interface EfficiencyInputs {
  /** Readings of the window (of the sensor types the dashboard considers). */
  readonly readings: number;
  /** Those with a quality score above the optimal threshold. */
  readonly optimalReadings: number;
  /** Power readings of the window. */
  readonly powerReadings: number;
  /** Power readings above the idle threshold: the equipment was running. */
  readonly runningReadings: number;
}

/** The score and its two factors; each is `null` when its denominator is 0. */
export interface EfficiencyScore {
  /** `optimalReadings / readings`: the share of readings of optimal quality. */
  readonly optimal_share: number | null;
  /**
   * `runningReadings / powerReadings`: the share of power readings above idle. Sensors
   * report at a steady rate, so this is the share of the window's time the line's
   * equipment was running (its utilisation).
   */
  readonly utilization: number | null;
  /**
   * `utilization × optimal_share`, in [0, 1]: 1 when every machine ran all the time
   * and every reading was of optimal quality. `null` when the window had no power
   * reading (utilisation unknown).
   */
  readonly efficiency_score: number | null;
}

/** The efficiency score of a window; see {@link EfficiencyScore} for the formula. */
export function efficiencyScore(inputs: EfficiencyInputs): EfficiencyScore {
  const optimal = inputs.readings > 0 ? inputs.optimalReadings / inputs.readings : null;
  const utilization =
    inputs.powerReadings > 0 ? inputs.runningReadings / inputs.powerReadings : null;
  return {
    optimal_share: optimal,
    utilization,
    efficiency_score: optimal === null || utilization === null ? null : utilization * optimal,
  };
}
