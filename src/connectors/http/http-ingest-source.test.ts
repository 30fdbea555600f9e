/**
 * Tests of HttpIngestSource over real HTTP on loopback: the live-source contract,
 * NDJSON and array bodies, per-item errors, bearer tokens (401), size limits (413),
 * backpressure (429 with Retry-After), stopping (503), answering after the
 * checkpoint, and JSON error bodies for other paths and methods.
 */
import assert from "node:assert/strict";
import http from "node:http";
import { describe, it } from "node:test";
import type { SourceReader } from "../../engine/index.js";
import type { InboundMessage } from "../inbound-message.js";
import { describeLiveSource } from "../testing/source-contract.case.js";
import {
  type HttpIngestReader,
  HttpIngestSource,
  type HttpIngestSourceOptions,
} from "./http-ingest-source.js";
import { parseIngestBody } from "./ingest-body.js";

interface Answer {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Record<string, unknown>;
}

/** Sends a request with node:http (so bodies without Content-Length can be streamed). */
function request(
  port: number,
  options: {
    method?: string;
    path?: string;
    headers?: Record<string, string>;
    body?: string | Buffer;
    chunks?: Buffer[];
  },
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: "127.0.0.1",
        port,
        method: options.method ?? "POST",
        path: options.path ?? "/ingest",
        headers: options.headers ?? {},
      },
      (res) => {
        let text = "";
        res.on("data", (c: Buffer) => {
          text += c.toString();
        });
        res.on("end", () =>
          resolve({ status: res.statusCode!, headers: res.headers, body: JSON.parse(text) }),
        );
      },
    );
    req.on("error", reject);
    if (options.chunks) {
      for (const chunk of options.chunks) req.write(chunk);
      req.end();
    } else req.end(options.body);
  });
}

async function open(options: Partial<HttpIngestSourceOptions> = {}): Promise<HttpIngestReader> {
  return new HttpIngestSource({ port: 0, ...options }).open({ step: "in" });
}

async function read(
  reader: SourceReader<InboundMessage>,
  count: number,
): Promise<InboundMessage[]> {
  const values: InboundMessage[] = [];
  for (let idle = 0; values.length < count; ) {
    const poll = await reader.poll();
    if (poll.kind === "batch") values.push(...poll.values);
    else assert.ok(++idle < 50, `only ${values.length} of ${count} arrived`);
  }
  return values;
}

describeLiveSource("HttpIngestSource", async () => {
  const readers: HttpIngestReader[] = [];
  return {
    async create(batchSize) {
      let reader: HttpIngestReader | undefined;
      const source = new HttpIngestSource({ port: 0, batchSize });
      const opened = {
        description: source.description,
        async open(context: Parameters<HttpIngestSource["open"]>[0]) {
          reader = await source.open(context);
          readers.push(reader);
          return reader;
        },
      };
      return {
        source: opened,
        async send(records) {
          const answer = await request(reader!.port, { body: records.join("\n") });
          assert.equal(answer.status, 202);
        },
        async sendInvalidUtf8() {
          const answer = await request(reader!.port, {
            body: Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d]),
          });
          assert.equal(answer.status, 202);
        },
      };
    },
    text: (value) => value.payload,
    async cleanup() {
      for (const reader of readers) await reader.close();
    },
  };
});

