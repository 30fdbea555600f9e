/**
 * One simulation run: generates the plant's readings slice by slice of simulated
 * time, applies the planned faults, and hands out the JSON lines in arrival order
 * with the labels of the faults planned so far. Synchronous and deterministic; the
 * pacing (real time or as fast as possible) is the caller's (`simulate`).
 */
import { DeliveryQueue } from "./delivery-queue.js";
import { type FaultOptions, FaultPlanner, type PlannedFault } from "./fault-planner.js";
import type { FaultLabel } from "./fault-types.js";
import type { Plant } from "./plant-model.js";
import { Prng } from "./prng.js";
import { malformedLine, measuresOf, readingLine, timestampText } from "./reading-line.js";
import { type Sample, SignalModel } from "./signal-model.js";

/** Options of a simulation; every one has a default. */
export interface SimulateOptions {
  /** Each sensor reports every `intervalMs` ms. Default 1,000. */
  readonly intervalMs?: number;
  /** Random offset of each reading's timestamp, ± this fraction of the interval. Default 0.05. */
  readonly jitter?: number;
  /** Pace the output to the wall clock (true) or generate as fast as possible (false, default). */
  readonly realtime?: boolean;
  /**
   * Simulated time of the first reading, epoch ms. Default: now (rounded down to the
   * second) in real time; `DEFAULT_START_MS` (2025-06-02T00:00:00Z) otherwise, so a
   * fast run is the same on every day.
   */
  readonly startMs?: number;
  /** Stop after this many lines. Default: no limit. */
  readonly count?: number;
  /** Stop after this much simulated time, ms. Default: no limit. */
  readonly durationMs?: number;
  /** Fault injection, or `false` for none. Default `{}` (the default mix and rate). */
  readonly faults?: FaultOptions | false;
  /**
   * Simulated time per slice, ms. Default 100 in real time; otherwise the interval,
   * times enough intervals for about 1,000 lines per slice.
   */
  readonly sliceMs?: number;
  /** Seed of values, faults and jitter. Default: the plant's seed. */
  readonly seed?: number | string;
}

/** The lines of one partition (facility) inside a slice: `lines.slice(start, end)`. */
export interface SlicePartition {
  readonly partition: number;
  readonly start: number;
  readonly end: number;
}

/** The output of one slice of simulated time `[fromMs, toMs)`. */
export interface SimulatorSlice {
  readonly fromMs: number;
  readonly toMs: number;
  /** JSON lines in arrival order, grouped by facility. */
  readonly lines: readonly string[];
  /** Where each facility's lines are in `lines` (partition = facility index). */
  readonly partitions: readonly SlicePartition[];
  /** Labels of faults planned in this slice (ahead of their data). */
  readonly labels: readonly FaultLabel[];
}

/** Counts of a run so far. */
export interface SimulatorStats {
  /** Readings sampled (including ones an `offline` fault swallowed). */
  readonly readings: number;
  /** Lines handed out (including malformed ones and duplicate copies). */
  readonly lines: number;
  readonly labels: number;
}

/** Simulated start of a fast run unless `startMs` is given: Monday 2025-06-02 00:00 UTC. */
export const DEFAULT_START_MS = Date.UTC(2025, 5, 2);

const SEGMENT_MS = 10 * 60_000;

function positive(name: string, v: number | undefined, fallback: number, orZero = false): number {
  const value = v ?? fallback;
  if (!Number.isFinite(value) || value < 0 || (!orZero && value === 0)) {
    throw new RangeError(`simulate: ${name} must be a number ${orZero ? "≥" : ">"} 0, got ${v}`);
  }
  return value;
}

/** A simulation in progress. `nextSlice()` until it returns `null`. */
export class SimulatorRun {
  readonly plant: Plant;
  readonly startMs: number;
  readonly intervalMs: number;
  readonly sliceMs: number;
  /** Simulated end of a run with a duration; `Infinity` otherwise (a count ends it too). */
  readonly endMs: number;
  readonly #count: number;
  readonly #jitter: number;
  readonly #model: SignalModel;
  readonly #planner: FaultPlanner | null;
  readonly #faultRng: Prng;
  readonly #jitterRng: Prng;
  readonly #signalRng: Prng;
  readonly #queue = new DeliveryQueue();
  /** Per facility: sensor indices by phase, the step, the cursor in the step. */
  readonly #order: number[][];
  readonly #step: number[];
  readonly #cursor: number[];
  /** Faults waiting or active, per sensor and per machine (oldest first). */
  readonly #sensorFaults: PlannedFault[][];
  readonly #machineFaults: PlannedFault[][];
  readonly #lastMeasures: string[];
  readonly #machinesOf: (readonly number[])[];
  readonly #sample: Sample = { primary: 0, second: 0 };
  #plannedUntil: number;
  #now: number;
  #malformedSeq = 0;
  #readings = 0;
  #lines = 0;
  #labels = 0;
  #done = false;

