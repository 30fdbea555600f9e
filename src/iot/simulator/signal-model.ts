/**
 * The physics-like values of a simulated plant. Each facility has a production
 * schedule (its shift calendar and weekends, in local time, followed with a lag of
 * 15 minutes) and an ambient temperature with a daily cycle. Each machine's load is
 * that schedule times its own share plus a slow random wander (an Ornstein–Uhlenbeck
 * process); its drive (0.2 + 0.8 × load while running, 0 when off) sets power,
 * vibration, pressure, flow and speed at once, and its temperature through a
 * three-minute thermal lag. Every sensor adds its own measurement noise.
 */

import { shiftTable } from "../enrich/shift-table.js";
import { ZoneOffsetCache } from "../enrich/zone-offset-cache.js";
import { type Plant, type SimSensor, STANDBY_WATTS, shiftsOf } from "./plant-model.js";
import type { Prng } from "./prng.js";

const DAY = 86_400_000;
const SCHEDULE_LAG_MS = 15 * 60_000;
const THERMAL_LAG_MS = 3 * 60_000;
const WANDER_TIME_MS = 15 * 60_000;
const WANDER_SD = 0.05;
const MIN_LOAD = 0.25;

/**
 * The values of one reading before faults and formatting: `primary` (the type's
 * primary value) and `second` (humidity, flow or voltage; unused for vibration and
 * generic).
 */
export interface Sample {
  primary: number;
  second: number;
}

/** The mutable state of a plant's signals, advanced step by step. */
export class SignalModel {
  readonly #plant: Plant;
  readonly #rng: Prng;
  readonly #zones: ZoneOffsetCache[];
  readonly #shiftTables: (readonly string[])[];
  /** Per facility: schedule level, ambient temperature, humidity base, time of the last step. */
  readonly #schedule: Float64Array;
  readonly #ambient: Float64Array;
  readonly #humidity: Float64Array;
  readonly #lastStep: Float64Array;
  /** Per machine: wander, load, running factor (0 off … 1 on), drive, lagged drive. */
  readonly #wander: Float64Array;
  readonly load: Float64Array;
  /** Set by the fault logic before a step: 1 running, 0 off, in between while ramping. */
  readonly running: Float64Array;
  readonly #drive: Float64Array;
  readonly #thermal: Float64Array;
  readonly #machinesOf: (readonly number[])[];

