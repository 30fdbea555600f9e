/**
 * Tests of NatsJetStreamSource against the real NATS JetStream server on loopback:
 * the replayable-source contract, partitioned subjects, acknowledgement only at
 * `acknowledge`, redelivery after a reader dies without acknowledging, lag, bad
 * messages, and the errors that name the stream.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type JetStreamManager, jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import type { SourcePoll, SourceReader } from "../../engine/index.js";
import type { InboundMessage } from "../inbound-message.js";
import { describeReplayableSource } from "../testing/source-contract.case.js";
import { NatsSourceError } from "./errors.js";
import { NatsJetStreamSource } from "./nats-jetstream-source.js";
import { natsPartitionOf, partitionTransform } from "./nats-partition.js";
import { requireNats, TEST_NATS_URL, uniqueName } from "./test-nats.js";

const { skip } = await requireNats();

describeReplayableSource(
  "NatsJetStreamSource",
  async () => {
    const nc = await connect({ servers: TEST_NATS_URL });
    const jsm = await jetstreamManager(nc);
    const js = jsm.jetstream();
    const streams = new Map<string, string>();
    return {
      ends: false,
      async create(input, batchSize) {
        const key = JSON.stringify(input);
        let stream = streams.get(key);
        if (stream === undefined) {
          stream = uniqueName("ms_contract");
          streams.set(key, stream);
          await jsm.streams.add({ name: stream, subjects: [`${stream}.*.>`] });
          for (const [p, records] of input.entries()) {
            for (const record of records) await js.publish(`${stream}.${p}.x`, record);
          }
        }
        return new NatsJetStreamSource({
          servers: TEST_NATS_URL,
          stream,
          partitions: input.length,
          batchSize,
        });
      },
      text: (value) => value.payload,
      async missing() {
        const stream = uniqueName("ms_missing");
        return {
          source: new NatsJetStreamSource({ servers: TEST_NATS_URL, stream, partitions: 1 }),
          mention: stream,
        };
      },
      async cleanup() {
        for (const stream of streams.values()) await jsm.streams.delete(stream).catch(() => false);
        await nc.close();
      },
    };
  },
  { skip },
);

type Batch = Extract<SourcePoll<InboundMessage>, { kind: "batch" }>;

/** Polls until `count` messages arrived (failing after 200 polls without one). */
async function read(reader: SourceReader<InboundMessage>, count: number): Promise<Batch[]> {
  const batches: Batch[] = [];
  let got = 0;
  let idle = 0;
  while (got < count) {
    const poll = await reader.poll();
    if (poll.kind === "batch") {
      batches.push(poll);
      got += poll.values.length;
      idle = 0;
    } else {
      assert.ok(++idle < 200, `only ${got} of ${count} messages arrived`);
    }
  }
  return batches;
}

/** Polls a few times and returns what arrived (expected: nothing). */
async function drain(reader: SourceReader<InboundMessage>): Promise<InboundMessage[]> {
  const values: InboundMessage[] = [];
  for (let i = 0; i < 5; i++) {
    const poll = await reader.poll();
    if (poll.kind === "batch") values.push(...poll.values);
  }
  return values;
}

