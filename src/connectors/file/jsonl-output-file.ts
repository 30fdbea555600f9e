/**
 * A sink that writes every record as one JSON line to a single file: the simple
 * output of finite runs (`millstream replay`). Lines are buffered and appended in
 * large writes; the file is written under a temporary name and renamed into place
 * when the sink closes, so a file with the final name is always complete.
 *
 * It makes no exactly-once promise across restarts: for a long-running job use
 * `JsonlFileSink`, which publishes per checkpoint.
 */
import { mkdirSync } from "node:fs";
import { type FileHandle, open, rename } from "node:fs/promises";
import path from "node:path";
import type { Batch, Sink, SinkWriter } from "../../engine/index.js";

export interface JsonlOutputFileOptions<T> {
  readonly path: string;
  readonly serialize?: (value: T) => string;
  /** Buffered bytes before the writer asks to be flushed. Default 1 MiB. */
  readonly bufferBytes?: number;
}

export class JsonlOutputFile<T> implements Sink<T> {
  readonly description: string;
  #records = 0;

  constructor(private readonly options: JsonlOutputFileOptions<T>) {
    this.description = `jsonl:${options.path}`;
  }

  /** Records written so far. */
  get records(): number {
    return this.#records;
  }

  async open(): Promise<SinkWriter<T>> {
    const target = this.options.path;
    mkdirSync(path.dirname(target), { recursive: true });
    const temporary = `${target}.tmp`;
    const handle: FileHandle = await open(temporary, "w");
    const serialize = this.options.serialize ?? ((v: T) => JSON.stringify(v));
    const limit = this.options.bufferBytes ?? 1 << 20;
    let parts: string[] = [];
    let size = 0;
    const sink = this;
    const flush = async () => {
      if (parts.length === 0) return;
      const text = parts.join("");
      parts = [];
      size = 0;
      await handle.write(text);
    };
    return {
      write(batch: Batch<T>) {
        for (const value of batch.values) {
          const line = `${serialize(value)}\n`;
          parts.push(line);
          size += line.length;
        }
        sink.#records += batch.values.length;
      },
      get needsFlush() {
        return size >= limit;
      },
      flush,
      async close() {
        await flush();
        await handle.sync();
        await handle.close();
        await rename(temporary, target);
      },
    };
  }
}
