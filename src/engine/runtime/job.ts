/**
 * A running dataflow. Each source is pumped by its own async loop; a batch is
 * pushed through the operators synchronously, so operators never see concurrent
 * calls and state between two pushes is always consistent. A checkpoint is taken
 * between two pushes — which is where an in-band barrier from every source would
 * meet — while a gate holds the pumps back: every operator hands over what changed
 * since the last checkpoint, sinks prepare their writes, the gate opens, and then,
 * while the dataflow goes on, the store commits everything in one transaction,
 * sinks publish, and sources acknowledge upstream. Checkpoints come every interval,
 * and early when a step asks (`requestCheckpoint`, see checkpoint-requests.ts).
 */
import { type JobSnapshot, snapshotFromCheckpoint } from "../checkpoint/checkpoint-codec.js";
import { captureInto } from "../checkpoint/checkpoint-capture.js";
import {
  beginCheckpoint,
  type PositionRow,
  type SharedRow,
  type SinkProgressRow,
} from "../checkpoint/checkpoint-store.js";
import { type Clock, systemClock } from "../clock.js";
import { JobStateError, StepFailedError } from "../errors.js";
import type { StepProgress } from "../metrics/step-metrics.js";
import { DEFAULT_PARTITIONS } from "../partition.js";
import type { SinkWriter } from "../sink.js";
import type { SourcePoll, SourceReader, SourceStatus } from "../source.js";
import { type CompiledGraph, type CompiledSource, compileGraph } from "../stream/compile-graph.js";
import type { RunOptions } from "../stream/dataflow.js";
import type { SinkStep } from "../stream/stream.js";
import { CheckpointRequests, DEFAULT_MIN_PAUSE_MS } from "./checkpoint-requests.js";
import type { StepDelta, StepSnapshot } from "./operator.js";

/** Keys captured per chunk after the barrier, between which the dataflow runs. */
const CAPTURE_CHUNK = 500;

/**
 * Longest the pumps run without letting the event loop turn, in ms. A source with input
 * always ready resolves its polls at once, so without this the pumps would run on
 * microtasks alone, and timers, I/O callbacks and a checkpoint's background work
 * (capture, the store's commit) would wait until the input ran dry.
 */
const YIELD_AFTER_MS = 2;

export type { JobSnapshot } from "../checkpoint/checkpoint-codec.js";

export type JobState = "created" | "running" | "stopping" | "finished" | "failed";

/** Checkpoint metrics of a job. */
export interface CheckpointProgress {
  readonly completed: number;
  readonly failed: number;
  /** Id of the last completed checkpoint (or the one restored from). */
  readonly lastId: number | null;
  /** Processing time when the last checkpoint completed. */
  readonly lastCompletedAt: number | null;
  /** Time since then, in ms. */
  readonly ageMs: number | null;
  /** From barrier to acknowledgement, in ms. */
  readonly lastDurationMs: number | null;
  /** How long the dataflow was held at the barrier, in ms. */
  readonly lastPauseMs: number | null;
  /** JSON bytes of keyed state written by the last checkpoint. */
  readonly lastBytes: number | null;
  /** Keys written or deleted by the last checkpoint. */
  readonly lastKeys: number | null;
  /** Pauses of the most recent checkpoints (up to 100), oldest first, in ms. */
  readonly recentPausesMs: readonly number[];
  /**
   * Checkpoints that covered a request for an early one (`requestCheckpoint`); the
   * others were due by the interval only. Always given by a job.
   */
  readonly requested?: number;
}

/** The progress of a whole job, like Spark's `lastProgress`. */
export interface JobProgress {
  readonly name: string;
  readonly state: JobState;
  /** Processing time of this reading. */
  readonly timestamp: number;
  /** Lowest watermark among the sink steps (`null` before the first). */
  readonly watermark: number | null;
  /** Records read from all sources. */
  readonly recordsIn: number;
  readonly steps: readonly StepProgress[];
  readonly checkpoints: CheckpointProgress;
  /** Each running source's connection state and lag (empty before the job starts). */
  readonly sources: readonly SourceProgress[];
}

