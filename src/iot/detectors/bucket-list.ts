/**
 * The closed time buckets of the windowed detectors (z-score, trend, quality
 * degradation): `size` numbers per bucket (its payload; the first, its reading count, is
 * never 0), kept in one of two ways depending on how many buckets a window spans.
 *
 * - **Ring** (a window of at most {@link RING_BUCKETS} buckets, e.g. 12 for 2 minutes of
 *   10 s buckets): a region of the key's cold numbers `x` (see `DetectorPart.cold`) with
 *   one place per closed bucket the window can hold (11 there), the bucket starting at
 *   `q × bucketMs` at place `q mod places`. Its start is where it is, so it is not
 *   stored, and all rings of a key are one array of doubles, with no array (and no spare
 *   room) of its own per list. A place whose count is 0 is empty.
 * - **List** (a longer window): an array of its own in a slot of the state, sorted by
 *   start, each bucket its start then its payload, grown as buckets come, so that a
 *   sensor that reads seldom does not pay for places it never fills.
 *
 * Either way a detector visits the buckets oldest first (see `oldestPlace`), as its sums
 * must add them in the same order every time.
 */

import type { PartScope } from "./detector-part.js";

/** Most places a ring of buckets has; a longer window keeps a list. */
export const RING_BUCKETS = 64;

export class BucketLayout {
  /** Whether the buckets are a ring in `x` (else a list in a state slot). */
  readonly ring: boolean;
  /** Places of the ring (0 for a list). */
  readonly places: number;
  /** Numbers the ring takes in `x` (0 for a list): the part's `cold`. */
  readonly ringSize: number;
  /** State slots the buckets take: 1 for a list, 0 for a ring. */
  readonly slots: number;
  /** Numbers per bucket in a list: its start, then its payload. */
  readonly stride: number;
  /** Whole milliseconds: bucket starts and window bounds are exact integers. */
  readonly #exact: boolean;

  constructor(
    /** Numbers of a bucket's payload, its count first. */
    readonly size: number,
    readonly windowMs: number,
    readonly bucketMs: number,
    /** Most places of a ring (tests pass 0 for a list). */
    most = RING_BUCKETS,
  ) {
    // Closed buckets start after `cs − windowMs` and before `cs` (the current bucket's
    // start), on multiples of `bucketMs`: with whole milliseconds, at most
    // ⌈windowMs / bucketMs⌉ − 1 of them, of consecutive indices; otherwise rounding may
    // let in one more.
    const exact = Number.isSafeInteger(windowMs) && Number.isSafeInteger(bucketMs);
    const places = Math.max(1, Math.ceil(windowMs / bucketMs) - (exact ? 1 : 0));
    this.#exact = exact;
    this.ring = places <= most;
    this.places = this.ring ? places : 0;
    this.ringSize = this.places * size;
    this.slots = this.ring ? 0 : 1;
    this.stride = size + 1;
  }

  /** What decides where a bucket lies: a part's `layout` (see `DetectorPart.layout`). */
  get layout(): string {
    return this.ring ? `ring ${this.places} × ${this.bucketMs} ms` : "list";
  }

  /** The index of the bucket starting at `start` (a multiple of `bucketMs`). */
  index(start: number): number {
    return Math.round(start / this.bucketMs);
  }

  /** The place (0 … places − 1) of bucket index `q` in a ring. */
  placeOf(q: number): number {
    const k = q % this.places;
    return k < 0 ? k + this.places : k;
  }

  /**
   * The place of the oldest closed bucket a ring can hold while the current bucket
   * starts at `cs`: the ring's closed buckets are those of indices `qc − places` …
   * `qc − 1`, from this place on in order (wrapping round), each empty or the bucket of
   * its index.
   */
  oldestPlace(cs: number): number {
    return this.placeOf(this.index(cs) - this.places);
  }

  /** Empties the buckets: clears the ring (from `x[c]`), or gives slot `j` an empty list. */
  clear(scope: PartScope, c: number, j: number): void {
    if (this.ring) {
      const x = scope.x;
      if (x !== null) for (let k = c; k < c + this.ringSize; k++) x[k] = 0;
      return;
    }
    const b = scope.s[j] as number[] | null;
    if (b === null) scope.s[j] = [];
    else b.length = 0;
  }

