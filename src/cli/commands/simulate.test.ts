/**
 * `millstream simulate` and `millstream evaluate` as a user runs them: the command in a
 * child process, the files it writes read back.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { loadMetadataFolder } from "../../iot/metadata/index.js";
import { parseReading } from "../../iot/reading/index.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const work = mkdtempSync(path.join(os.tmpdir(), "millstream-simulate-"));
after(() => rmSync(work, { recursive: true, force: true }));

function millstream(...args: string[]) {
  const run = spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], {
    cwd: ROOT,
    encoding: "utf8",
    maxBuffer: 64 << 20,
  });
  return { code: run.status, out: run.stdout, err: run.stderr };
}

const lines = (file: string) => readFileSync(file, "utf8").split("\n").filter(Boolean);

describe("millstream simulate", () => {
  it("writes readings, labels and a metadata folder that loads", async () => {
    const out = path.join(work, "a", "readings.jsonl");
    const labels = path.join(work, "a", "labels.jsonl");
    const meta = path.join(work, "a", "plant");
    const run = millstream(
      "simulate",
      ...["--facilities", "3", "--sensors", "30", "--duration", "40m", "--seed", "4"],
      ...["--fault-rate", "3", "--out", out, "--labels", labels, "--metadata", meta],
    );
    assert.equal(run.code, 0, run.err);
    assert.match(run.out, /^simulated [\d,]+ lines of 30 sensors \(3 facilities, 6 machines\)/);
    const readings = lines(out);
    assert.ok(Math.abs(readings.length - 30 * 2400) < 2000, `${readings.length} lines`);
    const valid = readings.map((l) => parseReading(l)).filter((r) => r.ok);
    assert.ok(valid.length / readings.length > 0.99, "nearly every line is a valid reading");
    const faults = lines(labels).map((l) => JSON.parse(l));
    assert.ok(faults.length >= 5, `${faults.length} labels`);
    assert.match(run.out, new RegExp(`fault labels: ${faults.length} `));
    const set = await loadMetadataFolder(meta);
    assert.equal(set.sensors.size, 30);
    for (const f of faults) {
      if (f.sensor_id !== null) assert.ok(set.sensors.has(f.sensor_id), f.sensor_id);
      assert.ok(set.equipment.has(f.equipment_id), f.equipment_id);
    }
  });

  it("is reproducible by seed, writes to standard output by default and stops at a count", () => {
    const a = millstream("simulate", "--count", "25", "--seed", "9", "--faults", "none");
    const b = millstream("simulate", "--count", "25", "--seed", "9", "--faults", "none", "--quiet");
    assert.equal(a.code, 0, a.err);
    assert.equal(a.out.split("\n").filter(Boolean).length, 25);
    assert.equal(a.out, b.out);
    assert.match(a.err, /^simulated 25 lines/, "the summary goes to stderr");
    assert.equal(b.err.trim(), "");
    const c = millstream("simulate", "--count", "25", "--seed", "10", "--faults", "none");
    assert.notEqual(c.out, a.out);
    const slow = millstream("simulate", "--count", "4", "--interval-ms", "2000", "--sensors", "2");
    const times = slow.out
      .split("\n")
      .filter(Boolean)
      .map((l) => Date.parse(JSON.parse(l).timestamp));
    assert.ok(times[2]! - times[0]! > 1800, "two seconds between a sensor's readings");
  });

  it("explains itself and refuses bad options", () => {
    const help = millstream("simulate", "--help");
    assert.equal(help.code, 0);
    for (const option of ["--out", "--metadata", "--labels", "--rate", "--realtime", "--faults"]) {
      assert.ok(help.out.includes(option), option);
    }
    const bad = millstream("simulate", "--faults", "spike=x");
    assert.equal(bad.code, 2);
    assert.match(bad.err, /--faults: fault "spike=x": expected spike=<weight ≥ 0>/);
    const to = millstream("simulate", "--to", "gopher://localhost:70");
    assert.equal(to.code, 2);
    assert.match(to.err, /--to: no target for "gopher:\/\/localhost:70" \(registered: /);
    assert.match(
      millstream("simulate", "--duration", "soon").err,
      /--duration: expected a duration/,
    );
    assert.equal(existsSync(path.join(ROOT, "soon")), false);
  });
});

describe("millstream evaluate", () => {
  it("prints the per-type table and checks the targets", () => {
    const dir = path.join(work, "eval");
    const run = millstream(
      "evaluate",
      ...["--facilities", "2", "--sensors", "100", "--duration", "30m", "--warmup", "15m"],
      ...["--fault-rate", "2", "--out", dir],
    );
    assert.equal(run.code, 0, run.err);
    assert.match(run.out, /^evaluated 180,000 readings of 100 sensors in 2 facilities/);
    assert.match(run.out, /\nfault +labels +detected +recall +precision +median delay/);
    assert.match(run.out, /\ndetector +anomalies +explained +precision/);
    assert.match(run.out, /\noverall: recall \d\.\d{3} .*precision \d\.\d{3}/);
    assert.match(run.out, /\ntargets: (all met|missed: .+)/);
    const score = JSON.parse(readFileSync(path.join(dir, "score.json"), "utf8"));
    assert.ok(Array.isArray(score.types) && Array.isArray(score.missedTargets), "score.json");
    assert.ok(lines(path.join(dir, "labels.jsonl")).length > 0, "labels written");
    const bad = millstream("evaluate", "--duration", "10m");
    assert.equal(bad.code, 2);
    assert.match(bad.err, /--duration must exceed --warmup/);
  });
});
