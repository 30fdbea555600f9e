/**
 * RedisSink against the real server on loopback: the sink contract (the stream as
 * what is published, a killed connection as the transient fault, the stream key
 * turned into a string as the permanent one), then the hashes (latest by order, TTL,
 * fields), pub/sub, staged epochs and errors. Skipped when no server answers, except
 * under CI=true.
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import type { Redis } from "ioredis";
import type { SinkWriter } from "../../engine/index.js";
import { describeSink } from "../testing/sink-contract.case.js";
import { RedisSinkError } from "./errors.js";
import { RedisSink, type RedisSinkOptions } from "./redis-sink.js";
import { deleteKeys, killClients, requireRedis, testClient, uniquePrefix } from "./test-redis.js";

const { skip } = await requireRedis();

interface Item {
  readonly n: number;
  readonly group: string;
  readonly text: string;
  readonly at: number;
}

/** The items in the stream `key`, in stream order. */
async function streamItems(client: Redis, key: string): Promise<Item[]> {
  const entries = await client.xrange(key, "-", "+");
  return entries.map(
    ([, fields]) => JSON.parse(fields[fields.indexOf("data") + 1] as string) as Item,
  );
}

if (skip !== false) describe("RedisSink (sink contract)", { skip }, () => {});
else
  describeSink<Item>("RedisSink", async () => {
    const prefix = uniquePrefix();
    const name = `ms-test-${prefix.split(":")[3]}`;
    const client = testClient(name);
    const admin = testClient();
    const stream = `${prefix}updates`;
    return {
      transactional: true,
      ordered: true,
      sink: () =>
        new RedisSink<Item>({
          redis: client,
          stateKey: `${prefix}sink`,
          id: (i) => String(i.n),
          hash: { key: (i) => `${prefix}latest:${i.group}`, ttlMs: 60_000 },
          stream: { key: stream, type: "item" },
          bufferRecords: 500,
          applyChunk: 7,
          retry: { attempts: 6, initialDelayMs: 20 },
          onRetry: () => undefined,
        }),
      record: (n) => ({
        n,
        group: `g${n % 3}`,
        text: n % 2 === 0 ? "Grüße 🌡" : "line\nbreak",
        at: n,
      }),
      idOf: (i) => i.n,
      published: () => streamItems(admin, stream),
      interrupt: async () => {
        assert.ok((await killClients(admin, name)) > 0, "a connection was killed");
      },
      breakDestination: async () => {
        await admin.del(stream);
        await admin.set(stream, "not a stream");
      },
      destinationName: stream,
      cleanup: async () => {
        await deleteKeys(admin, prefix);
        client.disconnect();
        admin.disconnect();
      },
    };
  });

