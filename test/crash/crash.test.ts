/**
 * The short crash test run by `npm test` (the full one is `npm run test:crash`):
 * the pipeline survives SIGKILL at random moments with exactly the output of an
 * uninterrupted run, and the same checker catches both deliberately broken modes.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { crashTest, gracefulStopTest } from "./crash-harness.js";

const work = mkdtempSync(path.join(os.tmpdir(), "millstream-crash-"));
after(() => rmSync(work, { recursive: true, force: true }));

describe("crash recovery", { timeout: 240_000 }, () => {
  it("gives exactly the uninterrupted output after 6 SIGKILLs", async () => {
    const report = await crashTest({
      workDir: path.join(work, "exactly-once"),
      records: 200_000,
      sensors: 500,
      kills: 6,
      minDelay: 30,
      maxDelay: 200,
    });
    assert.equal(report.kills, 6);
    assert.ok(report.expected > 200_000, `expected output records: ${report.expected}`);
    assert.deepEqual(
      {
        missing: report.missing,
        duplicated: report.duplicated,
        differing: report.differing,
        extra: report.extra,
      },
      { missing: 0, duplicated: 0, differing: 0, extra: 0 },
      report.examples.join("\n"),
    );
    assert.equal(report.actual, report.expected);
  });

  it("catches lost input when the source is acknowledged before the checkpoint commits", async () => {
    const report = await crashTest({
      workDir: path.join(work, "ack-before-commit"),
      records: 300_000,
      sensors: 500,
      kills: 3,
      mode: "ack-before-commit",
      minDelay: 30,
      maxDelay: 100,
    });
    assert.ok(report.missing + report.differing > 0, "the checker must report loss");
  });

  it("catches duplicates from a sink that is not idempotent", async () => {
    const report = await crashTest({
      workDir: path.join(work, "non-idempotent-sink"),
      records: 300_000,
      sensors: 500,
      kills: 3,
      mode: "non-idempotent-sink",
      minDelay: 30,
      maxDelay: 100,
    });
    assert.ok(report.duplicated > 0, "the checker must report duplication");
  });

  it("stops gracefully on SIGTERM with a final checkpoint, and resumes exactly", async () => {
    const report = await gracefulStopTest(path.join(work, "graceful"), 100_000);
    assert.equal(report.stoppedWith, 0);
    assert.deepEqual(
      {
        missing: report.missing,
        duplicated: report.duplicated,
        differing: report.differing,
        extra: report.extra,
      },
      { missing: 0, duplicated: 0, differing: 0, extra: 0 },
      report.examples.join("\n"),
    );
  });
});
