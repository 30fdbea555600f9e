/**
 * Detector parts: a detector's logic on its own part of a key's state, so that all
 * detectors of a key share one state entry (one lookup per reading) and change it in
 * place instead of building new state objects per reading.
 *
 * A key's state is a `DetectorState`: one flat array of numbers (`h`), in which each
 * part owns a fixed range, then slots for what is not a number (lists that grow,
 * strings). Numbers in an array are stored unboxed and side by side, so a reading
 * touches a few cache lines rather than an object per field. What a reading seldom
 * touches (the closed buckets of a windowed detector) is a second array of numbers,
 * made when first needed, so that the numbers every reading reads stay close together
 * in memory, key after key. Every key has one state: each array is made exactly as long
 * as it needs to be.
 *
 * In-place changes are safe because the engine serialises a key's state for a
 * checkpoint before the key's next record or timer is handled. The state must stay
 * JSON-serialisable: only finite numbers in `h`; strings, plain arrays and objects in
 * the slots.
 */
import type {
  KeyedProcessFunction,
  ProcessContext,
  TimerContext,
  ValueState,
  ValueStateDescriptor,
} from "../../engine/index.js";
import { hashString, valueState } from "../../engine/index.js";
import type { Anomaly, EnrichedReading, SensorType } from "../reading/reading.js";
import type { AnomalySubject } from "./anomaly.js";

/** The context a part sees while it handles a reading or a timer: the key is a sensor or equipment id. */
export type PartContext = ProcessContext<string, Anomaly>;

/**
 * A key's state, shared by the parts of a step: `[h, ...slots]`, `h` an array of
 * numbers, then, if any part keeps cold numbers, `x`: their array, or null until one
 * is needed. Part `p` owns `h[o]` … `h[o + p.size − 1]`, `x[c]` … `x[c + p.cold − 1]`
 * and `state[j]` … `state[j + p.slots − 1]` (`o`, `c` and `j` given by the step).
 */
export type DetectorState = unknown[];

/**
 * What a part is handed on each reading or timer: the key's state, and the times of
 * the moment (read once, for every part). Reused: valid during the call only.
 */
export interface PartScope {
  /** The key's state (see `DetectorState`). */
  s: DetectorState;
  /** `s[0]`: the key's numbers. */
  h: number[];
  /** The key's cold numbers (see `DetectorPart.cold`): null until `cold()` makes them. */
  x: number[] | null;
  /** `x`, made (all 0) if it is null. */
  cold(): number[];
  /** Event time of the reading, or the time of the timer. */
  t: number;
  /** The step's watermark. */
  watermark: number;
  ctx: PartContext;
}

/**
 * `h[o + PRESENT]`: non-zero while the part holds something. Zero is a part the key
 * does not have (never had, dropped or expired): the part starts afresh from there,
 * as from an empty value state. A part drops itself by setting it to 0 (and may set
 * its slots to null).
 */
export const PRESENT = 0;
/** `h[o + WRITTEN]`, for a part with a TTL: event time of its last write (the scope's `t`). */
export const WRITTEN = 1;

/** One detector's logic, on its part of a key's state. */
export interface DetectorPart {
  /** The part's name: distinct among the parts of one step, they name their state. */
  readonly name: string;
  /**
   * Event time after its last write at which the part expires, as a value state with
   * this TTL would (it is dropped once the watermark reaches WRITTEN + ttl); 0: never.
   */
  readonly ttl: number;
  /** How many numbers the part keeps in `h`, PRESENT (and WRITTEN) included. */
  readonly size: number;
  /**
   * How many numbers it keeps apart from those, from `scope.x[c]`, for what a reading
   * seldom touches (default 0): all 0 while `x` is null. They are the part's own:
   * `partsDetector` neither reads nor clears them (a part starting afresh does).
   */
  readonly cold?: number;
  /** How many slots of the state the part keeps (lists, strings); a slot not in use is null. */
  readonly slots: number;
  /**
   * Whatever else decides how the part reads its numbers (say, its bucket size), if
   * anything: a state written with another is not read as this part's (see `LAYOUT`).
   */
  readonly layout?: string;
  /**
   * Handles a reading, with the part's numbers from `scope.h[o]` (and `scope.x[c]`) and
   * its slots from `scope.s[j]`.
   */
  process(scope: PartScope, o: number, j: number, reading: EnrichedReading, c: number): void;
  /**
   * Handles a timer at `scope.t`. Called on every timer of the key (also on other parts'
   * timers, and on the clean-up timers of `partsDetector`): ignore a time you did not
   * register.
   */
  onTimer?(scope: PartScope, o: number, j: number, c: number): void;
}

