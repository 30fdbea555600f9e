/**
 * The NATS sink and line target against the real NATS server with JetStream on
 * loopback: the sink contract on JetStream (a forced reconnect as the transient fault,
 * the stream deleted as the permanent one), then server-side dedup by `Nats-Msg-Id`,
 * core NATS and the line target. Skipped when no server answers, except under CI=true.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, describe, it } from "node:test";
import { type JetStreamManager, jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { describeSink } from "../testing/sink-contract.case.js";
import { natsLineTarget } from "./nats-publisher.js";
import { natsSink } from "./nats-sink.js";
import { requireNats, TEST_NATS_URL } from "./test-nats.js";

const NATS_SERVER = TEST_NATS_URL;
const { skip } = await requireNats();
const unique = () => randomBytes(4).toString("hex");

/** A stream capturing `<prefix>.>`, and a reader of everything stored in it. */
async function testStream(jsm: JetStreamManager) {
  const id = unique();
  const name = `MS_TEST_SINK_${id.toUpperCase()}`;
  const prefix = `ms.test.sink.${id}`;
  await jsm.streams.add({ name, subjects: [`${prefix}.>`] });
  return {
    name,
    prefix,
    async stored(): Promise<{ subject: string; data: string; id: string | undefined }[]> {
      const info = await jsm.streams.info(name).catch(() => null);
      const out: { subject: string; data: string; id: string | undefined }[] = [];
      if (info === null) return out;
      for (
        let seq = info.state.first_seq;
        seq <= info.state.last_seq && info.state.messages > 0;
        seq++
      ) {
        const m = await jsm.streams.getMessage(name, { seq });
        if (m) out.push({ subject: m.subject, data: m.string(), id: m.header?.get("Nats-Msg-Id") });
      }
      return out;
    },
    remove: () => jsm.streams.delete(name).catch(() => false),
  };
}

interface Item {
  readonly n: number;
  readonly site: string;
}

if (skip !== false) describe("NATS JetStream sink (sink contract)", { skip }, () => {});
else
  describeSink<Item>("NATS JetStream sink", async () => {
    const nc = await connect({ servers: NATS_SERVER, reconnectTimeWait: 50 });
    const jsm = await jetstreamManager(nc);
    const stream = await testStream(jsm);
    return {
      transactional: false,
      ordered: false,
      sink: () =>
        natsSink<Item>({
          servers: NATS_SERVER,
          connection: nc,
          subject: (i) => `${stream.prefix}.${i.site}`,
          id: (i) => `item|${i.n}`,
          publishTimeoutMs: 1000,
          bufferMessages: 300,
          retry: { attempts: 4, initialDelayMs: 20 },
        }),
      record: (n) => ({ n, site: `site${n % 3}` }),
      idOf: (i) => i.n,
      published: async () => (await stream.stored()).map((m) => JSON.parse(m.data) as Item),
      interrupt: () => nc.reconnect(),
      breakDestination: async () => {
        await stream.remove();
      },
      destinationName: stream.prefix,
      cleanup: async () => {
        await stream.remove();
        await nc.close();
      },
    };
  });

describe("NATS sink and line target", { skip }, () => {
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  const cleanups: (() => Promise<unknown>)[] = [];
  after(async () => {
    for (const c of cleanups) await c();
    await nc?.close();
  });

  async function setup() {
    nc ??= await connect({ servers: NATS_SERVER });
    jsm ??= await jetstreamManager(nc);
    const stream = await testStream(jsm);
    cleanups.push(stream.remove);
    return stream;
  }

  it("sets Nats-Msg-Id to the record id, so a replay is stored once", async () => {
    const stream = await setup();
    const sink = natsSink<Item>({
      servers: NATS_SERVER,
      subject: (i) => `${stream.prefix}.${i.site}`,
      id: (i) => `item|${i.n}`,
    });
    for (let run = 0; run < 2; run++) {
      const writer = await sink.open({ step: "out" });
      writer.write({
        values: [
          { n: 1, site: "a" },
          { n: 2, site: "b" },
        ],
        times: [0, 0],
        channel: 0,
      });
      await writer.prepareCommit!(1);
      await writer.close();
    }
    const stored = await stream.stored();
    assert.deepEqual(
      stored.map((m) => [m.subject, m.id]),
      [
        [`${stream.prefix}.a`, "item|1"],
        [`${stream.prefix}.b`, "item|2"],
      ],
    );
  });

  it("publishes to core NATS subscribers with the id in a header", async () => {
    const prefix = `ms.test.core.${unique()}`;
    await setup();
    const sub = nc.subscribe(`${prefix}.>`);
    const got: [string, string | undefined][] = [];
    const reading = (async () => {
      for await (const m of sub) {
        got.push([m.string(), m.headers?.get("Nats-Msg-Id")]);
        if (got.length === 2) break;
      }
    })();
    const writer = await natsSink<Item>({
      servers: NATS_SERVER,
      jetstream: false,
      subject: (i) => `${prefix}.${i.site}`,
      id: (i) => `item|${i.n}`,
    }).open({ step: "out" });
    writer.write({
      values: [
        { n: 1, site: "a" },
        { n: 2, site: "b" },
      ],
      times: [0, 0],
      channel: 0,
    });
    await writer.prepareCommit!(1);
    await writer.close();
    await reading;
    assert.deepEqual(got, [
      ['{"n":1,"site":"a"}', "item|1"],
      ['{"n":2,"site":"b"}', "item|2"],
    ]);
  });

  it("publishes simulator lines to JetStream subjects built from each line", async () => {
    const stream = await setup();
    const target = await natsLineTarget({
      servers: NATS_SERVER,
      subject: (line) =>
        `${stream.prefix}.${(JSON.parse(line) as { sensor_id: string }).sensor_id}`,
    });
    const lines = ['{"sensor_id":"T1","value":1}', '{"sensor_id":"T2","value":2}'];
    await target.write(lines);
    await target.close();
    assert.deepEqual(
      (await stream.stored()).map((m) => [m.subject, m.data]),
      [
        [`${stream.prefix}.T1`, lines[0]],
        [`${stream.prefix}.T2`, lines[1]],
      ],
    );
  });

  it("names the subject when no stream captures it", async () => {
    await setup();
    const writer = await natsSink<Item>({
      servers: NATS_SERVER,
      subject: () => `ms.test.nowhere.${unique()}`,
      id: (i) => String(i.n),
    }).open({ step: "out" });
    writer.write({ values: [{ n: 1, site: "a" }], times: [0], channel: 0 });
    await assert.rejects(
      writer.prepareCommit!(1),
      /no JetStream stream captures subject ms\.test\.nowhere\./,
    );
    await writer.close();
  });
});
