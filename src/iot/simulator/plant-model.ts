/**
 * The simulated plant: facilities (each with a time zone, production lines and a
 * shift calendar), machines on each line, and one sensor of every type per machine,
 * with the physical constants, noise levels and alert thresholds their values are
 * generated from. Built from a seed: the same options give the same plant.
 */
import { DEFAULT_SHIFTS, type ShiftDefinition } from "../metadata/shift-definition.js";
import { type AlertThresholds, SENSOR_TYPES, type SensorType } from "../reading/reading.js";
import { EQUIPMENT_CLASSES, type EquipmentClass } from "./equipment-classes.js";
import { Prng } from "./prng.js";

/** How a facility's devices write `timestamp`: ISO-8601 UTC, ISO-8601 with the local offset, or epoch ms. */
export type TimestampStyle = "iso-utc" | "iso-offset" | "epoch-ms";

/** One simulated facility. */
export interface SimFacility {
  readonly index: number;
  readonly id: string;
  readonly name: string;
  readonly location: string;
  /** IANA time zone; shifts and the daily temperature cycle follow its local time. */
  readonly timezone: string;
  readonly lines: readonly string[];
  /** The facility's own calendar, or `null` for the default (morning, afternoon, night). */
  readonly shifts: readonly ShiftDefinition[] | null;
  /** Production load per shift name (0–1); `weekendFactor` scales it on Saturday and Sunday. */
  readonly shiftLoad: Readonly<Record<string, number>>;
  readonly weekendFactor: number;
  /** Mean outdoor-driven ambient temperature, °C, and its daily swing (±). */
  readonly ambientMean: number;
  readonly ambientSwing: number;
  readonly timestampStyle: TimestampStyle;
}

/** One simulated machine. */
export interface SimEquipment {
  readonly index: number;
  readonly id: string;
  readonly facility: number;
  readonly line: string;
  readonly kind: EquipmentClass;
  /** This machine's share of its facility's production load (0.85–1.1). */
  readonly loadFactor: number;
  /** Size of this machine relative to its class (0.8–1.2): scales power, flow, vibration. */
  readonly size: number;
  /** Indices of its sensors in `Plant.sensors`. */
  readonly sensors: readonly number[];
}

/** One simulated sensor and the constants of its values. */
export interface SimSensor {
  readonly index: number;
  readonly id: string;
  readonly type: SensorType;
  readonly equipment: number;
  readonly facility: number;
  /** Where in each reading interval it reports, as a fraction of the interval (0–1). */
  readonly phase: number;
  /** Standard deviation of its measurement noise, in the unit of its primary value. */
  readonly noise: number;
  /** The range of its primary value while its machine runs normally. */
  readonly normalMin: number;
  readonly normalMax: number;
  /** `normalMax − normalMin`: the yardstick of fault sizes. */
  readonly scale: number;
  readonly thresholds: AlertThresholds;
  readonly maintenanceSchedule: string;
  readonly calibrationDate: string;
  /** Vibration only: how the magnitude splits over x, y, z (unit vector). */
  readonly axes: readonly [number, number, number];
}

/** A whole simulated plant; immutable, so one plant can be simulated many times. */
export interface Plant {
  readonly seed: number | string;
  readonly facilities: readonly SimFacility[];
  readonly equipment: readonly SimEquipment[];
  readonly sensors: readonly SimSensor[];
}

/** Options of `createPlant`. */
export interface PlantOptions {
  /** Number of facilities, 1–99. Default 2. */
  readonly facilities?: number;
  /** Number of sensors in all, ≥ 1; five per machine (one of each type). Default 100. */
  readonly sensors?: number;
  /** Production lines per facility, 1–26. Default 3. */
  readonly linesPerFacility?: number;
  /** Seed of every random choice. Default 1. */
  readonly seed?: number | string;
}

/** Drive of a running machine at the lowest and highest load (`0.2 + 0.8 × load`, load 0.25–1). */
export const MIN_RUNNING_DRIVE = 0.4;
/** Standby power of a machine that is off, W. */
export const STANDBY_WATTS = 40;

const SITES: readonly (readonly [string, string, string, number])[] = [
  ["Berlin Works", "Berlin, DE", "Europe/Berlin", 21],
  ["Brooklyn Plant", "New York, US", "America/New_York", 22],
  ["Pune Works", "Pune, IN", "Asia/Kolkata", 28],
  ["Monterrey Plant", "Monterrey, MX", "America/Monterrey", 27],
  ["Suzhou Factory", "Suzhou, CN", "Asia/Shanghai", 24],
  ["Lyon Site", "Lyon, FR", "Europe/Paris", 21],
  ["Nagoya Plant", "Nagoya, JP", "Asia/Tokyo", 23],
  ["Campinas Works", "Campinas, BR", "America/Sao_Paulo", 25],
  ["Adelaide Works", "Adelaide, AU", "Australia/Adelaide", 22],
];

