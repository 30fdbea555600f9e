/**
 * Shift calendars of a facility: named spans of local wall-clock time.
 */
import { describe, fieldError, type RecordContext } from "./record-fields.js";

/**
 * One shift: local times `HH:MM` (24 h). `end` is exclusive and may be `24:00`; a shift
 * whose `end` is earlier than its `start` crosses midnight (`22:00`–`06:00`).
 */
export interface ShiftDefinition {
  readonly name: string;
  readonly start: string;
  readonly end: string;
}

/** The calendar of a facility that defines none: morning 06–14, afternoon 14–22, night 22–06. */
export const DEFAULT_SHIFTS: readonly ShiftDefinition[] = Object.freeze([
  Object.freeze({ name: "morning", start: "06:00", end: "14:00" }),
  Object.freeze({ name: "afternoon", start: "14:00", end: "22:00" }),
  Object.freeze({ name: "night", start: "22:00", end: "06:00" }),
]);

/** The name of local times that no shift of a calendar covers. */
export const UNSCHEDULED_SHIFT = "unscheduled";

/** Minutes after local midnight of `HH:MM` (00:00–24:00), or -1 if malformed. */
export function minutesOfDay(hhmm: string): number {
  if (hhmm.length !== 5 || hhmm.charCodeAt(2) !== 58) return -1;
  const h = Number(hhmm.slice(0, 2));
  const m = Number(hhmm.slice(3));
  if (!Number.isInteger(h) || !Number.isInteger(m) || h < 0 || m < 0 || m > 59) return -1;
  if (h > 24 || (h === 24 && m !== 0)) return -1;
  return h * 60 + m;
}

/**
 * Validates a shift calendar: a non-empty array of `{ name, start, end }` with
 * well-formed times, `start` ≠ `end`, `start` not `24:00`, and no two shifts
 * overlapping. Local times left uncovered are `unscheduled`.
 */
export function validateShifts(value: unknown, ctx: RecordContext): readonly ShiftDefinition[] {
  if (!Array.isArray(value) || value.length === 0) {
    fieldError(
      ctx,
      "shifts",
      `expected a non-empty array of {name, start, end}, got ${describe(value)}`,
    );
  }
  const covered = new Array<string | undefined>(1440);
  const shifts: ShiftDefinition[] = [];
  for (const [i, item] of value.entries()) {
    const path = `shifts[${i}]`;
    if (typeof item !== "object" || item === null || Array.isArray(item)) {
      fieldError(ctx, path, `expected an object {name, start, end}, got ${describe(item)}`);
    }
    const shift = item as Record<string, unknown>;
    if (typeof shift.name !== "string" || shift.name.trim() === "") {
      fieldError(ctx, `${path}.name`, `expected a non-empty string, got ${describe(shift.name)}`);
    }
    const name = shift.name.trim();
    const start = typeof shift.start === "string" ? shift.start : "";
    const end = typeof shift.end === "string" ? shift.end : "";
    const s = minutesOfDay(start);
    const e = minutesOfDay(end);
    if (s < 0 || s === 1440) {
      fieldError(
        ctx,
        `${path}.start`,
        `expected HH:MM from 00:00 to 23:59, got ${describe(shift.start)}`,
      );
    }
    if (e < 0) {
      fieldError(
        ctx,
        `${path}.end`,
        `expected HH:MM from 00:00 to 24:00, got ${describe(shift.end)}`,
      );
    }
    if (s === e)
      fieldError(ctx, path, `start and end are both ${start}; a shift must have a length`);
    const length = e > s ? e - s : e + 1440 - s;
    for (let k = 0; k < length; k++) {
      const m = (s + k) % 1440;
      const other = covered[m];
      if (other !== undefined) {
        fieldError(
          ctx,
          path,
          `shift ${JSON.stringify(name)} overlaps shift ${JSON.stringify(other)}`,
        );
      }
      covered[m] = name;
    }
    shifts.push(Object.freeze({ name, start, end }));
  }
  return Object.freeze(shifts);
}
