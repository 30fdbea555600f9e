/**
 * How a step derives event times and watermarks.
 */

/**
 * Event-time settings of a source, or of a `withEventTime` step.
 *
 * The watermark of each source partition is the largest event time seen minus
 * `maxOutOfOrderness`; the step's watermark is the minimum over partitions. A
 * partition that delivered nothing for `idleTimeout` ms of processing time stops
 * holding the watermark back. When every partition is idle and `advanceWhenQuiet`
 * is on, the watermark moves on with processing time (the last watermark plus the
 * time since the last arrival), so windows still close and silence is noticed; a
 * record that then arrives behind the watermark is late, never dropped unseen.
 */
export interface WatermarkOptions<T> {
  /**
   * Event time of a record, in epoch milliseconds. A result that is not a finite
   * number sends the record to the dead-letter output with reason
   * `invalid-timestamp`. Default: the time the record already carries (for a
   * source: the time the source reports, or else the arrival time).
   */
  readonly timestamp?: (value: T) => number;
  /** Bounded disorder, in ms. Default 0. */
  readonly maxOutOfOrderness?: number;
  /** Processing time after which a silent partition is idle, in ms. Default 30 000. */
  readonly idleTimeout?: number;
  /** Advance the watermark with processing time when every partition is idle. Default true. */
  readonly advanceWhenQuiet?: boolean;
}

/** Validated, defaulted watermark options. */
export interface ResolvedWatermarkOptions {
  readonly timestamp: ((value: unknown) => number) | undefined;
  readonly maxOutOfOrderness: number;
  readonly idleTimeout: number;
  readonly advanceWhenQuiet: boolean;
}

/** Applies defaults and checks ranges; throws a `RangeError` naming the field. */
export function resolveWatermarkOptions<T>(
  step: string,
  options: WatermarkOptions<T> = {},
): ResolvedWatermarkOptions {
  const maxOutOfOrderness = options.maxOutOfOrderness ?? 0;
  const idleTimeout = options.idleTimeout ?? 30_000;
  if (!(maxOutOfOrderness >= 0)) {
    throw new RangeError(
      `step "${step}": maxOutOfOrderness must be >= 0 ms, got ${maxOutOfOrderness}`,
    );
  }
  if (!(idleTimeout > 0)) {
    throw new RangeError(`step "${step}": idleTimeout must be > 0 ms, got ${idleTimeout}`);
  }
  return {
    timestamp: options.timestamp as ((value: unknown) => number) | undefined,
    maxOutOfOrderness,
    idleTimeout,
    advanceWhenQuiet: options.advanceWhenQuiet ?? true,
  };
}
