/**
 * The text of `millstream demo`'s live view: a full screen for a terminal, and one
 * compact status line for when the output is a pipe or a file. Pure functions of a
 * `DemoViewState`, so what the user sees can be tested without a terminal.
 */
import type { DemoViewState, ViewAnomaly, ViewFacility } from "./demo-view-state.js";

/** How to render the screen. */
export interface RenderOptions {
  /** Terminal columns; longer lines are cut. Default 100. */
  readonly width?: number;
  /** Terminal rows; the screen never has more lines. Default unlimited. */
  readonly height?: number;
  /** ANSI colours and bold. Default false. */
  readonly color?: boolean;
  /** IANA zone for clock times. Default the machine's. */
  readonly timeZone?: string;
  /** Latest anomalies listed. Default 8. */
  readonly anomalies?: number;
}

const ESC = "\x1b[";
const SEVERITY_COLOR: Readonly<Record<string, string>> = {
  critical: "31;1",
  high: "31",
  medium: "33",
  low: "2",
};

const int = (n: number) => Math.round(n).toLocaleString("en");

/** `1 facility`, `5 facilities`: a count with its noun. */
export function counted(n: number, one: string, many: string): string {
  return `${int(n)} ${n === 1 ? one : many}`;
}

/** `HH:MM:SS` of `ms` in `timeZone` (24-hour). */
export function clockTime(ms: number, timeZone?: string): string {
  return new Intl.DateTimeFormat("en-GB", {
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    hourCycle: "h23",
    ...(timeZone === undefined ? {} : { timeZone }),
  }).format(ms);
}

/** A duration for people: `850 ms`, `4.2 s`, `3 min 12 s`, `2 h 5 min`. */
export function humanDuration(ms: number): string {
  const abs = Math.abs(ms);
  if (abs < 1000) return `${Math.round(ms)} ms`;
  if (abs < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.floor(abs / 1000);
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

/** Visible length of a string holding ANSI SGR sequences. */
function visibleLength(text: string): number {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching ANSI escapes
  return text.replace(/\x1b\[[0-9;]*m/g, "").length;
}

/** Cuts `text` to `width` visible characters, keeping escape sequences whole. */
export function fitLine(text: string, width: number): string {
  if (visibleLength(text) <= width) return text;
  let out = "";
  let shown = 0;
  for (let i = 0; i < text.length; ) {
    if (text.startsWith(ESC, i)) {
      const end = text.indexOf("m", i);
      if (end === -1) break;
      out += text.slice(i, end + 1);
      i = end + 1;
      continue;
    }
    if (shown >= width - 1) break;
    out += text[i];
    shown++;
    i++;
  }
  return `${out}…${text.includes(ESC) ? `${ESC}0m` : ""}`;
}

/** Lines of a table with left-aligned text columns and right-aligned number columns. */
function table(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  numeric: readonly boolean[],
): string[] {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? "").length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, c) => (numeric[c] ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!)))
      .join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

function facilityRow(f: ViewFacility, timeZone?: string): string[] {
  const n = (v: number | null) => (v === null ? "–" : int(v));
  const window =
    f.windowStartMs === null || f.windowEndMs === null
      ? "no window yet"
      : `${clockTime(f.windowStartMs, timeZone)}–${clockTime(f.windowEndMs, timeZone)}`;
  return [
    f.facilityId,
    f.name,
    window,
    n(f.readings),
    n(f.activeSensors),
    n(f.qualityAlerts),
    n(f.anomalies),
  ];
}

function anomalyRow(a: ViewAnomaly, timeZone?: string): string[] {
  return [
    clockTime(a.timeMs, timeZone),
    a.severity,
    a.detector,
    a.sensorId ?? "–",
    a.equipmentId ?? "–",
    a.message,
  ];
}

function phaseText(state: DemoViewState): string {
  const up = humanDuration(state.nowMs - state.startedAtMs);
  const from = state.resumedFrom === null ? "" : `, resumed from checkpoint ${state.resumedFrom}`;
  switch (state.phase) {
    case "starting":
      return "starting…";
    case "resuming":
      return `resuming from checkpoint ${state.resumedFrom ?? "?"}: replaying the simulation up to it…`;
    case "running":
      return `running for ${up}${from}`;
    case "stopping":
      return `stopping: final checkpoint…`;
    case "stopped":
      return `stopped after ${up}`;
  }
}

