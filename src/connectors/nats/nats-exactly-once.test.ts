/**
 * Exactly-once from NATS JetStream across crashes: a job (nats-exactly-once.fixture.ts)
 * reads a 3-partition stream, numbers each sensor's readings in keyed state and writes
 * them to an exactly-once JSONL sink with SQLite checkpoints. It is killed with SIGKILL
 * three times while messages keep being published (about 6,000 a second), restarted
 * each time, then stopped gracefully; the output must hold every message exactly once, each with
 * the number it has in its sensor's order (a lost or repeated message shifts them).
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { readJsonlParts } from "../file/jsonl-file-sink.js";
import { natsPartitionOf } from "./nats-partition.js";
import { requireNats, TEST_NATS_URL, uniqueName } from "./test-nats.js";

const { skip } = await requireNats();
const FIXTURE = fileURLToPath(new URL("./nats-exactly-once.fixture.ts", import.meta.url));
const PARTITIONS = 3;
const SENSORS = Array.from({ length: 24 }, (_, i) => `S-${String(i).padStart(3, "0")}`);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function start(args: string[]): {
  child: ChildProcess;
  exited: Promise<number | null>;
  stderr: () => string;
} {
  const child = spawn(process.execPath, ["--import", "tsx", FIXTURE, ...args], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, exited, stderr: () => stderr };
}

async function partCount(dir: string): Promise<number> {
  return (await readdir(dir).catch(() => [] as string[])).filter((f) => f.startsWith("part-"))
    .length;
}

describe("NATS JetStream → pipeline: exactly-once across SIGKILL", { skip }, () => {
  it("outputs every message exactly once after three kills and restarts", {
    timeout: 180_000,
  }, async (t) => {
    const nc = await connect({ servers: TEST_NATS_URL });
    const jsm = await jetstreamManager(nc);
    const js = jsm.jetstream();
    const stream = uniqueName("ms_eo");
    const dir = await mkdtemp(path.join(tmpdir(), "millstream-nats-eo-"));
    const out = path.join(dir, "out");
    const args = [
      TEST_NATS_URL,
      stream,
      String(PARTITIONS),
      out,
      path.join(dir, "checkpoints.sqlite"),
    ];
    let published = 0;
    const publish = async (n: number) => {
      const acks = [];
      for (let k = 0; k < n; k++, published++) {
        const sensor = SENSORS[published % SENSORS.length]!;
        const p = natsPartitionOf(["plant", sensor], PARTITIONS);
        acks.push(
          js.publish(`${stream}.${p}.plant.${sensor}`, JSON.stringify({ sensor, i: published })),
        );
      }
      await Promise.all(acks);
    };
    try {
      await jsm.streams.add({ name: stream, subjects: [`${stream}.*.>`] });
      await publish(2000);
      // Readings keep arriving while the job runs and is killed.
      let publishing = true;
      const publisher = (async () => {
        while (publishing && published < 40_000) {
          await publish(100);
          await sleep(15);
        }
      })();
      let killedMidStream = 0;
      for (let kill = 0; kill < 3; kill++) {
        const run = start(args);
        const before = await partCount(out);
        for (let i = 0; i < 600 && (await partCount(out)) < before + 1; i++) await sleep(50);
        await sleep(100 + Math.floor(Math.random() * 400));
        run.child.kill("SIGKILL");
        await run.exited;
        const written = (await readJsonlParts(out).catch(() => [] as string[])).length;
        if (written < published) killedMidStream++;
      }
      publishing = false;
      await publisher;
      assert.ok(killedMidStream >= 2, `only ${killedMidStream} of 3 kills came mid-stream`);
      const final = start(args);
      for (let i = 0; i < 600 && !final.stderr().includes("ready"); i++) await sleep(50);
      let records = 0;
      for (let i = 0; i < 1200 && records < published; i++) {
        await sleep(100);
        records = (await readJsonlParts(out).catch(() => [] as string[])).length;
      }
      final.child.kill("SIGTERM");
      assert.equal(await final.exited, 0, `graceful stop failed: ${final.stderr()}`);

      const lines = (await readJsonlParts(out)).map(
        (l) => JSON.parse(l) as { id: string; i: number },
      );
      const ids = new Set(lines.map((l) => l.id));
      assert.equal(ids.size, lines.length, `${lines.length - ids.size} duplicated records`);
      assert.equal(lines.length, published, `${published - lines.length} records missing`);
      // Each sensor's n-th record is its n-th published reading.
      const expected = new Map<string, number>();
      const perSensor = new Map<string, number>();
      for (let i = 0; i < published; i++) {
        const sensor = SENSORS[i % SENSORS.length]!;
        const n = (perSensor.get(sensor) ?? 0) + 1;
        perSensor.set(sensor, n);
        expected.set(`${sensor}#${n}`, i);
      }
      for (const line of lines) assert.equal(line.i, expected.get(line.id), `record ${line.id}`);
      t.diagnostic(
        `${published} messages, ${killedMidStream} kills mid-stream, ${lines.length} records`,
      );
    } finally {
      await jsm.streams.delete(stream).catch(() => false);
      await nc.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