describe("HttpIngestSource", () => {
  it("takes NDJSON and JSON arrays, reporting per-item syntax errors", async () => {
    const reader = await open({ now: () => 5 });
    try {
      const ndjson = await request(reader.port, {
        path: "/ingest?topic=plant/f1/TEMP-001",
        headers: { "content-type": "application/x-ndjson" },
        body: '{"sensor_id":"T-1","value":1}\r\nnot json\n\n{"sensor_id":"T-2","value":2}\n{"open":',
      });
      assert.equal(ndjson.status, 202);
      assert.equal(ndjson.body.accepted, 2);
      assert.equal(ndjson.body.rejected, 2);
      assert.equal(ndjson.body.status, "queued");
      assert.deepEqual(
        (ndjson.body.errors as { index: number }[]).map((e) => e.index),
        [1, 3],
      );
      assert.match((ndjson.body.errors as { error: string }[])[0]!.error, /^not JSON: /);
      const array = await request(reader.port, {
        body: '[{"sensor_id":"T-3"}, 42, {"nested":{"a":[1,2]}}]',
      });
      assert.equal(array.status, 202);
      assert.deepEqual(array.body, { accepted: 3, rejected: 0, errors: [], status: "queued" });
      const got = await read(reader, 7);
      assert.deepEqual(
        got.map((m) => m.payload),
        [
          '{"sensor_id":"T-1","value":1}',
          "not json",
          '{"sensor_id":"T-2","value":2}',
          '{"open":',
          '{"sensor_id":"T-3"}',
          "42",
          '{"nested":{"a":[1,2]}}',
        ],
        "items that are not JSON are passed on too, for the dead letters",
      );
      assert.match(got[0]!.origin, /^http:(::ffff:)?127\.0\.0\.1#1$/);
      assert.match(got[6]!.origin, /#7$/);
      assert.equal(got[0]!.topic, "plant/f1/TEMP-001");
      assert.equal(got[4]!.topic, undefined);
      assert.equal(got[0]!.receivedAt, 5);
    } finally {
      await reader.close();
    }
  });

  it("does not pass invalid items on with forwardInvalid: false", async () => {
    const reader = await open({ forwardInvalid: false });
    try {
      const answer = await request(reader.port, { body: 'x\n{"a":1}\n' });
      assert.deepEqual(answer.body.accepted, 1);
      assert.deepEqual(
        (await read(reader, 1)).map((m) => m.payload),
        ['{"a":1}'],
      );
      assert.equal((await reader.poll()).kind, "idle");
    } finally {
      await reader.close();
    }
  });

  it("answers 400 with a message for a body that cannot be split", async () => {
    const reader = await open();
    try {
      for (const body of ["", "  \n", "[1, 2", "[]"]) {
        const answer = await request(reader.port, { body });
        assert.equal(answer.status, 400, JSON.stringify(body));
        assert.equal(typeof answer.body.message, "string");
      }
    } finally {
      await reader.close();
    }
  });

  it("requires the bearer token when one is set (401)", async () => {
    const reader = await open({ token: "s3cret-token" });
    try {
      for (const headers of [
        {},
        { authorization: "Bearer wrong" },
        { authorization: "s3cret-token" },
      ] as Record<string, string>[]) {
        const answer = await request(reader.port, { headers, body: '{"a":1}' });
        assert.equal(answer.status, 401);
        assert.equal(answer.headers["www-authenticate"], 'Bearer realm="millstream"');
        assert.deepEqual(answer.body, { message: "missing or wrong bearer token" });
      }
      const ok = await request(reader.port, {
        headers: { authorization: "Bearer s3cret-token" },
        body: '{"a":1}',
      });
      assert.equal(ok.status, 202);
    } finally {
      await reader.close();
    }
  });

  it("refuses bodies over the limit (413), declared or streamed", async () => {
    const reader = await open({ maxBodyBytes: 1000, queueSize: 3 });
    try {
      const declared = await request(reader.port, { body: `{"pad":"${"x".repeat(2000)}"}` });
      assert.equal(declared.status, 413);
      assert.match(declared.body.message as string, /limit is 1000/);
      const streamed = await request(reader.port, {
        headers: { "transfer-encoding": "chunked" },
        chunks: Array.from({ length: 5 }, () => Buffer.from(`{"pad":"${"y".repeat(300)}"}\n`)),
      });
      assert.equal(streamed.status, 413);
      const many = await request(reader.port, { body: "1\n2\n3\n4\n" });
      assert.equal(many.status, 413);
      assert.match(many.body.message as string, /4 readings; at most 3/);
      assert.equal((await reader.poll()).kind, "idle", "nothing of a refused request is queued");
    } finally {
      await reader.close();
    }
  });

  it("answers 429 with Retry-After while the queue is full, and accepts again once read", async () => {
    const reader = await open({ queueSize: 5, retryAfterSeconds: 3 });
    try {
      assert.equal((await request(reader.port, { body: "1\n2\n3\n4\n" })).status, 202);
      const full = await request(reader.port, { body: "5\n6\n" });
      assert.equal(full.status, 429);
      assert.equal(full.headers["retry-after"], "3");
      assert.match(full.body.message as string, /behind/);
      assert.deepEqual(reader.status(), { state: "connected", lag: 4 });
      assert.equal((await read(reader, 4)).length, 4);
      assert.equal((await request(reader.port, { body: "5\n6\n" })).status, 202);
    } finally {
      await reader.close();
    }
  });

  it("with waitForCheckpoint, answers 200 once a checkpoint covers the readings, 503 if it stops first", async () => {
    const reader = await open({ waitForCheckpoint: true, retryAfterSeconds: 2 });
    const first = request(reader.port, { body: "1\n2\n" });
    await read(reader, 2);
    const covered = reader.positions!();
    const second = request(reader.port, { body: "3\n" });
    await read(reader, 1);
    let answered = false;
    void first.then(() => {
      answered = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(answered, false, "no answer before the checkpoint commits");
    await reader.acknowledge?.(covered);
    const a = await first;
    assert.equal(a.status, 200);
    assert.deepEqual(a.body, { accepted: 2, rejected: 0, errors: [], status: "checkpointed" });
    await reader.close();
    const b = await second;
    assert.equal(b.status, 503);
    assert.equal(b.headers["retry-after"], "2");
    assert.match(b.body.message as string, /stopped before the readings were checkpointed/);
  });

  it("answers JSON errors for other paths and methods", async () => {
    const reader = await open();
    try {
      const notFound = await request(reader.port, { path: "/readings", body: "{}" });
      assert.equal(notFound.status, 404);
      assert.match(notFound.body.message as string, /POST \/ingest/);
      const get = await request(reader.port, { method: "GET" });
      assert.equal(get.status, 405);
      assert.equal(get.headers.allow, "POST");
    } finally {
      await reader.close();
    }
  });

  it("names the address when it cannot listen", async () => {
    const first = await open();
    try {
      await assert.rejects(
        open({ port: first.port }),
        /cannot listen on 127\.0\.0\.1:\d+: EADDRINUSE/,
      );
    } finally {
      await first.close();
    }
  });
});

describe("parseIngestBody", () => {
  it("splits arrays and NDJSON, and refuses what cannot be split", () => {
    assert.deepEqual(parseIngestBody(' [ {"a": 1} ] '), {
      ok: true,
      items: [{ ok: true, text: '{"a":1}' }],
    });
    assert.deepEqual(parseIngestBody('{"a":1}'), {
      ok: true,
      items: [{ ok: true, text: '{"a":1}' }],
    });
    const mixed = parseIngestBody('{"a":1}\n{bad\n');
    assert.ok(mixed.ok);
    assert.equal(mixed.items[1]!.ok, false);
    assert.equal(parseIngestBody("[1,").ok, false);
  });
});
