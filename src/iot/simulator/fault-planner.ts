/**
 * Plans the faults of a simulation ahead of the data: how many (a Poisson draw from
 * the rate), which kind (the mix), on which sensor or machine, when and how big.
 * Faults never overlap on one sensor or machine, keep a cool-down between them, stay
 * out of the warm-up and end well before the run does, so each label describes one
 * clean event.
 */
import {
  DEFAULT_FAULT_MIX,
  FAULT_TYPES,
  type FaultLabel,
  type FaultMix,
  type FaultType,
} from "./fault-types.js";
import type { Plant } from "./plant-model.js";
import type { Prng } from "./prng.js";

/** How faults are injected. */
export interface FaultOptions {
  /** Relative weights of the fault types. Default `DEFAULT_FAULT_MIX`. */
  readonly mix?: FaultMix;
  /** Faults per sensor per hour of simulated time, all types together. Default 0.5. */
  readonly ratePerSensorHour?: number;
  /** No fault starts in the first `warmupMs` of the run (detectors learn their baselines). Default 600,000. */
  readonly warmupMs?: number;
  /** Quiet time on a sensor or machine after one fault's effects before the next may start. Default 600,000. */
  readonly cooldownMs?: number;
  /** When the run's end is known, faults end at least this long before it. Default 300,000. */
  readonly tailMs?: number;
}

/** One planned fault, as the generator applies it. Times are true (nominal) event times, ms. */
export interface PlannedFault {
  readonly id: string;
  readonly type: FaultType;
  /** Sensor index, or −1 for a machine fault (`shutdown`). */
  readonly sensor: number;
  readonly equipment: number;
  readonly start: number;
  readonly end: number;
  /** Direction of an offset: −1 or +1. */
  readonly sign: number;
  /**
   * The size: offset (spike, drift final), noise factor (noisy), skew ms (clock-skew,
   * signed), low-quality share (quality), delay ms (late, largest delay for
   * out-of-order and duplicate).
   */
  readonly magnitude: number;
  /** `shutdown` only: when the ramp down ends and the ramp up starts. */
  readonly downEnd: number;
  readonly upStart: number;
  /** Until when the fault's effects last (a late delivery arrives after `end`). */
  readonly effectsEnd: number;
}

const MINUTE = 60_000;

/** Resolved fault options. */
interface Settings {
  readonly types: readonly FaultType[];
  readonly cumulative: readonly number[];
  readonly rate: number;
  readonly warmupMs: number;
  readonly cooldownMs: number;
  readonly tailMs: number;
}

function settingsOf(options: FaultOptions): Settings {
  const mix = options.mix ?? DEFAULT_FAULT_MIX;
  const types: FaultType[] = [];
  const cumulative: number[] = [];
  let total = 0;
  for (const type of FAULT_TYPES) {
    const w = mix[type] ?? 0;
    if (!(w >= 0) || !Number.isFinite(w)) {
      throw new RangeError(`fault mix: ${type} must be a weight ≥ 0, got ${w}`);
    }
    if (w === 0) continue;
    total += w;
    types.push(type);
    cumulative.push(total);
  }
  const rate = options.ratePerSensorHour ?? 0.5;
  if (!(rate >= 0) || !Number.isFinite(rate)) {
    throw new RangeError(`faults: ratePerSensorHour must be a number ≥ 0, got ${rate}`);
  }
  const check = (name: string, v: number) => {
    if (!(v >= 0) || !Number.isFinite(v)) {
      throw new RangeError(`faults: ${name} must be a number of ms ≥ 0, got ${v}`);
    }
    return v;
  };
  return {
    types,
    cumulative: cumulative.map((c) => c / total),
    rate: types.length === 0 ? 0 : rate,
    warmupMs: check("warmupMs", options.warmupMs ?? 10 * MINUTE),
    cooldownMs: check("cooldownMs", options.cooldownMs ?? 10 * MINUTE),
    tailMs: check("tailMs", options.tailMs ?? 5 * MINUTE),
  };
}

/**
 * Plans faults segment by segment, in time order (`plan` must be called with
 * consecutive ranges). Deterministic for a given plant, options, generator and call
 * sequence.
 */
