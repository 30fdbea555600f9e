import assert from "node:assert/strict";
import { once } from "node:events";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { WebhookChannel } from "../webhook/webhook-channel.js";
import { Secret } from "../secret.js";
import { sampleNotification } from "../testing/test-notifications.js";
import {
  HttpAbortedError,
  HttpNetworkError,
  HttpTimeoutError,
  InvalidTargetError,
  TargetRefusedError,
  TooManyRedirectsError,
} from "./errors.js";
import { GuardedHttpClient, type Resolver } from "./guarded-http-client.js";
import { outcomeOfError, parseRetryAfter } from "./http-outcome.js";

interface Hit {
  path: string;
  host: string | undefined;
  method: string;
  body: string;
  authorization: string | undefined;
}

/** A loopback server whose routes redirect, stall or flood, recording what it got. */
async function startServer(): Promise<{
  origin: string;
  port: number;
  hits: Hit[];
  close(): Promise<void>;
}> {
  const hits: Hit[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://x");
      hits.push({
        path: url.pathname,
        host: req.headers.host,
        method: req.method ?? "",
        body: Buffer.concat(chunks).toString(),
        authorization: req.headers.authorization,
      });
      const to = url.searchParams.get("to");
      if (url.pathname === "/redirect" && to !== null) {
        res.writeHead(Number(url.searchParams.get("status") ?? 307), { location: to });
        res.end();
      } else if (url.pathname === "/loop") {
        res.writeHead(302, { location: "/loop" });
        res.end();
      } else if (url.pathname === "/stall") {
        res.writeHead(200);
        res.write("partial");
      } else if (url.pathname === "/flood") {
        res.writeHead(500, { "content-type": "text/plain" });
        const chunk = Buffer.alloc(64 * 1024, 120);
        let sent = 0;
        const pump = () => {
          while (sent < 10 * 1024 * 1024) {
            sent += chunk.length;
            if (!res.write(chunk)) {
              res.once("drain", pump);
              return;
            }
          }
          res.end();
        };
        res.on("error", () => {});
        pump();
      } else {
        res.writeHead(200, { "content-type": "text/plain" });
        res.end("ok");
      }
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    port,
    hits,
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, "close");
    },
  };
}

const post = (url: string, extra: Record<string, unknown> = {}) => ({
  method: "POST" as const,
  url,
  body: '{"hello":"world"}',
  headers: { "content-type": "application/json", authorization: "Bearer secret" },
  ...extra,
});

