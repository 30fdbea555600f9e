/**
 * Counters each step keeps about itself. Updated per batch, never per record, so
 * they cost nothing on the hot path.
 */

/** A step's counters, readable at any time. */
export interface StepProgress {
  readonly step: string;
  readonly kind: string;
  readonly recordsIn: number;
  readonly recordsOut: number;
  readonly batchesIn: number;
  /** Total time spent in this step's own work (not its downstream), in ms. */
  readonly busyMs: number;
  /** Duration of the most recent batch, in ms. */
  readonly lastBatchMs: number;
  /** Longest batch so far, in ms. */
  readonly maxBatchMs: number;
  /** Current event-time watermark of the step's output (`null` before the first one). */
  readonly watermark: number | null;
  readonly lateRecords: number;
  readonly deadLetters: number;
  /** Number of keys (or entries) held in state; 0 for stateless steps. */
  readonly stateSize: number;
}

/** Mutable counters behind a `StepProgress`. */
export class StepMetrics {
  recordsIn = 0;
  recordsOut = 0;
  batchesIn = 0;
  busyMs = 0;
  lastBatchMs = 0;
  maxBatchMs = 0;
  lateRecords = 0;
  deadLetters = 0;

  constructor(
    readonly step: string,
    readonly kind: string,
  ) {}

  recordBatch(ms: number): void {
    this.batchesIn++;
    this.busyMs += ms;
    this.lastBatchMs = ms;
    if (ms > this.maxBatchMs) this.maxBatchMs = ms;
  }

  read(watermark: number, stateSize: number): StepProgress {
    return {
      step: this.step,
      kind: this.kind,
      recordsIn: this.recordsIn,
      recordsOut: this.recordsOut,
      batchesIn: this.batchesIn,
      busyMs: this.busyMs,
      lastBatchMs: this.lastBatchMs,
      maxBatchMs: this.maxBatchMs,
      watermark: watermark === Number.NEGATIVE_INFINITY ? null : watermark,
      lateRecords: this.lateRecords,
      deadLetters: this.deadLetters,
      stateSize,
    };
  }
}
