/**
 * A Parquet archive writer's DuckDB on a worker thread of its own, so that the event
 * loop only fills blocks of rows: appending them to DuckDB and writing Parquet happen
 * there (see `segment-store.ts`). Requests are served in the order sent. When the thread
 * cannot start, the store runs on the event loop instead.
 */
import type { Worker } from "node:worker_threads";
import { siblingModule, startModuleWorker } from "../../engine/index.js";
import { releaseFreedMemoryPromptly } from "./duckdb-allocator.js";
import type { RowBlockData } from "./row-block.js";
import type { SegmentStore, SegmentStoreOptions } from "./segment-store.js";

/** What the thread is sent. */
export type SegmentRequest =
  | { readonly op: "open"; readonly seq: number }
  | {
      readonly op: "append";
      readonly seq: number;
      readonly segment: number;
      readonly block: RowBlockData;
    }
  | {
      readonly op: "copy";
      readonly seq: number;
      readonly segment: number;
      readonly target: string;
      readonly options: string;
    }
  | { readonly op: "close" };

/** A block's typed arrays, back from the thread for the next block to fill. */
export interface BlockArrays {
  readonly numbers: Float64Array<ArrayBuffer>;
  readonly kinds: Uint8Array<ArrayBuffer>;
}

/** The thread's answer to request `seq`: done (with an appended block's arrays), or why not. */
export type SegmentReply =
  | { readonly seq: number; readonly arrays?: BlockArrays; readonly error?: undefined }
  | { readonly seq: number; readonly error: string };

/** Arrays kept for new blocks; more are left to the collector. */
const MAX_SPARE = 4;

interface Waiting {
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

/** One archive writer's segment store, on its thread. */
export class SegmentWriter {
  readonly #worker: Worker | null;
  /** The store on the event loop, when the thread could not start. */
  readonly #here: Promise<SegmentStore> | null;
  readonly #waiting = new Map<number, Waiting>();
  #seq = 0;
  /** Arrays of appended blocks, for new ones: allocating them anew costs collections. */
  readonly #spare: BlockArrays[] = [];
  /** Why the thread stopped, once it has: later requests fail with it. */
  #stopped: string | null = null;
  #exited = false;

  private constructor(worker: Worker | null, here: Promise<SegmentStore> | null) {
    this.#worker = worker;
    this.#here = here;
    if (worker !== null) this.#listen(worker);
  }

  /** Starts the thread and its DuckDB; rejects when DuckDB cannot start. */
  static async open(options: SegmentStoreOptions): Promise<SegmentWriter> {
    // Here, on the main thread, before DuckDB starts (on the thread or, failing that,
    // here): the thread's environment is its own copy.
    releaseFreedMemoryPromptly();
    let worker: Worker | null;
    try {
      worker = startModuleWorker(siblingModule(import.meta.url, "./segment-thread"), {
        workerData: { store: options },
      });
    } catch {
      worker = null;
    }
    // DuckDB is loaded by the thread; here only when the thread cannot start.
    const writer = new SegmentWriter(
      worker,
      worker === null
        ? import("./segment-store.js").then(({ SegmentStore }) => SegmentStore.open(options))
        : null,
    );
    if (worker !== null) worker.unref();
    try {
      await writer.#request((seq) => ({ op: "open", seq }));
      return writer;
    } catch (error) {
      await writer.close().catch(() => {});
      throw error;
    }
  }

  /**
   * Appends `block` to segment `segment`. The block's arrays are transferred: do not use
   * them after.
   */
  append(segment: number, block: RowBlockData): Promise<void> {
    if (this.#here !== null) {
      return this.#here.then((store) => {
        const appended = store.append(segment, block);
        void appended.then(
          () => this.#keep(block),
          () => {},
        );
        return appended;
      });
    }
    return this.#request(
      (seq) => ({ op: "append", seq, segment, block }),
      [block.numbers.buffer, block.kinds.buffer],
    );
  }

  /** Writes segment `segment` with `COPY … TO target (options)`; resolves once written. */
  copy(segment: number, target: string, options: string): Promise<void> {
    if (this.#here !== null)
      return this.#here.then((store) => store.copy(segment, target, options));
    return this.#request((seq) => ({ op: "copy", seq, segment, target, options }));
  }

  /** Arrays of `size` cells from an appended block, if any, for a new block to fill. */
  spareArrays(size: number): BlockArrays | undefined {
    const spare = this.#spare;
    while (spare.length > 0) {
      const arrays = spare.pop() as BlockArrays;
      if (arrays.kinds.length === size) return arrays;
    }
    return undefined;
  }

  /**
   * Closes DuckDB once the requests sent are served, and stops the thread (it exits by
   * itself: `terminate` can hang a thread that loaded modules through loader hooks, as
   * under tsx).
   */
  async close(): Promise<void> {
    if (this.#here !== null) {
      await (await this.#here.catch(() => null))?.close();
      return;
    }
    const worker = this.#worker as Worker;
    if (this.#stopped === null && !this.#exited) {
      this.#stopped = "closed";
      const exited = new Promise((resolve) => worker.once("exit", resolve));
      worker.ref();
      worker.postMessage({ op: "close" } satisfies SegmentRequest);
      await exited;
    }
    this.#stopped ??= "closed";
  }

  #keep(arrays: BlockArrays): void {
    if (this.#spare.length < MAX_SPARE) this.#spare.push(arrays);
  }

  #request(make: (seq: number) => SegmentRequest, transfer: ArrayBuffer[] = []): Promise<void> {
    if (this.#here !== null) return this.#here.then(() => {});
    if (this.#stopped !== null) {
      return Promise.reject(new Error(`the Parquet segment thread stopped: ${this.#stopped}`));
    }
    const worker = this.#worker as Worker;
    const seq = ++this.#seq;
    return new Promise<void>((resolve, reject) => {
      this.#waiting.set(seq, { resolve, reject });
      if (this.#waiting.size === 1) worker.ref();
      worker.postMessage(make(seq), transfer);
    });
  }

  #listen(worker: Worker): void {
    worker.on("message", (reply: SegmentReply) => {
      const waiting = this.#waiting.get(reply.seq);
      this.#waiting.delete(reply.seq);
      // Idle, it need not keep the process alive; closing, it must until it exits.
      if (this.#waiting.size === 0 && this.#stopped === null) worker.unref();
      if (reply.error !== undefined) waiting?.reject(new Error(reply.error));
      else {
        if (reply.arrays) this.#keep(reply.arrays);
        waiting?.resolve();
      }
    });
    const stop = (why: string): void => {
      this.#stopped ??= why;
      for (const { reject } of this.#waiting.values()) {
        reject(new Error(`the Parquet segment thread stopped: ${why}`));
      }
      this.#waiting.clear();
    };
    worker.on("error", (error) => stop(error.message));
    worker.on("exit", (code) => {
      this.#exited = true;
      stop(`exit code ${code}`);
    });
  }
}
