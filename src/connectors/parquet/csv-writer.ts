/**
 * Writes blocks of rows as CSV files on a worker thread, so that the event loop only
 * fills the blocks: formatting numbers and strings as text and writing the file is most
 * of the cost of loading rows into DuckDB. Blocks are written in the order sent. When
 * the thread cannot start, blocks are written here instead.
 */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Worker } from "node:worker_threads";
import { siblingModule, startModuleWorker } from "../../engine/index.js";
import { CsvFormatter } from "./csv-text.js";
import type { RowBlockData } from "./row-block.js";

/** A block to write to `file` (absolute), or the end: what the thread is sent. */
export type CsvWriteRequest =
  | { readonly seq: number; readonly file: string; readonly block: RowBlockData }
  | { readonly close: true };

/** A block's typed arrays, back from the thread for the next block to fill. */
export interface BlockArrays {
  readonly numbers: Float64Array<ArrayBuffer>;
  readonly kinds: Uint8Array<ArrayBuffer>;
}

/**
 * The thread's answer: the written file's longest line (UTF-16 code units) and the
 * block's arrays, or why it failed.
 */
export type CsvWriteReply =
  | {
      readonly seq: number;
      readonly longest: number;
      readonly arrays: BlockArrays;
      readonly error?: undefined;
    }
  | { readonly seq: number; readonly error: string };

/** Arrays kept for new blocks; more are left to the collector. */
const MAX_SPARE = 4;

interface Waiting {
  readonly resolve: (longest: number) => void;
  readonly reject: (error: Error) => void;
}

/** One writer's CSV thread, started on the first block. */
export class CsvWriter {
  #worker: Worker | null | undefined;
  readonly #waiting = new Map<number, Waiting>();
  #seq = 0;
  /** Arrays of written blocks, for new ones: allocating them anew costs collections. */
  readonly #spare: BlockArrays[] = [];
  /** Formats here when the thread could not start. */
  #formatter: CsvFormatter | undefined;
  /** Why the thread stopped, once it has: later blocks fail with it. */
  #stopped: string | null = null;
  #exited = false;

  /**
   * Writes `block` as CSV to `file`, creating its folder; resolves to the longest line's
   * length in UTF-16 code units. The block's arrays are transferred: do not use them after.
   */
  write(block: RowBlockData, file: string): Promise<number> {
    if (this.#stopped !== null) {
      return Promise.reject(new Error(`the CSV writer thread stopped: ${this.#stopped}`));
    }
    const worker = this.#worker === undefined ? this.#start() : this.#worker;
    if (worker === null) return this.#writeHere(block, file);
    const seq = ++this.#seq;
    const request: CsvWriteRequest = { seq, file, block };
    return new Promise<number>((resolve, reject) => {
      this.#waiting.set(seq, { resolve, reject });
      if (this.#waiting.size === 1) worker.ref();
      worker.postMessage(request, [block.numbers.buffer, block.kinds.buffer]);
    });
  }

  /** Arrays of `size` cells from a written block, if any, for a new block to fill. */
  spareArrays(size: number): BlockArrays | undefined {
    const spare = this.#spare;
    while (spare.length > 0) {
      const arrays = spare.pop() as BlockArrays;
      if (arrays.kinds.length === size) return arrays;
    }
    return undefined;
  }

  #keep(arrays: BlockArrays): void {
    if (this.#spare.length < MAX_SPARE) this.#spare.push(arrays);
  }

  /** Writes `block` on the event loop, when no thread could start. */
  async #writeHere(block: RowBlockData, file: string): Promise<number> {
    // Formatted at once: blocks must reach the formatter in order.
    this.#formatter ??= new CsvFormatter();
    const { text, longest } = this.#formatter.format(block);
    this.#keep(block);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, text);
    return longest;
  }

  /**
   * Stops the thread once it has written the blocks sent (it exits by itself:
   * `terminate` can hang a thread that loaded modules through loader hooks, as under tsx).
   */
  async close(): Promise<void> {
    const worker = this.#worker;
    this.#worker = null;
    this.#stopped ??= "closed";
    if (worker && !this.#exited) {
      const exited = new Promise((resolve) => worker.once("exit", resolve));
      worker.ref();
      worker.postMessage({ close: true } satisfies CsvWriteRequest);
      await exited;
    }
  }

  #start(): Worker | null {
    let worker: Worker;
    try {
      worker = startModuleWorker(siblingModule(import.meta.url, "./csv-writer-thread"));
    } catch {
      this.#worker = null;
      return null;
    }
    worker.unref();
    worker.on("message", (reply: CsvWriteReply) => {
      const waiting = this.#waiting.get(reply.seq);
      this.#waiting.delete(reply.seq);
      // Idle, it need not keep the process alive; closing, it must until it exits.
      if (this.#waiting.size === 0 && this.#worker === worker) worker.unref();
      if (reply.error !== undefined) waiting?.reject(new Error(reply.error));
      else {
        this.#keep(reply.arrays);
        waiting?.resolve(reply.longest);
      }
    });
    const stop = (why: string): void => {
      this.#stopped ??= why;
      for (const { reject } of this.#waiting.values()) {
        reject(new Error(`the CSV writer thread stopped: ${why}`));
      }
      this.#waiting.clear();
    };
    worker.on("error", (error) => stop(error.message));
    worker.on("exit", (code) => {
      this.#exited = true;
      stop(`exit code ${code}`);
    });
    this.#worker = worker;
    return worker;
  }
}