describe("NatsJetStreamSource", { skip }, () => {
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  const streams: string[] = [];

  before(async () => {
    nc = await connect({ servers: TEST_NATS_URL });
    jsm = await jetstreamManager(nc);
  });
  after(async () => {
    for (const stream of streams) await jsm.streams.delete(stream).catch(() => false);
    await nc.close();
  });

  /** A fresh stream `<name>.<partition>.<facility>.<sensor>`. */
  async function stream(): Promise<string> {
    const name = uniqueName("ms_src");
    streams.push(name);
    await jsm.streams.add({ name, subjects: [`${name}.*.>`] });
    return name;
  }

  /** Publishes readings of `sensors`, each to its partition as the server's mapping would. */
  async function publishReadings(name: string, partitions: number, sensors: string[], n: number) {
    const js = jsm.jetstream();
    const sent = new Map<number, string[]>();
    for (let i = 0; i < n; i++) {
      const sensor = sensors[i % sensors.length]!;
      const p = natsPartitionOf(["f1", sensor], partitions);
      const payload = JSON.stringify({ sensor_id: sensor, seq: i });
      await js.publish(`${name}.${p}.f1.${sensor}`, payload);
      sent.set(p, [...(sent.get(p) ?? []), payload]);
    }
    return sent;
  }

  it("reads each partition's subjects from its own consumer, keeping a sensor in one partition", async () => {
    const name = await stream();
    const sensors = ["TEMP-001", "TEMP-002", "PRES-001", "VIB-007", "FLOW-3"];
    const sent = await publishReadings(name, 3, sensors, 60);
    const reader = await new NatsJetStreamSource({
      servers: TEST_NATS_URL,
      stream: name,
      partitions: 3,
      batchSize: 7,
    }).open({ step: "in" });
    try {
      const got = new Map<number, string[]>();
      for (const batch of await read(reader, 60)) {
        got.set(batch.partition, [
          ...(got.get(batch.partition) ?? []),
          ...batch.values.map((v) => v.payload),
        ]);
        for (const v of batch.values) {
          assert.match(v.topic!, new RegExp(`^${name}\\.${batch.partition}\\.f1\\.`));
          assert.match(
            v.origin,
            new RegExp(`^nats:${name}\\.${batch.partition}\\.f1\\.[A-Z0-9-]+#\\d+$`),
          );
          assert.equal(typeof v.receivedAt, "number");
        }
      }
      assert.deepEqual(got, sent);
      const infos = await Promise.all(
        [0, 1, 2].map((p) => jsm.consumers.info(name, `millstream_${name}_${p}`)),
      );
      assert.deepEqual(
        infos.map((i) => i.config.filter_subject),
        [0, 1, 2].map((p) => `${name}.${p}.>`),
      );
    } finally {
      await reader.close();
    }
  });

  it("acknowledges only at acknowledge(); a reader that dies before it gets the messages again", async () => {
    const name = await stream();
    const js = jsm.jetstream();
    for (let i = 0; i < 10; i++) await js.publish(`${name}.0.x`, `{"i":${i}}`);
    const source = new NatsJetStreamSource({
      servers: TEST_NATS_URL,
      stream: name,
      partitions: 1,
      batchSize: 4,
    });
    const consumer = `millstream_${name}_0`;
    const first = await source.open({ step: "in" });
    let checkpoint: Map<number, unknown>;
    try {
      await read(first, 4);
      checkpoint = first.positions!();
      assert.deepEqual(checkpoint, new Map([[0, 4]]));
      await read(first, 6);
      assert.equal((await jsm.consumers.info(name, consumer)).ack_floor.stream_seq, 0);
      // The checkpoint holding position 4 commits: messages 1–4 are acknowledged.
      await first.acknowledge!(checkpoint);
      await waitFor(
        async () => (await jsm.consumers.info(name, consumer)).ack_floor.stream_seq === 4,
      );
      assert.equal((await jsm.consumers.info(name, consumer)).num_ack_pending, 6);
    } finally {
      await first.close(); // dies: 5–10 were read but never acknowledged
    }
    const again = await source.open({ step: "in", resumeFrom: checkpoint });
    try {
      const values = (await read(again, 6)).flatMap((b) => b.values.map((v) => v.payload));
      assert.deepEqual(
        values,
        [4, 5, 6, 7, 8, 9].map((i) => `{"i":${i}}`),
      );
      assert.deepEqual(await drain(again), []);
      await again.acknowledge!(again.positions!());
      await waitFor(
        async () => (await jsm.consumers.info(name, consumer)).ack_floor.stream_seq === 10,
      );
    } finally {
      await again.close();
    }
    // Clean state (all acknowledged up to the position): the consumer is kept as it is.
    const created = (await jsm.consumers.info(name, consumer)).created;
    const third = await source.open({ step: "in", resumeFrom: new Map([[0, 10]]) });
    try {
      assert.deepEqual(await drain(third), []);
      assert.equal((await jsm.consumers.info(name, consumer)).created, created);
      await js.publish(`${name}.0.x`, '{"i":10}');
      assert.deepEqual(
        (await read(third, 1)).flatMap((b) => b.values.map((v) => v.payload)),
        ['{"i":10}'],
      );
    } finally {
      await third.close();
    }
  });

  it("reports lag from the consumer and starts at new messages with startAt: new", async () => {
    const name = await stream();
    const js = jsm.jetstream();
    for (let i = 0; i < 25; i++) await js.publish(`${name}.0.x`, `{"old":${i}}`);
    const lagged = await new NatsJetStreamSource({
      servers: TEST_NATS_URL,
      stream: name,
      partitions: 1,
      batchSize: 5,
    }).open({ step: "in" });
    try {
      assert.equal(lagged.status!().state, "connected");
      assert.equal(lagged.status!().lag, 25);
      await read(lagged, 5);
      const lag = lagged.status!().lag!;
      assert.ok(lag >= 15 && lag <= 20, `lag ${lag} after reading 5 of 25`);
    } finally {
      await lagged.close();
    }
    assert.equal(lagged.status!().state, "closed");
    const fresh = await new NatsJetStreamSource({
      servers: TEST_NATS_URL,
      stream: name,
      partitions: 1,
      durablePrefix: "only_new",
      startAt: "new",
    }).open({ step: "in" });
    try {
      assert.deepEqual(fresh.positions!(), new Map([[0, 25]]));
      assert.deepEqual(await drain(fresh), []);
      await js.publish(`${name}.0.x`, '{"new":1}');
      assert.deepEqual(
        (await read(fresh, 1)).flatMap((b) => b.values.map((v) => v.payload)),
        ['{"new":1}'],
      );
    } finally {
      await fresh.close();
    }
  });

  it("turns invalid UTF-8 and oversize messages into payloads that say so", async () => {
    const name = await stream();
    const js = jsm.jetstream();
    await js.publish(`${name}.0.x`, new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]));
    await js.publish(`${name}.0.x`, `{"pad":"${"x".repeat(300)}"}`);
    await js.publish(`${name}.0.x`, '{"ok":true}');
    const reader = await new NatsJetStreamSource({
      servers: TEST_NATS_URL,
      stream: name,
      partitions: 1,
      maxMessageBytes: 100,
    }).open({ step: "in" });
    try {
      const values = (await read(reader, 3)).flatMap((b) => b.values);
      assert.match(
        values[0]!.payload,
        /^undecodable message: not valid UTF-8 \(4 bytes\): \{\uFFFD\uFFFD\}$/,
      );
      assert.match(
        values[1]!.payload,
        /^oversize message: 310 bytes \(limit 100\); starts with: \{"pad":"x/,
      );
      assert.equal(values[2]!.payload, '{"ok":true}');
      assert.match(values[0]!.origin, new RegExp(`^nats:${name}\\.0\\.x#1$`));
    } finally {
      await reader.close();
    }
  });

  it("creates a missing stream when asked, and names the stream in errors", async () => {
    const name = uniqueName("ms_created");
    streams.push(name);
    const source = new NatsJetStreamSource({
      servers: TEST_NATS_URL,
      stream: name,
      partitions: 2,
      subjectTemplate: `${name}.in.{partition}.>`,
      create: { storage: "memory" },
    });
    const reader = await source.open({ step: "in" });
    try {
      const info = await jsm.streams.info(name);
      assert.deepEqual(info.config.subjects, [`${name}.in.*.>`]);
      await jsm.jetstream().publish(`${name}.in.1.f.s`, "{}");
      assert.deepEqual(
        (await read(reader, 1)).map((b) => b.partition),
        [1],
      );
    } finally {
      await reader.close();
    }
    await assert.rejects(
      new NatsJetStreamSource({ servers: TEST_NATS_URL, stream: name, partitions: 1 }).open({
        step: "in",
        resumeFrom: new Map([[0, "7"]]),
      }),
      (error: unknown) => {
        assert.ok(error instanceof NatsSourceError);
        assert.match(
          error.message,
          new RegExp(`^NATS stream ${name}: invalid resume position "7"`),
        );
        return true;
      },
    );
  });

  it("fails clearly when a stream subject transform needs a newer server", async (t) => {
    const version = nc.info?.version ?? "0.0.0";
    const [major, minor] = version.split(".").map(Number);
    if (major! > 2 || (major === 2 && minor! >= 10)) {
      t.skip(`nats-server ${version} supports stream subject transforms`);
      return;
    }
    const name = uniqueName("ms_transform");
    await assert.rejects(
      new NatsJetStreamSource({
        servers: TEST_NATS_URL,
        stream: name,
        partitions: 4,
        subjectTemplate: `${name}.p.{partition}.>`,
        create: { ingestSubject: `${name}.in.*.*` },
      }).open({ step: "in" }),
      (error: unknown) => {
        assert.ok(error instanceof NatsSourceError);
        assert.match(error.message, /cannot create the stream: .*subject_transform.*2\.10/);
        return true;
      },
    );
  });

  it("refuses bad options", () => {
    assert.throws(() => new NatsJetStreamSource({ stream: "a.b", partitions: 1 }), /stream name/);
    assert.throws(() => new NatsJetStreamSource({ stream: "s", partitions: 0 }), /partitions/);
    assert.throws(
      () => new NatsJetStreamSource({ stream: "s", partitions: 2, subjectTemplate: "s.*.>" }),
      /one token \{partition\}/,
    );
  });
});

