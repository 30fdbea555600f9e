/**
 * Grouping (group_by, group_wait, group_interval, repeat_interval in event time),
 * per-channel rate limits and notification ids, written as input signals →
 * expected notifications.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { at, briefN, cmd, runAlarms, s, signal, T0, watermark } from "../alarm-harness.fixture.js";
import type { AlarmsConfigInput } from "../alarms-config.js";

const on = (sensor: string, t: number, equipment: string) =>
  at(
    signal("z-score", sensor, s(t), "high", { labels: { facility: "plant-a", equipment, sensor } }),
  );

describe("grouping", () => {
  const config: AlarmsConfigInput = {
    channels: { ops: { type: "slack" } },
    routes: [{ name: "ops", allChannels: true }],
    grouping: {
      groupBy: ["equipment"],
      groupWaitMs: 30_000,
      groupIntervalMs: 60_000,
      repeatIntervalMs: 300_000,
    },
    lifecycle: { clearAfterMs: 3_600_000 },
  };

  test("group_wait gathers a group's first alarms; group_interval spaces the next; repeat_interval re-announces unacknowledged ones", async () => {
    const out = await runAlarms(
      [
        on("T1", 0, "OVEN-1"),
        on("T3", 5, "OVEN-2"),
        on("T2", 10, "OVEN-1"),
        on("T4", 40, "OVEN-1"),
        watermark(s(99)),
        cmd({
          kind: "acknowledge",
          alarmId: "z-score|sensor:T3",
          user: "dan",
          comment: "seen",
          at: s(100),
        }),
        watermark(s(400)),
      ],
      config,
    );
    assert.deepEqual(briefN(out.notifications), [
      ["firing", "ops", "T1,T2", 30],
      ["firing", "ops", "T3", 35],
      ["firing", "ops", "T4", 90],
      ["acknowledged", "ops", "T3", 100],
      ["firing", "ops", "T1,T2,T4", 390],
    ]);
    const first = out.notifications[0]!;
    assert.equal(first.groupKey, "ops|equipment=OVEN-1");
    assert.equal(first.title, "[HIGH] z-score on T1 (OVEN-1, plant-a) and 1 more");
    assert.equal(first.createdAt, s(30));
  });

  test("an urgent route with groupWaitMs 0 notifies on arrival while the others wait", async () => {
    const urgentConfig: AlarmsConfigInput = {
      ...config,
      channels: { ops: { type: "slack" }, pager: { type: "sms" } },
      routes: [
        {
          name: "urgent",
          match: { minPriority: 90 },
          channels: ["pager"],
          groupBy: ["alarmId"],
          groupWaitMs: 0,
        },
        { name: "ops", channels: ["ops"] },
      ],
    };
    const critical = (sensor: string, t: number) =>
      at(
        signal("z-score", sensor, s(t), "critical", {
          labels: { facility: "plant-a", equipment: "OVEN-1", sensor },
        }),
      );
    const out = await runAlarms(
      [critical("T1", 0), on("T2", 5, "OVEN-1"), critical("T3", 8), watermark(s(99))],
      urgentConfig,
      1,
    );
    assert.deepEqual(briefN(out.notifications), [
      ["firing", "pager", "T1", 0],
      ["firing", "pager", "T3", 8],
      ["firing", "ops", "T2", 35],
    ]);
    // Sent as the alarm arrived: the stream carries each at its own time, in arrival order.
    assert.deepEqual(
      out.notificationTimes.map((t) => (t - T0) / 1000),
      [0, 8, 35],
    );
  });

  test("notification ids are deterministic and distinct", async () => {
    const items = [
      on("T1", 0, "OVEN-1"),
      on("T2", 10, "OVEN-1"),
      on("T4", 40, "OVEN-1"),
      watermark(s(400)),
    ];
    const a = await runAlarms(items, config, 1);
    const b = await runAlarms(items, config, 100);
    assert.deepEqual(
      a.notifications.map((n) => n.id),
      b.notifications.map((n) => n.id),
    );
    assert.equal(new Set(a.notifications.map((n) => n.id)).size, a.notifications.length);
    assert.match(a.notifications[0]!.id, /^ntf-[0-9a-f]{32}$/);
  });

  test("transitions do not depend on the batching; which alarms share a notification may, what is announced does not", async () => {
    const items = [];
    let seed = 7;
    const rand = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed / 2_147_483_648;
    };
    const severities = ["low", "medium", "high", "critical"] as const;
    for (let t = 0; t < 1200; t += Math.floor(rand() * 40) + 1) {
      const sensor = `T${Math.floor(rand() * 4)}`;
      items.push(
        at(
          signal("z-score", sensor, s(t), severities[Math.floor(rand() * 4)]!, {
            labels: {
              facility: "plant-a",
              equipment: `OVEN-${sensor.at(-1)! < "2" ? 1 : 2}`,
              sensor,
            },
          }),
        ),
      );
    }
    const cfg: AlarmsConfigInput = {
      lifecycle: { clearAfterMs: 45_000, flapping: { transitions: 4, windowMs: 300_000 } },
      grouping: { groupWaitMs: 5_000, groupIntervalMs: 20_000, repeatIntervalMs: 120_000 },
    };
    const one = await runAlarms(items, cfg, 1);
    const many = await runAlarms(items, cfg, 50);
    assert.ok(one.transitions.length > 20, "the script produces transitions");
    assert.ok(
      one.transitions.some((t) => t.kind === "flapping-started"),
      "and some flapping",
    );
    assert.deepEqual(
      many.transitions.map((t) => t.id).sort(),
      one.transitions.map((t) => t.id).sort(),
    );
    // Grouping decides on arrival (for latency), so the composition of a notification
    // can depend on the order in which transitions of different alarms arrive; every
    // episode is still announced firing, and resolved, on the channels of its route.
    const announced = (n: typeof one.notifications) =>
      n
        .filter((x) => x.channel === "slack" && (x.event === "firing" || x.event === "resolved"))
        .flatMap((x) => x.alarms.map((a) => `${x.event} ${a.alarmId} ${a.activeSince}`))
        .sort();
    assert.deepEqual(
      [...new Set(announced(many.notifications))],
      [...new Set(announced(one.notifications))],
    );
    const again = await runAlarms(items, cfg, 50);
    assert.deepEqual(
      again.notifications.map((n) => n.id),
      many.notifications.map((n) => n.id),
      "the same input with the same batching gives the same notification ids",
    );
  });
});

describe("per-channel rate limits", () => {
  test("over the limit notifications wait for room; beyond maxQueued they are held with a reason", async () => {
    const out = await runAlarms(
      [on("A", 0, "M1"), on("B", 0, "M2"), on("C", 0, "M3"), on("D", 0, "M4"), watermark(s(300))],
      {
        channels: { pager: { type: "sms" }, ops: { type: "slack" } },
        rateLimits: { pager: { max: 2, perMs: 60_000, maxQueued: 1 } },
        routes: [{ name: "all", allChannels: true }],
        grouping: { groupBy: ["equipment"], groupWaitMs: 0 },
        lifecycle: { clearAfterMs: 3_600_000 },
      },
    );
    const pager = out.notifications
      .map((n, i) => ({ n, sent: out.notificationTimes[i]! }))
      .filter(({ n }) => n.channel === "pager");
    assert.deepEqual(
      pager.map(({ n, sent }) => [
        n.alarms[0]!.source.id,
        (n.createdAt - T0) / 1000,
        (sent - T0) / 1000,
      ]),
      [
        ["A", 0, 0],
        ["B", 0, 0],
        ["C", 0, 60],
      ],
      "C waits for room and keeps its decision time (and id)",
    );
    assert.equal(
      out.notifications.filter((n) => n.channel === "ops").length,
      4,
      "ops has no limit",
    );
    assert.deepEqual(
      out.held.map((h) => [h.reason, h.channel, h.notification.alarms[0]!.source.id]),
      [["rate-limited", "pager", "D"]],
    );
    assert.match(out.held[0]!.message, /pager allows 2 notifications per 1 min and 1 waiting/);
  });
});