/** Slots an `AnomalySubject` takes in a state (see `keepSubject`). */
export const SUBJECT_SLOTS = 5;

/** Keeps `r`'s subject fields in `s[j]` … `s[j + SUBJECT_SLOTS − 1]`. */
export function keepSubject(s: DetectorState, j: number, r: AnomalySubject): void {
  s[j] = r.sensor_id;
  s[j + 1] = r.equipment_id;
  s[j + 2] = r.facility_id;
  s[j + 3] = r.production_line;
  s[j + 4] = r.sensor_type;
}

/** Whether the subject kept at `s[j…]` is `r`'s. */
export function sameSubject(s: DetectorState, j: number, r: AnomalySubject): boolean {
  return (
    s[j] === r.sensor_id &&
    s[j + 1] === r.equipment_id &&
    s[j + 2] === r.facility_id &&
    s[j + 3] === r.production_line &&
    s[j + 4] === r.sensor_type
  );
}

/** The subject kept at `s[j…]`, as a new object. */
export function subjectAt(s: DetectorState, j: number): AnomalySubject {
  return {
    sensor_id: s[j] as string,
    equipment_id: s[j + 1] as string | null,
    facility_id: s[j + 2] as string,
    production_line: s[j + 3] as string | null,
    sensor_type: s[j + 4] as SensorType,
  };
}

/** `h[NEWEST]`: the newest write time of any part with a TTL. */
const NEWEST = 0;
/** `h[SWEEP]`: the pending clean-up timer, 0 when none. */
const SWEEP = 1;
/**
 * `h[LAYOUT]`: a hash of where the parts keep what (their names, sizes, slots and
 * `layout`). A state read from a checkpoint of another layout (the detectors' options
 * changed, say a window and with it the buckets kept) cannot be read as this one: it is
 * dropped, and the key starts afresh, as a new key would.
 */
const LAYOUT = 2;
const HEADER = 3;

/**
 * A keyed process function running `parts` in order on every reading of a key (and
 * those with `onTimer` on its timers), all in one value state named after the parts.
 * A part with a TTL expires exactly as a value state with that TTL would: it is seen
 * as absent once the watermark reaches its last write + TTL. The memory of a key gone
 * quiet is freed like this: when every part has a TTL, the state has the largest of
 * them (refreshed as the newest write time moves on); when only some do, a clean-up
 * timer (one pending per key, moved on when it fires) drops the expired parts. A
 * state whose parts are all absent is cleared. Parts change the state in place, so a
 * part that throws halfway leaves its half-done change (the engine sends the reading
 * to the dead-letter output; the built-in parts do not throw). Not re-entrant: one
 * scope serves every call, which is fine as long as a step's output does not flow
 * back into the same function object.
 */
