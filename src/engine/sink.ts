/**
 * The sink contract: how records leave a dataflow.
 */
import type { Batch } from "./batch.js";

/** What the runtime tells a sink when it opens it. */
export interface SinkContext {
  readonly step: string;
}

/**
 * A running sink. `write` is synchronous and must copy what it keeps (the batch
 * is reused after the call); `flush` makes everything written so far durable;
 * the runtime awaits `flush` before it polls more input whenever `needsFlush` is
 * true, which is how a slow sink applies backpressure.
 */
export interface SinkWriter<T> {
  write(batch: Batch<T>): void;
  readonly needsFlush?: boolean;
  flush(): Promise<void>;
  close(): Promise<void>;
}

/** A destination for records of type `T`. */
export interface Sink<T> {
  readonly description: string;
  open(context: SinkContext): Promise<SinkWriter<T>>;
}
