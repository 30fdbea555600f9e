/**
 * `millstream run` with broker inputs, as a user runs it, against the real NATS
 * JetStream and Mosquitto on loopback: readings published to a partitioned stream
 * (sensor and facility in the subject) and to MQTT topics reach the pipeline's
 * outputs; a bad message becomes a dead letter naming its origin; a restart
 * resumes from the checkpoint without writing anything twice.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import mqtt from "mqtt";
import { requireMqtt, TEST_MQTT_URL, uniqueTopic } from "../../connectors/mqtt/test-mqtt.js";
import { natsPartitionOf } from "../../connectors/nats/nats-partition.js";
import { requireNats, TEST_NATS_URL, uniqueName } from "../../connectors/nats/test-nats.js";
import { writeMetadataFolder } from "../../iot/metadata/test-metadata.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const work = mkdtempSync(path.join(os.tmpdir(), "millstream-run-inputs-"));
after(() => rmSync(work, { recursive: true, force: true }));
const nats = await requireNats();
const broker = await requireMqtt();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Every published line of an output folder (none when it does not exist yet). */
function published(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .filter((n) => n.startsWith("part-"))
    .sort()
    .flatMap((n) => readFileSync(path.join(dir, n), "utf8").split("\n").filter(Boolean));
}

/** Starts `millstream run`; resolves once it is running. */
async function run(config: string): Promise<{ child: ChildProcess; stop(): Promise<string> }> {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", "src/cli/main.ts", "run", "--config", config],
    {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (c: Buffer) => {
    stdout += c.toString();
  });
  child.stderr!.on("data", (c: Buffer) => {
    stderr += c.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
  for (let i = 0; i < 400 && !stderr.includes("running "); i++) {
    if (child.exitCode !== null) break;
    await sleep(50);
  }
  assert.ok(stderr.includes("running "), `millstream run did not start: ${stderr}`);
  return {
    child,
    async stop() {
      child.kill("SIGTERM");
      const code = await exited;
      assert.equal(code, 0, stderr);
      return stdout;
    },
  };
}

/** Waits until `check` holds (30 s at most). */
async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (check()) return;
    await sleep(50);
  }
  assert.fail(`timed out waiting for ${what}`);
}

/** A reading of TEMP-001 without its sensor and facility (they come from the topic). */
const reading = (t: number, value: number) =>
  JSON.stringify({
    timestamp: t,
    sensor_type: "temperature",
    quality_score: 0.99,
    temperature_celsius: value,
  });

function config(dir: string, metadata: string, input: string[], pipeline: string[]): string {
  const file = path.join(dir, "plant.yaml");
  writeFileSync(
    file,
    [
      "name: inputs",
      "input:",
      ...input.map((l) => `  ${l}`),
      "metadata:",
      `  folder: ${metadata}`,
      "outputs:",
      "  folder: out",
      "  archive: false",
      "checkpoint:",
      "  intervalMs: 200",
      "pipeline:",
      "  maxOutOfOrderness: 0",
      ...pipeline.map((l) => `  ${l}`),
    ].join("\n"),
  );
  return file;
}