  /**
   * Closes the current bucket (start `cs`, payload `h[at…]`, kept only if its count is
   * not 0) on opening the one at `start`: drops the buckets that start at or before
   * `start − windowMs`, then adds the current one unless it is one of them. With
   * `totals` ≥ 0, `h[totals…]` are the sums of the closed buckets' payloads, kept up
   * to date: only for payloads of integers (counts), whose sums are exact in any order.
   */
  roll(scope: PartScope, at: number, c: number, j: number, cs: number, start: number, totals = -1) {
    const size = this.size;
    const h = scope.h;
    const oldest = start - this.windowMs;
    const keep = h[at] !== 0 && cs > oldest;
    if (this.ring) {
      const places = this.places;
      const qc = this.index(cs);
      const x = scope.x;
      if (x !== null) {
        const qs = this.index(start);
        // The closed buckets are those of qc − places … qc − 1. Out now: those before
        // qs − places (their places are the newer buckets', the current one's first),
        // which with whole milliseconds are exactly those that start at or before
        // `oldest`; otherwise also any that rounding put there.
        const last = this.#exact ? Math.min(qc - 1, qs - places - 1) : qc - 1;
        let q = qc - places;
        let p = c + this.placeOf(q) * size;
        const end = c + this.ringSize;
        for (; q <= last; q++) {
          if (x[p] !== 0 && (q < qs - places || q * this.bucketMs <= oldest)) {
            for (let k = 0; k < size; k++) {
              if (totals >= 0) h[totals + k] = h[totals + k]! - x[p + k]!;
              x[p + k] = 0;
            }
          }
          p += size;
          if (p === end) p = c;
        }
      }
      if (keep) {
        const to = c + this.placeOf(qc) * size;
        const ring = scope.cold();
        for (let k = 0; k < size; k++) {
          ring[to + k] = h[at + k]!;
          if (totals >= 0) h[totals + k] = h[totals + k]! + h[at + k]!;
        }
      }
      return;
    }
    const b = scope.s[j] as number[];
    const stride = this.stride;
    let kept = 0;
    for (let i = 0; i < b.length; i += stride) {
      if (b[i]! <= oldest) {
        if (totals >= 0)
          for (let k = 0; k < size; k++) h[totals + k] = h[totals + k]! - b[i + 1 + k]!;
        continue;
      }
      if (kept !== i) for (let k = 0; k < stride; k++) b[kept + k] = b[i + k]!;
      kept += stride;
    }
    b.length = kept;
    if (keep) {
      b.push(cs);
      for (let k = 0; k < size; k++) {
        b.push(h[at + k]!);
        if (totals >= 0) h[totals + k] = h[totals + k]! + h[at + k]!;
      }
    }
  }

  /**
   * Where the payload of the closed bucket starting at `start` lies (in the array
   * `array` gives), made empty (all 0) first if there is none: for a reading later than
   * its bucket (it starts after the current one's start − `windowMs`).
   */
  bucketAt(scope: PartScope, c: number, j: number, start: number): number {
    if (this.ring) {
      // A ring's place holds this bucket or nothing: stale ones were cleared on rolling.
      scope.cold();
      return c + this.placeOf(this.index(start)) * this.size;
    }
    const b = scope.s[j] as number[];
    const stride = this.stride;
    let i = 0;
    while (i < b.length && b[i]! < start) i += stride;
    if (i < b.length && b[i] === start) return i + 1;
    b.splice(i, 0, start, ...new Array<number>(this.size).fill(0));
    return i + 1;
  }

  /** The array holding the buckets: `x` for a ring (null while all 0), else slot `j`'s list. */
  array(scope: PartScope, j: number): number[] | null {
    return this.ring ? scope.x : (scope.s[j] as number[]);
  }

  /**
   * The closed buckets, oldest first, each as `[start, ...payload]`, while the current
   * bucket starts at `cs`: for tests and inspection (the detectors walk them in place).
   */
  closed(scope: PartScope, c: number, j: number, cs: number): number[][] {
    const out: number[][] = [];
    const size = this.size;
    const b = this.array(scope, j);
    if (b === null) return out;
    if (!this.ring) {
      for (let i = 0; i < b.length; i += this.stride) out.push(b.slice(i, i + this.stride));
      return out;
    }
    for (let q = this.index(cs) - this.places; q < this.index(cs); q++) {
      const p = c + this.placeOf(q) * size;
      if (b[p] !== 0) out.push([q * this.bucketMs, ...b.slice(p, p + size)]);
    }
    return out;
  }
}