describe("RedisSink", { skip }, () => {
  const admin = skip === false ? testClient() : (undefined as unknown as Redis);
  const prefixes: string[] = [];
  const writers: SinkWriter<unknown>[] = [];
  after(async () => {
    if (skip !== false) return;
    for (const w of writers.splice(0)) await w.close();
    for (const p of prefixes) await deleteKeys(admin, p);
    admin.disconnect();
  });

  function setup(extra: Partial<RedisSinkOptions<Item>> = {}) {
    const prefix = uniquePrefix();
    prefixes.push(prefix);
    const options: RedisSinkOptions<Item> = {
      redis: admin,
      stateKey: `${prefix}sink`,
      id: (i) => String(i.n),
      hash: { key: (i) => `${prefix}latest:${i.group}`, ttlMs: 60_000, order: (i) => i.at },
      stream: { key: `${prefix}updates`, maxLen: 1000, type: "item" },
      ...extra,
    };
    const start = async (restored?: { checkpointId: number; progress: unknown }) => {
      const w = await new RedisSink<Item>(options).open(
        restored ? { step: "out", restored } : { step: "out" },
      );
      writers.push(w as SinkWriter<unknown>);
      return w;
    };
    return { prefix, start };
  }

  function write(writer: SinkWriter<Item>, items: Item[]): void {
    writer.write({ values: items, times: items.map(() => 0), channel: 0 });
  }

  async function checkpoint(writer: SinkWriter<Item>, id: number): Promise<unknown> {
    const progress = await writer.prepareCommit!(id);
    await writer.commit!(id, progress);
    return progress;
  }

  it("keeps the latest record per key as a hash with a TTL, never replaced by an older one", async () => {
    const { prefix, start } = setup();
    const writer = await start();
    write(writer, [
      { n: 1, group: "a", text: "first", at: 100 },
      { n: 2, group: "a", text: "second", at: 200 },
      { n: 3, group: "b", text: "only", at: 50 },
    ]);
    await checkpoint(writer, 1);
    write(writer, [{ n: 4, group: "a", text: "late update of an older window", at: 150 }]);
    await checkpoint(writer, 2);
    assert.deepEqual(await admin.hgetall(`${prefix}latest:a`), {
      n: "2",
      group: "a",
      text: "second",
      at: "200",
      _order: "200",
    });
    assert.equal((await admin.hgetall(`${prefix}latest:b`)).text, "only");
    const ttl = await admin.pttl(`${prefix}latest:a`);
    assert.ok(ttl > 50_000 && ttl <= 60_000, `TTL ${ttl} ms`);
    const stream = await admin.xrange(`${prefix}updates`, "-", "+");
    assert.deepEqual(
      stream.map(([, f]) => [f[0], f[1], f[2], f[3], f[4]]),
      ["1", "2", "3", "4"].map((id) => ["id", id, "type", "item", "data"]),
      "every record is in the stream, the late one too",
    );
  });

  it("writes nothing before the checkpoint commits, and stages entries in the epoch's sorted set", async () => {
    const { prefix, start } = setup();
    const writer = await start();
    write(writer, [{ n: 1, group: "a", text: "x", at: 1 }]);
    await writer.flush();
    assert.equal(await admin.exists(`${prefix}latest:a`), 0);
    assert.equal(await admin.zcard(`${prefix}sink:epoch:1`), 1);
    const progress = await writer.prepareCommit!(1);
    assert.deepEqual(progress, { keys: [`${prefix}sink:epoch:1`] });
    assert.equal(await admin.xlen(`${prefix}updates`), 0);
    await writer.commit!(1, progress);
    assert.equal(await admin.xlen(`${prefix}updates`), 1);
    assert.equal(await admin.exists(`${prefix}sink:epoch:1`), 0);
  });

  it("publishes on a channel at commit", async () => {
    const channel = `${uniquePrefix()}live`;
    const { start } = setup({ channel, stream: undefined, hash: undefined });
    const subscriber = testClient();
    const received: string[] = [];
    await subscriber.subscribe(channel);
    subscriber.on("message", (_c: string, message: string) => received.push(message));
    try {
      const writer = await start();
      write(writer, [{ n: 7, group: "a", text: "x", at: 1 }]);
      await checkpoint(writer, 1);
      for (let i = 0; i < 50 && received.length === 0; i++)
        await new Promise((r) => setTimeout(r, 10));
      assert.deepEqual(
        received.map((m) => JSON.parse(m).n),
        [7],
      );
    } finally {
      subscriber.disconnect();
    }
  });

  it("fails a staged entry whose hash key holds another type, naming the key, without writing the chunk", async () => {
    const { prefix, start } = setup();
    await admin.set(`${prefix}latest:b`, "a string");
    const writer = await start();
    write(writer, [
      { n: 1, group: "a", text: "x", at: 1 },
      { n: 2, group: "b", text: "y", at: 1 },
    ]);
    const progress = await writer.prepareCommit!(1);
    await assert.rejects(writer.commit!(1, progress), (e: unknown) => {
      assert.ok(e instanceof RedisSinkError);
      assert.match(
        e.message,
        new RegExp(`WRONGTYPE key ${prefix}latest:b holds a string, not a hash`),
      );
      return true;
    });
    assert.equal(await admin.exists(`${prefix}latest:a`), 0, "nothing of the chunk was applied");
    assert.equal(await admin.zcard(`${prefix}sink:epoch:1`), 2, "the entries stay staged");
  });

  it("refuses progress that is not its own", async () => {
    const { start } = setup();
    await assert.rejects(
      start({ checkpointId: 3, progress: { keys: ["other:epoch:3"] } }),
      /invalid sink progress .*expected \{ keys:/,
    );
  });

  it("rejects options without any destination", () => {
    assert.throws(
      () => new RedisSink<Item>({ redis: admin, stateKey: "x", id: (i) => String(i.n) }),
      /give at least one of `hash`, `stream`, `channel`/,
    );
  });
});