describe("millstream run with a NATS JetStream input", { skip: nats.skip }, () => {
  it("reads a partitioned stream, dead-letters bad messages with their origin, and resumes without duplicates", {
    timeout: 120_000,
  }, async () => {
    const dir = mkdtempSync(path.join(work, "nats-"));
    const metadata = await writeMetadataFolder();
    const nc = await connect({ servers: TEST_NATS_URL });
    const jsm = await jetstreamManager(nc);
    const stream = uniqueName("ms_run");
    try {
      await jsm.streams.add({ name: stream, subjects: [`${stream}.*.>`] });
      const subject = `${stream}.${natsPartitionOf(["FAC-BER", "TEMP-001"], 2)}.FAC-BER.TEMP-001`;
      const file = config(
        dir,
        metadata,
        [
          "type: nats",
          `servers: ${TEST_NATS_URL}`,
          `stream: ${stream}`,
          "partitions: 2",
          "batchSize: 50",
        ],
        ["topicTemplate: '+.+.{facility_id}.{sensor_id}'", "topicSeparator: '.'"],
      );
      const js = jsm.jetstream();
      const start = Date.now() - 10 * 60_000;
      for (let s = 0; s < 300; s++)
        await js.publish(subject, reading(start + s * 1000, s === 200 ? 150 : 60));
      const bad = await js.publish(subject, "not json at all");
      const first = await run(file);
      const out = path.join(dir, "out");
      await until(() => published(path.join(out, "dead_letters")).length > 0, "the dead letter");
      await first.stop();
      const dead = published(path.join(out, "dead_letters")).map(
        (l) => JSON.parse(l) as Record<string, unknown>,
      );
      assert.equal(dead.length, 1);
      assert.equal(dead[0]!.payload, "not json at all");
      assert.ok(
        JSON.stringify(dead[0]).includes(`nats:${subject}#${bad.seq}`),
        `the dead letter names its origin: ${JSON.stringify(dead[0])}`,
      );
      const anomalies = published(path.join(out, "anomalies"));
      assert.ok(
        anomalies.some((l) => l.includes('"TEMP-001"')),
        "readings reached the detectors",
      );

      for (let s = 300; s < 400; s++) await js.publish(subject, reading(start + s * 1000, 60));
      const second = await run(file);
      const consumer = `millstream_${stream}_${subject.split(".")[1]}`;
      for (
        let i = 0;
        i < 600 && (await jsm.consumers.info(stream, consumer)).num_pending > 0;
        i++
      ) {
        await sleep(50);
      }
      await sleep(500);
      const stdout = await second.stop();
      assert.match(stdout, /inputs: \w+; 100 readings read/);
      assert.equal(published(path.join(out, "dead_letters")).length, 1, "nothing written twice");
      assert.deepEqual(
        published(path.join(out, "anomalies")).slice(0, anomalies.length),
        anomalies,
      );
    } finally {
      await jsm.streams.delete(stream).catch(() => false);
      await nc.close();
      rmSync(metadata, { recursive: true, force: true });
    }
  });
});

describe("millstream run with an MQTT input", { skip: broker.skip }, () => {
  it("reads topics with wildcards and takes sensor and facility from the topic", {
    timeout: 120_000,
  }, async () => {
    const dir = mkdtempSync(path.join(work, "mqtt-"));
    const metadata = await writeMetadataFolder();
    const base = uniqueTopic("ms-run");
    const file = config(
      dir,
      metadata,
      ["type: mqtt", `url: ${TEST_MQTT_URL}`, `topics: ['${base}/+/temperature/+']`],
      [`topicTemplate: '${base}/{facility_id}/{sensor_type}/{sensor_id}'`],
    );
    const publisher = await mqtt.connectAsync(TEST_MQTT_URL);
    try {
      const job = await run(file);
      const topic = `${base}/FAC-BER/temperature/TEMP-001`;
      const out = path.join(dir, "out");
      // The job subscribes once its source opens, a little after it starts: until a
      // message that is not UTF-8 comes back as a dead letter, the subscription may
      // not be there yet.
      for (let i = 0; i < 100 && published(path.join(out, "dead_letters")).length === 0; i++) {
        await publisher.publishAsync(topic, Buffer.from([0xff, 0xfe]), { qos: 1 });
        await sleep(300);
      }
      const start = Date.now() - 5 * 60_000;
      for (let s = 0; s < 120; s++) {
        await publisher.publishAsync(topic, reading(start + s * 1000, s === 100 ? 150 : 60), {
          qos: 1,
        });
      }
      await sleep(1500);
      const stdout = await job.stop();
      const dead = published(path.join(out, "dead_letters"));
      assert.ok(dead.length >= 1);
      assert.ok(dead[0]!.includes(`mqtt:${topic}`), dead[0]);
      assert.ok(dead[0]!.includes("undecodable message"), dead[0]);
      assert.match(stdout, new RegExp(`inputs: \\w+; ${120 + dead.length} readings read`));
      assert.ok(
        published(path.join(out, "anomalies")).some(
          (l) => l.includes('"TEMP-001"') && l.includes('"FAC-BER"'),
        ),
        "readings with sensor and facility from the topic reached the detectors",
      );
    } finally {
      await publisher.endAsync();
      rmSync(metadata, { recursive: true, force: true });
    }
  });
});
