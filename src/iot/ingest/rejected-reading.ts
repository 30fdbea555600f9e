/**
 * The dead-letter record of a raw reading the plant pipeline could not use.
 */
import type { ReasonCode } from "../reading/index.js";

/** A raw reading millstream could not use, with why, where it came from and what it was. */
export interface ReadingDeadLetter {
  readonly reason: ReasonCode | string;
  /** The field at fault (`""` for the whole payload). */
  readonly path: string;
  readonly message: string;
  /** The raw payload, cut at 4 KiB. */
  readonly payload: string;
  /**
   * Where the source read it (`readings.jsonl@1042`, `mqtt:plants/f1/TEMP-001`, …),
   * or `null` when the source gives bare strings without a position.
   */
  readonly position: string | null;
  /** The step that rejected it. */
  readonly step: string;
}

/**
 * A rejected reading as the parse step emits it. A class, so the pipeline tells
 * rejects from readings with one `instanceof` instead of a wrapper object per record.
 */
export class RejectedReading implements ReadingDeadLetter {
  constructor(
    readonly reason: ReasonCode | string,
    readonly path: string,
    readonly message: string,
    readonly payload: string,
    readonly position: string | null,
    readonly step: string,
  ) {}
}
