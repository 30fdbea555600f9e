/**
 * Tests of KafkaSource without a broker (none can run on these machines): the
 * replayable-source contract and the group behaviour (assign, revoke, commits at
 * acknowledge, restarts) through an in-memory implementation of the source's own
 * consumer interface; the partition bookkeeping on its own; and the
 * `@platformatic/kafka` adapter's options and its error against an unreachable broker.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { SourceReader } from "../../engine/index.js";
import type { InboundMessage } from "../inbound-message.js";
import { describeReplayableSource } from "../testing/source-contract.case.js";
import { KafkaSourceError } from "./errors.js";
import { KafkaPartitionMap, KafkaPartitionTracker } from "./kafka-partition-tracker.js";
import { KafkaSource } from "./kafka-source.js";
import { kafkaConsumer, platformaticConsumerOptions } from "./platformatic-kafka-port.js";
import { MemoryKafkaCluster, type MemoryKafkaConsumer } from "./test-kafka-cluster.js";

let groups = 0;

describeReplayableSource("KafkaSource (in-memory consumer)", async () => {
  const clusters = new Map<string, MemoryKafkaCluster>();
  return {
    ends: false,
    async create(input, batchSize) {
      const key = JSON.stringify(input);
      let cluster = clusters.get(key);
      if (cluster === undefined) {
        cluster = new MemoryKafkaCluster();
        cluster.createTopic("readings", input.length);
        for (const [p, records] of input.entries())
          for (const r of records) cluster.produce("readings", p, r);
        clusters.set(key, cluster);
      }
      const group = `g${groups++}`;
      const c = cluster;
      return new KafkaSource({
        topics: ["readings"],
        consumer: () => c.consumer(group),
        batchSize,
      });
    },
    text: (value) => value.payload,
    async missing() {
      const cluster = new MemoryKafkaCluster();
      return {
        source: new KafkaSource({
          topics: ["no-such-topic"],
          consumer: () => cluster.consumer("g"),
        }),
        mention: "no-such-topic",
      };
    },
    async cleanup() {},
  };
});

async function read(reader: SourceReader<InboundMessage>, count: number) {
  const batches: { partition: number; values: InboundMessage[] }[] = [];
  let got = 0;
  for (let idle = 0; got < count; ) {
    const poll = await reader.poll();
    if (poll.kind === "batch") {
      batches.push({ partition: poll.partition, values: [...poll.values] });
      got += poll.values.length;
    } else assert.ok(++idle < 50, `only ${got} of ${count} records arrived`);
  }
  return batches;
}

async function drain(reader: SourceReader<InboundMessage>) {
  const values: InboundMessage[] = [];
  for (let i = 0; i < 3; i++) {
    const poll = await reader.poll();
    if (poll.kind === "batch") values.push(...poll.values);
  }
  return values;
}

function cluster(partitions: number, perPartition: number): MemoryKafkaCluster {
  const c = new MemoryKafkaCluster();
  c.createTopic("readings", partitions);
  for (let p = 0; p < partitions; p++) {
    for (let i = 0; i < perPartition; i++) c.produce("readings", p, JSON.stringify({ p, i }));
  }
  return c;
}

describe("KafkaSource in a consumer group", () => {
  it("commits nothing when reading; acknowledge commits the checkpoint's positions", async () => {
    const c = cluster(2, 6);
    const reader = await new KafkaSource({
      topics: ["readings"],
      consumer: () => c.consumer("plant"),
      batchSize: 4,
    }).open({ step: "in" });
    try {
      await read(reader, 12);
      assert.deepEqual(c.commits, []);
      const positions = reader.positions!();
      assert.deepEqual(
        positions,
        new Map([
          [0, "6"],
          [1, "6"],
        ]),
      );
      await reader.acknowledge!(positions);
      assert.deepEqual(
        c.group("plant").committed,
        new Map([
          ["readings:0", 6n],
          ["readings:1", 6n],
        ]),
      );
    } finally {
      await reader.close();
    }
  });

  it("restarts from the checkpoint's positions, or else from the group's committed offsets", async () => {
    const c = cluster(2, 6);
    c.group("plant").committed.set("readings:0", 2n);
    c.group("plant").committed.set("readings:1", 5n);
    const source = new KafkaSource({ topics: ["readings"], consumer: () => c.consumer("plant") });
    const reader = await source.open({ step: "in", resumeFrom: new Map([[0, "4"]]) });
    try {
      const got = (await read(reader, 3)).flatMap((b) => b.values.map((v) => v.origin)).sort();
      assert.deepEqual(got, ["kafka:readings/0@4", "kafka:readings/0@5", "kafka:readings/1@5"]);
      assert.deepEqual(await drain(reader), []);
    } finally {
      await reader.close();
    }
  });

  it("on a rebalance, drops the revoked partitions, and the new owner starts at the acknowledged offsets", async () => {
    const c = cluster(4, 10);
    let a: MemoryKafkaConsumer | undefined;
    const readerA = await new KafkaSource({
      topics: ["readings"],
      consumer: () => (a = c.consumer("plant")),
      batchSize: 3,
      bufferSize: 1000,
    }).open({ step: "in" });
    try {
      assert.equal(readerA.partitions, 4);
      assert.equal(a!.assigned.length, 4);
      await read(readerA, 12);
      const checkpoint = readerA.positions!();
      await readerA.acknowledge!(checkpoint);
      await read(readerA, 6); // read on past the checkpoint, never acknowledged
      const readerB = await new KafkaSource({
        topics: ["readings"],
        consumer: () => c.consumer("plant"),
      }).open({ step: "in" });
      try {
        assert.deepEqual(
          a!.assigned.map((tp) => tp.partition),
          [0, 2],
        );
        assert.deepEqual(
          [...readerA.positions!().keys()],
          [0, 2],
          "A no longer reports positions of 1 and 3",
        );
        const fromB = (
          await read(readerB, 20 - Number(checkpoint.get(1)) - Number(checkpoint.get(3)))
        ).flatMap((b) => b.values);
        const firstOf = (p: number) =>
          fromB.find((v) => v.origin.startsWith(`kafka:readings/${p}@`))?.origin;
        assert.equal(firstOf(1), `kafka:readings/1@${checkpoint.get(1)}`);
        assert.equal(firstOf(3), `kafka:readings/3@${checkpoint.get(3)}`);
        const restOfA = (await drain(readerA)).map((v) => v.origin);
        assert.ok(
          restOfA.every(
            (o) => o.startsWith("kafka:readings/0@") || o.startsWith("kafka:readings/2@"),
          ),
          `A returned records of revoked partitions: ${restOfA}`,
        );
      } finally {
        await readerB.close();
      }
      assert.equal(a!.assigned.length, 4, "A owns everything again once B left");
    } finally {
      await readerA.close();
    }
  });

  it("pauses fetching while its buffer is full, and loses nothing", async () => {
    const c = cluster(1, 500);
    let consumer: MemoryKafkaConsumer | undefined;
    const reader = await new KafkaSource({
      topics: ["readings"],
      consumer: () => {
        consumer = c.consumer("plant");
        consumer.fetchSize = 40;
        return consumer;
      },
      bufferSize: 50,
      batchSize: 10,
    }).open({ step: "in" });
    try {
      await new Promise((resolve) => setTimeout(resolve, 30));
      assert.equal(consumer!.paused, true);
      const offsets = (await read(reader, 500)).flatMap((b) => b.values.map((v) => v.origin));
      assert.deepEqual(
        offsets,
        Array.from({ length: 500 }, (_, i) => `kafka:readings/0@${i}`),
      );
      assert.equal(consumer!.paused, false);
    } finally {
      await reader.close();
    }
  });

  it("maps several topics onto consecutive partitions and reports lag and bad values", async () => {
    const c = new MemoryKafkaCluster();
    c.createTopic("a", 2);
    c.createTopic("b", 1);
    c.produce("b", 0, null);
    c.produce("b", 0, new Uint8Array([0xff]));
    c.produce("a", 1, '{"ok":1}');
    const reader = await new KafkaSource({
      topics: ["a", "b"],
      consumer: () => c.consumer("g"),
      now: () => 9,
    }).open({ step: "in" });
    try {
      assert.equal(reader.partitions, 3);
      assert.equal(reader.status!().state, "connected");
      const batches = await read(reader, 3);
      const byPartition = new Map(batches.map((b) => [b.partition, b.values]));
      assert.deepEqual(byPartition.get(1), [
        { payload: '{"ok":1}', origin: "kafka:a/1@0", topic: "a", receivedAt: 9 },
      ]);
      assert.deepEqual(
        byPartition.get(2)!.map((v) => v.payload),
        [
          "empty message: the record at offset 0 has no value",
          "undecodable message: not valid UTF-8 (1 bytes): \uFFFD",
        ],
      );
      assert.deepEqual(reader.status!(), { state: "connected", lag: 0 });
    } finally {
      await reader.close();
    }
  });

  it("refuses positions that do not fit the topics", async () => {
    const c = cluster(2, 1);
    const source = new KafkaSource({ topics: ["readings"], consumer: () => c.consumer("g") });
    await assert.rejects(
      source.open({ step: "in", resumeFrom: new Map([[5, "1"]]) }),
      (error: unknown) => {
        assert.ok(error instanceof KafkaSourceError);
        assert.match(error.message, /position for partition 5, but the topics have 2 partitions/);
        return true;
      },
    );
    await assert.rejects(
      source.open({ step: "in", resumeFrom: new Map([[0, 3]]) }),
      /invalid position 3/,
    );
  });
});

describe("KafkaPartitionTracker", () => {
  const map = new KafkaPartitionMap(
    ["a", "b"],
    new Map([
      ["a", 3],
      ["b", 2],
    ]),
  );

  it("numbers the partitions topic after topic", () => {
    assert.equal(map.size, 5);
    assert.equal(map.index({ topic: "b", partition: 1 }), 4);
    assert.equal(map.index({ topic: "b", partition: 2 }), undefined);
    assert.equal(map.index({ topic: "c", partition: 0 }), undefined);
    assert.deepEqual(map.topicPartition(3), { topic: "b", partition: 0 });
  });

  it("starts the first assignment at the checkpoint, later ones at the committed offset", () => {
    const tracker = new KafkaPartitionTracker(
      map,
      new Map([
        [0, "10"],
        [1, "20"],
      ]),
    );
    const committed = new Map([
      ["a:0", 7n],
      ["a:1", 25n],
      ["a:2", 3n],
    ]);
    const first = tracker.rebalance(
      [
        { topic: "a", partition: 0 },
        { topic: "a", partition: 1 },
      ],
      [],
      committed,
    );
    assert.deepEqual(first.seeks, [
      { topic: "a", partition: 0, offset: 10n },
      { topic: "a", partition: 1, offset: 20n },
    ]);
    tracker.acknowledge(new Map([[1, "22"]]));
    const second = tracker.rebalance(
      [
        { topic: "a", partition: 0 },
        { topic: "a", partition: 2 },
      ],
      [{ topic: "a", partition: 1 }],
      committed,
    );
    assert.deepEqual(second.seeks, [{ topic: "a", partition: 2, offset: 3n }]);
    assert.deepEqual(second.commits, [{ topic: "a", partition: 1, offset: 22n }]);
    assert.deepEqual(second.revoked, [1]);
    const third = tracker.rebalance([{ topic: "a", partition: 1 }], [], committed);
    assert.deepEqual(third.seeks, [{ topic: "a", partition: 1, offset: 25n }]);
  });

  it("drops records of partitions not owned and stale records before a seek", () => {
    const tracker = new KafkaPartitionTracker(map);
    tracker.rebalance([{ topic: "a", partition: 0 }], [], new Map([["a:0", 5n]]));
    const record = (partition: number, offset: bigint) =>
      ({ topic: "a", partition, offset, key: null, value: null, timestamp: 0 }) as const;
    assert.equal(tracker.accept(record(1, 0n)), null);
    assert.equal(tracker.accept(record(0, 4n)), null);
    assert.equal(tracker.accept(record(0, 5n)), 0);
    assert.equal(tracker.accept(record(0, 5n)), null, "a record fetched twice");
    assert.equal(tracker.accept(record(0, 9n)), 0, "gaps (compaction) are fine");
    tracker.returned(0, 9n);
    assert.deepEqual(tracker.positions(), new Map([[0, "10"]]));
    assert.deepEqual(
      tracker.acknowledge(
        new Map([
          [0, "10"],
          [1, "3"],
        ]),
      ),
      [{ topic: "a", partition: 0, offset: 10n }],
    );
  });
});

describe("@platformatic/kafka adapter", () => {
  it("maps connection options, credentials and TLS", () => {
    const options = platformaticConsumerOptions({
      brokers: ["k1:9092", "k2:9092"],
      groupId: "plant",
      sasl: { mechanism: "SCRAM-SHA-512", username: "u", password: "p" },
      tls: true,
      sessionTimeoutMs: 20_000,
    });
    assert.equal(options.groupId, "plant");
    assert.deepEqual(options.bootstrapBrokers, ["k1:9092", "k2:9092"]);
    assert.equal(options.autocommit, false);
    assert.deepEqual(options.sasl, { mechanism: "SCRAM-SHA-512", username: "u", password: "p" });
    assert.deepEqual(options.tls, {});
    assert.equal((options as { sessionTimeout?: number }).sessionTimeout, 20_000);
    assert.throws(
      () => platformaticConsumerOptions({ brokers: [], groupId: "g" }),
      /at least one broker/,
    );
  });

  it("fails open with an error naming the topic and the unreachable broker", async () => {
    const source = new KafkaSource({
      topics: ["readings"],
      consumer: kafkaConsumer({ brokers: ["127.0.0.1:1"], groupId: "g", connectTimeoutMs: 500 }),
    });
    await assert.rejects(source.open({ step: "in" }), (error: unknown) => {
      assert.ok(error instanceof KafkaSourceError);
      assert.match(
        error.message,
        /^Kafka readings: cannot read the metadata of readings from 127\.0\.0\.1:1/,
      );
      return true;
    });
  });
});