const TWELVE_HOUR_SHIFTS: readonly ShiftDefinition[] = Object.freeze([
  Object.freeze({ name: "day", start: "07:00", end: "19:00" }),
  Object.freeze({ name: "night", start: "19:00", end: "07:00" }),
]);

const SHIFT_LOAD = Object.freeze({
  morning: 0.95,
  afternoon: 0.85,
  night: 0.6,
  day: 0.9,
  unscheduled: 0.4,
});

const STYLES: readonly TimestampStyle[] = ["iso-utc", "iso-offset", "epoch-ms"];

const TYPE_CODE: Record<SensorType, string> = {
  temperature: "TEMP",
  vibration: "VIB",
  pressure: "PRES",
  power: "PWR",
  generic: "GEN",
};

const CLASS_CODE: Record<string, string> = {
  reactor: "RCT",
  pump: "PMP",
  compressor: "CMP",
  press: "PRS",
  conveyor: "CNV",
  mixer: "MIX",
};

const SCHEDULES = ["weekly", "monthly", "quarterly", "every 2000 operating hours"];

function intOption(name: string, value: number | undefined, fallback: number, max: number) {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < 1 || v > max) {
    throw new RangeError(`createPlant: ${name} must be an integer from 1 to ${max}, got ${v}`);
  }
  return v;
}

const round = (v: number, digits: number) => Number(v.toFixed(digits));

function facilityOf(index: number, rng: Prng, lineCount: number): SimFacility {
  const site = SITES[index % SITES.length]!;
  const round_ = Math.floor(index / SITES.length);
  const suffix = round_ === 0 ? "" : ` ${round_ + 1}`;
  const shifts = index % SITES.length === 1 ? TWELVE_HOUR_SHIFTS : null;
  return Object.freeze({
    index,
    id: `FAC-${String(index + 1).padStart(2, "0")}`,
    name: `${site[0]}${suffix}`,
    location: site[1],
    timezone: site[2],
    lines: Object.freeze(Array.from({ length: lineCount }, (_, i) => `L${i + 1}`)),
    shifts,
    shiftLoad: SHIFT_LOAD,
    weekendFactor: 0.7,
    ambientMean: site[3] + rng.range(-1, 1),
    ambientSwing: rng.range(2, 4),
    timestampStyle: STYLES[index % STYLES.length]!,
  });
}

/** Normal running range and alert thresholds of a sensor of `type` on a machine. */
function rangesOf(
  type: SensorType,
  kind: EquipmentClass,
  size: number,
  facility: SimFacility,
): { min: number; max: number; thresholds: AlertThresholds } {
  const d0 = MIN_RUNNING_DRIVE;
  switch (type) {
    case "temperature": {
      const min = facility.ambientMean - facility.ambientSwing - 2 + kind.temperatureRise * d0;
      const max = facility.ambientMean + facility.ambientSwing + 2 + kind.temperatureRise;
      const s = max - min;
      return {
        min,
        max,
        thresholds: {
          warning_min: round(min - 0.25 * s, 1),
          warning_max: round(max + 0.15 * s, 1),
          critical_min: round(min - 0.5 * s, 1),
          critical_max: round(max + 0.35 * s, 1),
        },
      };
    }
    case "vibration": {
      const min = kind.vibration * size * d0;
      const max = kind.vibration * size;
      const s = max - min;
      return {
        min,
        max,
        thresholds: { warning_max: round(max + 0.3 * s, 3), critical_max: round(max + 0.8 * s, 3) },
      };
    }
    case "pressure": {
      const min = kind.pressureBase + kind.pressureRange * d0;
      const max = kind.pressureBase + kind.pressureRange;
      const s = max - min;
      return {
        min,
        max,
        thresholds: {
          warning_min: round(min - 0.3 * s, 1),
          warning_max: round(max + 0.25 * s, 1),
          critical_min: round(min - 0.8 * s, 1),
          critical_max: round(max + 0.6 * s, 1),
        },
      };
    }
    case "power": {
      const rated = kind.ratedPower * size;
      const min = STANDBY_WATTS + rated * d0;
      const max = STANDBY_WATTS + rated;
      return {
        min,
        max,
        thresholds: {
          warning_max: Math.round(rated * 1.12),
          critical_max: Math.round(rated * 1.3),
        },
      };
    }
    case "generic": {
      const min = kind.generic * 0.775;
      const max = kind.generic;
      const s = max - min;
      return {
        min,
        max,
        thresholds: { warning_max: round(max + 0.3 * s, 1), critical_max: round(max + 0.8 * s, 1) },
      };
    }
  }
}

