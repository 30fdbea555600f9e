/**
 * The demo's live view as text: the full screen a terminal shows and the status line
 * a pipe gets, from fixed states, plus the monitor that builds those states.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Anomaly } from "../../iot/reading/index.js";
import { DemoMonitor } from "./demo-monitor.js";
import type { DemoViewState } from "./demo-view-state.js";
import { fitLine, humanDuration, renderDemoView, renderStatusLine } from "./render-demo-view.js";
import { TerminalView } from "./terminal-view.js";

const T = Date.UTC(2026, 2, 2, 12, 4, 31);

function state(over: Partial<DemoViewState> = {}): DemoViewState {
  return {
    nowMs: T,
    startedAtMs: T - 192_000,
    phase: "running",
    plant: { facilities: 2, sensors: 10_000, intervalMs: 1000 },
    dataDir: "millstream-data",
    resumedFrom: null,
    readingsIn: 1_923_441,
    readingsPerSecond: 10_003.4,
    recordsOut: 40_210,
    recordsOutPerSecond: 512,
    archived: 1_923_000,
    watermarkMs: T - 10_600,
    simulatedMs: T - 100,
    checkpoints: { lastId: 42, completed: 38, ageMs: 2100, intervalMs: 5000 },
    deadLetters: 12,
    late: 3,
    faultsInjected: 17,
    alarms: { active: 6, opened: 9 },
    anomalyCount: 45,
    anomaliesBySeverity: { critical: 3, high: 10, medium: 32 },
    minSeverity: "high",
    latestAnomalies: [
      {
        timeMs: T - 13_000,
        severity: "critical",
        detector: "z-score",
        sensorId: "FAC-01-PMP-007-TEMP",
        equipmentId: "FAC-01-PMP-007",
        facilityId: "FAC-01",
        message: "FAC-01-PMP-007-TEMP: 131.2 is 9.1 stddev above its 5-minute mean",
      },
      {
        timeMs: T - 20_000,
        severity: "high",
        detector: "trend",
        sensorId: "FAC-02-CMP-003-PRES",
        equipmentId: "FAC-02-CMP-003",
        facilityId: "FAC-02",
        message: "rising fast",
      },
    ],
    facilities: [
      {
        facilityId: "FAC-01",
        name: "Berlin Works",
        windowStartMs: T - 91_000,
        windowEndMs: T - 31_000,
        readings: 300_000,
        activeSensors: 5_000,
        qualityAlerts: 23,
        anomalies: 4,
      },
      {
        facilityId: "FAC-02",
        name: "Pune Works",
        windowStartMs: null,
        windowEndMs: null,
        readings: null,
        activeSensors: null,
        qualityAlerts: null,
        anomalies: null,
      },
    ],
    notice: null,
    ...over,
  };
}

describe("renderDemoView", () => {
  it("shows throughput, event time, checkpoints, counts, anomalies and facilities", () => {
    const lines = renderDemoView(state(), { width: 140, timeZone: "UTC" });
    const text = lines.join("\n");
    assert.match(
      lines[0]!,
      /^millstream demo {2}2 facilities · 10,000 sensors · 1 reading\/s each · data millstream-data$/,
    );
    assert.equal(lines[1], "running for 3 min 12 s · 12:04:31 · Ctrl-C stops (resumable)");
    assert.match(
      text,
      /Throughput {3}in 10,003 readings\/s · out 512 records\/s · 1,923,441 readings, 40,210 results, 1,923,000 archived/,
    );
    assert.match(
      text,
      /Event time {3}watermark 12:04:20 \(lag 10\.6 s\) · simulated 12:04:30 \(live\)/,
    );
    assert.match(text, /Checkpoints {2}#42, 2\.1 s ago · 38 this run · every 5\.0 s/);
    assert.match(
      text,
      /Anomalies {4}45 \(3 critical, 10 high, 32 medium\) · alarms 6 active, 9 opened\n/,
    );
    assert.match(text, /Data quality faults injected 17 · dead letters 12 · late 3\n/);
    assert.match(text, /Latest anomalies \(high or worse\)/);
    const critical = lines.find((l) => l.includes("FAC-01-PMP-007-TEMP"))!;
    assert.match(
      critical,
      /^ {2}12:04:18 {2}critical {2}z-score {3}FAC-01-PMP-007-TEMP {2}FAC-01-PMP-007 {2}FAC-01-PMP-007-TEMP: 131\.2/,
    );
    const berlin = lines.find((l) => l.includes("Berlin Works"))!;
    assert.match(berlin, /^ {2}FAC-01 +Berlin Works +12:03:00–12:04:00 +300,000 +5,000 +23 +4$/);
    const pune = lines.find((l) => l.includes("Pune Works"))!;
    assert.match(pune, /FAC-02 +Pune Works +no window yet +– +– +– +–$/);
    assert.ok(!text.includes("\x1b["), "no escape codes without colour");
  });

  it("cuts lines to the width and the screen to the height, anomalies first", () => {
    const full = renderDemoView(state(), { width: 60, timeZone: "UTC" });
    for (const line of full) assert.ok(line.length <= 60, line);
    assert.ok(full.some((l) => l.endsWith("…")));
    const short = renderDemoView(state(), { width: 140, height: 18, timeZone: "UTC" });
    assert.ok(short.length <= 18);
    assert.ok(
      short.some((l) => l.includes("Berlin Works")),
      "facilities stay on a short screen",
    );
    assert.ok(
      short.some((l) => l.includes("FAC-01-PMP-007-TEMP")),
      "the newest anomaly stays",
    );
    assert.ok(!short.some((l) => l.includes("FAC-02-CMP-003-PRES")), "the anomaly list shrinks");
  });

  it("colours severities on a terminal and keeps the visible width", () => {
    const lines = renderDemoView(state(), { width: 70, color: true, timeZone: "UTC" });
    const row = lines.find((l) => l.includes("FAC-01-PMP-007-TEMP"))!;
    assert.ok(row.includes("\x1b[31;1mcritical\x1b[0m"), row);
    for (const line of lines) {
      // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping ANSI escapes
      assert.ok(line.replace(/\x1b\[[0-9;]*m/g, "").length <= 70, line);
    }
  });

  it("says what is missing before the first watermark, checkpoint and anomaly", () => {
    const text = renderDemoView(
      state({
        phase: "starting",
        watermarkMs: null,
        simulatedMs: null,
        checkpoints: { lastId: null, completed: 0, ageMs: null, intervalMs: 5000 },
        anomalyCount: 0,
        anomaliesBySeverity: {},
        latestAnomalies: [],
      }),
      { timeZone: "UTC" },
    ).join("\n");
    assert.match(text, /starting…/);
    assert.match(text, /no watermark yet · simulator starting/);
    assert.match(text, /none yet \(every 5\.0 s\)/);
    assert.match(text, /none yet \(faults start after the warm-up\)/);
  });

  it("shows a resumed run catching up and a notice", () => {
    const text = renderDemoView(
      state({ resumedFrom: 9, simulatedMs: T - 192_000, notice: "SIGINT: stopping" }),
      { timeZone: "UTC" },
    ).join("\n");
    assert.match(text, /running for 3 min 12 s, resumed from checkpoint 9/);
    assert.match(text, /simulated 12:01:19 \(catching up, 3 min 12 s behind\)/);
    assert.match(text, /SIGINT: stopping$/);
  });
});

describe("renderStatusLine", () => {
  it("puts the live figures on one line", () => {
    assert.equal(
      renderStatusLine(state({ resumedFrom: 9 }), "UTC"),
      "12:04:31 running · in 10,003/s · out 512/s · 1,923,441 readings · wm lag 10.6 s · checkpoint #42 (2.1 s ago, resumed from #9) · anomalies 45 · alarms 6 active · dead letters 12 · late 3 · windows 1/2 facilities · last: critical z-score FAC-01-PMP-007-TEMP",
    );
    assert.equal(
      renderStatusLine(
        state({
          phase: "starting",
          watermarkMs: null,
          checkpoints: { lastId: null, completed: 0, ageMs: null, intervalMs: 5000 },
          latestAnomalies: [],
          simulatedMs: T - 5000,
        }),
        "UTC",
      ),
      "12:04:31 starting · in 10,003/s · out 512/s · 1,923,441 readings · no watermark · catching up 5.0 s · no checkpoint · anomalies 45 · alarms 6 active · dead letters 12 · late 3 · windows 1/2 facilities",
    );
  });
});

describe("view helpers", () => {
  it("formats durations and cuts escaped text", () => {
    assert.deepEqual([850, 4200, 192_000, 7_500_000].map(humanDuration), [
      "850 ms",
      "4.2 s",
      "3 min 12 s",
      "2 h 5 min",
    ]);
    assert.equal(fitLine("abcdef", 4), "abc…");
    assert.equal(fitLine("\x1b[1mabcdef\x1b[0m", 4), "\x1b[1mabc…\x1b[0m");
    assert.equal(fitLine("abc", 4), "abc");
  });

  it("redraws in place on a terminal and appends lines otherwise", () => {
    const written: string[] = [];
    const tty = new TerminalView(
      { write: (t) => written.push(t) > 0, isTTY: true, columns: 100, rows: 40 },
      { color: false },
    );
    tty.draw(state());
    tty.draw(state());
    tty.close();
    assert.ok(written[0]!.startsWith("\x1b[?25l"), "hides the cursor");
    const lines = written[0]!.split("\n").length - 1;
    assert.ok(written[1]!.startsWith(`\x1b[${lines}F`), "moves up over the previous screen");
    assert.equal(written[2], "\x1b[?25h");
    const piped: string[] = [];
    const pipe = new TerminalView({ write: (t) => piped.push(t) > 0 });
    pipe.draw(state());
    assert.equal(piped.length, 1);
    assert.match(piped[0]!, /^\d\d:\d\d:\d\d running · in 10,003\/s .*\n$/);
  });
});

describe("DemoMonitor", () => {
  it("turns job progress and tapped records into a view state", () => {
    const monitor = new DemoMonitor({
      facilities: [{ id: "FAC-01", name: "Berlin Works" }],
      sensors: 50,
      intervalMs: 100,
      checkpointIntervalMs: 500,
      dataDir: "data",
      startedAtMs: T - 10_000,
      minSeverity: "high",
    });
    let recordsIn = 1000;
    const step = (name: string, kind: string, n: number, watermark: number | null = null) => ({
      step: name,
      kind,
      recordsIn: n,
      recordsOut: n,
      batchesIn: 1,
      busyMs: 0,
      lastBatchMs: 0,
      maxBatchMs: 0,
      watermark,
      lateRecords: 0,
      deadLetters: 0,
      stateSize: 0,
    });
    monitor.watchJob(() => ({
      name: "demo",
      state: "running",
      timestamp: T,
      watermark: null,
      recordsIn,
      sources: [],
      checkpoints: {
        completed: 2,
        failed: 0,
        lastId: 7,
        lastCompletedAt: T - 300,
        ageMs: 300,
        lastDurationMs: 5,
        lastPauseMs: 1,
        lastBytes: 0,
        lastKeys: 0,
        recentPausesMs: [],
      },
      steps: [
        step("event-time", "eventTime", recordsIn, T - 10_000),
        step("anomalies-out", "sink", 3),
        step("dead-letters-out", "sink", 2),
        step("late-out", "sink", 1),
        step("archive-out", "sink", recordsIn),
      ],
    }));
    monitor.watchSimulator(() => T);
    monitor.addLabels([{ start_ms: T - 5000 }, { start_ms: T + 60_000 }] as never);
    const anomaly = (severity: string, sensor: string) =>
      ({
        id: `z|${sensor}`,
        detector: "z-score",
        severity,
        sensor_id: sensor,
        equipment_id: "EQ",
        facility_id: "FAC-01",
        event_time_ms: T - 1000,
        message: "m",
      }) as unknown as Anomaly;
    monitor.addAnomalies([
      anomaly("medium", "S1"),
      anomaly("critical", "S2"),
      anomaly("high", "S3"),
    ]);
    monitor.addFacilityMetrics([
      {
        facility_id: "FAC-01",
        window_start_ms: T - 90_000,
        window_end_ms: T - 30_000,
        readings: 1,
        active_sensors: 1,
        quality_alerts: 0,
        anomalies: 0,
      },
      {
        facility_id: "FAC-01",
        window_start_ms: T - 60_000,
        window_end_ms: T,
        readings: 600,
        active_sensors: 50,
        quality_alerts: 2,
        anomalies: 3,
      },
    ] as never);
    monitor.addAlarmTransitions([
      { alarmId: "z-score|sensor:S2", kind: "opened", to: "ACTIVE_UNACK" },
      { alarmId: "trend|sensor:S3", kind: "opened", to: "ACTIVE_UNACK" },
      { alarmId: "z-score|sensor:S2", kind: "cleared", to: "CLEARED_UNACK" },
    ] as never);
    monitor.phase = "running";
    monitor.sample(T - 1000);
    recordsIn = 1500;
    const s = monitor.sample(T);
    assert.equal(s.readingsPerSecond, 500);
    assert.equal(s.readingsIn, 1500);
    assert.equal(s.recordsOut, 6, "sinks other than the archive");
    assert.equal(s.archived, 1500);
    assert.equal(s.deadLetters, 2);
    assert.equal(s.late, 1);
    assert.equal(s.watermarkMs, T - 10_000);
    assert.equal(s.faultsInjected, 1, "only faults the simulation has reached");
    assert.equal(s.anomalyCount, 3);
    assert.deepEqual(s.anomaliesBySeverity, { medium: 1, critical: 1, high: 1 });
    assert.deepEqual(
      s.latestAnomalies.map((a) => a.sensorId),
      ["S3", "S2"],
      "newest first, medium left out",
    );
    assert.deepEqual(
      s.facilities.map((f) => [f.windowStartMs, f.readings, f.activeSensors, f.anomalies]),
      [[T - 60_000, 600, 50, 3]],
    );
    assert.equal(s.checkpoints.lastId, 7);
    assert.deepEqual(s.alarms, { active: 1, opened: 2 });
  });
});