  constructor(plant: Plant, rng: Prng) {
    this.#plant = plant;
    this.#rng = rng;
    const nf = plant.facilities.length;
    const ne = plant.equipment.length;
    this.#zones = plant.facilities.map((f) => new ZoneOffsetCache(f.timezone));
    this.#shiftTables = plant.facilities.map((f) => shiftTable(shiftsOf(f)));
    this.#schedule = new Float64Array(nf).fill(Number.NaN);
    this.#ambient = new Float64Array(nf);
    this.#humidity = new Float64Array(nf);
    this.#lastStep = new Float64Array(nf).fill(Number.NaN);
    this.#wander = new Float64Array(ne);
    for (let e = 0; e < ne; e++) this.#wander[e] = WANDER_SD * rng.normal();
    this.load = new Float64Array(ne);
    this.running = new Float64Array(ne).fill(1);
    this.#drive = new Float64Array(ne);
    this.#thermal = new Float64Array(ne).fill(Number.NaN);
    this.#machinesOf = plant.facilities.map((f) =>
      plant.equipment.filter((e) => e.facility === f.index).map((e) => e.index),
    );
  }

  /** Local time minus UTC at `time` for facility `f`, ms. */
  offsetAt(f: number, time: number): number {
    return this.#zones[f]!.offsetAt(time);
  }

  /** The production level facility `f`'s schedule asks for at `time` (shift and weekday). */
  scheduleTarget(f: number, time: number): number {
    const facility = this.#plant.facilities[f]!;
    const local = time + this.offsetAt(f, time);
    const minute = Math.floor((((local % DAY) + DAY) % DAY) / 60_000);
    const shift = this.#shiftTables[f]![minute]!;
    const day = (Math.floor(local / DAY) + 4) % 7; // 1970-01-01 was a Thursday
    const level = facility.shiftLoad[shift] ?? 0.6;
    return day === 0 || day === 6 ? level * facility.weekendFactor : level;
  }

  /**
   * Advances facility `f` and its machines to `time`. The first step of a facility
   * starts in steady state (schedule at its target, temperatures settled).
   */
  step(f: number, time: number): void {
    const facility = this.#plant.facilities[f]!;
    const rng = this.#rng;
    const last = this.#lastStep[f]!;
    const dt = Number.isNaN(last) ? 0 : Math.max(0, time - last);
    this.#lastStep[f] = time;
    const target = this.scheduleTarget(f, time);
    const previous = this.#schedule[f]!;
    const schedule = Number.isNaN(previous)
      ? target
      : previous + (target - previous) * (1 - Math.exp(-dt / SCHEDULE_LAG_MS));
    this.#schedule[f] = schedule;
    const local = time + this.offsetAt(f, time);
    const hour = ((((local % DAY) + DAY) % DAY) / DAY) * 24;
    const daily = Math.cos((2 * Math.PI * (hour - 15)) / 24); // warmest at 15:00 local
    this.#ambient[f] = facility.ambientMean + facility.ambientSwing * daily;
    this.#humidity[f] = 45 - 10 * daily;

    const keep = Math.exp(-dt / WANDER_TIME_MS);
    const kick = WANDER_SD * Math.sqrt(1 - keep * keep);
    const thermalKeep = Math.exp(-dt / THERMAL_LAG_MS);
    const equipment = this.#plant.equipment;
    for (const i of this.#machinesOf[f]!) {
      const e = equipment[i]!;
      const wander = this.#wander[i]! * keep + kick * rng.normal();
      this.#wander[i] = wander;
      const load = Math.min(1, Math.max(MIN_LOAD, schedule * e.loadFactor + wander));
      this.load[i] = load;
      const drive = this.running[i]! * (0.2 + 0.8 * load);
      this.#drive[i] = drive;
      const thermal = this.#thermal[i]!;
      this.#thermal[i] = Number.isNaN(thermal) ? drive : drive + (thermal - drive) * thermalKeep;
    }
  }

  /**
   * Samples sensor `s` at its machine's current state into `out`, with its noise
   * times `noiseFactor` on the primary value. Always draws the same number of random
   * values for a sensor type, so faults never shift the noise of other readings.
   */
  sample(s: SimSensor, noiseFactor: number, out: Sample): void {
    const rng = this.#rng;
    const e = this.#plant.equipment[s.equipment]!;
    const kind = e.kind;
    const i = e.index;
    const drive = this.#drive[i]!;
    const running = this.running[i]!;
    const n1 = rng.normal();
    switch (s.type) {
      case "temperature": {
        const n2 = rng.normal();
        out.primary =
          this.#ambient[s.facility]! +
          kind.temperatureRise * this.#thermal[i]! +
          s.noise * noiseFactor * n1;
        out.second = Math.min(95, Math.max(5, this.#humidity[s.facility]! + 0.8 * n2));
        return;
      }
      case "vibration": {
        const level = kind.vibration * e.size * drive;
        const noise = s.noise * noiseFactor * (running > 0 ? 1 : 0.3) * n1;
        out.primary = Math.max(0.002, level + noise);
        out.second = 0;
        return;
      }
      case "pressure": {
        const n2 = rng.normal();
        out.primary =
          running * kind.pressureBase +
          (1 - running) * 3 +
          kind.pressureRange * drive +
          s.noise * noiseFactor * n1;
        out.second = Math.max(0, kind.flow * e.size * drive * (1 + 0.01 * n2));
        return;
      }
      case "power": {
        const n2 = rng.normal();
        const watts = STANDBY_WATTS + kind.ratedPower * e.size * drive;
        const noise = drive > 0 ? s.noise : 2;
        out.primary = Math.max(5, watts + noise * noiseFactor * n1);
        out.second = kind.voltage * (1 + 0.004 * n2);
        return;
      }
      case "generic": {
        const speed = running * kind.generic * (0.7 + 0.3 * this.load[i]!);
        out.primary = running > 0 ? Math.max(0, speed + s.noise * noiseFactor * n1) : 0;
        out.second = 0;
        return;
      }
    }
  }
}
