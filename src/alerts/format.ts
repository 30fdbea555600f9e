/**
 * Small formatters for the sentences alarm management writes (notes, rejections,
 * titles).
 */

/** Epoch ms as ISO-8601 UTC; `+∞`/`-∞` as words. */
export function iso(time: number): string {
  if (time === Number.POSITIVE_INFINITY) return "the end of input";
  if (!Number.isFinite(time)) return String(time);
  return new Date(time).toISOString();
}

/** A duration for people: `750 ms`, `45 s`, `10 min`, `4 h`, `1.5 h`. */
export function duration(ms: number): string {
  const round = (n: number) => String(Number(n.toFixed(1)));
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${round(ms / 1000)} s`;
  if (ms < 3_600_000) return `${round(ms / 60_000)} min`;
  return `${round(ms / 3_600_000)} h`;
}
