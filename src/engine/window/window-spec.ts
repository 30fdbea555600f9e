/**
 * Window definitions: serialisable descriptions that the window operators build
 * from. All windows are half-open `[start, end)` and aligned to the epoch (plus an
 * optional offset), so the same records give the same windows on every machine.
 */
import { PipelineDefinitionError } from "../errors.js";

/** Fixed, non-overlapping windows of `size` ms. */
export interface TumblingWindows {
  readonly kind: "tumbling";
  readonly size: number;
  readonly offset: number;
}

/** Windows of `size` ms starting every `slide` ms (`slide` ≤ `size`). */
export interface SlidingWindows {
  readonly kind: "sliding";
  readonly size: number;
  readonly slide: number;
  readonly offset: number;
}

/**
 * Per-key sessions: a session ends after `gap` ms without a record; with
 * `maxLength`, a session never spans more than that and a later record starts a
 * new one.
 */
export interface SessionWindows {
  readonly kind: "session";
  readonly gap: number;
  readonly maxLength: number;
}

export type WindowSpec = TumblingWindows | SlidingWindows | SessionWindows;

function positiveInteger(what: string, value: number): number {
  if (!Number.isInteger(value) || value <= 0) {
    throw new PipelineDefinitionError(`${what} must be a positive integer of ms, got ${value}`);
  }
  return value;
}

/** Tumbling windows of `size` ms, aligned to the epoch plus `offset`. */
export function tumbling(size: number, options: { offset?: number } = {}): TumblingWindows {
  return Object.freeze({
    kind: "tumbling",
    size: positiveInteger("tumbling window size", size),
    offset: options.offset ?? 0,
  });
}

/** Sliding windows of `size` ms every `slide` ms. `size` need not be a multiple of `slide`. */
export function sliding(options: { size: number; slide: number; offset?: number }): SlidingWindows {
  const size = positiveInteger("sliding window size", options.size);
  const slide = positiveInteger("sliding window slide", options.slide);
  if (slide > size) {
    throw new PipelineDefinitionError(
      `sliding window slide (${slide} ms) must not exceed its size (${size} ms)`,
    );
  }
  return Object.freeze({ kind: "sliding", size, slide, offset: options.offset ?? 0 });
}

/** Session windows closing after `gap` ms of silence, at most `maxLength` ms long. */
export function session(options: { gap: number; maxLength?: number }): SessionWindows {
  const gap = positiveInteger("session gap", options.gap);
  const maxLength =
    options.maxLength === undefined
      ? Number.POSITIVE_INFINITY
      : positiveInteger("session maxLength", options.maxLength);
  return Object.freeze({ kind: "session", gap, maxLength });
}

/** Durations in ms, for readable window definitions. */
export const seconds = (n: number): number => n * 1000;
export const minutes = (n: number): number => n * 60_000;
export const hours = (n: number): number => n * 3_600_000;
