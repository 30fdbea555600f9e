/**
 * A shift calendar compiled to a lookup table: the shift name of every local minute.
 */
import {
  minutesOfDay,
  type ShiftDefinition,
  UNSCHEDULED_SHIFT,
} from "../metadata/shift-definition.js";

const compiled = new WeakMap<readonly ShiftDefinition[], readonly string[]>();

/**
 * The shift of each minute of the local day (index 0 = 00:00, 1439 = 23:59): a shift
 * covers `[start, end)`, wrapping past midnight when `end` ≤ `start`; minutes no shift
 * covers are `unscheduled`. When shifts overlap (validated calendars never do), the later
 * one wins. Tables are cached per calendar array.
 */
export function shiftTable(shifts: readonly ShiftDefinition[]): readonly string[] {
  let table = compiled.get(shifts);
  if (table !== undefined) return table;
  const minutes = new Array<string>(1440).fill(UNSCHEDULED_SHIFT);
  for (const shift of shifts) {
    const start = minutesOfDay(shift.start);
    const end = minutesOfDay(shift.end);
    if (start < 0 || end < 0 || start === end) continue;
    const length = end > start ? end - start : end + 1440 - start;
    for (let k = 0; k < length; k++) minutes[(start + k) % 1440] = shift.name;
  }
  table = Object.freeze(minutes);
  compiled.set(shifts, table);
  return table;
}
