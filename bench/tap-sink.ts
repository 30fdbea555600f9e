/**
 * A sink that shows each batch to an observer (a benchmark's clock) before handing it
 * to the sink it wraps, which does everything else as it would alone.
 */
import type { Batch, Sink } from "../src/engine/index.js";

export function tapSink<T>(inner: Sink<T>, observe: (batch: Batch<T>) => void): Sink<T> {
  return {
    description: inner.description,
    async open(context) {
      const writer = await inner.open(context);
      return {
        write(batch) {
          observe(batch);
          writer.write(batch);
        },
        get needsFlush() {
          return writer.needsFlush ?? false;
        },
        flush: () => writer.flush(),
        prepareCommit: (id) => writer.prepareCommit?.(id) ?? writer.flush(),
        commit: (id, progress) => writer.commit?.(id, progress) ?? Promise.resolve(),
        close: () => writer.close(),
      };
    },
  };
}
