/**
 * The alarm history record: one per change of an alarm (state, severity, flapping,
 * shelving/silencing), with the alarm as it is after the change. This is what
 * `alarms.jsonl` holds and what the history store indexes.
 */
import type { AlarmSnapshot, AlarmState } from "../notification.js";

/**
 * What changed:
 * - `opened`: the alarm became active (a new episode; `from` is null or a cleared state)
 * - `escalated` / `de-escalated`: its current severity went up / down while active
 * - `acknowledged`: an operator acknowledged it (`by`)
 * - `cleared`: its condition has been normal for the hysteresis time
 * - `flapping-started` / `flapping-ended`: too many changes in the flapping window / calm again
 * - `suppressed` / `unsuppressed`: a shelve or silence began / ended while the alarm was open
 */
export type TransitionKind =
  | "opened"
  | "escalated"
  | "de-escalated"
  | "acknowledged"
  | "cleared"
  | "flapping-started"
  | "flapping-ended"
  | "suppressed"
  | "unsuppressed";

/** Why the notifications of a transition are held back. */
export interface HeldBy {
  readonly reason: "flapping" | "shelved" | "silenced";
  /** The shelve or silence id (absent for flapping). */
  readonly id?: string;
  /** Who shelved or silenced, and why. */
  readonly user?: string;
  readonly comment?: string;
  /** Event time the hold ends (shelve/silence), epoch ms. */
  readonly until?: number;
}

/** One change of one alarm. */
export interface AlarmTransition {
  /**
   * Deterministic: `<alarmId>|<activeSince>|<n>` (the n-th change of the episode), or
   * `<alarmId>|<activeSince>|<kind>|<shelve or silence id>` for suppression changes.
   */
  readonly id: string;
  readonly alarmId: string;
  readonly kind: TransitionKind;
  readonly from: AlarmState | null;
  readonly to: AlarmState;
  /** Event time of the change, epoch ms. */
  readonly at: number;
  /** The alarm after the change. */
  readonly alarm: AlarmSnapshot;
  /** Who did it and why (acknowledge, shelve, silence). */
  readonly by?: { readonly user: string; readonly comment: string };
  /** Set when notifications for this change are held, with why. */
  readonly held?: HeldBy;
  /** A human sentence about the change when the kind alone does not say it. */
  readonly note?: string;
}

/** True for ACTIVE_UNACK and ACTIVE_ACK. */
export function isActive(state: AlarmState): boolean {
  return state === "ACTIVE_UNACK" || state === "ACTIVE_ACK";
}
