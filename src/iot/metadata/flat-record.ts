/**
 * Flat records (a CSV row, a database row) turned into the nested shape of the JSON
 * metadata files, so one validator serves every source.
 */
import type { RecordContext } from "./record-fields.js";
import { fieldError } from "./record-fields.js";

/** The three metadata record kinds. */
export type MetadataKind = "facilities" | "sensors" | "equipment";

const BOUNDS = ["warning_min", "warning_max", "critical_min", "critical_max"] as const;

/**
 * Converts a flat row into a JSON-shaped record:
 *
 * - empty strings and `null` are absent;
 * - `warning_min`, `warning_max`, `critical_min`, `critical_max` become
 *   `alert_thresholds`, numeric text becoming numbers (other text is kept, so the
 *   validator reports it);
 * - `production_lines` as text is split on `;` (an array is kept);
 * - `shifts` as text is `name=HH:MM-HH:MM;…` (an array, e.g. from jsonb, is kept);
 * - a `Date` (PostgreSQL `date`) becomes `YYYY-MM-DD` of its local calendar day.
 */
export function unflattenRecord(
  kind: MetadataKind,
  row: Record<string, unknown>,
  ctx: RecordContext,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, raw] of Object.entries(row)) {
    if (raw === null || raw === undefined || raw === "") continue;
    out[key] = raw instanceof Date ? localDate(raw) : raw;
  }
  if (kind === "sensors") {
    const thresholds: Record<string, unknown> = {};
    for (const bound of BOUNDS) {
      const v = out[bound];
      delete out[bound];
      if (v !== undefined) thresholds[bound] = toNumber(v);
    }
    if (Object.keys(thresholds).length > 0) out.alert_thresholds = thresholds;
  }
  if (kind === "facilities") {
    const lines = out.production_lines;
    if (typeof lines === "string") {
      out.production_lines = lines
        .split(";")
        .map((s) => s.trim())
        .filter((s) => s !== "");
    }
    if (typeof out.shifts === "string") out.shifts = parseShiftList(out.shifts, ctx);
  }
  return out;
}

function toNumber(v: unknown): unknown {
  if (typeof v !== "string") return v;
  const n = Number(v.trim());
  return v.trim() !== "" && Number.isFinite(n) ? n : v;
}

function parseShiftList(
  text: string,
  ctx: RecordContext,
): { name: string; start: string; end: string }[] {
  return text
    .split(";")
    .map((s) => s.trim())
    .filter((s) => s !== "")
    .map((item, i) => {
      const eq = item.indexOf("=");
      const dash = item.indexOf("-", eq + 1);
      if (eq <= 0 || dash < 0) {
        fieldError(ctx, `shifts[${i}]`, `expected name=HH:MM-HH:MM, got ${JSON.stringify(item)}`);
      }
      return {
        name: item.slice(0, eq).trim(),
        start: item.slice(eq + 1, dash).trim(),
        end: item.slice(dash + 1).trim(),
      };
    });
}

function localDate(d: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}
