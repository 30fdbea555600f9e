/**
 * The fields every dashboard window record shares: its deterministic id and its
 * bounds, both as ISO-8601 UTC strings (for people and dashboards) and as epoch
 * milliseconds (for sorting and queries).
 */
import type { WindowEmission } from "../../engine/index.js";

/** The bounds of a half-open window `[window_start, window_end)`. */
export interface WindowBounds {
  /** Inclusive start, ISO-8601 UTC (`2024-01-01T00:00:00.000Z`). */
  readonly window_start: string;
  /** Exclusive end, ISO-8601 UTC. */
  readonly window_end: string;
  /** Inclusive start, epoch ms. */
  readonly window_start_ms: number;
  /** Exclusive end, epoch ms. */
  readonly window_end_ms: number;
  /**
   * Why the record was emitted: `final` when the watermark passed `window_end`,
   * `early` for a partial result of an open window, `update` when a late reading
   * within the allowed lateness changed a window already emitted. All three share
   * the window's `id`, so a sink that upserts by `id` keeps the latest.
   */
  readonly emission: WindowEmission;
}

// Every key's window of one slide has the same bounds: formatting them once per slide
// instead of once per record saves the largest part of building a record.
const ISO_CACHE = new Map<number, string>();
const ISO_CACHE_SIZE = 256;

/** `time` (epoch ms) as ISO-8601 UTC, e.g. `2024-01-01T00:00:00.000Z`. */
export function isoTime(time: number): string {
  let iso = ISO_CACHE.get(time);
  if (iso === undefined) {
    iso = new Date(time).toISOString();
    if (ISO_CACHE.size >= ISO_CACHE_SIZE) ISO_CACHE.clear();
    ISO_CACHE.set(time, iso);
  }
  return iso;
}

/** The bounds of window `[start, end)` emitted as `emission`. */
export function windowBounds(start: number, end: number, emission: WindowEmission): WindowBounds {
  return {
    window_start: isoTime(start),
    window_end: isoTime(end),
    window_start_ms: start,
    window_end_ms: end,
    emission,
  };
}

/**
 * The grouping key of a dashboard: its one to three parts joined by `|`, e.g.
 * `plant-1|line-a|morning`. Used for keyBy and inside record ids.
 */
export function groupKey(a: string, b?: string, c?: string): string {
  if (b === undefined) return a;
  return c === undefined ? `${a}|${b}` : `${a}|${b}|${c}`;
}

/** Whether `key` is `groupKey(a, b, c)`, checked without building that string. */
export function isGroupKey(key: string, a: string, b: string, c: string): boolean {
  const sb = a.length + 1;
  const sc = sb + b.length + 1;
  return (
    key.length === sc + c.length &&
    key.charCodeAt(a.length) === BAR &&
    key.charCodeAt(sc - 1) === BAR &&
    key.startsWith(a) &&
    key.startsWith(b, sb) &&
    key.startsWith(c, sc)
  );
}

/** `|`, the separator of `groupKey`. */
const BAR = 0x7c;

/**
 * A window record's id: `<dashboard>|<group key>|<window start, epoch ms>`, e.g.
 * `facility-metrics|plant-1|1704067200000`. The same input always gives the same id,
 * so replays and late updates overwrite rather than duplicate.
 */
export function windowRecordId(dashboard: string, key: string, start: number): string {
  return `${dashboard}|${key}|${start}`;
}
