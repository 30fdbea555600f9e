/**
 * What window steps emit.
 */
import type { Key } from "../partition.js";

/**
 * Why a window result was emitted: `final` when the watermark passed the window's
 * end; `early` for a periodic partial result before that; `update` when a late
 * record within the allowed lateness changed a window already emitted.
 */
export type WindowEmission = "early" | "final" | "update";

/**
 * The aggregate of one key over one window `[start, end)`. `id` is deterministic
 * (step, key, window start), so sinks can write idempotently: an `update` or a
 * replay after a crash has the same id as the result it replaces. Its event time
 * is `end - 1`.
 */
export interface WindowResult<K extends Key, R> {
  readonly id: string;
  readonly key: K;
  readonly start: number;
  readonly end: number;
  readonly value: R;
  readonly kind: WindowEmission;
}

/** Options shared by every window step. */
export interface WindowOptions {
  /**
   * How long after a window's end (in event time) it still accepts records; each
   * late record within it re-emits the window as an `update`. Default 0.
   */
  readonly allowedLateness?: number;
  /** Emit `early` results of open windows that changed, every this many ms of processing time. */
  readonly earlyUpdates?: number;
}

export function windowId(step: string, key: Key, start: number): string {
  return `${step}|${key}|${start}`;
}
