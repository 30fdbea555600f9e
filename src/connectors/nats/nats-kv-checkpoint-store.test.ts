/**
 * NatsKvCheckpointStore against the checkpoint store contract suite, on the real NATS
 * JetStream server on loopback: one bucket per test, deleted afterwards. The
 * fixture's hooks tamper with stored values (corrupt) and make chunk writes fail
 * (failOnKey) through a wrapper around the real bucket.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { jetstreamManager } from "@nats-io/jetstream";
import { type KV, Kvm } from "@nats-io/kv";
import { connect } from "@nats-io/transport-node";
import {
  checkpointData,
  describeCheckpointStore,
  stateRow,
} from "../checkpoint/checkpoint-store.case.js";
import { NatsKvCheckpointStore, natsKvCheckpointKeys } from "./nats-kv-checkpoint-store.js";
import { requireNats, TEST_NATS_URL, uniqueName } from "./test-nats.js";

const { skip } = await requireNats();

/** A bucket handle whose `put` of state rows fails once `failOn` text is written. */
function failingBucket(kv: KV): { kv: KV; failOn(text: string): void } {
  let failOn: string | null = null;
  let tail = "";
  const put: KV["put"] = async (key, data, options) => {
    if (failOn !== null && key.includes(".rows.")) {
      const text = tail + Buffer.from(data as Uint8Array).toString("utf8");
      tail = text.slice(-failOn.length * 2);
      if (text.includes(failOn)) throw new Error(`injected failure writing ${key}`);
    }
    return kv.put(key, data, options);
  };
  const wrapped = new Proxy(kv, {
    get(target, property, receiver) {
      if (property === "put") return put;
      const value = Reflect.get(target, property, receiver);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { kv: wrapped, failOn: (text) => (failOn = text) };
}

describeCheckpointStore(
  "NatsKvCheckpointStore",
  async ({ onWarning }) => {
    const nc = await connect({ servers: TEST_NATS_URL });
    const bucket = uniqueName("ms_ckpt");
    const real = await new Kvm(nc).create(bucket, { history: 1 });
    const failing = failingBucket(real);
    const open = () => new NatsKvCheckpointStore({ kv: failing.kv, bucket, onWarning });
    return {
      store: open(),
      reopen: async () => open(),
      async corrupt(job, id) {
        const keys = natsKvCheckpointKeys(job);
        const meta = JSON.parse((await real.get(keys.meta(id)))!.string()) as {
          chunks: number;
          createdAt: number;
        };
        if (meta.chunks === 0) {
          await real.put(keys.meta(id), JSON.stringify({ ...meta, createdAt: meta.createdAt + 1 }));
          return;
        }
        const text = (await real.get(keys.rows(id, 0)))!.string();
        const at = text.search(/[0-9]/);
        const digit = (Number(text[at]) % 9) + 1;
        await real.put(
          keys.rows(id, 0),
          `${text.slice(0, at)}${digit === Number(text[at]) ? 1 : digit}${text.slice(at + 1)}`,
        );
      },
      async failOnKey(key) {
        failing.failOn(JSON.stringify(key));
      },
      async dispose() {
        await (await jetstreamManager(nc)).streams.delete(`KV_${bucket}`).catch(() => false);
        await nc.close();
      },
    };
  },
  { skip },
);

describe("NatsKvCheckpointStore on its own connection", { skip }, () => {
  it("creates its bucket, commits, restores after a reopen, and chunks large states", async () => {
    const bucket = uniqueName("ms_ckpt_own");
    const options = { servers: TEST_NATS_URL, bucket, chunkBytes: 64 * 1024 };
    const store = new NatsKvCheckpointStore(options);
    assert.equal(store.description, `nats-kv:${bucket}`);
    try {
      const rows = Array.from({ length: 2000 }, (_, i) =>
        stateRow("avg", i % 4, `sensor-${i}`, { sum: i, pad: "x".repeat(100) }),
      );
      await store.commit(checkpointData("plant", 1, rows));
      await store.commit(checkpointData("plant", 2, [stateRow("avg", 0, "sensor-0", null)]));
      await store.close();
      const again = new NatsKvCheckpointStore(options);
      try {
        const latest = await again.latest("plant");
        assert.equal(latest?.id, 2);
        assert.equal(latest?.rows.length, 1999);
        const nc = await connect({ servers: TEST_NATS_URL });
        try {
          const kv = await new Kvm(nc).open(bucket);
          const meta = JSON.parse((await kv.get(natsKvCheckpointKeys("plant").meta(1)))!.string());
          assert.ok(meta.chunks >= 4, `${meta.chunks} chunks for ~270 KB of rows`);
        } finally {
          await nc.close();
        }
      } finally {
        await again.close();
      }
    } finally {
      const nc = await connect({ servers: TEST_NATS_URL });
      await (await jetstreamManager(nc)).streams.delete(`KV_${bucket}`).catch(() => false);
      await nc.close();
    }
  });

  it("names the servers when it cannot connect, and tries again on the next call", async () => {
    const store = new NatsKvCheckpointStore({
      servers: "127.0.0.1:1",
      connectTimeoutMs: 500,
      maxReconnectAttempts: 0,
    });
    await assert.rejects(store.latest("plant"), /cannot connect to NATS at 127\.0\.0\.1:1/);
    await assert.rejects(store.latest("plant"), /cannot connect to NATS at 127\.0\.0\.1:1/);
    await store.close();
  });
});
