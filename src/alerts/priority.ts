/**
 * Alarm priority, 0–100, from configurable rules: points for the severity, points per
 * unit of anomaly score, then rules that add, multiply or set points for alarms that
 * match (equipment criticality and class, facility labels, types, …). Nothing about a
 * plant is hard-coded: the reference article's rule is one configuration of it.
 */
import { type AlarmSignal, alarmIdOf } from "./alarm-signal.js";
import { type AlarmMatcher, compileMatcher, type MatchSubject } from "./matcher.js";
import type { AlarmSeverity } from "./notification.js";

/** A rule applied to alarms that match it, in order: `set`, then `multiply`, then `add`. */
export interface PriorityRule {
  readonly match: AlarmMatcher;
  readonly set?: number;
  readonly multiply?: number;
  readonly add?: number;
}

/** Settings of the priority computation; see {@link priorityDefaults}. */
export interface PriorityConfig {
  /** Points per unit of score. */
  readonly scoreFactor: number;
  /** Points by severity; a severity left out gets 0. */
  readonly severityPoints: Readonly<Partial<Record<AlarmSeverity, number>>>;
  /** Applied in order to the points so far; a rule's `minPriority` sees the points so far. */
  readonly rules: readonly PriorityRule[];
  /** The cap. The result is also at least 0 and rounded down to an integer. */
  readonly max: number;
}

/**
 * Defaults: by severity alone — low 20, medium 50, high 75, critical 95 — so that
 * the default routes send critical alarms to every channel, high ones to Slack and
 * email, and the rest to Slack.
 */
export const priorityDefaults: PriorityConfig = Object.freeze({
  scoreFactor: 0,
  severityPoints: Object.freeze({ low: 20, medium: 50, high: 75, critical: 95 }),
  rules: Object.freeze([]) as readonly PriorityRule[],
  max: 100,
});

/**
 * The reference article's rule as configuration: score × 10, +50 for critical
 * equipment (criticality `critical`, or class `reactor` or `turbine`), +25 for a
 * facility whose id contains `main`, capped at 100.
 */
export const articlePriority: PriorityConfig = Object.freeze({
  scoreFactor: 10,
  severityPoints: Object.freeze({}),
  rules: Object.freeze<PriorityRule[]>([
    { match: { labels: { criticality: "critical" } }, add: 50 },
    {
      match: {
        labels: { criticality: { not: "critical" }, equipment_class: ["reactor", "turbine"] },
      },
      add: 50,
    },
    { match: { facility: { regex: "main" } }, add: 25 },
  ]),
  max: 100,
});

/** Computes a signal's priority. */
export type PriorityFunction = (signal: AlarmSignal) => number;

/** Builds the priority function of `config`; throws a `MatcherError` naming a bad rule. */
export function priorityFunction(config: PriorityConfig = priorityDefaults): PriorityFunction {
  const rules = config.rules.map((rule, i) => ({
    test: compileMatcher(rule.match, `priority.rules[${i}].match`),
    set: rule.set,
    multiply: rule.multiply,
    add: rule.add,
  }));
  const { scoreFactor, severityPoints, max } = config;
  return (signal) => {
    const score = Number.isFinite(signal.score) ? signal.score : 0;
    let points = (severityPoints[signal.severity] ?? 0) + scoreFactor * score;
    if (rules.length > 0) {
      const subject: { -readonly [K in keyof MatchSubject]: MatchSubject[K] } = {
        alarmId: alarmIdOf(signal.type, signal.source),
        type: signal.type,
        source: signal.source,
        severity: signal.severity,
        priority: points,
        score,
        labels: signal.labels,
      };
      for (const rule of rules) {
        subject.priority = points;
        if (!rule.test(subject)) continue;
        if (rule.set !== undefined) points = rule.set;
        if (rule.multiply !== undefined) points *= rule.multiply;
        if (rule.add !== undefined) points += rule.add;
      }
    }
    if (!(points > 0)) return 0;
    return Math.floor(Math.min(points, max));
  };
}
