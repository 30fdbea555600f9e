/**
 * Settings of the alarm lifecycle — hysteresis, de-escalation, flapping — with their
 * defaults and checks.
 */

/** Flapping: `transitions` activations and clears within `windowMs` mark an alarm as flapping. */
export interface FlappingConfig {
  readonly enabled: boolean;
  readonly transitions: number;
  readonly windowMs: number;
}

/** Settings of `alarmLifecycle`; see {@link lifecycleDefaults}. */
export interface LifecycleConfig {
  /** Hysteresis: an active alarm clears after this much event time without a signal, ms. */
  readonly clearAfterMs: number;
  /** `clearAfterMs` per alarm type (e.g. longer for `offline`, which fires once per silence). */
  readonly clearAfterMsByType: Readonly<Record<string, number>>;
  /**
   * An active alarm's severity drops to the highest severity signalled within this
   * many ms; `null`: the alarm's clear time.
   */
  readonly deescalateAfterMs: number | null;
  /** An acknowledged alarm that escalates returns to ACTIVE_UNACK and must be acknowledged again. */
  readonly reAlarmOnEscalation: boolean;
  /**
   * Whether the end of a finite input (watermark +∞) runs the hysteresis: off by default,
   * because the input ended, not the conditions; active alarms stay active.
   */
  readonly clearAtEndOfInput: boolean;
  readonly flapping: FlappingConfig;
}

/** Defaults: clear after 60 s, flapping at 6 changes within 10 min. */
export const lifecycleDefaults: LifecycleConfig = Object.freeze({
  clearAfterMs: 60_000,
  clearAfterMsByType: Object.freeze({}),
  deescalateAfterMs: null,
  reAlarmOnEscalation: true,
  clearAtEndOfInput: false,
  flapping: Object.freeze({ enabled: true, transitions: 6, windowMs: 600_000 }),
});

function positive(option: string, value: number): void {
  if (!(typeof value === "number" && value > 0 && Number.isFinite(value))) {
    throw new RangeError(`alarm lifecycle: ${option} must be a number > 0, got ${value}`);
  }
}

/** Checks `config`; throws a `RangeError` naming the option at fault. */
export function checkLifecycleConfig(config: LifecycleConfig): LifecycleConfig {
  positive("clearAfterMs", config.clearAfterMs);
  for (const [type, ms] of Object.entries(config.clearAfterMsByType)) {
    positive(`clearAfterMsByType.${type}`, ms);
  }
  if (config.deescalateAfterMs !== null) positive("deescalateAfterMs", config.deescalateAfterMs);
  if (config.flapping.enabled) {
    positive("flapping.windowMs", config.flapping.windowMs);
    if (!(Number.isInteger(config.flapping.transitions) && config.flapping.transitions >= 2)) {
      throw new RangeError(
        `alarm lifecycle: flapping.transitions must be an integer >= 2, got ${config.flapping.transitions}`,
      );
    }
  }
  return config;
}
