/**
 * Operator commands from JSON lines: every kind, times, and the errors that name the
 * field at fault.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { dataflow, source } from "../../engine/index.js";
import { CollectingSink, record, TestingSource } from "../../engine/testing/index.js";
import type { AlarmRejection } from "../alarm-rejection.js";
import type { AlarmCommand, SuppressCommand } from "./alarm-command.js";
import { alarmCommands } from "./alarm-commands.js";
import { parseAlarmCommand } from "./parse-alarm-command.js";

const T = Date.parse("2026-01-01T08:00:00Z");

describe("parseAlarmCommand", () => {
  test("acknowledge, with an ISO time or epoch ms", () => {
    assert.deepEqual(
      parseAlarmCommand(
        '{"kind":"acknowledge","alarmId":"z-score|sensor:T1","user":"alice","comment":"on it","at":"2026-01-01T08:00:00Z"}',
      ),
      {
        ok: true,
        command: {
          kind: "acknowledge",
          alarmId: "z-score|sensor:T1",
          user: "alice",
          comment: "on it",
          at: T,
        },
      },
    );
    const r = parseAlarmCommand(`{"kind":"acknowledge","alarmId":"a","user":"bob","at":${T}}`);
    assert.ok(
      r.ok && r.command.kind === "acknowledge" && r.command.comment === "" && r.command.at === T,
    );
  });

  test("shelve by alarm id for a duration; silence by matcher with a window", () => {
    const shelve = parseAlarmCommand(
      `{"kind":"shelve","id":"sh-1","alarmId":"z-score|sensor:T1","user":"alice","comment":"known","at":${T},"durationMs":3600000}`,
    );
    assert.deepEqual(shelve, {
      ok: true,
      command: {
        kind: "shelve",
        id: "sh-1",
        matcher: { alarmId: "z-score|sensor:T1" },
        user: "alice",
        comment: "known",
        at: T,
        startsAt: T,
        endsAt: T + 3_600_000,
      },
    });
    const silence = parseAlarmCommand(
      JSON.stringify({
        kind: "silence",
        id: "maint",
        match: { equipment: "OVEN-1", labels: { line: { regex: "^L" } } },
        user: "bob",
        comment: "maintenance",
        at: T,
        startsAt: "2026-01-01T09:00:00+01:00",
        endsAt: "2026-01-01T10:00:00Z",
      }),
    );
    assert.ok(silence.ok);
    const c = silence.command as SuppressCommand;
    assert.deepEqual([c.kind, c.startsAt, c.endsAt], ["silence", T, T + 7_200_000]);
    assert.deepEqual(c.matcher, { equipment: "OVEN-1", labels: { line: { regex: "^L" } } });
    assert.deepEqual(
      parseAlarmCommand(`{"kind":"unsilence","id":"maint","user":"bob","at":${T}}`),
      {
        ok: true,
        command: { kind: "unsilence", id: "maint", user: "bob", comment: "", at: T },
      },
    );
  });

  test("errors name the field and what was expected", () => {
    const cases: [string, string, string][] = [
      ["{", "invalid-json", ""],
      ['{"kind":"reboot"}', "invalid-command", "kind: "],
      [`{"kind":"acknowledge","alarmId":"a","at":${T}}`, "invalid-command", "user: "],
      ['{"kind":"acknowledge","alarmId":"a","user":"x","at":"08:00"}', "invalid-command", "at: "],
      [
        `{"kind":"silence","id":"s","user":"u","comment":"c","at":${T},"endsAt":${T + 1}}`,
        "invalid-command",
        "match: give either match or alarmId",
      ],
      [
        `{"kind":"shelve","id":"s","alarmId":"a","user":"u","comment":"c","at":${T}}`,
        "invalid-command",
        "endsAt: give either endsAt or durationMs",
      ],
      [
        `{"kind":"shelve","id":"s","alarmId":"a","user":"u","comment":"c","at":${T},"endsAt":${T}}`,
        "invalid-command",
        "endsAt: expected a time after startsAt",
      ],
      [
        `{"kind":"silence","id":"s","match":{"facility":{"regex":"("}},"user":"u","comment":"c","at":${T},"durationMs":1}`,
        "invalid-command",
        "match.facility",
      ],
      [
        `{"kind":"shelve","id":"s","alarmId":"a","user":"u","comment":"","at":${T},"durationMs":1}`,
        "invalid-command",
        "comment: ",
      ],
    ];
    for (const [line, reason, start] of cases) {
      const r = parseAlarmCommand(line);
      assert.equal(r.ok, false, line);
      if (r.ok) continue;
      assert.equal(r.reason, reason, line);
      assert.ok(r.message.startsWith(start), `${line} → ${r.message}`);
    }
  });
});

describe("alarmCommands", () => {
  test("lines become commands at their own event time; bad lines become rejections", async () => {
    const lines = [
      `{"kind":"acknowledge","alarmId":"a","user":"alice","at":${T + 5000}}`,
      "not json",
      `{"kind":"unshelve","id":"sh-1","user":"alice","at":${T + 9000}}`,
    ];
    const src = new TestingSource(lines.map((l, i) => record(l, i)));
    const { commands, rejected } = alarmCommands(source("commands", src));
    const out = new CollectingSink<AlarmCommand>();
    const bad = new CollectingSink<AlarmRejection>();
    await dataflow("commands", [commands.to("out", out), rejected.to("bad", bad)]).run({
      tickInterval: 0,
    });
    assert.deepEqual(
      out.records.map((r) => [r.value.kind, r.time]),
      [
        ["acknowledge", T + 5000],
        ["unshelve", T + 9000],
      ],
    );
    assert.deepEqual(
      bad.values.map((r) => [r.reason, r.input, r.step]),
      [["invalid-json", "not json", "alarm-commands.parse"]],
    );
  });
});
