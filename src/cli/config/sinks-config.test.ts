/**
 * The `sinks` section of the configuration: defaults, validation messages naming the
 * file and field, secrets from the environment and from files (never in messages),
 * and what `buildConfiguredSinks` makes of it.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { FanOutSink } from "../../connectors/fan-out-sink.js";
import { JsonlFileSink } from "../../connectors/file/index.js";
import { buildConfiguredSinks, withConfiguredSinks } from "./build-sinks.js";
import { ConfigError, loadPlantConfig } from "./plant-config.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "millstream-sinks-config-"));
});
afterEach(async () => {
  delete process.env.MS_TEST_PG_URL;
  await rm(dir, { recursive: true, force: true });
});

async function load(sinks: string) {
  const file = path.join(dir, "plant.yaml");
  await writeFile(
    file,
    `name: line-1
input: { files: [readings.jsonl] }
metadata: { folder: plant }
outputs: { folder: out }
sinks:
${sinks}`,
  );
  return { file, load: () => loadPlantConfig(file) };
}

describe("sinks configuration", () => {
  it("fills the defaults and resolves env: and file: secrets", async () => {
    process.env.MS_TEST_PG_URL = "postgres://writer:s3cret@db:5432/plant";
    await writeFile(path.join(dir, "mqtt-password"), "hunter2\n");
    const { load: read } = await load(`  postgres:
    connection: env:MS_TEST_PG_URL
  redis:
    url: redis://127.0.0.1:6379
  mqtt:
    url: mqtt://broker:1883
    username: plant
    password: file:mqtt-password
    outputs:
      anomalies: millstream/{facility_id}/anomalies
`);
    const config = read();
    assert.deepEqual(config.sinks?.postgres, {
      connection: "postgres://writer:s3cret@db:5432/plant",
      schema: "millstream",
      outputs: [
        "anomalies",
        "facility_metrics",
        "equipment_health",
        "production_efficiency",
        "equipment_state",
      ],
      readings: false,
      partitionInterval: "day",
      maxConnections: 4,
    });
    assert.equal(config.sinks?.redis?.ttlSeconds, 3600);
    assert.deepEqual(config.sinks?.redis?.outputs, [
      "anomalies",
      "facility_metrics",
      "equipment_health",
      "production_efficiency",
      "equipment_state",
    ]);
    assert.equal(config.sinks?.mqtt?.password, "hunter2");
    assert.equal(config.sinks?.mqtt?.qos, 1);
  });

  it("names the file and field of an unset variable, and never the secret", async () => {
    const { file, load: read } = await load(`  postgres:
    connection: env:MS_TEST_PG_URL
`);
    assert.throws(read, (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.equal(
        e.message,
        `${file}: sinks.postgres.connection: environment variable MS_TEST_PG_URL is not set`,
      );
      return true;
    });
  });

  it("reports a wrong output name, a missing topic list and an unknown field with their paths", async () => {
    const { file, load: read } = await load(`  redis:
    url: redis://r
    outputs: [readings]
  nats:
    outputs: {}
  kafka:
    brokers: [k:9092]
    outputs: { anomalies: a }
    linger: 5
`);
    assert.throws(read, (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      const lines = e.message.split("\n");
      assert.ok(
        lines.some((l) => l.startsWith(`${file}: sinks.redis.outputs.0: `)),
        e.message,
      );
      assert.ok(
        lines.some((l) => l.startsWith(`${file}: sinks.nats.outputs: name at least one output`)),
        e.message,
      );
      assert.ok(
        lines.some((l) => l.startsWith(`${file}: sinks.kafka: Unrecognized key: "linger"`)),
        e.message,
      );
      return true;
    });
  });

  it("builds fan-out sinks with the file sink first, and a summary without credentials", async () => {
    process.env.MS_TEST_PG_URL = "postgres://writer:s3cret@127.0.0.1:1/plant";
    const { load: read } = await load(`  postgres:
    connection: env:MS_TEST_PG_URL
    outputs: [anomalies]
    readings: true
  mqtt:
    url: mqtt://user:pw@127.0.0.1:1
    outputs:
      equipment_state: plant/{equipment_id}/state
`);
    const config = read();
    const configured = buildConfiguredSinks(config.sinks!, config.name);
    try {
      assert.deepEqual(Object.keys(configured.targets).sort(), [
        "anomalies",
        "equipment_state",
        "readings",
      ]);
      assert.ok(!configured.summary.join("\n").includes("s3cret"));
      assert.ok(!configured.summary.join("\n").includes("pw@"));
      const file = new JsonlFileSink<unknown>({ directory: path.join(dir, "a") });
      const sinks = withConfiguredSinks(configured, {
        anomalies: file,
        deadLetters: file,
        late: file,
        facilityMetrics: file,
      });
      assert.ok(sinks.anomalies instanceof FanOutSink);
      assert.match(
        sinks.anomalies.description,
        /^fan-out\(jsonl:.*, postgres:millstream\.anomalies\)$/,
      );
      assert.equal(
        sinks.facilityMetrics,
        file,
        "an output without destinations keeps its file sink",
      );
      assert.equal(
        sinks.archive?.description,
        "postgres:millstream.readings",
        "readings without an archive",
      );
      assert.match(sinks.equipmentState?.description ?? "", /^mqtt-sink:mqtt:\/\/127\.0\.0\.1:1$/);
    } finally {
      await configured.close();
    }
  });
});
