/**
 * Typed names of side outputs. A step writes records of type `T` to a tag; the
 * stream's `sideOutput(tag)` reads them as their own stream.
 */

/** The name and record type of a side output. */
export class OutputTag<T> {
  declare readonly __type?: T;
  constructor(readonly id: string) {
    Object.freeze(this);
  }
}

/** Why a record left the main stream. */
export type DeadLetterReason = "step-error" | "invalid-timestamp" | (string & {});

/**
 * A record a step could not process. It is counted in the step's metrics and
 * available on the step's `deadLetters()` stream: never dropped in silence.
 */
export interface DeadLetter {
  readonly step: string;
  readonly reason: DeadLetterReason;
  readonly message: string;
  readonly value: unknown;
  readonly time: number;
}

/** Why a record was too late. */
export type LateReason = "window-closed" | "join-expired" | (string & {});

/**
 * A record that arrived too late to be processed: for a window step, after the
 * watermark had passed the end plus the allowed lateness of every window it
 * belongs to (`window-closed`); for an interval join, behind the watermark, when
 * partners it should have met may already be evicted (`join-expired`).
 */
export interface LateRecord<T> {
  readonly step: string;
  readonly reason: LateReason;
  readonly value: T;
  readonly time: number;
  readonly watermark: number;
}

/** The side output of every step that rejects records. */
export const DEAD_LETTERS = new OutputTag<DeadLetter>("dead-letters");
