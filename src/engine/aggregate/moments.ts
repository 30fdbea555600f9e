/**
 * Running mean and sum of squared deviations: Welford's update for one value and the
 * Chan et al. merge of two. Shared by `variance`/`stddev` and `summary`.
 */

/** Count, mean and M2 (sum of squared deviations from the mean). */
export interface Moments {
  n: number;
  mean: number;
  m2: number;
}

/** Adds one finite `value` to `acc` (Welford). */
export function addMoment(acc: Moments, value: number): void {
  const n = acc.n + 1;
  const delta = value - acc.mean;
  const mean = acc.mean + delta / n;
  acc.n = n;
  acc.mean = mean;
  acc.m2 += delta * (value - mean);
}

/** Merges `from` into `into` (Chan et al.). */
export function mergeMoments(into: Moments, from: Moments): void {
  const nb = from.n;
  if (nb === 0) return;
  const na = into.n;
  if (na === 0) {
    into.n = nb;
    into.mean = from.mean;
    into.m2 = from.m2;
    return;
  }
  const n = na + nb;
  const delta = from.mean - into.mean;
  into.n = n;
  into.mean += (delta * nb) / n;
  into.m2 += from.m2 + ((delta * delta * na) / n) * nb;
}