/** How far the simulation is behind the wall clock, as a short phrase. */
function simulationText(state: DemoViewState, timeZone?: string): string {
  if (state.simulatedMs === null) return "simulator starting";
  const behind = state.nowMs - state.simulatedMs;
  const at = `simulated ${clockTime(state.simulatedMs, timeZone)}`;
  return behind > 2000 ? `${at} (catching up, ${humanDuration(behind)} behind)` : `${at} (live)`;
}

/**
 * The full live view, one string per line, for a terminal: header, throughput, event
 * time, checkpoints, counts, the latest anomalies and one row per facility from its
 * latest facility-metrics window. Lines are cut to `width`; the list of anomalies
 * shrinks (then the screen is cut) to fit `height`.
 */
export function renderDemoView(state: DemoViewState, options: RenderOptions = {}): string[] {
  const width = options.width ?? 100;
  const color = options.color ?? false;
  const tz = options.timeZone;
  const paint = (code: string, text: string) => (color ? `${ESC}${code}m${text}${ESC}0m` : text);
  const bold = (text: string) => paint("1", text);
  const label = (text: string) => bold(text.padEnd(13));
  const p = state.plant;
  const rate =
    p.intervalMs === 1000 ? "1 reading/s each" : `1 reading every ${int(p.intervalMs)} ms each`;
  const lines: string[] = [];
  lines.push(
    `${bold("millstream demo")}  ${counted(p.facilities, "facility", "facilities")} · ${counted(p.sensors, "sensor", "sensors")} · ${rate} · data ${state.dataDir}`,
  );
  lines.push(
    `${phaseText(state)} · ${clockTime(state.nowMs, tz)}${state.phase === "running" ? " · Ctrl-C stops (resumable)" : ""}`,
  );
  lines.push("");
  lines.push(
    `${label("Throughput")}in ${int(state.readingsPerSecond)} readings/s · out ${int(state.recordsOutPerSecond)} records/s · ${int(state.readingsIn)} readings, ${int(state.recordsOut)} results, ${int(state.archived)} archived`,
  );
  const lag =
    state.watermarkMs === null
      ? "no watermark yet"
      : `watermark ${clockTime(state.watermarkMs, tz)} (lag ${humanDuration(state.nowMs - state.watermarkMs)})`;
  lines.push(`${label("Event time")}${lag} · ${simulationText(state, tz)}`);
  const cp = state.checkpoints;
  const checkpoint =
    cp.lastId === null
      ? `none yet (every ${humanDuration(cp.intervalMs)})`
      : `#${cp.lastId}${cp.ageMs === null ? "" : `, ${humanDuration(cp.ageMs)} ago`} · ${cp.completed} this run · every ${humanDuration(cp.intervalMs)}`;
  lines.push(`${label("Checkpoints")}${checkpoint}`);
  const severities = ["critical", "high", "medium", "low"]
    .filter((s) => (state.anomaliesBySeverity[s] ?? 0) > 0)
    .map((s) => paint(SEVERITY_COLOR[s] ?? "0", `${int(state.anomaliesBySeverity[s]!)} ${s}`));
  lines.push(
    `${label("Anomalies")}${int(state.anomalyCount)}${severities.length > 0 ? ` (${severities.join(", ")})` : ""} · alarms ${int(state.alarms.active)} active, ${int(state.alarms.opened)} opened`,
  );
  lines.push(
    `${label("Data quality")}faults injected ${int(state.faultsInjected)} · dead letters ${int(state.deadLetters)} · late ${int(state.late)}`,
  );
  lines.push("");

  const facilityHeader = [
    "FACILITY",
    "NAME",
    "LATEST WINDOW",
    "READINGS",
    "SENSORS",
    "QUALITY ALERTS",
    "ANOMALIES",
  ];
  const facilityLines = table(
    facilityHeader,
    state.facilities.map((f) => facilityRow(f, tz)),
    [false, false, false, true, true, true, true],
  );
  const facilityBlock = [
    bold("Facilities (latest 1-minute facility-metrics window)"),
    ...facilityLines.map((l, i) => (i === 0 ? paint("2", `  ${l}`) : `  ${l}`)),
  ];

  const wanted = options.anomalies ?? 8;
  const room =
    options.height === undefined
      ? wanted
      : Math.max(0, Math.min(wanted, options.height - lines.length - facilityBlock.length - 4));
  const shown = state.latestAnomalies.slice(0, room);
  const which =
    state.minSeverity === "low"
      ? ""
      : state.minSeverity === "critical"
        ? " (critical only)"
        : ` (${state.minSeverity} or worse)`;
  const anomalyBlock: string[] = [bold(`Latest anomalies${which}`)];
  if (shown.length === 0) {
    anomalyBlock.push(
      state.anomalyCount === 0
        ? "  none yet (faults start after the warm-up)"
        : state.latestAnomalies.length === 0
          ? `  none${which} yet`
          : "  (no room)",
    );
  } else {
    const rows = table(
      ["TIME", "SEVERITY", "DETECTOR", "SENSOR", "EQUIPMENT", "MESSAGE"],
      shown.map((a) => anomalyRow(a, tz)),
      [false, false, false, false, false, false],
    );
    anomalyBlock.push(paint("2", `  ${rows[0]}`));
    rows.slice(1).forEach((row, i) => {
      const severity = shown[i]!.severity;
      const at = row.indexOf(severity, 8);
      anomalyBlock.push(
        at < 0
          ? `  ${row}`
          : `  ${row.slice(0, at)}${paint(SEVERITY_COLOR[severity] ?? "0", severity)}${row.slice(at + severity.length)}`,
      );
    });
  }
  lines.push(...anomalyBlock, "", ...facilityBlock);
  if (state.notice !== null) lines.push("", paint("33", state.notice));
  const fitted = lines.map((l) => fitLine(l, width));
  return options.height === undefined ? fitted : fitted.slice(0, Math.max(1, options.height));
}

