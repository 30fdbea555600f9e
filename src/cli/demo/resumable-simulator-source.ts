/**
 * The simulator as a resumable engine source, for pipelines that run on and restart
 * from checkpoints (`millstream demo`): it reports how far each partition has been
 * handed out, and opened with those positions it continues the simulation there
 * instead of starting a new one, catching up on the time it was stopped.
 */
import type { Source, SourceContext, SourcePoll, SourceReader } from "../../engine/index.js";
import {
  type FaultLabel,
  type Plant,
  type SimulateOptions,
  SimulatorRun,
  type SimulatorSlice,
} from "../../iot/simulator/index.js";

/** Options: a run's options (without `count`), partitioning, hooks and the replay budget. */
export interface ResumableSimulatorOptions extends Omit<SimulateOptions, "count"> {
  /** `"facility"` (default): one source partition per facility; `"single"`: one in all. */
  readonly partitioning?: "facility" | "single";
  /** Most lines per batch. Default 1,000. */
  readonly batchSize?: number;
  /** Labels of the faults planned, before any of their lines is polled (never twice). */
  readonly onLabels?: (labels: readonly FaultLabel[]) => void;
  /** The run, when the source opens (its start, interval, clock and stats). */
  readonly onStart?: (run: SimulatorRun) => void;
  /**
   * A resumed source continues at simulated time `atMs`: `exact` when it replayed
   * the interrupted run (labels of faults starting before `atMs` are not repeated),
   * otherwise it started a new run there (faults in progress were cut off).
   */
  readonly onResume?: (atMs: number, exact: boolean) => void;
  /**
   * Resume exactly — by regenerating the interrupted run from its start, without
   * handing out what was already delivered — when that means at most this many
   * lines; beyond, start a new run at the position (instant, see below). Default
   * 6,000,000 (about 10 minutes of 10,000 sensors at one reading per second).
   */
  readonly maxReplayLines?: number;
}

/** The position of one partition, as checkpoints store it. */
export interface SimulatorPosition {
  /** Simulated start of the first run: the origin of warm-up and duration, epoch ms. */
  readonly origin: number;
  /** Simulated start of the run that delivered the data (the origin, or a later restart). */
  readonly start: number;
  /** The partition's lines of every slice before this simulated time were handed out… */
  readonly time: number;
  /** …and so were the first `lines` lines of its slice starting at `time`. */
  readonly lines: number;
}

interface Progress {
  time: number;
  lines: number;
}

/** Lines of one partition in one slice still to hand out: `slice.lines[from, to)`. */
interface Segment {
  readonly slice: SimulatorSlice;
  readonly from: number;
  readonly to: number;
  /** Lines of the partition in the slice before `from` (handed out earlier, or skipped). */
  readonly offset: number;
  /** No later part of the slice belongs to the same partition. */
  readonly endsSlice: boolean;
}

interface ResumePlan {
  readonly origin: number;
  readonly start: number;
  readonly earliest: number;
  readonly at: ReadonlyMap<number, Progress>;
}

const DEFAULT_MAX_REPLAY_LINES = 6_000_000;
/** The fault planner's warm-up unless one is given. */
const PLANNER_WARMUP_MS = 600_000;

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

function isPosition(value: unknown): value is SimulatorPosition {
  if (typeof value !== "object" || value === null) return false;
  const { origin, start, time, lines } = value as Record<string, unknown>;
  return (
    Number.isFinite(origin) &&
    Number.isFinite(start) &&
    Number.isFinite(time) &&
    (start as number) >= (origin as number) &&
    (time as number) >= (start as number) &&
    Number.isInteger(lines) &&
    (lines as number) >= 0
  );
}

/**
 * A `Source<string>` of simulated JSON lines with positions (`SimulatorPosition`
 * per partition). In real time (`realtime: true`) simulated time is paced to the
 * wall clock itself, so a run whose start lies in the past (an explicit `startMs`,
 * or a resumed run) catches up as fast as it can — like a broker delivering what it
 * retained — and then goes on in real time; `poll` waits at most 100 ms.
 *
 * Opened with `resumeFrom`, it continues where those positions are, in one of two ways:
 *
 * - **Exact** (when at most `maxReplayLines` lines lie before the earliest position):
 *   it regenerates the interrupted run from its start — seeded, so identically —
 *   handing out nothing before each partition's position. The data is what an
 *   uninterrupted run gives, so signals, faults in progress and ids carry on.
 *   The replay runs in `open`, yielding to the event loop every 50 ms.
 * - **New run** (longer histories): a run starting at the latest point of the
 *   reading and slice grid at or before the earliest position, seeded by the seed
 *   and that start, skipping what each partition already delivered. No simulated
 *   time is delivered twice or skipped, but each machine's slow load wander restarts
 *   (a step that the z-score detector reports once per sensor), faults in progress
 *   end, delayed deliveries still queued are lost, no fault starts before the first
 *   run's warm-up is over, and label ids get the suffix `@<start ms>`.
 *
 * `durationMs` and the faults' `warmupMs` count from the first run's start.
 */
