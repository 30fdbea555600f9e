/**
 * One test per lifecycle rule, written as input signals (and commands) → expected
 * alarm transitions: dedup, hysteresis, escalation and de-escalation, acknowledgement,
 * flapping, late and invalid input, and restore from a checkpoint mid-alarm.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  at,
  brief,
  briefN,
  cmd,
  runAlarms,
  runAlarmsWithRestore,
  s,
  signal,
  T0,
  watermark,
} from "../alarm-harness.fixture.js";
import type { AlarmSignal } from "../alarm-signal.js";
import type { AlarmsConfigInput } from "../alarms-config.js";

const ONE_CHANNEL: AlarmsConfigInput = {
  channels: { ops: { type: "slack" } },
  routes: [{ name: "all", allChannels: true }],
  grouping: { groupBy: ["alarmId"], groupWaitMs: 0, groupIntervalMs: 1 },
};

const ack = (alarmId: string, time: number, user = "alice", comment = "on it") =>
  cmd({ kind: "acknowledge", alarmId, user, comment, at: time });

describe("alarm lifecycle", () => {
  test("dedup: one alarm per (type, source); repeats update count, last value and peak severity", async () => {
    const out = await runAlarms(
      [
        at(signal("z-score", "T1", s(0), "medium", { value: 101 })),
        at(signal("z-score", "T1", s(5), "high", { value: 102 })),
        at(signal("z-score", "T1", s(8), "medium", { value: 103 })),
        at(signal("z-score", "T2", s(9), "medium")),
        at(signal("threshold", "T1", s(9), "medium")),
        watermark(s(100)),
      ],
      ONE_CHANNEL,
    );
    assert.deepEqual(
      out.transitions.map((t) => [t.alarmId, t.kind, (t.at - T0) / 1000]),
      [
        ["z-score|sensor:T1", "opened", 0],
        ["z-score|sensor:T1", "escalated", 5],
        ["z-score|sensor:T2", "opened", 9],
        ["threshold|sensor:T1", "opened", 9],
        ["z-score|sensor:T1", "de-escalated", 65],
        ["z-score|sensor:T1", "cleared", 68],
        ["z-score|sensor:T2", "cleared", 69],
        ["threshold|sensor:T1", "cleared", 69],
      ],
    );
    const cleared = out.transitions.find(
      (t) => t.alarmId === "z-score|sensor:T1" && t.kind === "cleared",
    )!;
    assert.equal(cleared.alarm.count, 3);
    assert.equal(cleared.alarm.value, 103);
    assert.equal(cleared.alarm.peakSeverity, "high");
    assert.equal(cleared.alarm.lastSeen, s(8));
    assert.equal(cleared.alarm.activeSince, s(0));
    assert.equal(cleared.id, `z-score|sensor:T1|${s(0)}|4`);
  });

  test("hysteresis: clears only after clearAfterMs without a signal; a later signal opens a new episode", async () => {
    const out = await runAlarms(
      [
        at(signal("z-score", "T1", s(0))),
        at(signal("z-score", "T1", s(50))),
        watermark(s(109)),
        at(signal("z-score", "T1", s(109))),
        watermark(s(168)),
        watermark(s(170)),
        at(signal("z-score", "T1", s(200))),
        watermark(s(300)),
      ],
      ONE_CHANNEL,
    );
    assert.deepEqual(brief(out.transitions), [
      ["opened", "ACTIVE_UNACK", 0],
      ["cleared", "CLEARED_UNACK", 169],
      ["opened", "ACTIVE_UNACK", 200],
      ["cleared", "CLEARED_UNACK", 260],
    ]);
    assert.equal(out.transitions[2]!.from, "CLEARED_UNACK");
    assert.equal(out.transitions[2]!.alarm.count, 1, "a new episode counts afresh");
  });

  test("hysteresis per alarm type", async () => {
    const out = await runAlarms(
      [at(signal("offline", "T1", s(0))), at(signal("z-score", "T2", s(0))), watermark(s(1000))],
      {
        ...ONE_CHANNEL,
        lifecycle: { clearAfterMs: 10_000, clearAfterMsByType: { offline: 600_000 } },
      },
    );
    assert.deepEqual(
      out.transitions.map((t) => [t.alarmId, t.kind, (t.at - T0) / 1000]),
      [
        ["offline|sensor:T1", "opened", 0],
        ["z-score|sensor:T2", "opened", 0],
        ["z-score|sensor:T2", "cleared", 10],
        ["offline|sensor:T1", "cleared", 600],
      ],
    );
  });

  test("the end of a finite input leaves active alarms active (unless clearAtEndOfInput)", async () => {
    const items = [at(signal("z-score", "T1", s(0)))];
    assert.deepEqual(brief((await runAlarms(items, ONE_CHANNEL)).transitions), [
      ["opened", "ACTIVE_UNACK", 0],
    ]);
    const cleared = await runAlarms(items, {
      ...ONE_CHANNEL,
      lifecycle: { clearAtEndOfInput: true },
    });
    assert.deepEqual(brief(cleared.transitions), [
      ["opened", "ACTIVE_UNACK", 0],
      ["cleared", "CLEARED_UNACK", 60],
    ]);
  });

  test("escalation is immediate, de-escalation follows the worse signals stopping", async () => {
    const items = [
      at(signal("z-score", "T1", s(0), "medium")),
      at(signal("z-score", "T1", s(10), "critical")),
      at(signal("z-score", "T1", s(15), "high")),
      at(signal("z-score", "T1", s(30), "medium")),
      at(signal("z-score", "T1", s(45), "medium")),
      watermark(s(500)),
    ];
    const out = await runAlarms(items, {
      ...ONE_CHANNEL,
      lifecycle: { deescalateAfterMs: 20_000 },
    });
    assert.deepEqual(
      out.transitions.map((t) => [t.kind, t.alarm.severity, (t.at - T0) / 1000]),
      [
        ["opened", "medium", 0],
        ["escalated", "critical", 10],
        ["de-escalated", "high", 30],
        ["de-escalated", "medium", 35],
        ["cleared", "medium", 105],
      ],
    );
    assert.equal(out.transitions.at(-1)!.alarm.peakSeverity, "critical");
    assert.deepEqual(
      out.notifications.map((n) => [n.event, n.severity, (n.createdAt - T0) / 1000]),
      [
        ["firing", "medium", 0],
        ["escalated", "critical", 10],
        ["resolved", "medium", 105],
      ],
      "de-escalation is recorded but notifies nobody",
    );
  });

  test("acknowledge: ACTIVE_UNACK → ACTIVE_ACK → CLEARED_ACK, with who and why; escalation re-alarms", async () => {
    const id = "z-score|sensor:T1";
    const out = await runAlarms(
      [
        at(signal("z-score", "T1", s(0))),
        ack(id, s(5), "alice", "checking the burner"),
        watermark(s(5)),
        at(signal("z-score", "T1", s(10), "critical")),
        ack(id, s(12), "bob", "burner replaced"),
        watermark(s(200)),
      ],
      ONE_CHANNEL,
    );
    assert.deepEqual(brief(out.transitions), [
      ["opened", "ACTIVE_UNACK", 0],
      ["acknowledged", "ACTIVE_ACK", 5],
      ["escalated", "ACTIVE_UNACK", 10],
      ["acknowledged", "ACTIVE_ACK", 12],
      ["cleared", "CLEARED_ACK", 70],
    ]);
    assert.deepEqual(out.transitions[1]!.by, { user: "alice", comment: "checking the burner" });
    assert.deepEqual(out.transitions[4]!.alarm.acknowledgedBy, {
      user: "bob",
      comment: "burner replaced",
      at: s(12),
    });
    assert.deepEqual(
      briefN(out.notifications).map(([event, , , t]) => [event, t]),
      [
        ["firing", 0],
        ["acknowledged", 5],
        ["escalated", 10],
        ["acknowledged", 12],
        ["resolved", 70],
      ],
    );
  });

  test("acknowledging a cleared alarm closes it; bad acknowledgements are rejected with a reason", async () => {
    const id = "z-score|sensor:T1";
    const out = await runAlarms(
      [
        ack(id, s(1)),
        watermark(s(1)),
        at(signal("z-score", "T1", s(2))),
        ack(id, s(3)),
        ack(id, s(4), "bob"),
        at(signal("z-score", "T2", s(5))),
        watermark(s(100)),
        ack("z-score|sensor:T2", s(101)),
        watermark(s(200)),
        ack("z-score|sensor:T2", s(202)),
      ],
      ONE_CHANNEL,
    );
    assert.deepEqual(
      out.transitions.map((t) => [t.alarmId, t.kind, t.to]),
      [
        [id, "opened", "ACTIVE_UNACK"],
        [id, "acknowledged", "ACTIVE_ACK"],
        ["z-score|sensor:T2", "opened", "ACTIVE_UNACK"],
        [id, "cleared", "CLEARED_ACK"],
        ["z-score|sensor:T2", "cleared", "CLEARED_UNACK"],
        ["z-score|sensor:T2", "acknowledged", "CLEARED_ACK"],
      ],
    );
    assert.deepEqual(
      out.rejected.map((r) => [r.reason, (r.at! - T0) / 1000]),
      [
        ["unknown-alarm", 1],
        ["already-acknowledged", 4],
        ["unknown-alarm", 202],
      ],
    );
    assert.match(out.rejected[1]!.message, /already acknowledged by alice/);
  });

  test("an acknowledgement older than a re-alarming escalation does not cover it", async () => {
    const id = "z-score|sensor:T1";
    // The escalation at 10 s is processed before the acknowledgement of 5 s arrives.
    const out = await runAlarms(
      [
        at(signal("z-score", "T1", s(0))),
        at(signal("z-score", "T1", s(10), "critical")),
        ack(id, s(5)),
      ],
      ONE_CHANNEL,
    );
    assert.deepEqual(brief(out.transitions), [
      ["opened", "ACTIVE_UNACK", 0],
      ["escalated", "ACTIVE_UNACK", 10],
    ]);
    assert.deepEqual(
      out.rejected.map((r) => r.reason),
      ["superseded-acknowledgement"],
    );
    assert.match(
      out.rejected[0]!.message,
      /older than the alarm's escalation at 2026-01-01T00:00:10.000Z/,
    );
  });

  test("an acknowledgement applies at its own event time, whatever the input order", async () => {
    const id = "z-score|sensor:T1";
    const out = await runAlarms(
      [
        ack(id, s(30)),
        at(signal("z-score", "T1", s(0))),
        at(signal("z-score", "T1", s(40))),
        watermark(s(50)),
      ],
      ONE_CHANNEL,
    );
    assert.deepEqual(brief(out.transitions), [
      ["opened", "ACTIVE_UNACK", 0],
      ["acknowledged", "ACTIVE_ACK", 30],
    ]);
    assert.deepEqual(out.rejected, []);
  });

  test("flapping: N activations and clears within T flag the alarm, hold its notifications, and say so", async () => {
    const config: AlarmsConfigInput = {
      ...ONE_CHANNEL,
      lifecycle: { clearAfterMs: 10_000, flapping: { transitions: 4, windowMs: 120_000 } },
    };
    const chatter = [0, 20, 40, 60].map((t) => at(signal("z-score", "T1", s(t))));
    const out = await runAlarms([...chatter, watermark(s(400))], config);
    assert.deepEqual(
      out.transitions.map((t) => [t.kind, t.to, (t.at - T0) / 1000, t.held?.reason ?? null]),
      [
        ["opened", "ACTIVE_UNACK", 0, null],
        ["cleared", "CLEARED_UNACK", 10, null],
        ["opened", "ACTIVE_UNACK", 20, null],
        ["cleared", "CLEARED_UNACK", 30, "flapping"],
        ["flapping-started", "CLEARED_UNACK", 30, null],
        ["opened", "ACTIVE_UNACK", 40, "flapping"],
        ["cleared", "CLEARED_UNACK", 50, "flapping"],
        ["opened", "ACTIVE_UNACK", 60, "flapping"],
        ["cleared", "CLEARED_UNACK", 70, "flapping"],
        ["flapping-ended", "CLEARED_UNACK", 190, null],
      ],
    );
    assert.match(
      out.transitions[4]!.note!,
      /4 activations and clears within 2 min: notifications held/,
    );
    assert.deepEqual(
      out.notifications.map((n) => [n.event, (n.createdAt - T0) / 1000, n.title]),
      [
        ["firing", 0, "[HIGH] z-score on T1 (OVEN-1, plant-a)"],
        ["resolved", 10, "[RESOLVED] z-score on T1 (OVEN-1, plant-a)"],
        ["firing", 20, "[HIGH] z-score on T1 (OVEN-1, plant-a)"],
        ["firing", 30, "[FLAPPING: HIGH] z-score on T1 (OVEN-1, plant-a)"],
        ["resolved", 190, "[RESOLVED] z-score on T1 (OVEN-1, plant-a)"],
      ],
    );
    assert.equal(out.notifications[3]!.alarms[0]!.flapping, true);
  });

  test("late and invalid signals are rejected with a reason, never dropped in silence", async () => {
    const broken = { ...signal("z-score", "T9", s(1)), severity: "dire" } as unknown as AlarmSignal;
    const out = await runAlarms(
      [
        at(signal("z-score", "T1", s(0))),
        watermark(s(100)),
        at(signal("z-score", "T1", s(30))),
        at(signal("z-score", "T2", s(10))),
        at(broken),
      ],
      ONE_CHANNEL,
    );
    assert.deepEqual(brief(out.transitions), [
      ["opened", "ACTIVE_UNACK", 0],
      ["cleared", "CLEARED_UNACK", 60],
    ]);
    assert.deepEqual(
      out.rejected.map((r) => [r.reason, r.step]),
      [
        ["late-signal", "alarms.lifecycle"],
        ["late-signal", "alarms.lifecycle"],
        ["invalid-signal", "alarms.lifecycle"],
      ],
    );
    assert.match(out.rejected[0]!.message, /arrived after the alarm cleared/);
    assert.match(out.rejected[2]!.message, /^severity: expected/);
  });

  test("restored from a checkpoint mid-alarm, a job carries on with the same transitions and ids", async () => {
    const id = "z-score|sensor:T1";
    const items = [
      at(signal("z-score", "T1", s(0))),
      at(signal("z-score", "T2", s(1), "critical")),
      at(signal("z-score", "T1", s(5))),
      ack(id, s(6)),
      watermark(s(7)),
      at(signal("z-score", "T1", s(20), "critical")),
      at(signal("z-score", "T1", s(40))),
      watermark(s(300)),
    ];
    const config: AlarmsConfigInput = {
      lifecycle: { flapping: { transitions: 3, windowMs: 60_000 } },
    };
    const straight = await runAlarms(items, config);
    for (const split of [2, 4, 5, 7]) {
      const restored = await runAlarmsWithRestore(items, split, config);
      assert.deepEqual(
        restored.transitions.map((t) => t.id),
        straight.transitions.map((t) => t.id),
        `transitions after a restore at ${split}`,
      );
      assert.deepEqual(restored.transitions, straight.transitions);
      assert.deepEqual(
        restored.notifications.map((n) => n.id).sort(),
        straight.notifications.map((n) => n.id).sort(),
        `notification ids after a restore at ${split}`,
      );
    }
    assert.deepEqual(
      straight.transitions.filter((t) => t.alarmId === id).map((t) => t.kind),
      ["opened", "acknowledged", "escalated", "de-escalated", "cleared"],
    );
  });
});
