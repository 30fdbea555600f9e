/**
 * The `sensorTypeStats` aggregator: count, mean, minimum and maximum of the primary
 * value per sensor type, in one small accumulator (five slots, whatever the window's
 * size), so a facility's window needs no child aggregator per type.
 */
import { type Aggregator, SnapshotError } from "../../engine/index.js";
import { SENSOR_TYPES, type SensorType } from "../reading/reading.js";

/** The statistics of one sensor type in a window. */
export interface SensorTypeStats {
  /** Readings of this type (with a finite primary value). */
  readonly count: number;
  /** Mean of their primary values. */
  readonly avg: number;
  readonly min: number;
  readonly max: number;
}

/** Per sensor type present in the window, its statistics; types without readings are absent. */
export type SensorTypeStatsResult = Partial<Record<SensorType, SensorTypeStats>>;

/** One slot per entry of `SENSOR_TYPES`. */
export interface SensorTypeStatsAcc {
  readonly count: number[];
  /** Neumaier-compensated sum: `sum + compensation` is the running total. */
  readonly sum: number[];
  readonly compensation: number[];
  /** `Infinity` / `-Infinity` while the slot is empty. */
  readonly min: number[];
  readonly max: number[];
}

const SLOTS = SENSOR_TYPES.length;
const INDEX: Readonly<Record<string, number>> = Object.fromEntries(
  SENSOR_TYPES.map((type, i) => [type, i]),
);

function empty(): SensorTypeStatsAcc {
  return {
    count: new Array<number>(SLOTS).fill(0),
    sum: new Array<number>(SLOTS).fill(0),
    compensation: new Array<number>(SLOTS).fill(0),
    min: new Array<number>(SLOTS).fill(Number.POSITIVE_INFINITY),
    max: new Array<number>(SLOTS).fill(Number.NEGATIVE_INFINITY),
  };
}

function addToSum(acc: SensorTypeStatsAcc, i: number, value: number): void {
  const sum = acc.sum[i]!;
  const total = sum + value;
  acc.compensation[i]! +=
    Math.abs(sum) >= Math.abs(value) ? sum - total + value : value - total + sum;
  acc.sum[i] = total;
}

/**
 * Count, mean, min and max of `value` per sensor type (`type`). A record whose type is
 * `null` or not one of `SENSOR_TYPES`, or whose value is not a finite number, is
 * skipped. Counts, min and max merge exactly; the mean uses compensated summation, so
 * merged panes agree with one pass to within rounding.
 *
 * Result: an object with one entry per type that had readings, in `SENSOR_TYPES`
 * order; `{}` when empty.
 */
export function sensorTypeStats<In>(
  type: (record: In) => SensorType | null,
  value: (record: In) => number,
): Aggregator<In, SensorTypeStatsAcc, SensorTypeStatsResult> {
  return {
    create: empty,
    add(acc, record) {
      const t = type(record);
      if (t === null) return acc;
      const i = INDEX[t];
      const v = value(record);
      if (i === undefined || !Number.isFinite(v)) return acc;
      acc.count[i]!++;
      addToSum(acc, i, v);
      if (v < acc.min[i]!) acc.min[i] = v;
      if (v > acc.max[i]!) acc.max[i] = v;
      return acc;
    },
    merge(into, from) {
      for (let i = 0; i < SLOTS; i++) {
        if (from.count[i] === 0) continue;
        into.count[i]! += from.count[i]!;
        addToSum(into, i, from.sum[i]!);
        into.compensation[i]! += from.compensation[i]!;
        if (from.min[i]! < into.min[i]!) into.min[i] = from.min[i]!;
        if (from.max[i]! > into.max[i]!) into.max[i] = from.max[i]!;
      }
      return into;
    },
    result(acc) {
      const out: Partial<Record<SensorType, SensorTypeStats>> = {};
      for (let i = 0; i < SLOTS; i++) {
        const n = acc.count[i]!;
        if (n === 0) continue;
        out[SENSOR_TYPES[i]!] = {
          count: n,
          avg: (acc.sum[i]! + acc.compensation[i]!) / n,
          min: acc.min[i]! + 0, // -0 → 0, as the built-ins report it
          max: acc.max[i]! + 0,
        };
      }
      return out;
    },
    // One entry per type: [count, sum, compensation, min, max], or null when empty
    // (JSON has no Infinity).
    snapshot(acc) {
      const out: Record<string, number[]> = {};
      for (let i = 0; i < SLOTS; i++) {
        if (acc.count[i] === 0) continue;
        out[SENSOR_TYPES[i]!] = [
          acc.count[i]!,
          acc.sum[i]!,
          acc.compensation[i]!,
          acc.min[i]!,
          acc.max[i]!,
        ];
      }
      return out;
    },
    restore(snapshot) {
      if (typeof snapshot !== "object" || snapshot === null || Array.isArray(snapshot)) {
        throw new SnapshotError("malformed sensorTypeStats snapshot: expected an object");
      }
      const acc = empty();
      for (const [name, entry] of Object.entries(snapshot)) {
        const i = INDEX[name];
        if (
          i === undefined ||
          !Array.isArray(entry) ||
          entry.length !== 5 ||
          !entry.every((x) => typeof x === "number" && Number.isFinite(x)) ||
          !Number.isSafeInteger(entry[0]) ||
          entry[0] < 1
        ) {
          throw new SnapshotError(
            `malformed sensorTypeStats snapshot: bad entry ${JSON.stringify(name)}`,
          );
        }
        const [n, sum, compensation, low, high] = entry as [number, number, number, number, number];
        acc.count[i] = n;
        acc.sum[i] = sum;
        acc.compensation[i] = compensation;
        acc.min[i] = low;
        acc.max[i] = high;
      }
      return acc;
    },
  };
}
