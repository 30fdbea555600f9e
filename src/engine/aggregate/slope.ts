/**
 * The `slope` aggregator: the least-squares rate of change of a numeric field over
 * event time, e.g. how fast a tank level or a bearing temperature is rising.
 *
 * Event times are epoch milliseconds (about 1.7e12), so the textbook sums Σt, Σt² and
 * Σtv would cancel catastrophically. The accumulator instead keeps centred moments
 * (means and co-moments about them, updated online and merged with the Chan et al.
 * formula) and measures time in seconds from the first time it saw.
 */
import type { Aggregator, NumberField } from "./aggregator.js";
import { malformedSnapshot, readCount, readNumber, readObject } from "./read-snapshot.js";

/**
 * The accumulator of {@link slope}. Times are seconds relative to `origin` (epoch ms,
 * the first time seen): `n` points, mean time `meanT`, mean value `meanV`, `m2t` the
 * sum of squared time deviations and `ctv` the sum of time × value deviation products.
 */
export interface SlopeAcc {
  n: number;
  origin: number;
  meanT: number;
  meanV: number;
  m2t: number;
  ctv: number;
}

const NAME = "slope";

/**
 * The slope of the least-squares line through the points (event time, `field`), in
 * value units per second. Records whose value or time is not finite are skipped.
 *
 * Result: the slope; `null` when fewer than 2 points were added or when every point
 * has the same time (the line is vertical). Merging is exact up to rounding: merged
 * panes agree with one-by-one aggregation to about 1e-12 relative.
 */
export function slope<In>(field: NumberField<In>): Aggregator<In, SlopeAcc, number | null> {
  return {
    create: () => ({ n: 0, origin: 0, meanT: 0, meanV: 0, m2t: 0, ctv: 0 }),
    add(acc, record, time) {
      const value = field(record);
      if (!Number.isFinite(value) || !Number.isFinite(time)) return acc;
      if (acc.n === 0) acc.origin = time;
      const t = (time - acc.origin) / 1000;
      const n = acc.n + 1;
      const dt = t - acc.meanT;
      const dv = value - acc.meanV;
      const meanT = acc.meanT + dt / n;
      acc.n = n;
      acc.meanT = meanT;
      acc.meanV += dv / n;
      acc.m2t += dt * (t - meanT);
      acc.ctv += dt * (value - acc.meanV);
      return acc;
    },
    merge(into, from) {
      const nb = from.n;
      if (nb === 0) return into;
      const na = into.n;
      if (na === 0) {
        into.n = nb;
        into.origin = from.origin;
        into.meanT = from.meanT;
        into.meanV = from.meanV;
        into.m2t = from.m2t;
        into.ctv = from.ctv;
        return into;
      }
      const n = na + nb;
      const dt = from.meanT + (from.origin - into.origin) / 1000 - into.meanT;
      const dv = from.meanV - into.meanV;
      const weight = (na * nb) / n;
      into.n = n;
      into.meanT += (dt * nb) / n;
      into.meanV += (dv * nb) / n;
      into.m2t += from.m2t + dt * dt * weight;
      into.ctv += from.ctv + dt * dv * weight;
      return into;
    },
    result: (acc) => (acc.n < 2 || acc.m2t === 0 ? null : acc.ctv / acc.m2t),
    snapshot: (acc) => ({
      n: acc.n,
      origin: acc.origin,
      meanT: acc.meanT,
      meanV: acc.meanV,
      m2t: acc.m2t,
      ctv: acc.ctv,
    }),
    restore(snapshot) {
      const s = readObject(snapshot, NAME);
      const m2t = readNumber(s.m2t, NAME, "m2t");
      if (m2t < 0) throw malformedSnapshot(NAME, `m2t must not be negative, got ${m2t}`);
      return {
        n: readCount(s.n, NAME, "n"),
        origin: readNumber(s.origin, NAME, "origin"),
        meanT: readNumber(s.meanT, NAME, "meanT"),
        meanV: readNumber(s.meanV, NAME, "meanV"),
        m2t,
        ctv: readNumber(s.ctv, NAME, "ctv"),
      };
    },
  };
}
