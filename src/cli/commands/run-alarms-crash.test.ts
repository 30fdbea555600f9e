/**
 * `millstream run` with alarms, killed with SIGKILL at random moments and started
 * again each time: the plant job and the alarm job (linked, each with its own
 * checkpoints) must together publish exactly the alarm history and notifications of a
 * run that was never interrupted — none missing, none twice.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { seededRandom as random } from "../../engine/testing/index.js";
import { writeMetadataFolder } from "../../iot/metadata/test-metadata.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const work = mkdtempSync(path.join(os.tmpdir(), "millstream-run-alarms-crash-"));
after(() => rmSync(work, { recursive: true, force: true }));

/** Two sensors every second for `seconds`, running hot now and then, with lone spikes. */
function readings(seconds: number): string {
  const next = random(11);
  const start = Date.UTC(2026, 10, 2, 6, 0, 0);
  const lines: string[] = [];
  let hotUntil = -1;
  for (let s = 0; s < seconds; s++) {
    if (s > hotUntil && next() < 0.004) hotUntil = s + 20 + Math.floor(next() * 60);
    const hot = s <= hotUntil;
    const spike = !hot && next() < 0.002;
    const t = start + s * 1000;
    lines.push(
      JSON.stringify({
        sensor_id: "TEMP-001",
        timestamp: t,
        facility_id: "FAC-BER",
        sensor_type: "temperature",
        quality_score: 0.99,
        temperature_celsius: hot ? 97 + (s % 3) : spike ? 150 : 60 + (s % 7) / 10,
      }),
      JSON.stringify({
        sensor_id: "PRS-004",
        timestamp: t,
        facility_id: "FAC-BER",
        sensor_type: "pressure",
        quality_score: 0.98,
        pressure_psi: spike ? 400 : 100 + (s % 5) / 10,
        flow_rate: 12,
      }),
    );
  }
  return `${lines.join("\n")}\n`;
}

function start(config: string): ChildProcess {
  return spawn(
    process.execPath,
    ["--import", "tsx", "src/cli/main.ts", "run", "--config", config],
    {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
}

/** Runs to the end; resolves with the exit code and standard error. */
function finish(child: ChildProcess): Promise<{ status: number | null; stderr: string }> {
  let stderr = "";
  child.stderr?.on("data", (d) => (stderr += d));
  child.stdout?.resume();
  return new Promise((resolve) => child.on("close", (status) => resolve({ status, stderr })));
}

/** Waits until the process says it is running, then `ms` more, then kills it with SIGKILL. */
async function killAfter(child: ChildProcess, ms: number): Promise<boolean> {
  let stderr = "";
  child.stderr?.on("data", (d) => (stderr += d));
  child.stdout?.resume();
  const closed = new Promise<void>((resolve) => child.on("close", () => resolve()));
  while (!stderr.includes("running ") && child.exitCode === null) await sleep(20);
  await sleep(ms);
  const killed = child.exitCode === null && child.kill("SIGKILL");
  await closed;
  return killed;
}

/**
 * The published records of an output folder as sorted JSON lines, without
 * `detected_at` (the processing time of a detection, which differs between runs).
 */
function published(folder: string): string[] {
  if (!existsSync(folder)) return [];
  return readdirSync(folder)
    .filter((n) => n.startsWith("part-"))
    .flatMap((n) => readFileSync(path.join(folder, n), "utf8").split("\n").filter(Boolean))
    .map((line) =>
      JSON.stringify(JSON.parse(line), (k, v) => (k === "detected_at" ? undefined : v)),
    )
    .sort();
}

function writeConfig(dir: string, metadata: string): string {
  const file = path.join(dir, "plant.yaml");
  writeFileSync(
    file,
    [
      `input: { files: [${JSON.stringify(path.join(work, "readings.jsonl"))}] }`,
      `metadata: { folder: ${JSON.stringify(metadata)} }`,
      "outputs: { folder: out, archive: false }",
      "checkpoint: { intervalMs: 150, alarms: { intervalMs: 40 } }",
      "pipeline:",
      "  advanceWhenQuiet: false",
      "  detectors: { threshold: { emit: every-reading } }",
      "  alarms:",
      "    lifecycle: { clearAfterMs: 30000 }",
      // Alarms on the pipeline itself follow processing time: no two runs agree on them.
      "    monitor: false",
    ].join("\n"),
  );
  return file;
}

describe("millstream run with alarms, killed and restarted", () => {
  it("publishes the alarm history and notifications of an uninterrupted run, once each", async () => {
    writeFileSync(path.join(work, "readings.jsonl"), readings(40_000));
    const metadata = await writeMetadataFolder();
    after(() => rmSync(metadata, { recursive: true, force: true }));

    const clean = mkdtempSync(path.join(work, "clean-"));
    const once = await finish(start(writeConfig(clean, metadata)));
    assert.equal(once.status, 0, once.stderr);
    const expected = {
      alarms: published(path.join(clean, "out", "alarms")),
      notifications: published(path.join(clean, "out", "notifications")),
      anomalies: published(path.join(clean, "out", "anomalies")),
    };
    assert.ok(expected.alarms.length >= 20, `${expected.alarms.length} alarm transitions`);
    assert.ok(
      expected.notifications.length >= 10,
      `${expected.notifications.length} notifications`,
    );

    const crashed = mkdtempSync(path.join(work, "crashed-"));
    const config = writeConfig(crashed, metadata);
    const next = random(5);
    let kills = 0;
    for (let i = 0; i < 4; i++) {
      if (await killAfter(start(config), 150 + Math.floor(next() * 900))) kills++;
    }
    const last = await finish(start(config));
    assert.equal(last.status, 0, last.stderr);
    assert.ok(kills >= 2, `${kills} of 4 runs were killed before they finished`);
    assert.deepEqual(published(path.join(crashed, "out", "anomalies")), expected.anomalies);
    assert.deepEqual(published(path.join(crashed, "out", "alarms")), expected.alarms);
    const notified = published(path.join(crashed, "out", "notifications"));
    const want = new Set(expected.notifications);
    const got = new Set(notified);
    assert.deepEqual(
      notified,
      expected.notifications,
      // Which notifications differ, for whoever has to find out why.
      JSON.stringify({
        extra: notified.filter((n) => !want.has(n)),
        missing: expected.notifications.filter((n) => !got.has(n)),
      }),
    );
  });
});
