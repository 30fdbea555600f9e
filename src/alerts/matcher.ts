/**
 * Matchers: which alarms a priority rule, a route, a silence or a shelve applies to.
 * A matcher is plain data (it comes from configuration and operator commands); it is
 * compiled once into a predicate.
 */
import { type AlarmSource, LABEL, severityRank } from "./alarm-signal.js";
import type { AlarmSeverity } from "./notification.js";

/**
 * How one label (or the source id) must look: a string is equality, a list is "one
 * of", `{ regex }` a JavaScript regular expression that must match somewhere in the
 * value (anchor it with `^…$` for a whole match), `{ not }` "none of". A missing label
 * matches only `{ not }`.
 */
export type LabelMatch =
  | string
  | readonly string[]
  | { readonly regex: string }
  | { readonly not: string | readonly string[] };

/**
 * Conditions on an alarm; all given conditions must hold, so `{}` matches every
 * alarm. `facility`, `equipment` and `sensor` are shorthands for those labels.
 */
export interface AlarmMatcher {
  readonly alarmId?: string | readonly string[];
  readonly type?: string | readonly string[];
  readonly sourceKind?: AlarmSource["kind"] | readonly AlarmSource["kind"][];
  /** The source id (sensor id, equipment id, job name). */
  readonly source?: LabelMatch;
  readonly facility?: LabelMatch;
  readonly equipment?: LabelMatch;
  readonly sensor?: LabelMatch;
  /** One severity or a list. */
  readonly severity?: AlarmSeverity | readonly AlarmSeverity[];
  /** This severity or worse. */
  readonly minSeverity?: AlarmSeverity;
  /** Priority at least this (inclusive). Never matches while the priority is being computed. */
  readonly minPriority?: number;
  /** Priority at most this (inclusive). */
  readonly maxPriority?: number;
  /** Score at least this; never matches an alarm snapshot (which has no score). */
  readonly minScore?: number;
  readonly labels?: Readonly<Record<string, LabelMatch>>;
}

/** What a matcher looks at: a signal being prioritised or an alarm snapshot. */
export interface MatchSubject {
  readonly alarmId: string;
  readonly type: string;
  readonly source: AlarmSource;
  readonly severity: AlarmSeverity;
  readonly priority?: number;
  readonly score?: number;
  readonly labels: Readonly<Record<string, string>>;
}

/** A compiled matcher. */
export type MatchPredicate = (subject: MatchSubject) => boolean;

/** A matcher that cannot be compiled; `path` names the field at fault. */
export class MatcherError extends Error {
  override readonly name = "MatcherError";
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(`${path}: ${message}`);
  }
}

type ValueTest = (value: string | undefined) => boolean;

function list<T>(value: T | readonly T[]): readonly T[] {
  return Array.isArray(value) ? (value as readonly T[]) : [value as T];
}

function labelTest(match: LabelMatch, path: string): ValueTest {
  if (typeof match === "string") return (v) => v === match;
  if (Array.isArray(match)) {
    const set = new Set(match as readonly string[]);
    return (v) => v !== undefined && set.has(v);
  }
  if (match !== null && typeof match === "object") {
    if ("regex" in match && typeof match.regex === "string") {
      let re: RegExp;
      try {
        re = new RegExp(match.regex);
      } catch (error) {
        throw new MatcherError(
          `${path}.regex`,
          `invalid regular expression: ${(error as Error).message}`,
        );
      }
      return (v) => v !== undefined && re.test(v);
    }
    if ("not" in match) {
      const set = new Set(list(match.not));
      return (v) => v === undefined || !set.has(v);
    }
  }
  throw new MatcherError(path, "expected a string, a list of strings, { regex } or { not }");
}

/**
 * Compiles `matcher` into a predicate. Throws a {@link MatcherError} naming the
 * field (under `path`) when a regular expression is invalid or a field has the wrong
 * shape.
 */
export function compileMatcher(matcher: AlarmMatcher = {}, path = "match"): MatchPredicate {
  const tests: MatchPredicate[] = [];
  const m = matcher;
  if (m.alarmId !== undefined) {
    const ids = new Set(list(m.alarmId));
    tests.push((s) => ids.has(s.alarmId));
  }
  if (m.type !== undefined) {
    const types = new Set(list(m.type));
    tests.push((s) => types.has(s.type));
  }
  if (m.sourceKind !== undefined) {
    const kinds = new Set<string>(list(m.sourceKind));
    tests.push((s) => kinds.has(s.source.kind));
  }
  if (m.source !== undefined) {
    const t = labelTest(m.source, `${path}.source`);
    tests.push((s) => t(s.source.id));
  }
  const labels: [string, LabelMatch, string][] = [];
  if (m.facility !== undefined) labels.push([LABEL.facility, m.facility, `${path}.facility`]);
  if (m.equipment !== undefined) labels.push([LABEL.equipment, m.equipment, `${path}.equipment`]);
  if (m.sensor !== undefined) labels.push([LABEL.sensor, m.sensor, `${path}.sensor`]);
  for (const [name, match] of Object.entries(m.labels ?? {})) {
    labels.push([name, match, `${path}.labels.${name}`]);
  }
  for (const [name, match, where] of labels) {
    const t = labelTest(match, where);
    tests.push((s) => t(s.labels[name]));
  }
  if (m.severity !== undefined) {
    const severities = new Set<string>(list(m.severity));
    tests.push((s) => severities.has(s.severity));
  }
  if (m.minSeverity !== undefined) {
    const rank = severityRank(m.minSeverity);
    if (rank < 0)
      throw new MatcherError(`${path}.minSeverity`, "expected low, medium, high or critical");
    tests.push((s) => severityRank(s.severity) >= rank);
  }
  if (m.minPriority !== undefined) {
    const min = m.minPriority;
    tests.push((s) => s.priority !== undefined && s.priority >= min);
  }
  if (m.maxPriority !== undefined) {
    const max = m.maxPriority;
    tests.push((s) => s.priority !== undefined && s.priority <= max);
  }
  if (m.minScore !== undefined) {
    const min = m.minScore;
    tests.push((s) => s.score !== undefined && s.score >= min);
  }
  if (tests.length === 0) return () => true;
  return (s) => {
    for (const t of tests) if (!t(s)) return false;
    return true;
  };
}