export class FaultPlanner {
  readonly #plant: Plant;
  readonly #s: Settings;
  readonly #rng: Prng;
  readonly #startMs: number;
  readonly #intervalMs: number;
  readonly #runEnd: number;
  readonly #sensorBusy: Float64Array;
  readonly #equipmentBusy: Float64Array;
  /** Latest end (plus cool-down) of any sensor fault on each machine: a shutdown waits for it. */
  readonly #equipmentSensorsBusy: Float64Array;
  #seq = 0;

  constructor(
    plant: Plant,
    options: FaultOptions,
    rng: Prng,
    startMs: number,
    intervalMs: number,
    runEnd: number,
  ) {
    this.#plant = plant;
    this.#s = settingsOf(options);
    this.#rng = rng;
    this.#startMs = startMs;
    this.#intervalMs = intervalMs;
    this.#runEnd = runEnd;
    this.#sensorBusy = new Float64Array(plant.sensors.length);
    this.#equipmentBusy = new Float64Array(plant.equipment.length);
    this.#equipmentSensorsBusy = new Float64Array(plant.equipment.length);
  }

  /** Faults starting in `[from, to)`, sorted by start. */
  plan(from: number, to: number): PlannedFault[] {
    const s = this.#s;
    const rng = this.#rng;
    const sensors = this.#plant.sensors.length;
    const mean = (s.rate * sensors * (to - from)) / 3_600_000;
    const n = rng.poisson(mean);
    const candidates: { type: FaultType; at: number }[] = [];
    for (let i = 0; i < n; i++) {
      const u = rng.next();
      let k = 0;
      while (k < s.cumulative.length - 1 && u >= s.cumulative[k]!) k++;
      candidates.push({ type: s.types[k]!, at: from + rng.next() * (to - from) });
    }
    candidates.sort((a, b) => a.at - b.at);
    const planned: PlannedFault[] = [];
    for (const c of candidates) {
      if (c.at < this.#startMs + s.warmupMs) continue;
      for (let attempt = 0; attempt < 5; attempt++) {
        const fault =
          c.type === "shutdown" ? this.#shutdown(c.at) : this.#sensorFault(c.type, c.at);
        if (fault !== null) {
          planned.push(fault);
          break;
        }
      }
    }
    return planned;
  }

  #fits(end: number): boolean {
    return end + this.#s.tailMs <= this.#runEnd;
  }

