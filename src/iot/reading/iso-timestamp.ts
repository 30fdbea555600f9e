/**
 * A strict, allocation-free parser of ISO-8601 / RFC 3339 date-times that carry a zone.
 * It replaces `Date.parse`, which accepts zone-less strings (as local time) and many
 * non-ISO forms.
 */

/**
 * Parses `YYYY-MM-DDTHH:MM[:SS[.fff…]](Z|±HH:MM)` to epoch milliseconds, or `NaN`.
 *
 * The separator may be `T`, `t` or a space; `Z` may be lower case. Fractions of any
 * length are accepted and truncated to milliseconds. Calendar dates are checked (no
 * February 30th); hours 00–23, minutes and seconds 00–59 (no leap second); offsets up
 * to ±23:59. A string without a zone designator is refused: its instant is unknown.
 */
export function parseIsoTimestamp(s: string): number {
  return parseIsoTimestampIn(s, 0, s.length);
}

/**
 * {@link parseIsoTimestamp} of `s.slice(start, end)`, without making that slice (for
 * parsers that read a timestamp out of a larger text). `0 <= start <= end <= s.length`.
 */
export function parseIsoTimestampIn(s: string, start: number, end: number): number {
  const n = end - start;
  if (n < 17 || n > 40) return Number.NaN;
  const b = start;
  if (s.charCodeAt(b + 4) !== 45 || s.charCodeAt(b + 7) !== 45) return Number.NaN;
  const sep = s.charCodeAt(b + 10);
  if (sep !== 84 && sep !== 116 && sep !== 32) return Number.NaN;
  if (s.charCodeAt(b + 13) !== 58) return Number.NaN;
  const year = digits4(s, b);
  const month = digits2(s, b + 5);
  const day = digits2(s, b + 8);
  const hour = digits2(s, b + 11);
  const minute = digits2(s, b + 14);
  if (year < 0 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23) return Number.NaN;
  if (minute < 0 || minute > 59 || day > daysInMonth(year, month)) return Number.NaN;
  let i = b + 16;
  let second = 0;
  let ms = 0;
  if (i < end && s.charCodeAt(i) === 58) {
    if (i + 3 > end) return Number.NaN;
    second = digits2(s, i + 1);
    if (second < 0 || second > 59) return Number.NaN;
    i += 3;
    if (i < end && s.charCodeAt(i) === 46) {
      i++;
      const first = i;
      let scale = 100;
      while (i < end) {
        const d = s.charCodeAt(i) - 48;
        if (d < 0 || d > 9) break;
        ms += d * scale;
        scale /= 10;
        i++;
      }
      if (i === first) return Number.NaN;
      ms = Math.floor(ms);
    }
  }
  if (i >= end) return Number.NaN;
  const z = s.charCodeAt(i);
  let offsetMinutes = 0;
  if (z === 90 || z === 122) {
    if (i + 1 !== end) return Number.NaN;
  } else if (z === 43 || z === 45) {
    if (i + 6 !== end || s.charCodeAt(i + 3) !== 58) return Number.NaN;
    const oh = digits2(s, i + 1);
    const om = digits2(s, i + 4);
    if (oh < 0 || oh > 23 || om < 0 || om > 59) return Number.NaN;
    offsetMinutes = z === 43 ? oh * 60 + om : -(oh * 60 + om);
  } else {
    return Number.NaN;
  }
  const days = daysFromCivil(year, month, day);
  return (
    days * 86_400_000 + hour * 3_600_000 + (minute - offsetMinutes) * 60_000 + second * 1000 + ms
  );
}

/**
 * Whether `s` looks like a date-time that lacks a zone designator (for the message of a
 * rejected timestamp): it ends in a digit.
 */
export function lacksZone(s: string): boolean {
  const c = s.charCodeAt(s.length - 1);
  return s.length >= 16 && c >= 48 && c <= 57 && s.charCodeAt(4) === 45;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm). */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

function digits2(s: string, i: number): number {
  const a = s.charCodeAt(i) - 48;
  const b = s.charCodeAt(i + 1) - 48;
  // Written so that NaN (past the end of the string) also fails.
  if (!(a >= 0 && a <= 9 && b >= 0 && b <= 9)) return -1;
  return a * 10 + b;
}

function digits4(s: string, i: number): number {
  const hi = digits2(s, i);
  const lo = digits2(s, i + 2);
  return hi < 0 || lo < 0 ? -1 : hi * 100 + lo;
}
