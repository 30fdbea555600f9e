/**
 * Declarations of keyed state. A process function declares its state once, as
 * module-level constants; the name keys the state in checkpoints, so it must be
 * stable across versions of the pipeline.
 */

/** Time-to-live of state entries. */
export interface StateTtl {
  /** An entry expires this many ms after it was last written. */
  readonly ttl: number;
  /**
   * Which clock measures it. `event` (default): the write's event time against
   * the step's watermark, so replaying input gives the same answer as running
   * live. `processing`: the injected clock.
   */
  readonly timeDomain?: "event" | "processing";
}

/** A single value per key. */
export interface ValueStateDescriptor<T> {
  readonly kind: "value";
  readonly name: string;
  readonly ttl?: StateTtl;
  /** Phantom: the value type. */
  readonly __value?: T;
}

/** A map per key. */
export interface MapStateDescriptor<MK, MV> {
  readonly kind: "map";
  readonly name: string;
  readonly ttl?: StateTtl;
  readonly __key?: MK;
  readonly __value?: MV;
}

export type StateDescriptor = ValueStateDescriptor<unknown> | MapStateDescriptor<unknown, unknown>;

function check(name: string, ttl?: StateTtl): void {
  if (name.length === 0) throw new RangeError("state name must not be empty");
  if (ttl && !(ttl.ttl > 0))
    throw new RangeError(`state "${name}": ttl must be > 0 ms, got ${ttl.ttl}`);
}

/** Declares a value state named `name`. Values must be JSON-serialisable to be checkpointed. */
export function valueState<T>(name: string, ttl?: StateTtl): ValueStateDescriptor<T> {
  check(name, ttl);
  return Object.freeze(ttl ? { kind: "value", name, ttl } : { kind: "value", name });
}

/** Declares a map state named `name`, each entry with its own TTL. */
export function mapState<MK, MV>(name: string, ttl?: StateTtl): MapStateDescriptor<MK, MV> {
  check(name, ttl);
  return Object.freeze(ttl ? { kind: "map", name, ttl } : { kind: "map", name });
}
