/**
 * Routing (the article's default), shelving and silences, written as input signals
 * and commands → expected transitions and notifications.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { at, briefN, cmd, runAlarms, s, signal, T0, watermark } from "../alarm-harness.fixture.js";
import type { AlarmsConfigInput } from "../alarms-config.js";

/** One channel, one alarm per group, no waiting: notifications show each change. */
const ONE_CHANNEL: AlarmsConfigInput = {
  channels: { ops: { type: "slack" } },
  routes: [{ name: "all", allChannels: true }],
  grouping: { groupBy: ["alarmId"], groupWaitMs: 0, groupIntervalMs: 1 },
};

/** Signals of `type` on `sensor` every 20 s from `from` to `to` seconds. */
function every20(sensor: string, from: number, to: number, equipment = "OVEN-1") {
  const items = [];
  for (let t = from; t <= to; t += 20) {
    items.push(
      at(
        signal("z-score", sensor, s(t), "high", {
          labels: { facility: "plant-a", equipment, sensor, criticality: "high" },
        }),
      ),
    );
  }
  return items;
}

describe("routing", () => {
  test("default routes: priority >= 90 to every channel, >= 70 to Slack and email, else Slack", async () => {
    const out = await runAlarms([
      at(signal("z-score", "LOW", s(0), "low")),
      at(signal("z-score", "MED", s(0), "medium")),
      at(signal("z-score", "HIGH", s(0), "high")),
      at(signal("z-score", "CRIT", s(0), "critical")),
    ]);
    const channels = (sensor: string) =>
      out.notifications
        .filter((n) => n.alarms[0]!.source.id === sensor)
        .map((n) => n.channel)
        .sort();
    assert.deepEqual(channels("LOW"), ["slack"]);
    assert.deepEqual(channels("MED"), ["slack"]);
    assert.deepEqual(channels("HIGH"), ["email", "slack"]);
    assert.deepEqual(channels("CRIT"), ["email", "slack", "sms", "webhook"]);
    const crit = out.notifications.find((n) => n.channel === "sms")!;
    assert.equal(crit.priority, 95);
    assert.equal(crit.severity, "critical");
    assert.equal(crit.title, "[CRITICAL] z-score on CRIT (OVEN-1, plant-a)");
    assert.equal(crit.groupKey, "critical|facility=plant-a,equipment=OVEN-1");
  });

  test("an escalation adds the channels of the higher route to the alarm's group", async () => {
    const out = await runAlarms(
      [
        at(signal("z-score", "T1", s(0), "high")),
        at(signal("z-score", "T1", s(10), "critical")),
        watermark(s(200)),
      ],
      { grouping: { groupIntervalMs: 5_000 } },
    );
    assert.deepEqual(briefN(out.notifications), [
      ["firing", "email", "T1", 0],
      ["firing", "slack", "T1", 0],
      ["escalated", "email", "T1", 10],
      ["escalated", "slack", "T1", 10],
      ["firing", "sms", "T1", 10],
      ["firing", "webhook", "T1", 10],
      ["resolved", "email", "T1", 70],
      ["resolved", "slack", "T1", 70],
      ["resolved", "sms", "T1", 70],
      ["resolved", "webhook", "T1", 70],
    ]);
    assert.ok(
      out.notifications.every((n) => n.groupKey === "high|facility=plant-a,equipment=OVEN-1"),
    );
  });

  test("a route's channels, continue and notifyOn", async () => {
    const out = await runAlarms(
      [
        at(
          signal("z-score", "T1", s(0), "critical", {
            labels: { facility: "main-plant", sensor: "T1" },
          }),
        ),
        at(
          signal("z-score", "T2", s(0), "critical", {
            labels: { facility: "plant-b", sensor: "T2" },
          }),
        ),
        watermark(s(100)),
      ],
      {
        channels: { pager: { type: "pagerduty" }, ops: { type: "slack" } },
        routes: [
          {
            name: "main",
            match: { facility: { regex: "^main" } },
            channels: ["pager"],
            notifyOn: ["firing"],
            continue: true,
          },
          { name: "rest", channels: ["ops"] },
        ],
        grouping: { groupBy: ["facility"] },
      },
    );
    assert.deepEqual(
      out.notifications.map((n) => [n.channel, n.event, n.alarms[0]!.source.id]),
      [
        ["pager", "firing", "T1"],
        ["ops", "firing", "T1"],
        ["ops", "firing", "T2"],
        ["ops", "resolved", "T1"],
        ["ops", "resolved", "T2"],
      ],
    );
  });
});