  constructor(plant: Plant, options: SimulateOptions = {}) {
    this.plant = plant;
    const interval = positive("intervalMs", options.intervalMs, 1000);
    this.intervalMs = interval;
    this.#jitter = positive("jitter", options.jitter, 0.05, true);
    if (this.#jitter >= 0.5) throw new RangeError("simulate: jitter must be below 0.5");
    const realtime = options.realtime ?? false;
    const start =
      options.startMs ?? (realtime ? Math.floor(Date.now() / 1000) * 1000 : DEFAULT_START_MS);
    if (!Number.isFinite(start)) throw new RangeError(`simulate: startMs must be a time`);
    this.startMs = start;
    const perInterval = Math.max(1, Math.ceil(1000 / Math.max(1, plant.sensors.length)));
    this.sliceMs = positive("sliceMs", options.sliceMs, realtime ? 100 : interval * perInterval);
    this.#count = options.count === undefined ? Infinity : positive("count", options.count, 0);
    const duration =
      options.durationMs === undefined ? Infinity : positive("durationMs", options.durationMs, 0);
    this.endMs = start + duration;
    // When only a count is given, the run ends about here (faults must end before it).
    const byCount =
      this.#count === Infinity
        ? Infinity
        : Math.ceil(this.#count / plant.sensors.length) * interval;
    const root = new Prng(options.seed ?? plant.seed);
    this.#signalRng = root.fork("signal");
    this.#faultRng = root.fork("faults");
    this.#jitterRng = root.fork("jitter");
    this.#model = new SignalModel(plant, this.#signalRng);
    this.#planner =
      options.faults === false
        ? null
        : new FaultPlanner(
            plant,
            options.faults ?? {},
            root.fork("plan"),
            start,
            interval,
            start + Math.min(duration, byCount),
          );
    this.#order = plant.facilities.map((f) =>
      plant.sensors
        .filter((s) => s.facility === f.index)
        .sort((a, b) => a.phase - b.phase || a.index - b.index)
        .map((s) => s.index),
    );
    this.#step = plant.facilities.map(() => 0);
    this.#cursor = plant.facilities.map(() => 0);
    this.#sensorFaults = plant.sensors.map(() => []);
    this.#machineFaults = plant.equipment.map(() => []);
    this.#lastMeasures = plant.sensors.map(() => "");
    this.#machinesOf = plant.facilities.map((f) =>
      plant.equipment.filter((e) => e.facility === f.index).map((e) => e.index),
    );
    this.#plannedUntil = start;
    this.#now = start;
  }

