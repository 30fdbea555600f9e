/**
 * The faults the simulator injects, the mix they are drawn from, and the ground-truth
 * label written for each one.
 */
import type { SensorType } from "../reading/reading.js";

/** Every fault the simulator can inject. */
export const FAULT_TYPES = [
  "spike",
  "drift",
  "stuck",
  "offline",
  "noisy",
  "quality",
  "shutdown",
  "clock-skew",
  "out-of-order",
  "late",
  "duplicate",
  "malformed",
] as const;
export type FaultType = (typeof FAULT_TYPES)[number];

/**
 * The `fault` of a label: the fault type, except that one `shutdown` (a machine
 * stopping and starting again) is labelled twice, as its two transitions.
 */
export type LabelType = Exclude<FaultType, "shutdown"> | "equipment-shutdown" | "equipment-startup";

/** Every label type, in report order. */
export const LABEL_TYPES: readonly LabelType[] = [
  "spike",
  "drift",
  "stuck",
  "offline",
  "noisy",
  "quality",
  "equipment-shutdown",
  "equipment-startup",
  "clock-skew",
  "out-of-order",
  "late",
  "duplicate",
  "malformed",
];

/** Relative weights of the fault types; a type left out (or weight 0) is never injected. */
export type FaultMix = Readonly<Partial<Record<FaultType, number>>>;

/** The mix used unless one is given. */
export const DEFAULT_FAULT_MIX: FaultMix = Object.freeze({
  spike: 3,
  drift: 2,
  stuck: 2,
  offline: 2,
  noisy: 1,
  quality: 2,
  shutdown: 1,
  "clock-skew": 0.5,
  "out-of-order": 1,
  late: 0.5,
  duplicate: 1,
  malformed: 1,
});

/**
 * Parses a fault mix from the command line: `default`, `none`, `all` (every type,
 * weight 1), or a comma-separated list of `type` (weight 1) and `type=weight`
 * (`spike=3,drift,offline=0.5`). Throws a `RangeError` naming the bad item.
 */
export function parseFaultMix(text: string): FaultMix {
  const trimmed = text.trim();
  if (trimmed === "default") return DEFAULT_FAULT_MIX;
  if (trimmed === "none" || trimmed === "") return Object.freeze({});
  if (trimmed === "all") return Object.freeze(Object.fromEntries(FAULT_TYPES.map((t) => [t, 1])));
  const mix: Partial<Record<FaultType, number>> = {};
  for (const item of trimmed.split(",")) {
    const [rawName, rawWeight, extra] = item.split("=").map((s) => s.trim());
    const name = rawName ?? "";
    if (!(FAULT_TYPES as readonly string[]).includes(name)) {
      throw new RangeError(
        `unknown fault "${name}"; expected one of ${FAULT_TYPES.join(", ")} (or default, none, all)`,
      );
    }
    const weight = rawWeight === undefined ? 1 : Number(rawWeight);
    if (extra !== undefined || !Number.isFinite(weight) || weight < 0 || rawWeight === "") {
      throw new RangeError(`fault "${item.trim()}": expected ${name}=<weight ≥ 0>`);
    }
    mix[name as FaultType] = weight;
  }
  return Object.freeze(mix);
}

/**
 * The ground truth of one injected fault, one JSON line in the labels file. Sensor
 * faults name the sensor; machine faults (`equipment-*`) have `sensor_id` and
 * `sensor_type` null. `start_ms`/`end_ms` (and `start`/`end`, ISO-8601 UTC) span the
 * affected readings by their true (undistorted) time: for a spike the spiked
 * readings, for offline the first and last missing reading, for a transition the
 * machine's ramp. `params` holds the fault's size, in the unit of the sensor's
 * primary value unless the name says otherwise (`*_ms`, `*_share`, `factor`).
 */
export interface FaultLabel {
  readonly id: string;
  readonly fault: LabelType;
  readonly sensor_id: string | null;
  readonly sensor_type: SensorType | null;
  readonly equipment_id: string;
  readonly facility_id: string;
  readonly start_ms: number;
  readonly end_ms: number;
  readonly start: string;
  readonly end: string;
  readonly params: Readonly<Record<string, number | string>>;
}
