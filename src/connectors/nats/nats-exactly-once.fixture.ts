/**
 * The job the NATS exactly-once test kills and restarts: a partitioned JetStream
 * stream → parse → a keyed process function numbering each sensor's readings (state
 * that a lost or repeated message would shift) → an exactly-once JSONL file sink,
 * with SQLite checkpoints every 100 ms. SIGTERM stops it gracefully (a final
 * checkpoint, then exit 0).
 *
 * Usage: node --import tsx nats-exactly-once.fixture.ts <servers> <stream> <partitions> <out-dir> <store-file>
 */
import { type KeyedProcessFunction, source, valueState } from "../../engine/index.js";
import { dataflow } from "../../engine/stream/dataflow.js";
import { SqliteCheckpointStore } from "../checkpoint/sqlite-checkpoint-store.js";
import { JsonlFileSink } from "../file/jsonl-file-sink.js";
import { NatsJetStreamSource } from "./nats-jetstream-source.js";

const [servers, stream, partitions, out, storeFile] = process.argv.slice(2);
if (!servers || !stream || !partitions || !out || !storeFile) {
  console.error("usage: <servers> <stream> <partitions> <out-dir> <store-file>");
  process.exit(2);
}

interface Reading {
  readonly sensor: string;
  readonly i: number;
}

const seen = valueState<number>("seen");

const numbering: KeyedProcessFunction<string, Reading, { id: string; i: number }> = {
  processElement(r, ctx) {
    const n = (ctx.state(seen).get() ?? 0) + 1;
    ctx.state(seen).set(n);
    ctx.emit({ id: `${ctx.key}#${n}`, i: r.i });
  },
};

const readings = source(
  "in",
  new NatsJetStreamSource({ servers, stream, partitions: Number(partitions), batchSize: 50 }),
).map("parse", (m) => JSON.parse(m.payload) as Reading);
const numbered = readings.keyBy((r) => r.sensor).process("number", numbering);
const store = new SqliteCheckpointStore({ path: storeFile });
const job = dataflow(`nats-eo-${stream}`, [
  numbered.to("out", new JsonlFileSink({ directory: out })),
]).job({ checkpoint: { store, interval: 100 } });
process.on("SIGTERM", () => job.stop());
console.error("ready");
try {
  await job.run();
} finally {
  await store.close();
}
