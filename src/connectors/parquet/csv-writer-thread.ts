/**
 * The CSV writer thread (see `csv-writer.ts`): turns each block of rows it is sent into
 * CSV text, writes it to the file named, and answers with the longest line's length.
 * One thread per writer: it keeps the writer's string dictionaries.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parentPort } from "node:worker_threads";
import { CsvFormatter } from "./csv-text.js";
import type { CsvWriteReply, CsvWriteRequest } from "./csv-writer.js";

const port = parentPort;
if (port === null) throw new Error("csv-writer-thread must run in a worker thread");

const formatter = new CsvFormatter();

port.on("message", (request: CsvWriteRequest) => {
  if ("close" in request) {
    port.close(); // the thread ends once nothing else is left to run
    return;
  }
  let reply: CsvWriteReply;
  try {
    const { text, longest } = formatter.format(request.block);
    mkdirSync(path.dirname(request.file), { recursive: true });
    writeFileSync(request.file, text);
    const { numbers, kinds } = request.block;
    reply = { seq: request.seq, longest, arrays: { numbers, kinds } };
    // The arrays go back to be filled again.
    port.postMessage(reply, [numbers.buffer, kinds.buffer]);
  } catch (error) {
    reply = { seq: request.seq, error: error instanceof Error ? error.message : String(error) };
    port.postMessage(reply);
  }
});
