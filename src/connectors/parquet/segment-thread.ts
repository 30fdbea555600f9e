/**
 * The segment thread of a Parquet archive writer (see `segment-writer.ts`): holds the
 * writer's {@link SegmentStore}, appends each block it is sent, writes segments when
 * asked, and answers each request in turn.
 */
import { parentPort, workerData } from "node:worker_threads";
import { SegmentStore, type SegmentStoreOptions } from "./segment-store.js";
import type { SegmentReply, SegmentRequest } from "./segment-writer.js";

const port = parentPort;
if (port === null) throw new Error("segment-thread must run in a worker thread");

const opened = SegmentStore.open(workerData.store as SegmentStoreOptions);
opened.catch(() => {}); // reported to each request

function reply(done: Promise<unknown>, seq: number, transfer?: () => SegmentReply): void {
  done.then(
    () => {
      const answer = transfer?.() ?? { seq };
      const arrays = "arrays" in answer && answer.arrays ? answer.arrays : undefined;
      port?.postMessage(answer, arrays ? [arrays.numbers.buffer, arrays.kinds.buffer] : []);
    },
    (error: unknown) => {
      port?.postMessage({
        seq,
        error: error instanceof Error ? error.message : String(error),
      } satisfies SegmentReply);
    },
  );
}

port.on("message", (request: SegmentRequest) => {
  switch (request.op) {
    case "open":
      reply(opened, request.seq);
      break;
    case "append": {
      const { block } = request;
      reply(
        opened.then((store) => store.append(request.segment, block)),
        request.seq,
        // The arrays go back to be filled again.
        () => ({ seq: request.seq, arrays: { numbers: block.numbers, kinds: block.kinds } }),
      );
      break;
    }
    case "copy":
      reply(
        opened.then((store) => store.copy(request.segment, request.target, request.options)),
        request.seq,
      );
      break;
    case "close":
      opened
        .then((store) => store.close())
        .catch(() => {})
        .finally(() => port.close()); // the thread ends once nothing else is left to run
      break;
  }
});