describe("natsPartitionOf and partitionTransform", () => {
  it("hashes like nats-server's partition(): FNV-1a of the tokens, modulo n", () => {
    // FNV-1a 32 of "" is 0x811c9dc5; of "a" is 0xe40c292c.
    assert.equal(natsPartitionOf([], 1_000_000_007), 0x811c9dc5 % 1_000_000_007);
    assert.equal(natsPartitionOf(["a"], 1_000_000_007), 0xe40c292c % 1_000_000_007);
    assert.equal(natsPartitionOf(["f1", "TEMP-001"], 8), natsPartitionOf(["f1TEMP-001"], 8));
  });

  it("builds the stream transform for an ingest subject", () => {
    assert.deepEqual(partitionTransform("plant.*.*", "readings.{partition}.>", 4), {
      src: "plant.*.*",
      dest: "readings.{{partition(4,1,2)}}.plant.{{wildcard(1)}}.{{wildcard(2)}}",
    });
    assert.deepEqual(partitionTransform("plant.*.>", "r.{partition}.>", 2, [1]), {
      src: "plant.*.>",
      dest: "r.{{partition(2,1)}}.plant.{{wildcard(1)}}.>",
    });
    assert.throws(() => partitionTransform("plant.a", "r.{partition}.>", 2), /no \* wildcard/);
    assert.throws(
      () => partitionTransform("plant.*", "r.{partition}.>", 2, [2]),
      /wildcards 1 to 1/,
    );
  });
});

async function waitFor(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  assert.fail("condition not met within 2 s");
}
