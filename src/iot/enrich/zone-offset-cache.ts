/**
 * UTC offsets of one IANA time zone, cached per UTC hour so that converting an instant
 * to local time costs a Map lookup and some arithmetic instead of an `Intl` call.
 */

const HOUR = 3_600_000;
const MAX_BUCKETS = 100_000;

/**
 * The offset of `timeZone` at any instant. Each UTC hour's offset is computed once with
 * `Intl.DateTimeFormat`, at the hour's first and last millisecond: when they agree, the
 * offset holds for the whole hour (zones change offset at most once in an hour) and is
 * cached; when they differ, the hour contains a transition (a DST switch) and instants
 * in it are computed exactly, one by one. So offsets are right on both sides of a
 * transition, also in zones whose switches fall on the half hour. The cache holds up to
 * 100,000 hours per zone (11 years), then starts over.
 */
export class ZoneOffsetCache {
  readonly timeZone: string;
  readonly #utc: boolean;
  readonly #format: Intl.DateTimeFormat | undefined;
  readonly #hours = new Map<number, number>();
  #lastHour = Number.NaN;
  #lastOffset = 0;

  /** Throws a `RangeError` if `Intl` does not know `timeZone`. */
  constructor(timeZone: string) {
    this.timeZone = timeZone;
    this.#utc = timeZone === "UTC" || timeZone === "Etc/UTC";
    this.#format = this.#utc
      ? undefined
      : new Intl.DateTimeFormat("en-US", {
          timeZone,
          hourCycle: "h23",
          year: "numeric",
          month: "numeric",
          day: "numeric",
          hour: "numeric",
          minute: "numeric",
          second: "numeric",
        });
  }

  /** Local time minus UTC at `time` (epoch ms), in ms: +3,600,000 for CET. */
  offsetAt(time: number): number {
    if (this.#utc) return 0;
    const hour = Math.floor(time / HOUR);
    if (hour === this.#lastHour) return this.#lastOffset;
    let offset = this.#hours.get(hour);
    if (offset === undefined) {
      const first = this.exactOffset(hour * HOUR);
      const last = this.exactOffset(hour * HOUR + HOUR - 1);
      offset = first === last ? first : Number.NaN;
      if (this.#hours.size >= MAX_BUCKETS) this.#hours.clear();
      this.#hours.set(hour, offset);
    }
    if (Number.isNaN(offset)) return this.exactOffset(time);
    this.#lastHour = hour;
    this.#lastOffset = offset;
    return offset;
  }

  /** The offset at `time` computed with `Intl`, uncached (to the second). */
  exactOffset(time: number): number {
    if (this.#format === undefined) return 0;
    const whole = Math.floor(time / 1000) * 1000;
    let year = 0;
    let month = 0;
    let day = 0;
    let hour = 0;
    let minute = 0;
    let second = 0;
    for (const part of this.#format.formatToParts(whole)) {
      switch (part.type) {
        case "year":
          year = Number(part.value);
          break;
        case "month":
          month = Number(part.value);
          break;
        case "day":
          day = Number(part.value);
          break;
        case "hour":
          hour = Number(part.value);
          break;
        case "minute":
          minute = Number(part.value);
          break;
        case "second":
          second = Number(part.value);
          break;
      }
    }
    return Date.UTC(year, month - 1, day, hour, minute, second) - whole;
  }
}
