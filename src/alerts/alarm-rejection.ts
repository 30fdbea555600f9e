/**
 * Inputs alarm management could not use — a malformed command line, a signal without
 * a source, an acknowledgement of an alarm that is not open, a signal that came after
 * its alarm had cleared — as records with a reason, never dropped in silence.
 */

/** Why an input was not used. */
export type AlarmRejectionReason =
  | "invalid-json"
  | "invalid-command"
  | "invalid-signal"
  | "late-signal"
  | "unknown-alarm"
  | "already-acknowledged"
  | "superseded-acknowledgement"
  | "unknown-suppression";

/** An input that was not used, with why. */
export interface AlarmRejection {
  readonly reason: AlarmRejectionReason;
  /** One sentence naming the field or the alarm. */
  readonly message: string;
  /** The raw line (cut at 4 KiB), the command or the signal. */
  readonly input: unknown;
  /** Event time of the input, epoch ms, when it had one. */
  readonly at: number | null;
  /** The step that rejected it. */
  readonly step: string;
}