function noiseOf(type: SensorType, kind: EquipmentClass, size: number, rng: Prng): number {
  switch (type) {
    case "temperature":
      return rng.range(0.15, 0.4);
    case "vibration":
      return kind.vibration * size * rng.range(0.025, 0.04);
    case "pressure":
      return (kind.pressureBase + kind.pressureRange) * rng.range(0.003, 0.006);
    case "power":
      return kind.ratedPower * size * rng.range(0.006, 0.01);
    case "generic":
      return kind.generic * rng.range(0.001, 0.002);
  }
}

/**
 * Builds a plant: `facilities` facilities with `linesPerFacility` production lines
 * each, ⌈`sensors` / 5⌉ machines spread round-robin over facilities and lines (class
 * drawn from the seed), and one sensor of each type per machine in the order
 * temperature, vibration, pressure, power, generic (the last machine may have fewer).
 * Ids: facilities `FAC-01`; machines `FAC-01-PMP-007`; sensors `FAC-01-PMP-007-TEMP`.
 * Throws a `RangeError` for an option out of range.
 */
export function createPlant(options: PlantOptions = {}): Plant {
  const facilityCount = intOption("facilities", options.facilities, 2, 99);
  const sensorCount = intOption("sensors", options.sensors, 100, 10_000_000);
  const lineCount = intOption("linesPerFacility", options.linesPerFacility, 3, 26);
  const seed = options.seed ?? 1;
  const rng = new Prng(seed).fork("plant");
  const facilities = Array.from({ length: facilityCount }, (_, i) => facilityOf(i, rng, lineCount));
  const equipmentCount = Math.ceil(sensorCount / SENSOR_TYPES.length);
  const perFacility = new Array<number>(facilityCount).fill(0);
  const equipment: SimEquipment[] = [];
  const sensors: SimSensor[] = [];
  const calibrationBase = Date.UTC(2025, 0, 1);
  for (let e = 0; e < equipmentCount; e++) {
    const f = e % facilityCount;
    const facility = facilities[f]!;
    const n = perFacility[f]!;
    perFacility[f] = n + 1;
    const kind = rng.pick(EQUIPMENT_CLASSES);
    const size = rng.range(0.8, 1.2);
    const id = `${facility.id}-${CLASS_CODE[kind.name] ?? "EQP"}-${String(n + 1).padStart(3, "0")}`;
    const mine: number[] = [];
    for (const type of SENSOR_TYPES) {
      if (sensors.length >= sensorCount) break;
      const { min, max, thresholds } = rangesOf(type, kind, size, facility);
      const a = [rng.range(0.2, 1), rng.range(0.2, 1), rng.range(0.2, 1)];
      const norm = Math.hypot(a[0]!, a[1]!, a[2]!);
      const calibration = new Date(calibrationBase + rng.int(365) * 86_400_000);
      mine.push(sensors.length);
      sensors.push(
        Object.freeze({
          index: sensors.length,
          id: `${id}-${TYPE_CODE[type]}`,
          type,
          equipment: e,
          facility: f,
          phase: rng.next(),
          noise: noiseOf(type, kind, size, rng),
          normalMin: min,
          normalMax: max,
          scale: max - min,
          thresholds: Object.freeze(thresholds),
          maintenanceSchedule: rng.pick(SCHEDULES),
          calibrationDate: calibration.toISOString().slice(0, 10),
          axes: Object.freeze([a[0]! / norm, a[1]! / norm, a[2]! / norm] as const),
        }),
      );
    }
    equipment.push(
      Object.freeze({
        index: e,
        id,
        facility: f,
        line: facility.lines[n % facility.lines.length]!,
        kind,
        loadFactor: rng.range(0.85, 1.1),
        size,
        sensors: Object.freeze(mine),
      }),
    );
  }
  return Object.freeze({
    seed,
    facilities: Object.freeze(facilities),
    equipment: Object.freeze(equipment),
    sensors: Object.freeze(sensors),
  });
}

/** The facility's shift calendar (its own, or the default). */
export function shiftsOf(facility: SimFacility): readonly ShiftDefinition[] {
  return facility.shifts ?? DEFAULT_SHIFTS;
}
