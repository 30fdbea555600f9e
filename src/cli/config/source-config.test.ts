/**
 * Tests of the `input` section: the older `files` form, each source type with its
 * defaults, secrets from the environment or files (never shown in errors), paths
 * made absolute, errors naming the file and the field, and the sources built from it.
 */
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { FileSource } from "../../connectors/file/index.js";
import { HttpIngestSource } from "../../connectors/http/index.js";
import { KafkaSource } from "../../connectors/kafka/index.js";
import { MqttSource } from "../../connectors/mqtt/index.js";
import { NatsJetStreamSource } from "../../connectors/nats/index.js";
import { buildSource } from "./build-source.js";
import { ConfigError, loadPlantConfig } from "./plant-config.js";

const REST = `
metadata: { folder: metadata }
outputs: { folder: out }
`;

function write(input: string, files: Record<string, string> = {}): string {
  const dir = mkdtempSync(path.join(tmpdir(), "millstream-input-config-"));
  for (const [name, content] of Object.entries(files)) writeFileSync(path.join(dir, name), content);
  const file = path.join(dir, "plant.yaml");
  writeFileSync(file, `input:\n${input}\n${REST}`);
  return file;
}

function rejects(file: string, ...parts: string[]): void {
  assert.throws(
    () => loadPlantConfig(file),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError, String(error));
      assert.ok(error.message.includes(file), error.message);
      for (const part of parts)
        assert.ok(error.message.includes(part), `${error.message} lacks ${part}`);
      return true;
    },
  );
}

describe("input section", () => {
  it("keeps the older form: files without a type", () => {
    const file = write("  files: [readings.jsonl, 'line-*/*.jsonl']\n  batchSize: 500");
    const { input } = loadPlantConfig(file);
    assert.deepEqual(input, {
      type: "files",
      files: [
        path.join(path.dirname(file), "readings.jsonl"),
        path.join(path.dirname(file), "line-*/*.jsonl"),
      ],
      format: "jsonl",
      follow: false,
      batchSize: 500,
    });
    const source = buildSource(input);
    assert.ok(source instanceof FileSource);
  });

  it("reads CSV files in follow mode", () => {
    const file = write(
      "  type: files\n  files: [plc.csv]\n  format: csv\n  delimiter: ';'\n  follow: true",
    );
    const { input } = loadPlantConfig(file);
    assert.equal(input.type, "files");
    assert.equal(
      buildSource(input).description,
      `file:${path.join(path.dirname(file), "plc.csv")} (follow)`,
    );
  });

  it("takes MQTT with its defaults and a password from the environment", () => {
    process.env.MILLSTREAM_TEST_MQTT_PASSWORD = "pw-from-env";
    const file = write(
      "  type: mqtt\n  url: mqtt://broker:1883\n  topics: ['$share/plant/plants/+/+']\n  clientId: line-1\n  clean: false\n  username: plant\n  password: env:MILLSTREAM_TEST_MQTT_PASSWORD\n  tls: { caFile: ca.pem }",
    );
    const { input } = loadPlantConfig(file);
    assert.deepEqual(input, {
      type: "mqtt",
      url: "mqtt://broker:1883",
      topics: ["$share/plant/plants/+/+"],
      qos: 1,
      clientId: "line-1",
      clean: false,
      protocolVersion: 5,
      username: "plant",
      password: "pw-from-env",
      tls: { caFile: path.join(path.dirname(file), "ca.pem") },
    });
    assert.ok(buildSource(input) instanceof MqttSource);
  });

  it("takes NATS with a token from a file and a credentials file", () => {
    const file = write(
      "  type: nats\n  servers: [nats://a:4222, nats://b:4222]\n  token: file:token.txt\n  credsFile: plant.creds\n  stream: READINGS\n  partitions: 8\n  subjectTemplate: readings.{partition}.>\n  create: { ingestSubject: plant.*.*, storage: file }",
      { "token.txt": "tok-from-file\n" },
    );
    const { input } = loadPlantConfig(file);
    assert.equal(input.type, "nats");
    if (input.type !== "nats") return;
    assert.equal(input.token, "tok-from-file");
    assert.equal(input.credsFile, path.join(path.dirname(file), "plant.creds"));
    assert.equal(input.startAt, "first");
    const source = buildSource(input);
    assert.ok(source instanceof NatsJetStreamSource);
    assert.equal(source.description, "nats:READINGS (8 partitions)");
  });

  it("takes Kafka with SASL", () => {
    process.env.MILLSTREAM_TEST_KAFKA_PASSWORD = "kafka-pw";
    const file = write(
      "  type: kafka\n  brokers: [k1:9092]\n  groupId: plant\n  topics: [readings]\n  sasl: { mechanism: SCRAM-SHA-512, username: plant, password: env:MILLSTREAM_TEST_KAFKA_PASSWORD }\n  tls: true",
    );
    const { input } = loadPlantConfig(file);
    assert.equal(input.type, "kafka");
    if (input.type !== "kafka") return;
    assert.equal(input.sasl?.password, "kafka-pw");
    assert.equal(input.startAt, "earliest");
    assert.ok(buildSource(input) instanceof KafkaSource);
  });

  it("takes an HTTP ingest endpoint", () => {
    const file = write("  type: http\n  port: 8088\n  token: s3cret\n  waitForCheckpoint: true");
    const { input } = loadPlantConfig(file);
    assert.deepEqual(input, {
      type: "http",
      port: 8088,
      host: "127.0.0.1",
      path: "/ingest",
      token: "s3cret",
      waitForCheckpoint: true,
      forwardInvalid: true,
    });
    const source = buildSource(input);
    assert.ok(source instanceof HttpIngestSource);
    assert.equal(source.description, "http:127.0.0.1:8088/ingest");
  });

  it("names the file, the field and the expectation of a bad input", () => {
    rejects(write("  type: amqp\n  url: x"), "input.type");
    rejects(
      write("  type: mqtt\n  url: http://broker\n  topics: [a]"),
      "input.url",
      "expected mqtt://",
    );
    rejects(
      write("  type: mqtt\n  url: mqtt://b\n  topics: [a]\n  clean: false"),
      "input.clientId",
      "clientId",
    );
    rejects(write("  type: nats\n  stream: a.b\n  partitions: 2"), "input.stream", "stream name");
    rejects(write("  type: nats\n  stream: S\n  partitions: 0"), "input.partitions");
    rejects(write("  type: kafka\n  brokers: []\n  groupId: g\n  topics: [t]"), "input.brokers");
    rejects(write("  type: http\n  port: 70000"), "input.port");
    rejects(write("  type: files\n  files: [a]\n  folow: true"), "folow");
  });

  it("names the variable or file of a missing secret, never a secret", () => {
    delete process.env.MILLSTREAM_TEST_MISSING_SECRET;
    rejects(
      write("  type: http\n  port: 1\n  token: env:MILLSTREAM_TEST_MISSING_SECRET"),
      "input.token",
      "MILLSTREAM_TEST_MISSING_SECRET is not set",
    );
    rejects(write("  type: http\n  port: 1\n  token: file:nope.txt"), "input.token", "nope.txt");
    process.env.MILLSTREAM_TEST_SHOWN = "do-not-print-me";
    const file = write(
      "  type: mqtt\n  url: ftp://x\n  topics: [a]\n  password: env:MILLSTREAM_TEST_SHOWN",
    );
    assert.throws(
      () => loadPlantConfig(file),
      (error: unknown) =>
        error instanceof ConfigError && !error.message.includes("do-not-print-me"),
    );
  });
});