/**
 * One compact line for output that is not a terminal, e.g.
 * `12:04:31 running · in 10,003/s · out 512/s · 1,923,441 readings · wm lag 10.6 s ·
 * checkpoint #42 (2.1 s ago) · anomalies 45 · dead letters 12 · late 3 · last: high
 * z-score FAC-01-PMP-007-TEMP`.
 */
export function renderStatusLine(state: DemoViewState, timeZone?: string): string {
  const parts = [
    `${clockTime(state.nowMs, timeZone)} ${state.phase}`,
    `in ${int(state.readingsPerSecond)}/s`,
    `out ${int(state.recordsOutPerSecond)}/s`,
    `${int(state.readingsIn)} readings`,
    state.watermarkMs === null
      ? "no watermark"
      : `wm lag ${humanDuration(state.nowMs - state.watermarkMs)}`,
  ];
  if (state.simulatedMs !== null && state.nowMs - state.simulatedMs > 2000) {
    parts.push(`catching up ${humanDuration(state.nowMs - state.simulatedMs)}`);
  }
  const cp = state.checkpoints;
  const notes = [
    cp.ageMs === null ? null : `${humanDuration(cp.ageMs)} ago`,
    state.resumedFrom === null ? null : `resumed from #${state.resumedFrom}`,
  ].filter((n) => n !== null);
  parts.push(
    cp.lastId === null
      ? "no checkpoint"
      : `checkpoint #${cp.lastId}${notes.length > 0 ? ` (${notes.join(", ")})` : ""}`,
    `anomalies ${int(state.anomalyCount)}`,
    `alarms ${int(state.alarms.active)} active`,
    `dead letters ${int(state.deadLetters)}`,
    `late ${int(state.late)}`,
  );
  const withWindows = state.facilities.filter((f) => f.windowEndMs !== null).length;
  parts.push(
    `windows ${withWindows}/${counted(state.facilities.length, "facility", "facilities")}`,
  );
  const last = state.latestAnomalies[0];
  if (last !== undefined) {
    parts.push(
      `last: ${last.severity} ${last.detector} ${last.sensorId ?? last.equipmentId ?? ""}`,
    );
  }
  return parts.join(" · ").trimEnd();
}