describe("shelving and silences", () => {
  test("a shelve holds an alarm's notifications until it ends, then the group catches up", async () => {
    const out = await runAlarms(
      [
        cmd({
          kind: "shelve",
          id: "sh-1",
          matcher: { alarmId: "z-score|sensor:T1" },
          user: "alice",
          comment: "known issue, fix scheduled",
          at: s(5),
          startsAt: s(5),
          endsAt: s(100),
        }),
        watermark(s(5)),
        at(signal("z-score", "T2", s(10))),
        ...every20("T1", 10, 150),
        watermark(s(400)),
      ],
      ONE_CHANNEL,
    );
    const t1 = out.transitions.filter((t) => t.alarmId === "z-score|sensor:T1");
    assert.deepEqual(
      t1.map((t) => [t.kind, (t.at - T0) / 1000, t.held?.reason ?? null]),
      [
        ["opened", 10, "shelved"],
        ["unsuppressed", 100, null],
        ["cleared", 210, null],
      ],
    );
    assert.deepEqual(t1[0]!.held, {
      reason: "shelved",
      id: "sh-1",
      user: "alice",
      comment: "known issue, fix scheduled",
      until: s(100),
    });
    assert.deepEqual(briefN(out.notifications), [
      ["firing", "ops", "T2", 10],
      ["resolved", "ops", "T2", 70],
      ["firing", "ops", "T1", 100],
      ["resolved", "ops", "T1", 210],
    ]);
  });

  test("a silence by matcher holds only the alarms it matches; an alarm that clears while silenced notifies nobody", async () => {
    const out = await runAlarms(
      [
        cmd({
          kind: "silence",
          id: "maint-7",
          matcher: { equipment: "OVEN-1" },
          user: "bob",
          comment: "planned maintenance",
          at: s(0),
          startsAt: s(0),
          endsAt: s(300),
        }),
        watermark(s(0)),
        ...every20("A", 10, 50, "OVEN-1"),
        ...every20("B", 10, 50, "OVEN-2"),
        watermark(s(500)),
      ],
      ONE_CHANNEL,
    );
    const a = out.transitions.filter((t) => t.alarmId === "z-score|sensor:A");
    assert.deepEqual(
      a.map((t) => [t.kind, t.to, (t.at - T0) / 1000, t.held?.reason ?? null]),
      [
        ["opened", "ACTIVE_UNACK", 10, "silenced"],
        ["cleared", "CLEARED_UNACK", 110, "silenced"],
        ["unsuppressed", "CLEARED_UNACK", 300, null],
      ],
    );
    assert.deepEqual(briefN(out.notifications), [
      ["firing", "ops", "B", 10],
      ["resolved", "ops", "B", 110],
    ]);
  });

  test("a silence that starts later marks open alarms; unsilence ends it early", async () => {
    const out = await runAlarms(
      [
        cmd({
          kind: "silence",
          id: "s-1",
          matcher: { type: "z-score" },
          user: "carol",
          comment: "noisy after the firmware update",
          at: s(0),
          startsAt: s(30),
          endsAt: s(3600),
        }),
        watermark(s(0)),
        at(signal("z-score", "T1", s(10))),
        watermark(s(10)),
        at(signal("z-score", "T1", s(40), "critical")),
        at(signal("z-score", "T1", s(70), "critical")),
        cmd({ kind: "unsilence", id: "s-1", user: "carol", comment: "fixed", at: s(80) }),
        cmd({ kind: "unsilence", id: "nope", user: "carol", comment: "", at: s(81) }),
        watermark(s(400)),
      ],
      ONE_CHANNEL,
    );
    assert.deepEqual(
      out.transitions.map((t) => [t.kind, (t.at - T0) / 1000, t.held?.reason ?? null]),
      [
        ["opened", 10, null],
        ["suppressed", 30, "silenced"],
        ["escalated", 40, "silenced"],
        ["unsuppressed", 80, null],
        ["cleared", 130, null],
      ],
    );
    assert.match(
      out.transitions[1]!.note!,
      /silenced by carol until .*: noisy after the firmware update/,
    );
    assert.deepEqual(briefN(out.notifications), [
      ["firing", "ops", "T1", 10],
      ["escalated", "ops", "T1", 80],
      ["resolved", "ops", "T1", 130],
    ]);
    assert.deepEqual(
      out.rejected.map((r) => [r.reason, r.message]),
      [["unknown-suppression", 'unsilence: no silence with id "nope"']],
    );
  });
});