export function resumableSimulatorSource(
  plant: Plant,
  options: ResumableSimulatorOptions = {},
): Source<string> {
  const single = options.partitioning === "single";
  const batchSize = options.batchSize ?? 1000;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new RangeError(
      `resumableSimulatorSource: batchSize must be a positive integer, got ${batchSize}`,
    );
  }
  const realtime = options.realtime ?? false;
  const intervalMs = options.intervalMs ?? 1000;
  const sliceMs =
    options.sliceMs ??
    (realtime
      ? 100
      : intervalMs * Math.max(1, Math.ceil(1000 / Math.max(1, plant.sensors.length))));
  if (
    !Number.isInteger(intervalMs) ||
    intervalMs < 1 ||
    !Number.isInteger(sliceMs) ||
    sliceMs < 1
  ) {
    throw new RangeError(
      `resumableSimulatorSource: intervalMs and sliceMs must be positive integers, got ${intervalMs} and ${sliceMs}`,
    );
  }
  const maxReplayLines = options.maxReplayLines ?? DEFAULT_MAX_REPLAY_LINES;
  const partitions = single ? 1 : plant.facilities.length;
  const seed = options.seed ?? plant.seed;

  /** The options of the run starting at `start` in a series that began at `origin`. */
  function runOptions(origin: number, start: number): SimulateOptions | null {
    const elapsed = start - origin;
    if (options.durationMs !== undefined && options.durationMs - elapsed <= 0) return null;
    const { faults } = options;
    return {
      ...options,
      startMs: start,
      sliceMs,
      ...(elapsed === 0
        ? {}
        : {
            seed: `${seed}@${start}`,
            faults:
              faults === false
                ? false
                : {
                    ...faults,
                    warmupMs: Math.max(0, (faults?.warmupMs ?? PLANNER_WARMUP_MS) - elapsed),
                  },
          }),
      ...(options.durationMs === undefined ? {} : { durationMs: options.durationMs - elapsed }),
    };
  }

  function resumePlan(resumeFrom: ReadonlyMap<number, unknown> | undefined): ResumePlan | null {
    if (resumeFrom === undefined || resumeFrom.size === 0) return null;
    let first: SimulatorPosition | undefined;
    const at = new Map<number, Progress>();
    for (const [partition, position] of resumeFrom) {
      if (
        !isPosition(position) ||
        (first !== undefined &&
          (position.origin !== first.origin || position.start !== first.start))
      ) {
        throw new RangeError(
          `resumableSimulatorSource: cannot resume from partition ${partition}'s position ${JSON.stringify(position)}: expected { origin, start, time, lines }, with the same origin and start in every partition`,
        );
      }
      first ??= position;
      if (partition >= 0 && partition < partitions) {
        at.set(partition, { time: position.time, lines: position.lines });
      }
    }
    if (first === undefined) return null;
    let earliest = Number.POSITIVE_INFINITY;
    for (let p = 0; p < partitions; p++) {
      earliest = Math.min(earliest, at.get(p)?.time ?? first.start);
    }
    return { origin: first.origin, start: first.start, earliest, at };
  }

  /** A reader that has nothing more to hand out, keeping the positions. */
  function endedReader(plan: ResumePlan): SourceReader<string> {
    const positions = new Map<number, SimulatorPosition>();
    for (let p = 0; p < partitions; p++) {
      const at = plan.at.get(p) ?? { time: plan.start, lines: 0 };
      positions.set(p, { origin: plan.origin, start: plan.start, ...at });
    }
    return {
      partitions,
      poll: async () => ({ kind: "end" }),
      positions: () => new Map(positions),
      close: async () => {},
    };
  }

  return {
    description: `simulator:${plant.facilities.length} facilities, ${plant.sensors.length} sensors`,
    async open(context: SourceContext): Promise<SourceReader<string>> {
      const plan = resumePlan(context.resumeFrom);
      let exact = false;
      let run: SimulatorRun;
      if (plan === null) {
        run = new SimulatorRun(plant, { ...options, sliceMs });
      } else {
        const history = ((plan.earliest - plan.start) / intervalMs) * plant.sensors.length;
        exact = history <= maxReplayLines;
        // A new run starts on the reading grid and the slice grid of the interrupted one.
        const grid = (intervalMs / gcd(intervalMs, sliceMs)) * sliceMs;
        const start = exact
          ? plan.start
          : plan.start + Math.floor((plan.earliest - plan.start) / grid) * grid;
        const resumed = runOptions(plan.origin, start);
        if (resumed === null) return endedReader(plan);
        run = new SimulatorRun(plant, resumed);
      }
      const origin = plan?.origin ?? run.startMs;
      options.onStart?.(run);
      const resumeAt = plan === null ? run.startMs : exact ? plan.earliest : run.startMs;
      if (plan !== null) options.onResume?.(resumeAt, exact);
      const renamed = run.startMs !== origin;
      const emitLabels = (labels: readonly FaultLabel[]) => {
        const fresh = exact ? labels.filter((l) => l.start_ms >= resumeAt) : labels;
        if (fresh.length === 0) return;
        options.onLabels?.(
          renamed ? fresh.map((l) => ({ ...l, id: `${l.id}@${run.startMs}` })) : fresh,
        );
      };
      if (exact && plan !== null) {
        let yielded = performance.now();
        while (run.timeMs + run.sliceMs <= plan.earliest) {
          const slice = run.nextSlice();
          if (slice === null) break;
          emitLabels(slice.labels);
          if (performance.now() - yielded > 50) {
            await new Promise((resolve) => setImmediate(resolve));
            yielded = performance.now();
          }
        }
      }

      /** Per partition: what has been handed out, and what a resumed run must not repeat. */
      const done: Progress[] = Array.from({ length: partitions }, (_, p) => {
        const at = plan?.at.get(p);
        return at === undefined || at.time < run.timeMs
          ? { time: run.timeMs, lines: 0 }
          : { ...at };
      });
      const skip = done.map((d) => ({ ...d }));
      const queue: { poll: SourcePoll<string>; partition: number; doneAt: Progress }[] = [];
      let pending: SimulatorSlice | null = null;
      let closed = false;

      /**
       * Queues the lines of consecutive slices, per partition in batches of up to
       * `batchSize` that may span slices (catching up gives big batches), skipping what
       * a resumed partition already handed out. Each batch records where its partition
       * stands once it is polled.
       */
      const enqueue = (slices: readonly SimulatorSlice[]) => {
        const last = slices[slices.length - 1]!;
        const segments: Segment[][] = Array.from({ length: partitions }, () => []);
        for (const slice of slices) {
          const offset = new Array<number>(partitions).fill(0);
          slice.partitions.forEach((part, k) => {
            const partition = single ? 0 : part.partition;
            const before = skip[partition]!;
            const size = part.end - part.start;
            let from = part.start;
            if (slice.toMs <= before.time) return;
            if (slice.fromMs === before.time && offset[partition]! < before.lines) {
              from = Math.min(part.end, from + before.lines - offset[partition]!);
            }
            const endsSlice = !slice.partitions
              .slice(k + 1)
              .some((other) => (single ? 0 : other.partition) === partition);
            if (from < part.end) {
              segments[partition]!.push({
                slice,
                from,
                to: part.end,
                offset: offset[partition]! + (from - part.start),
                endsSlice,
              });
            }
            offset[partition] = offset[partition]! + size;
          });
        }
        for (let p = 0; p < partitions; p++) {
          const list = segments[p]!;
          if (list.length === 0) {
            if (last.toMs > done[p]!.time) done[p] = { time: last.toMs, lines: 0 };
            continue;
          }
          let values: string[] = [];
          let at: Progress = done[p]!;
          list.forEach((seg, k) => {
            for (let i = seg.from; i < seg.to; ) {
              const end = Math.min(seg.to, i + batchSize - values.length);
              for (let j = i; j < end; j++) values.push(seg.slice.lines[j]!);
              at =
                end === seg.to && seg.endsSlice
                  ? { time: seg.slice.toMs, lines: 0 }
                  : { time: seg.slice.fromMs, lines: seg.offset + (end - seg.from) };
              i = end;
              const lastLine = k === list.length - 1 && end === seg.to;
              if (values.length === batchSize || lastLine) {
                queue.push({
                  poll: { kind: "batch", partition: p, values },
                  partition: p,
                  // No more line of the partition in these slices: done to their end.
                  doneAt: lastLine ? { time: last.toMs, lines: 0 } : at,
                });
                values = [];
              }
            }
          });
        }
      };

      return {
        partitions,
        async poll(): Promise<SourcePoll<string>> {
          for (;;) {
            const next = queue.shift();
            if (next !== undefined) {
              done[next.partition] = next.doneAt;
              return next.poll;
            }
            if (closed) return { kind: "end" };
            if (pending === null) {
              pending = run.nextSlice();
              if (pending === null) return { kind: "end" };
              emitLabels(pending.labels);
            }
            if (realtime) {
              const wait = pending.toMs - Date.now();
              if (wait > 0) {
                await new Promise((resolve) => setTimeout(resolve, Math.min(wait, 100)));
                if (Date.now() < pending.toMs) return { kind: "idle" };
              }
            }
            // Behind the clock (or not paced): take every slice that is due, up to a
            // batch per partition, so catching up moves big batches.
            const group = [pending];
            let size = pending.lines.length;
            pending = null;
            while (size < batchSize * partitions) {
              const more = run.nextSlice();
              if (more === null) break;
              emitLabels(more.labels);
              if (realtime && more.toMs > Date.now()) {
                pending = more;
                break;
              }
              group.push(more);
              size += more.lines.length;
            }
            enqueue(group);
            if (queue.length === 0 && realtime) return { kind: "idle" };
          }
        },
        positions(): Map<number, SimulatorPosition> {
          return new Map(
            done.map((d, p) => [p, { origin, start: run.startMs, time: d.time, lines: d.lines }]),
          );
        },
        async close() {
          closed = true;
          queue.length = 0;
        },
      };
    },
  };
}
