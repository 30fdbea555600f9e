/**
 * Where simulated lines go. A target is anything with `write(lines)` and `close()`:
 * the JSONL file and stdout targets here, and broker publishers in
 * `src/connectors` (which match the shape without importing it).
 */

import { once } from "node:events";
import { createWriteStream, mkdirSync, type WriteStream } from "node:fs";
import path from "node:path";

/**
 * A destination for lines of text (readings or labels). `write` resolves when the
 * target can take more (backpressure); lines are written in order. `close` flushes
 * and releases the target; nothing is written after it.
 */
export interface OutputTarget {
  write(lines: readonly string[]): Promise<void>;
  close(): Promise<void>;
}

async function writeTo(stream: NodeJS.WritableStream, lines: readonly string[]): Promise<void> {
  if (lines.length === 0) return;
  const text = `${lines.join("\n")}\n`;
  if (!stream.write(text)) await once(stream, "drain");
}

/** The reader of a target went away (`millstream simulate | head`): stop writing, nothing is wrong. */
export class OutputClosedError extends Error {
  override readonly name = "OutputClosedError";
}

/**
 * A JSON Lines target: one line per record. `file` is a path (parent folders are
 * created; an existing file is replaced) or `-` for standard output (not closed by
 * `close`). When the reader of standard output goes away, `write` rejects with an
 * `OutputClosedError`.
 */
export function jsonlTarget(file: string): OutputTarget {
  if (file === "-") {
    let broken = false;
    const onError = (error: NodeJS.ErrnoException) => {
      if (error.code === "EPIPE") broken = true;
    };
    process.stdout.on("error", onError);
    return {
      async write(lines) {
        if (!broken) {
          try {
            await writeTo(process.stdout, lines);
          } catch (error) {
            if ((error as NodeJS.ErrnoException).code !== "EPIPE") throw error;
            broken = true;
          }
        }
        if (broken) throw new OutputClosedError("standard output was closed");
      },
      async close() {
        process.stdout.off("error", onError);
      },
    };
  }
  mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const stream: WriteStream = createWriteStream(file);
  let failure: Error | null = null;
  stream.on("error", (error) => {
    failure = error;
  });
  return {
    async write(lines) {
      if (failure !== null) throw failure;
      await writeTo(stream, lines);
    },
    async close() {
      if (failure !== null) throw failure;
      stream.end();
      await once(stream, "finish");
    },
  };
}

/** A target that keeps every line in memory (`lines`), for tests and small runs. */
export class MemoryTarget implements OutputTarget {
  readonly lines: string[] = [];
  closed = false;

  async write(lines: readonly string[]): Promise<void> {
    for (const line of lines) this.lines.push(line);
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