export function partsDetector(
  parts: readonly DetectorPart[],
): KeyedProcessFunction<string, EnrichedReading, Anomaly> {
  const names = parts.map((p) => p.name);
  if (parts.length === 0 || new Set(names).size !== parts.length) {
    throw new RangeError(`detector parts need distinct names, got ${names.join(", ")}`);
  }
  const n = parts.length;
  const ttls = parts.map((p) => p.ttl);
  const offsets: number[] = [];
  const firstSlots: number[] = [];
  let size = HEADER;
  let slots = 1;
  for (const p of parts) {
    offsets.push(size);
    firstSlots.push(slots);
    size += p.size;
    slots += p.slots;
  }
  const colds: number[] = [];
  let coldSize = 0;
  for (const p of parts) {
    colds.push(coldSize);
    coldSize += p.cold ?? 0;
  }
  /** Where `x` is in a state, or 0 when no part keeps cold numbers. */
  const xIndex = coldSize > 0 ? slots : 0;
  const expiring = ttls.some((ttl) => ttl > 0);
  const mixed = expiring && ttls.some((ttl) => ttl === 0);
  // Its name changes with the parts, so that a checkpoint of other parts is never read as these.
  const name = `detectors:${names.join(",")}`;
  const descriptor: ValueStateDescriptor<DetectorState> =
    expiring && !mixed ? valueState(name, { ttl: Math.max(...ttls) }) : valueState(name);
  const withTimers: number[] = [];
  parts.forEach((p, i) => {
    if (p.onTimer !== undefined) withTimers.push(i);
  });
  // A new key's state is a copy of these: `slice` makes arrays exactly as long as they
  // are (one built by `push` keeps up to half again as much spare room), and every key
  // of the step has one.
  const doubles = (n: number): number[] => {
    const a: number[] = [0.5]; // born holding a fraction: an array of doubles
    for (let k = 1; k < n; k++) a.push(0);
    a[0] = 0;
    return a.slice(0, n);
  };
  const layout = hashString(
    JSON.stringify(parts.map((p) => [p.name, p.size, p.cold ?? 0, p.slots, p.layout ?? ""])),
  );
  const hTemplate = doubles(size);
  hTemplate[LAYOUT] = layout;
  const xTemplate = doubles(coldSize);
  const sTemplate: DetectorState = [];
  for (let k = 0; k < slots + (xIndex > 0 ? 1 : 0); k++) sTemplate.push(null);
  const stateLength = sTemplate.length;

  // One call site per part position rather than one for all parts: each site sees one
  // part function (two across the sensor and machine steps), so it can be inlined,
  // where a single site serving every part would be megamorphic.
  const [p0, p1, p2, p3, p4, p5, p6, p7] = parts;
  function processPart(
    i: number,
    c: PartScope,
    o: number,
    j: number,
    reading: EnrichedReading,
    x: number,
  ): void {
    switch (i) {
      case 0:
        p0!.process(c, o, j, reading, x);
        break;
      case 1:
        p1!.process(c, o, j, reading, x);
        break;
      case 2:
        p2!.process(c, o, j, reading, x);
        break;
      case 3:
        p3!.process(c, o, j, reading, x);
        break;
      case 4:
        p4!.process(c, o, j, reading, x);
        break;
      case 5:
        p5!.process(c, o, j, reading, x);
        break;
      case 6:
        p6!.process(c, o, j, reading, x);
        break;
      case 7:
        p7!.process(c, o, j, reading, x);
        break;
      default:
        parts[i]!.process(c, o, j, reading, x);
    }
  }

  // The step's state accessor, asked of the context once: a context (one per step)
  // hands out the same accessor for a descriptor every time.
  let stateOf: PartContext | TimerContext<string, Anomaly> | null = null;
  let stateAccessor: ValueState<DetectorState> | null = null;
  function stateIn(ctx: PartContext | TimerContext<string, Anomaly>): ValueState<DetectorState> {
    if (ctx !== stateOf || stateAccessor === null) {
      stateAccessor = ctx.state(descriptor);
      stateOf = ctx;
    }
    return stateAccessor;
  }

  /** Whether `s` has this step's layout (see `LAYOUT`). */
  function fits(s: DetectorState): boolean {
    const h = s[0] as number[];
    if (s.length !== stateLength || h.length !== size || h[LAYOUT] !== layout) return false;
    const x = xIndex > 0 ? (s[xIndex] as number[] | null) : null;
    return x === null || x.length === coldSize;
  }

  const scope: PartScope = {
    s: [],
    h: [],
    x: null,
    cold() {
      let x = scope.x;
      if (x === null) {
        x = xTemplate.slice();
        scope.x = x;
        scope.s[xIndex] = x;
      }
      return x;
    },
    t: 0,
    watermark: 0,
    ctx: null as unknown as PartContext,
  };

  function create(): DetectorState {
    const s = sTemplate.slice();
    s[0] = hTemplate.slice();
    return s;
  }

  /** Whether part `i` of `h` holds something that has expired by `watermark`. */
  function expired(h: number[], i: number, watermark: number): boolean {
    const o = offsets[i]!;
    return ttls[i]! > 0 && h[o + PRESENT] !== 0 && watermark >= h[o + WRITTEN]! + ttls[i]!;
  }

  function drop(s: DetectorState, h: number[], i: number): void {
    h[offsets[i]! + PRESENT] = 0;
    const j = firstSlots[i]!;
    for (let k = j; k < j + parts[i]!.slots; k++) s[k] = null;
  }

  /** Arms the clean-up timer of a key at the last expiry of its parts, unless one is pending. */
  function armSweep(h: number[], ctx: PartContext): void {
    if (h[SWEEP] !== 0) return;
    let last = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < n; i++) {
      const o = offsets[i]!;
      if (ttls[i]! > 0 && h[o + PRESENT] !== 0) last = Math.max(last, h[o + WRITTEN]! + ttls[i]!);
    }
    // No part expires (or one at time 0, the "none" mark): nothing to clean up.
    if (!Number.isFinite(last) || last === 0) return;
    h[SWEEP] = last;
    ctx.timers.registerEventTime(last);
  }

  function clearIfEmpty(state: ValueState<DetectorState>, s: DetectorState, h: number[]): void {
    for (let i = 0; i < n; i++) if (h[offsets[i]! + PRESENT] !== 0) return;
    for (let k = 1; k < slots; k++) if (s[k] !== null) return;
    state.clear();
  }

  return {
    processElement(reading, ctx) {
      const state = stateIn(ctx);
      let s = state.get();
      if (s !== undefined && !fits(s)) {
        state.clear();
        s = undefined;
      }
      const fresh = s === undefined;
      if (s === undefined) s = create();
      const h = s[0] as number[];
      const c = scope;
      c.s = s;
      c.h = h;
      c.x = xIndex > 0 ? (s[xIndex] as number[] | null) : null;
      c.t = ctx.timestamp;
      const watermark = ctx.watermark;
      c.watermark = watermark;
      c.ctx = ctx;
      let dropped = false;
      for (let i = 0; i < n; i++) {
        const o = offsets[i]!;
        // Inline, not a call: a number passed to a call that is not inlined is boxed.
        const ttl = ttls[i]!;
        if (ttl > 0 && h[o + PRESENT] !== 0 && watermark >= h[o + WRITTEN]! + ttl) {
          drop(s, h, i);
          dropped = true;
        }
        const was = h[o + PRESENT];
        processPart(i, c, o, firstSlots[i]!, reading, colds[i]!);
        if (was !== 0 && h[o + PRESENT] === 0) dropped = true;
      }
      if (fresh) {
        let any = false;
        for (let i = 0; i < n; i++) if (h[offsets[i]! + PRESENT] !== 0) any = true;
        if (!any) return;
        state.set(s);
      }
      if (mixed) armSweep(h, ctx);
      else if (expiring) {
        let newest = fresh ? Number.NEGATIVE_INFINITY : h[NEWEST]!;
        for (let i = 0; i < n; i++) {
          const o = offsets[i]!;
          if (h[o + PRESENT] !== 0 && h[o + WRITTEN]! > newest) newest = h[o + WRITTEN]!;
        }
        if (newest !== h[NEWEST]) {
          h[NEWEST] = newest;
          if (!fresh) state.set(s); // refreshes the state's TTL
        }
      }
      if (dropped) clearIfEmpty(state, s, h);
    },

    onTimer(time, ctx) {
      const state = stateIn(ctx);
      const s = state.get();
      if (s === undefined) return;
      if (!fits(s)) {
        state.clear();
        return;
      }
      const h = s[0] as number[];
      const c = scope;
      c.s = s;
      c.h = h;
      c.x = xIndex > 0 ? (s[xIndex] as number[] | null) : null;
      c.t = time;
      c.watermark = ctx.watermark;
      c.ctx = ctx;
      if (h[SWEEP] === time) {
        h[SWEEP] = 0;
        for (let i = 0; i < n; i++) if (expired(h, i, c.watermark)) drop(s, h, i);
        armSweep(h, ctx);
      }
      for (const i of withTimers) {
        if (expired(h, i, c.watermark)) drop(s, h, i);
        parts[i]!.onTimer!(c, offsets[i]!, firstSlots[i]!, colds[i]!);
      }
      clearIfEmpty(state, s, h);
    },
  };
}
