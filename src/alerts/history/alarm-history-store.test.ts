/**
 * The alarm history store: a dataflow writes transitions through its sink (twice, as
 * a replay after a crash would), and queries by facility, equipment, type, state and
 * time range answer from SQLite.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, describe, test } from "node:test";
import { dataflow, type Stream, source } from "../../engine/index.js";
import { ManualClock, TestingSource, watermark } from "../../engine/testing/index.js";
import { at, s, signal, T0 } from "../alarm-harness.fixture.js";
import { alarmPipeline } from "../alarm-pipeline.js";
import type { AlarmSignal } from "../alarm-signal.js";
import { AlarmHistoryStore } from "./alarm-history-store.js";

const dir = mkdtempSync(path.join(tmpdir(), "millstream-alarm-history-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const on = (sensor: string, t: number, equipment: string, facility = "plant-a", type = "z-score") =>
  signal(type, sensor, s(t), "high", { labels: { facility, equipment, sensor } });

async function writeHistory(store: AlarmHistoryStore, signals: AlarmSignal[], end: number) {
  const clock = new ManualClock(T0);
  const items = [...signals.map((x) => at(x)), watermark(s(end))];
  const input = source("signals", new TestingSource(items, { clock })) as Stream<AlarmSignal>;
  const out = alarmPipeline(input);
  await dataflow("history", [out.transitions.to("history", store.sink())]).run({
    clock,
    tickInterval: 0,
  });
}

describe("AlarmHistoryStore", () => {
  test("stores every transition once and answers queries", async () => {
    const store = new AlarmHistoryStore({ path: path.join(dir, "nested", "alarms.sqlite") });
    const signals = [
      on("T1", 0, "OVEN-1"),
      on("T2", 10, "OVEN-2"),
      on("P1", 20, "PUMP-1", "plant-b", "threshold"),
      on("T1", 30, "OVEN-1"),
    ];
    await writeHistory(store, signals, 200);
    await writeHistory(store, signals, 200); // a replay writes nothing twice
    assert.equal(store.size, 6);

    assert.deepEqual(
      store.transitions({ facility: "plant-a" }).map((t) => [t.alarmId, t.kind]),
      [
        ["z-score|sensor:T1", "opened"],
        ["z-score|sensor:T2", "opened"],
        ["z-score|sensor:T2", "cleared"],
        ["z-score|sensor:T1", "cleared"],
      ],
    );
    assert.deepEqual(
      store
        .transitions({ equipment: "PUMP-1", state: "CLEARED_UNACK" })
        .map((t) => (t.at - T0) / 1000),
      [80],
    );
    assert.deepEqual(
      store
        .transitions({ type: "z-score", kind: "opened", from: s(5), to: s(100) })
        .map((t) => t.alarmId),
      ["z-score|sensor:T2"],
    );
    assert.equal(store.transitions({ limit: 2 }).length, 2);

    // The alarms as they stood at 50 s: all three active; now: all cleared.
    assert.deepEqual(
      store.alarms({ to: s(50) }).map((a) => [a.alarmId, a.state]),
      [
        ["threshold|sensor:P1", "ACTIVE_UNACK"],
        ["z-score|sensor:T2", "ACTIVE_UNACK"],
        ["z-score|sensor:T1", "ACTIVE_UNACK"],
      ],
    );
    assert.deepEqual(
      store
        .alarms({ state: "CLEARED_UNACK", facility: "plant-a" })
        .map((a) => [a.alarmId, a.count]),
      [
        ["z-score|sensor:T1", 2],
        ["z-score|sensor:T2", 1],
      ],
    );
    assert.deepEqual(store.alarms({ state: "ACTIVE_UNACK" }), []);
    store.close();
  });

  test("reopens a file with its history", () => {
    const file = path.join(dir, "nested", "alarms.sqlite");
    const store = new AlarmHistoryStore({ path: file });
    assert.equal(store.size, 6);
    assert.throws(() => store.transitions({ limit: 0 }), /limit must be a positive integer/);
    store.close();
  });
});
