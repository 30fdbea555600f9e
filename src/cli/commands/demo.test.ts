/**
 * `millstream demo` as a user runs it, in a child process with a small, fast plant:
 * it shows status lines when piped, writes anomalies and window results, stops on
 * SIGINT with exit code 0 after a final checkpoint, and a second start resumes from
 * that checkpoint — the simulation continues where it stopped, so the windows go on
 * without a gap, no sensor looks offline, and no output id is written twice.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const work = mkdtempSync(path.join(os.tmpdir(), "millstream-demo-"));
after(() => rmSync(work, { recursive: true, force: true }));

function startDemo(args: string[]) {
  const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", "demo", ...args], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (c: Buffer) => {
    output += c.toString();
  });
  child.stderr.on("data", (c: Buffer) => {
    output += c.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, exited, output: () => output };
}

/** Every published record of one output folder. */
function published(dir: string): Record<string, unknown>[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((n) => n.startsWith("part-"))
    .sort()
    .flatMap((n) => readFileSync(path.join(dir, n), "utf8").split("\n").filter(Boolean))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

async function until(what: string, ok: () => boolean, timeoutMs: number, log: () => string) {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}; output:\n${log()}`);
    await sleep(100);
  }
}

const lastCheckpoint = (output: string) =>
  Number(/demo stopped after checkpoint (\d+)/.exec(output)?.[1] ?? Number.NaN);

describe("millstream demo", () => {
  it("runs the plant, stops on SIGINT, and resumes from its checkpoint", async () => {
    const data = path.join(work, "data");
    const anomaliesDir = path.join(data, "anomalies");
    const windowsDir = path.join(data, "facility_metrics");
    const common = ["--data", data, "--checkpoint-interval", "300ms", "--refresh", "200ms"];
    // One facility of 50 sensors at 10 readings/s each, starting 10 minutes in the past
    // so it catches up at full speed: windows close and faults show within seconds.
    // Only faults that keep every reading flowing, so an offline anomaly could only
    // come from a broken resume, and no duplicate delivery repeats an anomaly id.
    const first = startDemo([
      ...common,
      "--fresh",
      "--facilities",
      "1",
      "--sensors",
      "50",
      "--interval-ms",
      "100",
      "--seed",
      "7",
      "--backfill",
      "10m",
      "--warmup",
      "20s",
      "--faults",
      "spike=3,drift,stuck,noisy",
      "--fault-rate",
      "30",
      "--min-severity",
      "low",
    ]);
    await until(
      "anomalies and window results",
      () => published(anomaliesDir).length > 0 && published(windowsDir).length > 0,
      15_000,
      first.output,
    );
    first.child.kill("SIGINT");
    assert.equal(await first.exited, 0, first.output());
    const out1 = first.output();
    assert.match(out1, /^millstream demo: 1 facility, 50 sensors, one reading every 100 ms each/m);
    assert.match(out1, /^\d\d:\d\d:\d\d running · in [\d,]+\/s · out [\d,]+\/s · [\d,]+ readings/m);
    assert.match(out1, /SIGINT: stopping after the batch in flight, with a final checkpoint/);
    const cp1 = lastCheckpoint(out1);
    assert.ok(cp1 >= 1, out1);
    const anomalies1 = published(anomaliesDir);
    const windows1 = published(windowsDir);
    assert.ok(anomalies1.length > 0);
    assert.ok(windows1.every((w) => w.facility_id === "FAC-01" && (w.readings as number) > 0));
    assert.ok(existsSync(path.join(data, "metadata", "sensors.json")));
    assert.ok(readdirSync(path.join(data, "archive"), { recursive: true }).length > 0);
    const settings = JSON.parse(readFileSync(path.join(data, "demo.json"), "utf8"));
    assert.deepEqual(settings, {
      facilities: 1,
      sensors: 50,
      lines: null,
      seed: 7,
      intervalMs: 100,
    });

    // Started again without plant flags: the same plant (demo.json), from the checkpoint.
    const second = startDemo(common);
    const latestCheckpoint = () =>
      Math.max(0, ...[...second.output().matchAll(/checkpoint #(\d+)/g)].map((m) => Number(m[1])));
    await until("two more checkpoints", () => latestCheckpoint() >= cp1 + 2, 15_000, second.output);
    second.child.kill("SIGINT");
    assert.equal(await second.exited, 0, second.output());
    const out2 = second.output();
    assert.match(out2, new RegExp(`resumed from #${cp1}\\b`));
    assert.ok(lastCheckpoint(out2) > cp1, out2);
    assert.match(out2, /stopped after checkpoint \d+: [1-9][\d,]* readings this run/);

    const anomalies = published(anomaliesDir);
    const windows = published(windowsDir);
    assert.ok(anomalies.length >= anomalies1.length);
    // The first run stopped while still catching up, so the second one closed windows too.
    assert.ok(
      windows.length > windows1.length,
      `${windows1.length} then ${windows.length} windows`,
    );
    for (const [name, records] of [
      ["anomalies", anomalies],
      ["facility_metrics", windows],
    ] as const) {
      const ids = records.map((r) => r.id as string);
      assert.equal(new Set(ids).size, ids.length, `no ${name} id twice`);
    }
    // The windows go on every 30 s, across the restart, without a gap.
    const starts = windows.map((w) => w.window_start_ms as number).sort((a, b) => a - b);
    for (let i = 1; i < starts.length; i++) assert.equal(starts[i]! - starts[i - 1]!, 30_000);
    assert.deepEqual(
      anomalies.filter((a) => a.detector === "offline").map((a) => a.id),
      [],
      "no sensor looked offline",
    );
  });

  it("refuses another plant in a folder that holds one, naming the flag", async () => {
    const data = path.join(work, "data");
    const run = startDemo(["--data", data, "--sensors", "60"]);
    assert.equal(await run.exited, 2);
    assert.match(
      run.output(),
      /--sensors 60: the data folder .* holds a demo with --sensors 50; .*--fresh/,
    );
  });
});
