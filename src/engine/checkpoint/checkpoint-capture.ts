/**
 * How a job hands a checkpoint's keyed state to the store's writer after the barrier.
 * Capture is copy-on-write: the keys not captured yet are captured here in chunks,
 * between which the dataflow runs on (and captures any key it is about to change).
 */
import type { StepDelta } from "../runtime/operator.js";
import { deltaRows } from "./checkpoint-codec.js";
import type { CheckpointWriter, SinkProgressRow, StateRow } from "./checkpoint-store.js";

/**
 * While the writer is not ready for more (backpressure), how often the keys the
 * dataflow captured before changing them are still handed over, in ms.
 */
const HAND_OVER_MS = 20;

/** Keys and JSON bytes of keyed state a checkpoint wrote. */
export interface CapturedSize {
  bytes: number;
  keys: number;
}

/**
 * Captures the keys of `deltas` not captured yet, `chunk` keys at a time, and commits
 * them through `writer` (`finish`, with `sinks` once it resolves when given; `abort`
 * when capture fails or `sinks` rejects). Each turn first hands
 * the writer every key captured so far in any step, so that captured state does not
 * wait in the deltas (where it is held twice, as objects and as JSON), then waits for
 * the writer's `ready()` before capturing the next chunk: the writer is never fed
 * faster than it writes. A checkpoint then holds the writer's bound of captured JSON,
 * a chunk, and what the dataflow captured on its own while the writer caught up (at
 * most one version of each changed key, and handed over every `HAND_OVER_MS`).
 */
export async function captureInto(
  writer: CheckpointWriter,
  deltas: readonly [string, StepDelta][],
  chunk: number,
  sinks?: Promise<readonly SinkProgressRow[]>,
): Promise<CapturedSize> {
  const written: CapturedSize = { bytes: 0, keys: 0 };
  let late: readonly SinkProgressRow[] | undefined;
  try {
    for (const [, delta] of deltas) {
      for (;;) {
        handOver(deltas, writer, written, chunk);
        if (writer.ready) await readyHandingOver(writer.ready(), writer, deltas, written, chunk);
        if (delta.complete === undefined || delta.complete(chunk)) break;
        handOver(deltas, writer, written, chunk);
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
    handOver(deltas, writer, written, chunk);
    // The sinks' progress, when they prepare in the background: the state was
    // captured meanwhile.
    late = sinks === undefined ? undefined : await sinks;
  } catch (error) {
    writer.abort();
    throw error;
  }
  await writer.finish(late);
  return written;
}

/**
 * Waits for the writer's `ready()`, handing the writer what the dataflow
 * captures meanwhile every `HAND_OVER_MS`: state captured before a change waits in the
 * deltas as objects and JSON, the writer holds it as JSON only.
 */
async function readyHandingOver(
  ready: Promise<void>,
  writer: CheckpointWriter,
  deltas: readonly [string, StepDelta][],
  written: CapturedSize,
  chunk: number,
): Promise<void> {
  let isReady = false;
  const settled = ready.then(() => {
    isReady = true;
  });
  for (;;) {
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      settled,
      new Promise((resolve) => {
        timer = setTimeout(resolve, HAND_OVER_MS);
      }),
    ]);
    clearTimeout(timer);
    if (isReady) return;
    handOver(deltas, writer, written, chunk);
  }
}

/**
 * Hands `writer` the keys captured so far in every step, in rows of at most `chunk`
 * keys, and counts them into `written`.
 */
function handOver(
  deltas: readonly [string, StepDelta][],
  writer: CheckpointWriter,
  written: CapturedSize,
  chunk: number,
): void {
  for (const [step, delta] of deltas) {
    while (delta.keys.length > 0) {
      const rows: StateRow[] = [];
      written.bytes += deltaRows(step, delta.keys.splice(0, chunk), rows);
      written.keys += rows.length;
      writer.add(rows);
    }
  }
}