  #nextId(): string {
    this.#seq++;
    return `F${String(this.#seq).padStart(6, "0")}`;
  }

  #sensorFault(type: FaultType, at: number): PlannedFault | null {
    const rng = this.#rng;
    const plant = this.#plant;
    const sensor = plant.sensors[rng.int(plant.sensors.length)]!;
    const e = sensor.equipment;
    const interval = this.#intervalMs;
    // Align to the sensor's own reading grid: the first reading at or after `at`.
    const offset = this.#startMs + Math.floor(sensor.phase * interval);
    const start = offset + Math.ceil((at - offset) / interval) * interval;
    if (start < this.#sensorBusy[sensor.index]! || start < this.#equipmentBusy[e]!) return null;
    const minutes = (a: number, b: number) => Math.round(rng.range(a, b) * MINUTE);
    const seconds = (a: number, b: number) => Math.round(rng.range(a, b) * 1000);
    let span = 0;
    let magnitude = 0;
    let sign = rng.sign();
    let tail = 0;
    switch (type) {
      case "spike": {
        const u = rng.next();
        span = (u < 0.7 ? 0 : u < 0.9 ? 1 : 2) * interval;
        magnitude = rng.range(0.3, 1) * sensor.scale;
        break;
      }
      case "drift":
        span = minutes(5, 20);
        magnitude = rng.range(0.3, 0.8) * sensor.scale;
        break;
      case "stuck":
      case "offline":
        span = minutes(2, 10);
        break;
      case "noisy":
        span = minutes(2, 10);
        magnitude = rng.range(5, 15);
        break;
      case "quality":
        span = minutes(3, 15);
        magnitude = rng.range(0.5, 0.9);
        break;
      case "clock-skew":
        span = minutes(2, 10);
        magnitude = sign * seconds(5, 120);
        break;
      case "out-of-order":
        span = seconds(10, 60);
        magnitude = rng.range(2, 5) * interval;
        tail = magnitude;
        break;
      case "late":
        span = seconds(10, 60);
        magnitude = seconds(30, 180);
        tail = magnitude;
        break;
      case "duplicate":
        span = seconds(10, 60);
        magnitude = 3 * interval;
        tail = magnitude;
        break;
      case "malformed":
        span = seconds(5, 20);
        break;
      case "shutdown":
        return null;
    }
    if (type !== "drift" && type !== "spike" && type !== "clock-skew") sign = 1;
    // The last affected reading on the grid.
    const end = start + Math.floor(span / interval) * interval;
    const effectsEnd = end + tail;
    if (!this.#fits(effectsEnd)) return null;
    const busy = effectsEnd + this.#s.cooldownMs;
    this.#sensorBusy[sensor.index] = busy;
    if (busy > this.#equipmentSensorsBusy[e]!) this.#equipmentSensorsBusy[e] = busy;
    return {
      id: this.#nextId(),
      type,
      sensor: sensor.index,
      equipment: e,
      start,
      end,
      sign,
      magnitude,
      downEnd: end,
      upStart: end,
      effectsEnd,
    };
  }

  #shutdown(at: number): PlannedFault | null {
    const rng = this.#rng;
    const e = rng.int(this.#plant.equipment.length);
    const start = Math.round(at);
    if (start < this.#equipmentBusy[e]! || start < this.#equipmentSensorsBusy[e]!) return null;
    const downEnd = start + Math.round(rng.range(30, 90) * 1000);
    const upStart = downEnd + Math.round(rng.range(5, 20) * MINUTE);
    const end = upStart + Math.round(rng.range(60, 180) * 1000);
    if (!this.#fits(end)) return null;
    this.#equipmentBusy[e] = end + this.#s.cooldownMs;
    return {
      id: this.#nextId(),
      type: "shutdown",
      sensor: -1,
      equipment: e,
      start,
      end,
      sign: -1,
      magnitude: 0,
      downEnd,
      upStart,
      effectsEnd: end,
    };
  }

  /** The ground-truth labels of a planned fault: one, or two for a shutdown (down and up). */
  labelsOf(f: PlannedFault): FaultLabel[] {
    const plant = this.#plant;
    const equipment = plant.equipment[f.equipment]!;
    const facility = plant.facilities[equipment.facility]!;
    const label = (
      id: string,
      fault: FaultLabel["fault"],
      start: number,
      end: number,
      params: Record<string, number | string>,
    ): FaultLabel => {
      const sensor = f.sensor >= 0 ? plant.sensors[f.sensor]! : null;
      return {
        id,
        fault,
        sensor_id: sensor?.id ?? null,
        sensor_type: sensor?.type ?? null,
        equipment_id: equipment.id,
        facility_id: facility.id,
        start_ms: start,
        end_ms: end,
        start: new Date(start).toISOString(),
        end: new Date(end).toISOString(),
        params,
      };
    };
    const r = (v: number) => Number(v.toPrecision(4));
    switch (f.type) {
      case "shutdown":
        return [
          label(`${f.id}-down`, "equipment-shutdown", f.start, f.downEnd, {
            off_ms: f.upStart - f.downEnd,
          }),
          label(`${f.id}-up`, "equipment-startup", f.upStart, f.end, {
            off_ms: f.upStart - f.downEnd,
          }),
        ];
      case "spike":
        return [label(f.id, "spike", f.start, f.end, { offset: r(f.sign * f.magnitude) })];
      case "drift":
        return [label(f.id, "drift", f.start, f.end, { final_offset: r(f.sign * f.magnitude) })];
      case "noisy":
        return [label(f.id, "noisy", f.start, f.end, { factor: r(f.magnitude) })];
      case "quality":
        return [label(f.id, "quality", f.start, f.end, { low_share: r(f.magnitude) })];
      case "clock-skew":
        return [label(f.id, "clock-skew", f.start, f.end, { skew_ms: f.magnitude })];
      case "late":
        return [label(f.id, "late", f.start, f.end, { delay_ms: f.magnitude })];
      case "out-of-order":
      case "duplicate":
        return [label(f.id, f.type, f.start, f.end, { max_delay_ms: Math.round(f.magnitude) })];
      default:
        return [label(f.id, f.type, f.start, f.end, {})];
    }
  }
}
