/**
 * One sink step writing to several destinations at once (files, PostgreSQL, Redis, a
 * broker): every batch goes to each, and each destination keeps its own checkpoint
 * progress, so each keeps its own guarantee.
 */
import type { Batch, Sink, SinkContext, SinkWriter } from "../engine/index.js";

/** One destination of a {@link FanOutSink}: a stable name (it keys the progress) and the sink. */
export interface FanOutTarget<T> {
  readonly name: string;
  readonly sink: Sink<T>;
}

/** The progress a {@link FanOutSink} returns: each target's, by name (absent when it had none). */
export interface FanOutProgress {
  readonly fanOut: Readonly<Record<string, unknown>>;
}

function isFanOutProgress(progress: unknown): progress is FanOutProgress {
  return (
    typeof progress === "object" &&
    progress !== null &&
    "fanOut" in progress &&
    typeof (progress as { fanOut: unknown }).fanOut === "object" &&
    (progress as { fanOut: unknown }).fanOut !== null
  );
}

/**
 * Writes every record to each target.
 *
 * - `open` opens the targets in order with the same step and, on restore, each with
 *   its own progress from the checkpoint. A target missing from the checkpoint (added
 *   to the configuration since) opens as a new step does: restored, without progress.
 *   Progress of a checkpoint taken before the step fanned out (a plain sink's
 *   progress) goes to the first target, so a single sink can become the first of
 *   several without losing its restore.
 * - `write`, `flush`, `prepareCommit` and `commit` go to every target; `needsFlush`
 *   is true when any target's is. A target without `prepareCommit` is flushed instead.
 * - Any target failing fails the step (and the job): a destination is never skipped.
 * - `close` closes every target, even after one failed, and rethrows the first failure.
 */
export class FanOutSink<T> implements Sink<T> {
  readonly description: string;
  readonly #targets: readonly FanOutTarget<T>[];

  constructor(targets: readonly FanOutTarget<T>[]) {
    if (targets.length === 0) throw new TypeError("FanOutSink: give at least one target");
    const names = new Set<string>();
    for (const t of targets) {
      if (typeof t.name !== "string" || t.name === "")
        throw new TypeError("FanOutSink: every target needs a name");
      if (names.has(t.name)) throw new TypeError(`FanOutSink: two targets are named "${t.name}"`);
      names.add(t.name);
    }
    this.#targets = targets;
    this.description = `fan-out(${targets.map((t) => t.sink.description).join(", ")})`;
  }

  async open(context: SinkContext): Promise<SinkWriter<T>> {
    const restored = context.restored;
    const writers: { name: string; writer: SinkWriter<T> }[] = [];
    try {
      for (const [i, target] of this.#targets.entries()) {
        // Each target sees the step and may ask for an early checkpoint, as the fan-out may.
        const shared: SinkContext = context.requestCheckpoint
          ? { step: context.step, requestCheckpoint: context.requestCheckpoint }
          : { step: context.step };
        let own: SinkContext = shared;
        if (restored) {
          const { checkpointId, progress } = restored;
          let mine: unknown;
          if (isFanOutProgress(progress)) mine = progress.fanOut[target.name];
          else if (i === 0) mine = progress;
          own = { ...shared, restored: { checkpointId, progress: mine } };
        }
        writers.push({ name: target.name, writer: await target.sink.open(own) });
      }
    } catch (error) {
      await Promise.allSettled(writers.map(({ writer }) => writer.close()));
      throw error;
    }
    return new FanOutWriter(writers);
  }
}

class FanOutWriter<T> implements SinkWriter<T> {
  readonly #writers: readonly { name: string; writer: SinkWriter<T> }[];

  constructor(writers: readonly { name: string; writer: SinkWriter<T> }[]) {
    this.#writers = writers;
  }

  get needsFlush(): boolean {
    return this.#writers.some(({ writer }) => writer.needsFlush === true);
  }

  write(batch: Batch<T>): void {
    for (const { writer } of this.#writers) writer.write(batch);
  }

  async flush(): Promise<void> {
    await Promise.all(this.#writers.map(({ writer }) => writer.flush()));
  }

  async prepareCommit(checkpointId: number): Promise<unknown> {
    const progress = await Promise.all(
      this.#writers.map(({ writer }) =>
        writer.prepareCommit
          ? writer.prepareCommit(checkpointId)
          : writer.flush().then(() => undefined),
      ),
    );
    const fanOut: Record<string, unknown> = {};
    this.#writers.forEach(({ name }, i) => {
      if (progress[i] !== undefined) fanOut[name] = progress[i];
    });
    return { fanOut } satisfies FanOutProgress;
  }

  async commit(checkpointId: number, progress: unknown): Promise<void> {
    const parts = isFanOutProgress(progress) ? progress.fanOut : {};
    await Promise.all(
      this.#writers.map(({ name, writer }) => writer.commit?.(checkpointId, parts[name])),
    );
  }

  async close(): Promise<void> {
    const results = await Promise.allSettled(this.#writers.map(({ writer }) => writer.close()));
    const failed = results.find((r) => r.status === "rejected");
    if (failed) throw (failed as PromiseRejectedResult).reason;
  }
}
