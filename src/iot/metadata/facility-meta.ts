/**
 * A facility's metadata (`facilities.json` / `.csv`) and its validation.
 */
import {
  asRecord,
  describe,
  fieldError,
  type RecordContext,
  requireString,
} from "./record-fields.js";
import { DEFAULT_SHIFTS, type ShiftDefinition, validateShifts } from "./shift-definition.js";

/** One facility. */
export interface FacilityMeta {
  readonly facility_id: string;
  readonly facility_name: string;
  readonly location: string;
  /** IANA time zone (`Europe/Berlin`), accepted by `Intl`. */
  readonly timezone: string;
  readonly production_lines: readonly string[];
  /** The shift calendar; {@link DEFAULT_SHIFTS} when the record defines none. */
  readonly shifts: readonly ShiftDefinition[];
}

/** Whether `Intl` knows the IANA time zone `tz`. */
export function isValidTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** Validates one facility record; throws a `MetadataError` naming the record and field. */
export function validateFacility(value: unknown, ctx: RecordContext): FacilityMeta {
  const o = asRecord(value, ctx);
  const facilityId = requireString(o, "facility_id", ctx);
  ctx.id = `facility_id ${JSON.stringify(facilityId)}`;
  const timezone = requireString(o, "timezone", ctx);
  if (!isValidTimeZone(timezone)) {
    fieldError(
      ctx,
      "timezone",
      `expected an IANA time zone such as "Europe/Berlin", got ${describe(timezone)}`,
    );
  }
  const lines = o.production_lines ?? [];
  if (!Array.isArray(lines)) {
    fieldError(ctx, "production_lines", `expected an array of strings, got ${describe(lines)}`);
  }
  for (const [i, line] of lines.entries()) {
    if (typeof line !== "string" || line.trim() === "") {
      fieldError(
        ctx,
        `production_lines[${i}]`,
        `expected a non-empty string, got ${describe(line)}`,
      );
    }
  }
  const shifts =
    o.shifts === undefined || o.shifts === null ? DEFAULT_SHIFTS : validateShifts(o.shifts, ctx);
  return Object.freeze({
    facility_id: facilityId,
    facility_name: requireString(o, "facility_name", ctx),
    location: requireString(o, "location", ctx),
    timezone,
    production_lines: Object.freeze([...(lines as string[])]),
    shifts,
  });
}