  /** Counts so far. */
  stats(): SimulatorStats {
    return { readings: this.#readings, lines: this.#lines, labels: this.#labels };
  }

  /** Simulated time up to which lines have been handed out. */
  get timeMs(): number {
    return this.#now;
  }

  /** Generates the next slice, or returns `null` when the run has ended. */
  nextSlice(): SimulatorSlice | null {
    if (this.#done) return null;
    const from = this.#now;
    const to = Math.min(from + this.sliceMs, this.endMs);
    if (!(to > from)) {
      this.#done = true;
      return null;
    }
    const labels: FaultLabel[] = [];
    if (this.#planner !== null) {
      while (this.#plannedUntil < to + SEGMENT_MS) {
        const segEnd = this.#plannedUntil + SEGMENT_MS;
        for (const fault of this.#planner.plan(this.#plannedUntil, segEnd)) {
          if (fault.sensor >= 0) this.#sensorFaults[fault.sensor]!.push(fault);
          else this.#machineFaults[fault.equipment]!.push(fault);
          labels.push(...this.#planner.labelsOf(fault));
        }
        this.#plannedUntil = segEnd;
      }
    }
    const parts: string[][] = this.plant.facilities.map(() => []);
    for (let f = 0; f < parts.length; f++) this.#generate(f, to, parts[f]!);
    this.#queue.drainBefore(to, (p, line) => parts[p]!.push(line));
    this.#now = to;
    const lines: string[] = [];
    const partitions: SlicePartition[] = [];
    const room = this.#count - this.#lines;
    for (let p = 0; p < parts.length && lines.length < room; p++) {
      const part = parts[p]!;
      if (part.length === 0) continue;
      const start = lines.length;
      const take = Math.min(part.length, room - start);
      for (let i = 0; i < take; i++) lines.push(part[i]!);
      partitions.push({ partition: p, start, end: lines.length });
    }
    this.#lines += lines.length;
    this.#labels += labels.length;
    if (this.#lines >= this.#count || to >= this.endMs) this.#done = true;
    return { fromMs: from, toMs: to, lines, partitions, labels };
  }

  /** Generates facility `f`'s readings with nominal time before `to` into `out`. */
  #generate(f: number, to: number, out: string[]): void {
    const order = this.#order[f]!;
    if (order.length === 0) return;
    const interval = this.intervalMs;
    for (;;) {
      const k = this.#step[f]!;
      const i = this.#cursor[f]!;
      const stepStart = this.startMs + k * interval;
      if (stepStart >= to) return;
      const s = order[i]!;
      const nominal = stepStart + Math.floor(this.plant.sensors[s]!.phase * interval);
      if (nominal >= to) return;
      if (i === 0) this.#stepFacility(f, stepStart);
      this.#reading(s, nominal, out);
      if (i + 1 === order.length) {
        this.#cursor[f] = 0;
        this.#step[f] = k + 1;
      } else this.#cursor[f] = i + 1;
    }
  }

  /** Sets each machine's running factor from its shutdowns, then advances the signals. */
  #stepFacility(f: number, time: number): void {
    const model = this.#model;
    for (const e of this.#machinesOf[f]!) {
      const queue = this.#machineFaults[e]!;
      while (queue.length > 0 && queue[0]!.end < time) queue.shift();
      const fault = queue[0];
      let running = 1;
      if (fault !== undefined && time >= fault.start) {
        if (time < fault.downEnd)
          running = 1 - (time - fault.start) / (fault.downEnd - fault.start);
        else if (time < fault.upStart) running = 0;
        else running = Math.min(1, (time - fault.upStart) / (fault.end - fault.upStart));
      }
      model.running[e] = running;
    }
    model.step(f, time);
  }

  #reading(s: number, nominal: number, out: string[]): void {
    const plant = this.plant;
    const sensor = plant.sensors[s]!;
    const queue = this.#sensorFaults[s]!;
    while (queue.length > 0 && queue[0]!.end < nominal) queue.shift();
    const head = queue[0];
    const fault = head !== undefined && nominal >= head.start ? head : undefined;
    const type = fault?.type;
    this.#readings++;

    const sample = this.#sample;
    this.#model.sample(sensor, type === "noisy" ? fault!.magnitude : 1, sample);
    const rng = this.#signalRng;
    const qn = rng.normal();
    const qu = rng.next();
    const qv = rng.next();
    let quality = 1 - Math.abs(qn) * 0.02;
    if (qu < 0.0005) quality = 0.2 + 0.3 * qv;
    else if (qu < 0.0035) quality = 0.55 + 0.3 * qv;
    const jitter = (this.#jitterRng.next() * 2 - 1) * this.#jitter * this.intervalMs;
    if (type === "offline") return;

    if (type === "spike" || type === "drift") {
      const f = fault!;
      const share =
        type === "spike" ? 1 : f.end > f.start ? (nominal - f.start) / (f.end - f.start) : 1;
      sample.primary += f.sign * f.magnitude * share;
      if (sensor.type !== "temperature" && sample.primary < 0) sample.primary = 0;
    }
    if (type === "quality" && this.#faultRng.chance(fault!.magnitude)) {
      quality = 0.05 + 0.4 * this.#faultRng.next();
    }
    quality = Math.round(Math.max(0, Math.min(1, quality)) * 1000) / 1000;
    const equipment = plant.equipment[sensor.equipment]!;
    const facility = plant.facilities[sensor.facility]!;
    let measures: string;
    if (type === "stuck" && this.#lastMeasures[s] !== "") measures = this.#lastMeasures[s]!;
    else {
      measures = measuresOf(sensor, sample, equipment.kind.genericUnit);
      this.#lastMeasures[s] = measures;
    }
    let time = Math.round(nominal + jitter);
    if (type === "clock-skew") time += fault!.magnitude;
    let line: string;
    if (type === "malformed") {
      line = malformedLine(
        this.#malformedSeq++,
        sensor.id,
        time,
        facility.id,
        sensor.type,
        quality,
        measures,
      );
    } else {
      const stamp = timestampText(
        time,
        facility.timestampStyle,
        facility.timestampStyle === "iso-offset" ? this.#model.offsetAt(facility.index, time) : 0,
      );
      line = readingLine(sensor.id, stamp, facility.id, sensor.type, quality, measures);
    }
    const p = sensor.facility;
    switch (type) {
      case "out-of-order":
        this.#queue.push(
          nominal + this.#faultRng.range(this.intervalMs, fault!.magnitude),
          p,
          line,
        );
        return;
      case "late":
        this.#queue.push(fault!.end + fault!.magnitude, p, line);
        return;
      case "duplicate":
        out.push(line);
        this.#queue.push(nominal + this.#faultRng.range(0, fault!.magnitude), p, line);
        return;
      default:
        out.push(line);
    }
  }
}
