import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Notification } from "../../notification.js";
import { type ChannelFixture, describeChannel, strings } from "../channel-contract.case.js";
import { Secret } from "../secret.js";
import {
  closedPort,
  type HttpReceiver,
  type Plan,
  startHttpReceiver,
} from "../testing/test-http-receiver.js";
import {
  groupedNotification,
  sampleAlarm,
  sampleNotification,
} from "../testing/test-notifications.js";
import { PagerDutyChannel } from "./pagerduty-channel.js";
import type { DedupKeyMode } from "./pagerduty-event.js";

const ROUTING_KEY = "R0123456789ABCDEF0123456789ABCDE"; // 32 characters
const loopback = { network: { allowPrivateNetworks: true }, timeoutMs: 5000 };
const port = await closedPort();

function channel(url: string, dedupKey: DedupKeyMode = "group"): PagerDutyChannel {
  return new PagerDutyChannel({
    name: "pagerduty",
    routingKey: new Secret(ROUTING_KEY, "env:PD_KEY"),
    url,
    dedupKey,
    http: loopback,
  });
}

const signal = () => new AbortController().signal;

describeChannel("PagerDutyChannel", async (): Promise<ChannelFixture> => {
  const receiver = await startHttpReceiver({ shape: "pagerduty", retryAfterSeconds: 5 });
  return {
    channel: channel(receiver.url),
    received: () =>
      receiver.requests.map((r) => {
        const { routing_key: _key, ...rest } = JSON.parse(r.body) as Record<string, unknown>;
        return { key: r.key, text: strings(rest), accepted: r.status === 202 };
      }),
    queue: (...plans) => receiver.queue(...(plans as Plan[])),
    retryAfterSeconds: 5,
    secrets: [ROUTING_KEY],
    unreachable: () => channel(`http://127.0.0.1:${port}/v2/enqueue`),
    cleanup: () => receiver.close(),
  };
});

interface Event {
  routing_key: string;
  event_action: string;
  dedup_key: string;
  payload?: {
    summary: string;
    source: string;
    severity: string;
    timestamp: string;
    component?: string;
    group?: string;
    class?: string;
    custom_details: { notification_id: string; alarms: { alarm_id: string; where: string }[] };
  };
  links?: { href: string; text: string }[];
  client?: string;
}

async function withReceiver(
  mode: DedupKeyMode,
  body: (pd: PagerDutyChannel, receiver: HttpReceiver) => Promise<void>,
): Promise<void> {
  const receiver = await startHttpReceiver({ shape: "pagerduty" });
  const pd = channel(receiver.url, mode);
  try {
    await body(pd, receiver);
  } finally {
    await pd.close();
    await receiver.close();
  }
}

const events = (receiver: HttpReceiver) =>
  receiver.requests.map((r) => JSON.parse(r.body) as Event);

