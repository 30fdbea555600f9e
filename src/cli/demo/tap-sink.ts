/**
 * A sink wrapper that lets the demo's live view watch records on their way to the
 * real sink, without changing what the sink writes or commits.
 */
import type { Batch, Sink, SinkContext, SinkWriter } from "../../engine/index.js";

/**
 * Wraps `sink` so that `watch` sees every batch written to it (after the sink's own
 * `write`, which is what takes the checkpoint-covered copy). `watch` runs on the
 * dataflow's hot path: keep it cheap, and copy what it keeps. Records are seen when
 * written, before the checkpoint that publishes them commits. Everything else
 * (flush, prepare, commit, close, back-pressure) is the wrapped sink's.
 */
export function tapSink<T>(sink: Sink<T>, watch: (values: readonly T[]) => void): Sink<T> {
  return {
    description: sink.description,
    async open(context: SinkContext): Promise<SinkWriter<T>> {
      const writer = await sink.open(context);
      const tapped: SinkWriter<T> = {
        write(batch: Batch<T>) {
          writer.write(batch);
          watch(batch.values);
        },
        get needsFlush() {
          return writer.needsFlush ?? false;
        },
        flush: () => writer.flush(),
        close: () => writer.close(),
      };
      if (writer.prepareCommit) tapped.prepareCommit = (id) => writer.prepareCommit!(id);
      if (writer.commit) tapped.commit = (id, progress) => writer.commit!(id, progress);
      return tapped;
    },
  };
}
