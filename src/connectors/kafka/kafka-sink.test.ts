/**
 * The Kafka sink without a broker (none can run on the project's machines): the sink
 * contract over an in-process log behind the sink's own producer port (a send cut off
 * half-way by a network error as the transient fault, a refused topic as the
 * permanent one), the messages it builds, the producer options, and the real
 * `@platformatic/kafka` producer failing against a closed port.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { NetworkError, UserError } from "@platformatic/kafka";
import { describeSink } from "../testing/sink-contract.case.js";
import {
  isTransientKafkaError,
  type KafkaMessage,
  type KafkaProducerPort,
  kafkaLineTarget,
  kafkaProducerOptions,
  platformaticProducer,
} from "./kafka-publisher.js";
import { kafkaSink } from "./kafka-sink.js";

/** A topic log in memory, shared by every producer made from it. */
class MemoryLog {
  readonly messages: KafkaMessage[] = [];
  /** The next send stores half its messages, then fails with a network error. */
  cutNext = false;
  /** Every send fails with an error the client would not retry. */
  refuse = false;

  producer(): KafkaProducerPort {
    return {
      send: async (messages) => {
        if (this.refuse) throw new UserError("Topic authorization failed");
        if (this.cutNext) {
          this.cutNext = false;
          this.messages.push(...messages.slice(0, Math.ceil(messages.length / 2)));
          throw new NetworkError("Connection closed");
        }
        this.messages.push(...messages);
      },
      close: async () => {},
    };
  }
}

interface Item {
  readonly n: number;
  readonly machine: string;
}

describeSink<Item>("Kafka sink (in-process producer port)", async () => {
  const log = new MemoryLog();
  return {
    transactional: false,
    ordered: true,
    delivery: "at-least-once",
    sink: () =>
      kafkaSink<Item>({
        brokers: ["memory:9092"],
        topic: () => "items",
        key: (i) => i.machine,
        id: (i) => `item|${i.n}`,
        producer: () => log.producer(),
        bufferMessages: 300,
        retry: { attempts: 3, initialDelayMs: 1 },
      }),
    record: (n) => ({ n, machine: `m${n % 4}` }),
    idOf: (i) => i.n,
    published: async () => log.messages.map((m) => JSON.parse(m.value) as Item),
    interrupt: async () => {
      log.cutNext = true;
    },
    breakDestination: async () => {
      log.refuse = true;
    },
    destinationName: "kafka://memory:9092",
    cleanup: async () => {},
  };
});

describe("Kafka sink", () => {
  it("keys each message by the record key and carries the record id in an id header", async () => {
    const log = new MemoryLog();
    const writer = await kafkaSink<Item>({
      brokers: ["memory:9092"],
      topic: (i) => `plant.${i.machine}`,
      key: (i) => i.machine,
      id: (i) => `item|${i.n}`,
      producer: () => log.producer(),
    }).open({ step: "out" });
    writer.write({ values: [{ n: 1, machine: "press-1" }], times: [0], channel: 0 });
    assert.equal(log.messages.length, 0, "nothing is produced before a flush or checkpoint");
    await writer.prepareCommit!(1);
    await writer.close();
    assert.deepEqual(log.messages, [
      {
        topic: "plant.press-1",
        key: "press-1",
        value: '{"n":1,"machine":"press-1"}',
        headers: { id: "item|1" },
      },
    ]);
  });

  it("builds an idempotent producer with SASL and timeouts", () => {
    const options = kafkaProducerOptions({
      brokers: ["k1:9092", "k2:9092"],
      clientId: "plant-7",
      sasl: { mechanism: "SCRAM-SHA-512", username: "u", password: "p" },
      timeoutMs: 5000,
    });
    assert.equal(options.idempotent, true);
    assert.deepEqual(options.bootstrapBrokers, ["k1:9092", "k2:9092"]);
    assert.equal(options.clientId, "plant-7");
    assert.deepEqual(options.sasl, { mechanism: "SCRAM-SHA-512", username: "u", password: "p" });
    assert.equal(options.connectTimeout, 5000);
    assert.equal(options.autocreateTopics, false);
    assert.throws(() => kafkaProducerOptions({ brokers: [] }), /`brokers` must list at least one/);
    // @platformatic/kafka 1.35's idempotent producer can hang with fewer than 2 retries.
    assert.equal(kafkaProducerOptions({ brokers: ["k:9092"], clientRetries: 0 }).retries, 2);
    assert.equal(
      kafkaProducerOptions({ brokers: ["k:9092"], clientRetries: 0, idempotent: false }).retries,
      0,
    );
  });

  it("classifies network and timeout errors as transient, others not", () => {
    assert.equal(isTransientKafkaError(new NetworkError("Connection closed")), true);
    assert.equal(isTransientKafkaError(new UserError("bad option")), false);
    assert.equal(isTransientKafkaError(new Error("other")), false);
  });

  it("produces simulator lines keyed by a field of each line", async () => {
    const log = new MemoryLog();
    const target = kafkaLineTarget({
      brokers: ["memory:9092"],
      topic: () => "readings",
      key: (line) => (JSON.parse(line) as { sensor_id: string }).sensor_id,
      port: log.producer(),
    });
    await target.write(['{"sensor_id":"T-1"}', '{"sensor_id":"T-2"}']);
    await target.close();
    assert.deepEqual(
      log.messages.map((m) => [m.topic, m.key, m.value]),
      [
        ["readings", "T-1", '{"sensor_id":"T-1"}'],
        ["readings", "T-2", '{"sensor_id":"T-2"}'],
      ],
    );
  });

  it("fails against a closed port with a transient error, and the sink names the brokers", async () => {
    const port = platformaticProducer({
      brokers: ["127.0.0.1:1"],
      timeoutMs: 1000,
      clientRetries: 0,
    });
    const failure = await port.send([{ topic: "t", key: "k", value: "v", headers: {} }]).then(
      () => assert.fail("send should fail"),
      (e: unknown) => e,
    );
    await port.close();
    assert.equal(isTransientKafkaError(failure), true, String(failure));
    const writer = await kafkaSink<Item>({
      brokers: ["127.0.0.1:1"],
      timeoutMs: 1000,
      clientRetries: 0,
      topic: () => "t",
      key: (i) => i.machine,
      id: (i) => String(i.n),
      retry: { attempts: 2, initialDelayMs: 1 },
    }).open({ step: "out" });
    writer.write({ values: [{ n: 1, machine: "m" }], times: [0], channel: 0 });
    await assert.rejects(
      writer.prepareCommit!(1),
      /kafka:\/\/127\.0\.0\.1:1: publishing 1 messages failed after 2 tries/,
    );
    await writer.close();
  });
});
