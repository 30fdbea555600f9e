/**
 * Operator commands: acknowledge an alarm, shelve or silence alarms by matcher for a
 * time, end a shelve or silence early. Every command says who and why, and takes
 * effect at its own event time `at`, so a replay of the same commands gives the same
 * history.
 */
import type { AlarmMatcher } from "../matcher.js";

/** Acknowledge one alarm: ACTIVE_UNACK → ACTIVE_ACK, CLEARED_UNACK → CLEARED_ACK. */
export interface AcknowledgeCommand {
  readonly kind: "acknowledge";
  readonly alarmId: string;
  readonly user: string;
  readonly comment: string;
  /** Event time the operator acknowledged, epoch ms. */
  readonly at: number;
}

/**
 * Shelve or silence the alarms `matcher` selects during `[startsAt, endsAt)` of event
 * time. Both hold notifications; transitions still happen and are recorded, marked
 * `held`. A shelve is the operator's "not now" for alarms they know about (ISA-18.2),
 * a silence is planned suppression such as maintenance (Alertmanager); they differ
 * only in the reason recorded. `id` names it for `unshelve` / `unsilence`; a second
 * command with the same id replaces the first.
 */
export interface SuppressCommand {
  readonly kind: "shelve" | "silence";
  readonly id: string;
  readonly matcher: AlarmMatcher;
  readonly user: string;
  readonly comment: string;
  readonly at: number;
  readonly startsAt: number;
  readonly endsAt: number;
}

/** Ends shelve or silence `id` at `at` (if it would end later). */
export interface UnsuppressCommand {
  readonly kind: "unshelve" | "unsilence";
  readonly id: string;
  readonly user: string;
  readonly comment: string;
  readonly at: number;
}

export type AlarmCommand = AcknowledgeCommand | SuppressCommand | UnsuppressCommand;

/** Commands that act on shelves and silences (handled by the router, not the lifecycle). */
export type SuppressionCommand = SuppressCommand | UnsuppressCommand;

/** Whether `c` is a shelve/silence command or their undoing. */
export function isSuppressionCommand(c: AlarmCommand): c is SuppressionCommand {
  return c.kind !== "acknowledge";
}
