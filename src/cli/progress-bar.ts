/**
 * The progress bar of finite runs (`millstream replay`): a fixed-width bar, the share
 * done, the count and rate, and the time left, on one terminal line.
 */

/** One line like `[==========>         ]  52%  1,234,567 readings  98,765/s  ETA 12 s`. */
export function progressLine(
  done: number,
  total: number,
  records: number,
  seconds: number,
  width = 30,
): string {
  const share = total > 0 ? Math.min(1, done / total) : 0;
  const filled = Math.round(share * width);
  const bar =
    filled >= width
      ? "=".repeat(width)
      : `${"=".repeat(filled)}>${" ".repeat(Math.max(0, width - filled - 1))}`;
  const rate = seconds > 0 ? records / seconds : 0;
  const left = share > 0 && share < 1 ? (seconds * (1 - share)) / share : 0;
  const eta = share >= 1 ? "done" : share > 0 ? `ETA ${formatSeconds(left)}` : "ETA ?";
  return `[${bar}] ${String(Math.floor(share * 100)).padStart(3)}%  ${records.toLocaleString("en")} readings  ${Math.round(rate).toLocaleString("en")}/s  ${eta}`;
}

function formatSeconds(s: number): string {
  if (s < 60) return `${Math.ceil(s)} s`;
  const m = Math.floor(s / 60);
  return `${m} min ${Math.ceil(s - m * 60)} s`;
}