/** One source's connection state, from `SourceReader.status()`. */
export interface SourceProgress {
  readonly step: string;
  readonly description: string;
  readonly status: SourceStatus;
}

interface RunningSource {
  readonly compiled: CompiledSource;
  readonly reader: SourceReader<unknown>;
  readonly firstChannel: number;
  /**
   * The reader's positions just after its last poll was applied to the dataflow: what a
   * checkpoint records. Not `reader.positions()` at the barrier, which may already count
   * a batch that was polled but waits at the gate (a reader can move its position and
   * then await I/O before it returns the batch): restored, that batch would be lost.
   */
  applied: Map<number, unknown> | undefined;
}

interface RunningSink {
  readonly name: string;
  readonly writer: SinkWriter<unknown>;
}

const CONNECTED: SourceStatus = { state: "connected", lag: null };

export class Job {
  readonly #graph: CompiledGraph;
  readonly #clock: Clock;
  readonly #partitions: number;
  readonly #tickInterval: number;
  readonly #checkpointInterval: number;
  readonly #options: RunOptions;
  #state: JobState = "created";
  #failure: unknown = null;
  #sources: RunningSource[] = [];
  #sinks: RunningSink[] = [];
  #checkpointId = 0;
  #lastCheckpointStart = 0;
  #checkpointing: Promise<void> | null = null;
  #checkpointDue = false;
  /** Set once the final checkpoint begins: no other may start. */
  #closing = false;
  readonly #requests: CheckpointRequests;
  #gate: Promise<void> | null = null;
  /** When the pumps last let the event loop turn (`performance.now()`). */
  #lastYield = 0;
  /** A turn of the event loop is scheduled to let steps go on with pending work. */
  #workScheduled = false;
  /** Sink flushes, prepares and commits, one after another: a writer never sees two at once. */
  #sinkChain: Promise<unknown> = Promise.resolve();
  #cp = {
    completed: 0,
    failed: 0,
    lastId: null as number | null,
    lastCompletedAt: null as number | null,
    lastDurationMs: null as number | null,
    lastPauseMs: null as number | null,
    lastBytes: null as number | null,
    lastKeys: null as number | null,
    recentPausesMs: [] as number[],
  };

  constructor(
    readonly name: string,
    outputs: readonly SinkStep[],
    options: RunOptions = {},
  ) {
    this.#graph = compileGraph(outputs.map((o) => o.node));
    this.#clock = options.clock ?? systemClock;
    this.#partitions = options.partitions ?? DEFAULT_PARTITIONS;
    if (!Number.isInteger(this.#partitions) || this.#partitions < 1) {
      throw new RangeError(`partitions must be a positive integer, got ${this.#partitions}`);
    }
    this.#tickInterval = options.tickInterval ?? 100;
    this.#checkpointInterval = options.checkpoint?.interval ?? 5000;
    if (!(this.#checkpointInterval > 0)) {
      throw new RangeError(`checkpoint.interval must be > 0 ms, got ${this.#checkpointInterval}`);
    }
    this.#requests = new CheckpointRequests(
      options.checkpoint?.minPauseMs ?? DEFAULT_MIN_PAUSE_MS,
      () => this.#clock.now(),
      () => this.#startRequested(),
    );
    this.#options = options;
  }

  get state(): JobState {
    return this.#state;
  }

  /**
   * Runs until every source has ended, or `stop()` was called, then takes a final
   * checkpoint and closes sources and sinks. With a checkpoint store, it first
   * resumes from the store's latest checkpoint of this job. Rejects if a step or a
   * checkpoint fails.
   */
  async run(): Promise<void> {
    if (this.#state !== "created")
      throw new JobStateError(`job "${this.name}" was already started`);
    this.#state = "running";
    const context = { clock: this.#clock, partitions: this.#partitions };
    for (const op of this.#graph.operators) op.open(context);
    let ticker: ReturnType<typeof setInterval> | undefined;
    try {
      await this.#openAll(await this.#restorePoint());
      this.#lastCheckpointStart = this.#clock.now();
      // A step restored in the middle of work done in slices goes on with it.
      this.#scheduleWork();
      if (this.#tickInterval > 0) ticker = setInterval(() => this.#tick(), this.#tickInterval);
      await Promise.all(this.#sources.map((s) => this.#pump(s)));
      if (this.#failure !== null) throw this.#failure;
      await this.#finishWork();
      if (this.#failure !== null) throw this.#failure;
      this.#closing = true;
      this.#requests.close();
      await this.#checkpoint();
      this.#state = "finished";
    } catch (error) {
      this.#state = "failed";
      throw error;
    } finally {
      if (ticker !== undefined) clearInterval(ticker);
      this.#closing = true;
      this.#requests.close();
      await this.#closeAll();
    }
  }

  /**
   * Graceful stop: sources are not polled again, the batch in flight finishes (and
   * work left from pushes, such as windows the watermark closed that fire in slices),
   * a final checkpoint is taken, sinks are closed; `run()` then resolves. Windows
   * that have not closed do not fire: they resume from the checkpoint.
   */
  stop(): void {
    if (this.#state === "running") this.#state = "stopping";
  }

  /**
   * Asks for a checkpoint soon, ahead of the interval (what sinks get as
   * `SinkContext.requestCheckpoint`): it starts between two batches once no
   * checkpoint is in flight and `checkpoint.minPauseMs` has passed since the last
   * one ended. A checkpoint covers every request made before its barrier, and
   * requests made while one is pending are merged. Does nothing unless the job is
   * running.
   */
  requestCheckpoint(): void {
    if (this.#state === "running" && !this.#closing) this.#requests.request();
  }

  /** A consistent snapshot of every step's state and every source's position. */
  snapshot(): JobSnapshot {
    const steps = new Map<string, StepSnapshot>();
    for (const op of this.#graph.operators) {
      const s = op.snapshotState();
      if (s !== undefined) steps.set(op.step, s);
    }
    const sources = new Map<string, ReadonlyMap<number, unknown>>();
    for (const s of this.#sources) {
      if (s.applied) sources.set(s.compiled.name, s.applied);
    }
    return { steps, sources };
  }

  progress(): JobProgress {
    const steps = this.#graph.operators.map((op) => op.progress());
    let watermark = Number.POSITIVE_INFINITY;
    for (const s of this.#graph.sinks) watermark = Math.min(watermark, s.operator.watermark);
    let recordsIn = 0;
    for (const s of this.#graph.sources) recordsIn += s.operator.metrics.recordsIn;
    const now = this.#clock.now();
    const cp = this.#cp;
    return {
      name: this.name,
      state: this.#state,
      timestamp: now,
      watermark: Number.isFinite(watermark) || watermark > 0 ? watermark : null,
      recordsIn,
      steps,
      sources: this.#sources.map((s) => ({
        step: s.compiled.name,
        description: s.compiled.source.description,
        status: s.reader.status?.() ?? CONNECTED,
      })),
      checkpoints: {
        ...cp,
        requested: this.#requests.served,
        recentPausesMs: [...cp.recentPausesMs],
        ageMs: cp.lastCompletedAt === null ? null : now - cp.lastCompletedAt,
      },
    };
  }

  async #restorePoint(): Promise<JobSnapshot | undefined> {
    if (this.#options.restore) return this.#options.restore;
    const store = this.#options.checkpoint?.store;
    if (!store) return undefined;
    const stored = await store.latest(this.name);
    return stored ? snapshotFromCheckpoint(stored) : undefined;
  }

  async #openAll(restore: JobSnapshot | undefined): Promise<void> {
    const requestCheckpoint = () => this.requestCheckpoint();
    const restoredId = restore?.checkpointId;
    if (restoredId !== undefined) {
      this.#checkpointId = restoredId;
      this.#cp.lastId = restoredId;
    }
    for (const s of this.#graph.sinks) {
      const writer = await s.sink.open(
        restoredId === undefined
          ? { step: s.name, requestCheckpoint }
          : {
              step: s.name,
              restored: { checkpointId: restoredId, progress: restore?.sinks?.get(s.name) },
              requestCheckpoint,
            },
      );
      s.operator.writer = writer;
      this.#sinks.push({ name: s.name, writer });
    }
    let channel = 0;
    const channelsOf = new Map<string, number[]>();
    for (const compiled of this.#graph.sources) {
      const resumeFrom = restore?.sources.get(compiled.name);
      const reader = await compiled.source.open(
        resumeFrom ? { step: compiled.name, resumeFrom } : { step: compiled.name },
      );
      const channels = Array.from({ length: reader.partitions }, (_, i) => channel + i);
      this.#sources.push({
        compiled,
        reader,
        firstChannel: channel,
        applied: reader.positions?.(),
      });
      channel += reader.partitions;
      channelsOf.set(compiled.name, channels);
      compiled.operator.registerChannels(channels);
    }
    for (const [op, names] of this.#graph.eventTimeSources) {
      op.registerChannels(names.flatMap((n) => channelsOf.get(n) ?? []));
    }
    if (restore) {
      for (const op of this.#graph.operators) {
        const s = restore.steps.get(op.step);
        if (s !== undefined) op.restoreState(s);
      }
    }
  }

  async #pump(s: RunningSource): Promise<void> {
    const op = s.compiled.operator;
    while (this.#state === "running") {
      // A checkpoint came due while another was committing: take it before reading on,
      // so no more than one interval of input separates two checkpoints.
      while (this.#checkpointDue && this.#checkpointing !== null) await this.#checkpointing;
      if (performance.now() - this.#lastYield >= YIELD_AFTER_MS) {
        await new Promise((resolve) => setImmediate(resolve));
        this.#lastYield = performance.now();
      }
      let poll: SourcePoll<unknown>;
      try {
        poll = await s.reader.poll();
      } catch (error) {
        throw new StepFailedError(s.compiled.name, "source failed while polling", { cause: error });
      }
      while (this.#gate !== null) await this.#gate;
      // A batch already polled is processed even when stopping: the source's position
      // has moved past it, so the final checkpoint must include it.
      if (this.#state !== "running" && this.#state !== "stopping") break;
      if (poll.kind === "batch") {
        const n = poll.values.length;
        let times = poll.times;
        if (times === undefined) {
          const now = this.#clock.now();
          times = new Array<number>(n).fill(now);
        }
        op.receiveBatch(
          { values: poll.values, times, channel: s.firstChannel + poll.partition },
          0,
        );
      } else if (poll.kind === "watermark") {
        op.assertWatermark(s.firstChannel + poll.partition, poll.time);
      } else if (poll.kind === "end") {
        op.finish();
        return;
      }
      s.applied = s.reader.positions?.();
      this.#tick();
      while (this.#gate !== null) await this.#gate;
      if (this.#sinks.some(({ writer }) => writer.needsFlush)) {
        await this.#serially(() =>
          Promise.all(
            this.#sinks.map(({ writer }) => (writer.needsFlush ? writer.flush() : undefined)),
          ),
        );
      }
    }
  }

  #tick(): void {
    // Nothing may change state between a checkpoint's snapshot and the gate opening.
    if (this.#gate !== null) return;
    const now = this.#clock.now();
    for (const op of this.#graph.operators) op.tick(now);
    this.#scheduleWork();
    if (this.#state !== "running" || this.#closing) return;
    if (now - this.#lastCheckpointStart >= this.#checkpointInterval) this.#startCheckpoint();
    else if (this.#requests.due() && this.#checkpointing === null) this.#startCheckpoint();
  }

  /**
   * A requested checkpoint may start (the pause is over). While one is in flight
   * nothing happens: its end tries again.
   */
  #startRequested(): void {
    if (this.#state !== "running" || this.#closing || this.#checkpointing !== null) return;
    if (this.#requests.due()) this.#startCheckpoint();
    else this.#requests.retry();
  }

  /**
   * Starts a checkpoint now, or right after the one in flight (checkpoints never
   * overlap). Runs between two pushes: from a tick, from the microtask that ends
   * the previous checkpoint, or from the timer of a requested checkpoint.
   */
  #startCheckpoint(): void {
    if (this.#closing) return;
    if (this.#checkpointing !== null) {
      this.#checkpointDue = true;
      return;
    }
    this.#checkpointDue = false;
    this.#checkpointing = this.#checkpoint()
      .catch((error: unknown) => {
        this.#failure = error;
        this.#state = "failed";
      })
      .finally(() => {
        this.#checkpointing = null;
        this.#requests.ended();
        if (this.#checkpointDue && this.#state === "running") this.#startCheckpoint();
      });
  }

  /**
   * One checkpoint. Without a store, sinks still prepare and publish their writes
   * (and sources acknowledge), but no state is written.
   */
  async #checkpoint(): Promise<void> {
    const started = performance.now();
    this.#lastCheckpointStart = this.#clock.now();
    this.#requests.taken();
    const store = this.#options.checkpoint?.store;
    const id = ++this.#checkpointId;
    let release!: () => void;
    this.#gate = new Promise((resolve) => {
      release = resolve;
    });
    const shared: SharedRow[] = [];
    const positions: PositionRow[] = [];
    const sinks: SinkProgressRow[] = [];
    const acks: [SourceReader<unknown>, Map<number, unknown>][] = [];
    const progress: unknown[] = [];
    const deltas: [string, StepDelta][] = [];
    let bytes = 0;
    let keys = 0;
    let pauseMs: number;
    let preparing: Promise<unknown>[] = [];
    try {
      if (store) {
        for (const op of this.#graph.operators) {
          const delta = op.snapshotDelta();
          if (delta === undefined) continue;
          deltas.push([op.step, delta]);
          if (delta.shared !== undefined) {
            shared.push({ step: op.step, state: JSON.stringify(delta.shared) });
          }
        }
      }
      for (const s of this.#sources) {
        const at = s.applied;
        if (!at) continue;
        acks.push([s.reader, at]);
        for (const [partition, position] of at) {
          positions.push({ step: s.compiled.name, partition, position: JSON.stringify(position) });
        }
      }
      // Every sink is at the barrier at once; those preparing in the background are
      // awaited after the dataflow goes on.
      preparing = await this.#serially(async () =>
        this.#sinks.map(({ writer }) => {
          const prepare = writer.prepareCommit
            ? writer.prepareCommit(id)
            : writer.flush().then(() => undefined);
          prepare.catch(() => {}); // awaited below, but perhaps after another fails
          return prepare;
        }),
      );
      await Promise.all(preparing.filter((_, i) => !this.#sinks[i]?.writer.preparesInBackground));
    } catch (error) {
      this.#cp.failed++;
      throw new StepFailedError(this.name, `checkpoint ${id} failed at the barrier`, {
        cause: error,
      });
    } finally {
      this.#gate = null;
      release();
      pauseMs = performance.now() - started;
      this.#scheduleWork();
    }
    // The sinks' progress once every sink is prepared (at once unless some prepare in
    // the background); a prepare failing fails the checkpoint at the barrier.
    let barrierFailure: StepFailedError | null = null;
    const prepared = Promise.all(preparing).then(
      (results) => {
        this.#sinks.forEach(({ name }, i) => {
          progress.push(results[i]);
          if (results[i] !== undefined)
            sinks.push({ step: name, progress: JSON.stringify(results[i]) });
        });
        return sinks;
      },
      (error: unknown) => {
        barrierFailure = new StepFailedError(this.name, `checkpoint ${id} failed at the barrier`, {
          cause: error,
        });
        throw barrierFailure;
      },
    );
    prepared.catch(() => {}); // awaited below
    const background = this.#sinks.some(({ writer }) => writer.preparesInBackground);
    try {
      if (store) {
        // State is captured while background prepares settle: each key the dataflow
        // changes meanwhile is captured first (copy-on-write), so waiting for them
        // before capturing would hold all that state at once.
        const written = await captureInto(
          beginCheckpoint(store, {
            job: this.name,
            id,
            createdAt: this.#clock.now(),
            shared,
            positions,
            sinks: background ? [] : await prepared,
          }),
          deltas,
          CAPTURE_CHUNK,
          background ? prepared : undefined,
        );
        bytes = written.bytes;
        keys = written.keys;
      } else {
        await prepared;
      }
      await this.#serially(() =>
        Promise.all(this.#sinks.map(({ writer }, i) => writer.commit?.(id, progress[i]))),
      );
      await Promise.all(acks.map(([reader, at]) => reader.acknowledge?.(at) ?? Promise.resolve()));
    } catch (error) {
      this.#cp.failed++;
      if (error === barrierFailure) throw error;
      throw new StepFailedError(this.name, `checkpoint ${id} failed to commit`, { cause: error });
    }
    const cp = this.#cp;
    cp.completed++;
    cp.lastId = id;
    cp.lastCompletedAt = this.#clock.now();
    cp.lastDurationMs = performance.now() - started;
    cp.lastPauseMs = pauseMs;
    cp.lastBytes = bytes;
    cp.lastKeys = keys;
    cp.recentPausesMs.push(pauseMs);
    if (cp.recentPausesMs.length > 100) cp.recentPausesMs.shift();
  }

  /**
   * Lets steps with work left over from a push (`Operator.hasPendingWork`: a window
   * step firing a closing slide in slices) go on between pushes, one slice per step per
   * turn of the event loop, until none has any. Never while a checkpoint's barrier
   * holds the dataflow (its end calls this again) nor once the final checkpoint has
   * begun (the work resumes from it). A step failing fails the job, as in a push.
   */
  #scheduleWork(): void {
    if (this.#workScheduled || this.#closing) return;
    if (!this.#graph.operators.some((op) => op.hasPendingWork())) return;
    this.#workScheduled = true;
    setImmediate(() => {
      this.#workScheduled = false;
      if (this.#gate !== null || this.#closing) return;
      if (this.#state !== "running" && this.#state !== "stopping") return;
      try {
        for (const op of this.#graph.operators) if (op.hasPendingWork()) op.continueWork();
      } catch (error) {
        this.#failure ??= error;
        this.#state = "failed";
        return;
      }
      this.#scheduleWork();
    });
  }

  /**
   * After the last push: waits for the checkpoint in flight, and lets steps finish the
   * work the pushes left them (a firing in slices), so a graceful stop emits every
   * window its input closed before the final checkpoint, as when it fired in one push.
   */
  async #finishWork(): Promise<void> {
    for (;;) {
      while (this.#checkpointing !== null) await this.#checkpointing;
      if (this.#failure !== null) return;
      const pending = this.#graph.operators.filter((op) => op.hasPendingWork());
      if (pending.length === 0) return;
      try {
        for (const op of pending) op.continueWork();
      } catch (error) {
        this.#failure ??= error;
        this.#state = "failed";
        return;
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  #serially<T>(work: () => Promise<T>): Promise<T> {
    const next = this.#sinkChain.then(work);
    this.#sinkChain = next.catch(() => undefined);
    return next;
  }

  async #closeAll(): Promise<void> {
    const closing: Promise<void>[] = [];
    for (const s of this.#sources) closing.push(s.reader.close());
    for (const { writer } of this.#sinks) closing.push(writer.close());
    const results = await Promise.allSettled(closing);
    const failed = results.find((r) => r.status === "rejected");
    if (failed && this.#state !== "failed") {
      this.#state = "failed";
      throw new StepFailedError(this.name, "closing a source or sink failed", {
        cause: (failed as PromiseRejectedResult).reason,
      });
    }
  }
}
