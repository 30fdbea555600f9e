import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type ChannelFixture, describeChannel, strings } from "../channel-contract.case.js";
import { Secret } from "../secret.js";
import { closedPort, type Plan, startHttpReceiver } from "../testing/test-http-receiver.js";
import {
  groupedNotification,
  sampleAlarm,
  sampleNotification,
} from "../testing/test-notifications.js";
import { SlackChannel } from "./slack-channel.js";
import { buildSlackMessage } from "./slack-message.js";

const loopback = { network: { allowPrivateNetworks: true }, timeoutMs: 5000 };
const HOOK_PATH = "/services/T0000TEST/B0000TEST/fake-test-hook-token";
const port = await closedPort();

function channel(url: string): SlackChannel {
  return new SlackChannel({
    name: "slack-ops",
    url: new Secret(url, "env:SLACK_URL"),
    http: loopback,
  });
}

interface Block {
  type: string;
  text?: { text: string };
  fields?: { text: string }[];
  accessory?: { url: string; text: { text: string } };
  elements?: { url?: string; text: string | { text: string } }[];
}

describeChannel("SlackChannel", async (): Promise<ChannelFixture> => {
  const receiver = await startHttpReceiver({ shape: "slack", retryAfterSeconds: 3 });
  return {
    channel: channel(receiver.url),
    received: () =>
      receiver.requests.map((r) => ({
        key: r.key,
        text: strings(JSON.parse(r.body)),
        accepted: r.status === 200,
      })),
    queue: (...plans) => receiver.queue(...(plans as Plan[])),
    retryAfterSeconds: 3,
    secrets: [HOOK_PATH, "fake-test-hook-token"],
    unreachable: () => channel(`http://127.0.0.1:${port}${HOOK_PATH}`),
    cleanup: () => receiver.close(),
  };
});

describe("SlackChannel (Block Kit)", () => {
  it("posts a header, the event line, a section per alarm with fields and a dashboard button", async () => {
    const receiver = await startHttpReceiver({ shape: "slack" });
    const slack = channel(receiver.url);
    try {
      const result = await slack.send(sampleNotification(), {
        idempotencyKey: "ntf-0001",
        signal: new AbortController().signal,
      });
      assert.deepEqual(result, { outcome: "delivered", status: 200 });
      const request = receiver.requests[0]!;
      assert.equal(request.path, HOOK_PATH);
      assert.equal(request.headers["content-type"], "application/json; charset=utf-8");
      const body = JSON.parse(request.body) as { text: string; blocks: Block[] };
      assert.deepEqual(
        body.blocks.map((b) => b.type),
        ["header", "section", "section", "divider", "actions", "context"],
      );
      assert.equal(body.blocks[0]?.text?.text, "[CRITICAL] z-score on TEMP-001 (OVEN-1, plant-a)");
      assert.equal(
        body.blocks[1]?.text?.text,
        ":rotating_light: *FIRING, CRITICAL, priority 95, 1 alarm*",
      );
      const alarm = body.blocks[2]!;
      assert.equal(
        alarm.text?.text,
        "*z-score on sensor TEMP-001*\nz-score: temperature 181.2 °C is 6.1σ above its 5-minute mean 72.4 °C",
      );
      assert.deepEqual(
        alarm.fields?.map((f) => f.text),
        [
          "*Where*\nsensor TEMP-001, equipment OVEN-1, facility plant-a",
          "*How bad*\nCRITICAL, priority 95, 14 anomalies",
          "*Since*\nsince 2026-11-01 08:14:03 UTC (12 min), last seen 2026-11-01 08:26:01 UTC",
          "*Value*\n181.2 against mean 72.4, stddev 1.25",
          "*State*\nactive, unacknowledged",
        ],
      );
      assert.equal(alarm.accessory?.url, "https://dash.plant.example/equipment/OVEN-1");
      assert.equal(alarm.accessory?.text.text, "Dashboard: OVEN-1");
      assert.match(body.text, /^\[CRITICAL\] z-score on TEMP-001/);
      assert.equal(
        (body.blocks[5]?.elements?.[0]?.text as string) ?? "",
        "notification ntf-0001, group route-critical/plant-a",
      );
    } finally {
      await slack.close();
      await receiver.close();
    }
  });

  it("escapes alarm text so it cannot mention @channel or forge a link", () => {
    const message = buildSlackMessage(
      sampleNotification({
        alarms: [sampleAlarm({ message: "<!channel> see <https://evil.example|the fix> & more" })],
      }),
    );
    const json = JSON.stringify(message);
    assert.ok(!json.includes("<!channel>"), json);
    assert.ok(
      json.includes("&lt;!channel&gt; see &lt;https://evil.example|the fix&gt; &amp; more"),
    );
  });

  it("shows at most maxAlarms alarms and counts the rest", () => {
    const message = buildSlackMessage(groupedNotification(), 2);
    const sections = message.blocks.filter((b) => b.type === "section");
    assert.equal(sections.length, 3); // event line + 2 alarms
    assert.ok(JSON.stringify(message.blocks.at(-1)).includes("… and 1 more alarm(s)"));
  });

  it("keeps the webhook path out of results (it is the secret)", async () => {
    const receiver = await startHttpReceiver({ shape: "slack" });
    const slack = channel(receiver.url);
    receiver.queue("permanent");
    try {
      const result = await slack.send(sampleNotification(), {
        idempotencyKey: "k",
        signal: new AbortController().signal,
      });
      assert.equal(result.outcome, "rejected");
      assert.equal(
        result.outcome === "rejected" ? result.reason : "",
        `HTTP 404 from ${receiver.origin}/…: no_service`,
      );
    } finally {
      await slack.close();
      await receiver.close();
    }
  });
});