describe("PagerDutyChannel (Events API v2)", () => {
  it("triggers with the group key as dedup_key, severity, source, links and details", async () => {
    await withReceiver("group", async (pd, receiver) => {
      const result = await pd.send(sampleNotification(), {
        idempotencyKey: "ntf-0001",
        signal: signal(),
      });
      assert.deepEqual(result, { outcome: "delivered", status: 202 });
      const [event] = events(receiver);
      assert.ok(event);
      assert.equal(event.routing_key, ROUTING_KEY);
      assert.equal(event.event_action, "trigger");
      assert.equal(event.dedup_key, "route-critical/plant-a");
      assert.equal(
        event.payload?.summary,
        "[CRITICAL] z-score on TEMP-001 (OVEN-1, plant-a): z-score: temperature 181.2 °C is 6.1σ above its 5-minute mean 72.4 °C",
      );
      assert.equal(event.payload?.source, "OVEN-1");
      assert.equal(event.payload?.severity, "critical");
      assert.equal(event.payload?.timestamp, "2026-11-01T08:26:03.000Z");
      assert.equal(event.payload?.component, "TEMP-001");
      assert.equal(event.payload?.group, "plant-a");
      assert.equal(event.payload?.class, "z-score");
      assert.equal(event.payload?.custom_details.notification_id, "ntf-0001");
      assert.deepEqual(event.links, [
        { href: "https://dash.plant.example/equipment/OVEN-1", text: "Dashboard: OVEN-1" },
      ]);
      assert.equal(event.client, "millstream");
      assert.equal(receiver.requests[0]?.headers["idempotency-key"], "ntf-0001");
    });
  });

  it("acknowledges and resolves the same incident (same dedup_key)", async () => {
    await withReceiver("group", async (pd, receiver) => {
      for (const [id, event] of [
        ["n1", "firing"],
        ["n2", "escalated"],
        ["n3", "acknowledged"],
        ["n4", "resolved"],
      ] as const) {
        const result = await pd.send(sampleNotification({ id, event }), {
          idempotencyKey: id,
          signal: signal(),
        });
        assert.equal(result.outcome, "delivered", JSON.stringify(result));
      }
      const sent = events(receiver);
      assert.deepEqual(
        sent.map((e) => [e.event_action, e.dedup_key, e.payload === undefined]),
        [
          ["trigger", "route-critical/plant-a", false],
          ["trigger", "route-critical/plant-a", false],
          ["acknowledge", "route-critical/plant-a", true],
          ["resolve", "route-critical/plant-a", true],
        ],
      );
    });
  });

  it("in alarm mode sends one event per alarm, keyed by alarm id, skipping parts already delivered", async () => {
    await withReceiver("alarm", async (pd, receiver) => {
      const grouped: Notification = groupedNotification({
        alarms: groupedNotification().alarms.map((a, i) =>
          i === 2 ? { ...a, state: "CLEARED_UNACK" as const } : a,
        ),
      });
      receiver.queue("ok", "transient");
      const first = await pd.send(grouped, { idempotencyKey: "g1", signal: signal() });
      assert.equal(first.outcome, "retry");
      assert.deepEqual(first.outcome === "retry" ? first.completedParts : undefined, [
        "z-score/equipment/OVEN-1",
      ]);
      const second = await pd.send(grouped, {
        idempotencyKey: "g1",
        signal: signal(),
        completedParts: ["z-score/equipment/OVEN-1"],
      });
      assert.equal(second.outcome, "delivered");
      assert.deepEqual(
        events(receiver).map((e) => [e.event_action, e.dedup_key]),
        [
          ["trigger", "z-score/equipment/OVEN-1"],
          ["trigger", "z-score/equipment/OVEN-2"], // answered 503
          ["trigger", "z-score/equipment/OVEN-2"],
          ["resolve", "z-score/equipment/PRESS-7"],
        ],
      );
    });
  });

  it("hashes a dedup key longer than 255 characters", async () => {
    await withReceiver("group", async (pd, receiver) => {
      const result = await pd.send(sampleNotification({ groupKey: "g".repeat(300) }), {
        idempotencyKey: "k",
        signal: signal(),
      });
      assert.equal(result.outcome, "delivered");
      assert.match(events(receiver)[0]?.dedup_key ?? "", /^sha256:[0-9a-f]{64}$/);
    });
  });

  it("maps severities to PagerDuty's and reports an invalid event's errors", async () => {
    await withReceiver("group", async (pd, receiver) => {
      for (const severity of ["high", "medium", "low"] as const) {
        await pd.send(sampleNotification({ alarms: [sampleAlarm({ severity })] }), {
          idempotencyKey: severity,
          signal: signal(),
        });
      }
      assert.deepEqual(
        events(receiver).map((e) => e.payload?.severity),
        ["error", "warning", "info"],
      );
      receiver.queue("permanent");
      const result = await pd.send(sampleNotification(), { idempotencyKey: "x", signal: signal() });
      assert.equal(result.outcome, "rejected");
      assert.match(
        result.outcome === "rejected" ? result.reason : "",
        /HTTP 400 from .*: Event object is invalid: 'routing_key' is invalid/,
      );
    });
  });
});
