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

// The same on numbers in place: n at `a[i]`, the mean at `a[i + 1]`, M2 at `a[i + 2]`.

/** `addMoment` on the moments at `a[i]`. */
export function addMomentAt(a: number[], i: number, value: number): void {
  const n = a[i]! + 1;
  const delta = value - a[i + 1]!;
  const mean = a[i + 1]! + delta / n;
  a[i] = n;
  a[i + 1] = mean;
  a[i + 2] = a[i + 2]! + delta * (value - mean);
}

/** `mergeMoments` of the moments at `f[fi]` into those at `a[i]`. */
export function mergeMomentsAt(a: number[], i: number, f: readonly number[], fi: number): void {
  const nb = f[fi]!;
  if (nb === 0) return;
  const na = a[i]!;
  if (na === 0) {
    a[i] = nb;
    a[i + 1] = f[fi + 1]!;
    a[i + 2] = f[fi + 2]!;
    return;
  }
  const n = na + nb;
  const delta = f[fi + 1]! - a[i + 1]!;
  a[i] = n;
  a[i + 1] = a[i + 1]! + (delta * nb) / n;
  a[i + 2] = a[i + 2]! + (f[fi + 2]! + ((delta * delta * na) / n) * nb);
}