describe("GuardedHttpClient (SSRF policy)", () => {
  let server: Awaited<ReturnType<typeof startServer>>;
  before(async () => {
    server = await startServer();
  });
  after(() => server.close());

  it("refuses loopback by default, before connecting", async () => {
    const client = new GuardedHttpClient();
    const before = server.hits.length;
    await assert.rejects(client.request(post(`${server.origin}/hook`)), (error: unknown) => {
      assert.ok(error instanceof TargetRefusedError);
      assert.match(error.message, /127\.0\.0\.1 is a loopback address, refused by the SSRF policy/);
      return true;
    });
    assert.equal(server.hits.length, before, "nothing reached the server");
  });

  it("refuses a host name that resolves to loopback (localhost)", async () => {
    const client = new GuardedHttpClient();
    await assert.rejects(
      client.request(post(`http://localhost:${server.port}/hook`)),
      /localhost \((127\.0\.0\.1|::1)\) is a loopback address/,
    );
  });

  it("refuses metadata, private, link-local, CGNAT and unspecified address literals", async () => {
    const client = new GuardedHttpClient({ timeoutMs: 1000 });
    for (const [url, category] of [
      ["http://169.254.169.254/latest/meta-data/", "metadata"],
      ["http://[fd00:ec2::254]/latest/meta-data/", "metadata"],
      ["http://10.0.0.1/", "private"],
      ["http://192.168.1.1/", "private"],
      ["http://[fd12::1]/", "private"],
      ["http://169.254.1.1/", "link-local"],
      ["http://[fe80::1]/", "link-local"],
      ["http://100.64.0.1/", "cgnat"],
      ["http://0.0.0.0/", "unspecified"],
      ["http://[::ffff:127.0.0.1]/", "loopback"],
    ] as const) {
      await assert.rejects(client.request(post(url)), new RegExp(`is a ${category} address`), url);
    }
  });

  it("refuses a name when any of its addresses is refused, and connects to the checked address", async () => {
    const mixed: Resolver = async () => [
      { address: "93.184.216.34", family: 4 },
      { address: "10.0.0.7", family: 4 },
    ];
    await assert.rejects(
      new GuardedHttpClient({ resolve: mixed }).request(post("http://hooks.example.test/")),
      /hooks\.example\.test \(10\.0\.0\.7\) is a private address/,
    );
    // A name allowed by the allow-list resolves to loopback; the request goes to
    // the address that was checked and carries the name in Host.
    const pinned: Resolver = async () => [{ address: "127.0.0.1", family: 4 }];
    const client = new GuardedHttpClient({
      resolve: pinned,
      network: { allow: ["hooks.example.test"] },
    });
    const response = await client.request(post(`http://hooks.example.test:${server.port}/pinned`));
    assert.equal(response.status, 200);
    assert.equal(server.hits.at(-1)?.host, `hooks.example.test:${server.port}`);
  });

  it("resolves the name once per hop: a rebinding answer cannot bypass the check", async () => {
    let calls = 0;
    const rebinding: Resolver = async () => {
      calls++;
      return calls === 1
        ? [{ address: "93.184.216.34", family: 4 }]
        : [{ address: "127.0.0.1", family: 4 }];
    };
    // The first answer is public, so the client connects to 93.184.216.34 itself (not
    // to whatever a second lookup would say): on this machine that connection fails or
    // times out, and nothing reaches the loopback server.
    const before = server.hits.length;
    const client = new GuardedHttpClient({ resolve: rebinding, timeoutMs: 500 });
    await assert.rejects(client.request(post(`http://rebind.example.test:${server.port}/x`)));
    assert.equal(calls, 1);
    assert.equal(server.hits.length, before);
  });

  it("allows loopback when allowPrivateNetworks is set", async () => {
    const client = new GuardedHttpClient({ network: { allowPrivateNetworks: true } });
    const response = await client.request(post(`${server.origin}/hook`));
    assert.equal(response.status, 200);
    assert.equal(response.body, "ok");
    assert.equal(server.hits.at(-1)?.body, '{"hello":"world"}');
  });

  it("re-checks redirects: a redirect to a metadata or other refused address is refused", async () => {
    const client = new GuardedHttpClient({ network: { allow: ["127.0.0.1"] } });
    for (const target of [
      "http://169.254.169.254/latest/meta-data/",
      "http://127.0.0.2/x",
      "http://[::1]/x",
    ]) {
      const before = server.hits.length;
      await assert.rejects(
        client.request(post(`${server.origin}/redirect?to=${encodeURIComponent(target)}`)),
        (error: unknown) => error instanceof TargetRefusedError,
        target,
      );
      assert.equal(server.hits.length, before + 1, "only the first hop reached a server");
    }
  });

  it("follows an allowed redirect, keeping method and body on 307, dropping credentials across origins", async () => {
    const client = new GuardedHttpClient({ network: { allowPrivateNetworks: true } });
    const other = await startServer();
    try {
      const same = await client.request(post(`${server.origin}/redirect?to=/final`));
      assert.equal(same.status, 200);
      assert.equal(same.redirects, 1);
      assert.deepEqual(
        { ...server.hits.at(-1), host: undefined },
        {
          path: "/final",
          host: undefined,
          method: "POST",
          body: '{"hello":"world"}',
          authorization: "Bearer secret",
        },
      );
      await client.request(
        post(`${server.origin}/redirect?to=${encodeURIComponent(`${other.origin}/moved`)}`),
      );
      assert.equal(other.hits.at(-1)?.method, "POST");
      assert.equal(
        other.hits.at(-1)?.authorization,
        undefined,
        "authorization dropped on another origin",
      );
      await client.request(post(`${server.origin}/redirect?status=303&to=/seen`));
      assert.deepEqual([server.hits.at(-1)?.method, server.hits.at(-1)?.body], ["GET", ""]);
    } finally {
      await other.close();
    }
  });

  it("stops after maxRedirects and refuses non-http redirects", async () => {
    const client = new GuardedHttpClient({
      network: { allowPrivateNetworks: true },
      maxRedirects: 2,
    });
    await assert.rejects(client.request(post(`${server.origin}/loop`)), TooManyRedirectsError);
    await assert.rejects(
      client.request(
        post(`${server.origin}/redirect?to=${encodeURIComponent("file:///etc/passwd")}`),
      ),
      /redirect to a file: URL refused/,
    );
    const none = new GuardedHttpClient({
      network: { allowPrivateNetworks: true },
      maxRedirects: 0,
    });
    await assert.rejects(
      none.request(post(`${server.origin}/redirect?to=/final`)),
      TooManyRedirectsError,
    );
  });

  it("times out a response that never completes", async () => {
    const client = new GuardedHttpClient({
      network: { allowPrivateNetworks: true },
      timeoutMs: 300,
    });
    const started = Date.now();
    await assert.rejects(client.request(post(`${server.origin}/stall`)), (error: unknown) => {
      assert.ok(error instanceof HttpTimeoutError);
      assert.match(
        error.message,
        /no complete response from http:\/\/127\.0\.0\.1:\d+\/stall within 300 ms/,
      );
      return true;
    });
    assert.ok(Date.now() - started < 2000);
  });

  it("reads at most maxResponseBytes of a huge response", async () => {
    const client = new GuardedHttpClient({
      network: { allowPrivateNetworks: true },
      maxResponseBytes: 1000,
    });
    const response = await client.request(post(`${server.origin}/flood`));
    assert.equal(response.status, 500);
    assert.equal(response.body.length, 1000);
    assert.equal(response.truncated, true);
  });

  it("aborts on the caller's signal", async () => {
    const client = new GuardedHttpClient({ network: { allowPrivateNetworks: true } });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    await assert.rejects(
      client.request(post(`${server.origin}/stall`, { signal: controller.signal })),
      HttpAbortedError,
    );
  });

  it("refuses URLs that are not http(s) or carry credentials", async () => {
    const client = new GuardedHttpClient();
    await assert.rejects(client.request(post("ftp://example.com/x")), InvalidTargetError);
    await assert.rejects(
      client.request(post("https://user:pw@example.com/x")),
      /credentials in the URL/,
    );
    await assert.rejects(client.request(post("not a url")), InvalidTargetError);
  });

  it("reports an unresolvable host as a network error (retried)", async () => {
    const failing: Resolver = async () => {
      throw Object.assign(new Error("getaddrinfo ENOTFOUND nowhere.invalid"), {
        code: "ENOTFOUND",
      });
    };
    const client = new GuardedHttpClient({ resolve: failing });
    const error = await client.request(post("https://nowhere.invalid/x")).catch((e: unknown) => e);
    assert.ok(error instanceof HttpNetworkError);
    assert.equal(outcomeOfError(error).outcome, "retry");
    assert.equal(outcomeOfError(new TargetRefusedError("x")).outcome, "rejected");
  });

  it("a channel reports an SSRF refusal as rejected, and sends nothing", async () => {
    const hook = new WebhookChannel({
      name: "hook",
      url: `${server.origin}/hook`,
      secret: new Secret(`whsec_${Buffer.alloc(24, 7).toString("base64")}`, "env:S"),
    });
    const before = server.hits.length;
    const result = await hook.send(sampleNotification(), {
      idempotencyKey: "n",
      signal: new AbortController().signal,
    });
    assert.equal(result.outcome, "rejected");
    assert.match(
      result.outcome === "rejected" ? result.reason : "",
      /loopback address, refused by the SSRF policy/,
    );
    assert.equal(server.hits.length, before);
  });
});

describe("parseRetryAfter", () => {
  const now = Date.UTC(2026, 9, 21, 7, 28, 0);
  it("reads delay seconds and HTTP dates", () => {
    assert.equal(parseRetryAfter("120", now), 120_000);
    assert.equal(parseRetryAfter("0", now), 0);
    assert.equal(parseRetryAfter("Wed, 21 Oct 2026 07:28:30 GMT", now), 30_000);
    assert.equal(parseRetryAfter("Wed, 21 Oct 2026 07:00:00 GMT", now), 0);
    assert.equal(parseRetryAfter(["5", "9"], now), 5000);
  });
  it("ignores what is neither", () => {
    assert.equal(parseRetryAfter(undefined, now), undefined);
    assert.equal(parseRetryAfter("", now), undefined);
    assert.equal(parseRetryAfter("-3", now), undefined);
    assert.equal(parseRetryAfter("1.5", now), undefined);
    assert.equal(parseRetryAfter("soon", now), undefined);
  });
});
