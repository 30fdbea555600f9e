/**
 * Signal handling, with real signals sent to a child process running a job that
 * never ends by itself.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import path from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const FIXTURE = path.join(path.dirname(fileURLToPath(import.meta.url)), "graceful-stop.fixture.ts");

function startJob(mode: "normal" | "stuck-checkpoint") {
  const child = spawn(process.execPath, ["--import", "tsx", FIXTURE, mode], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  const waiters: [RegExp, () => void][] = [];
  const check = () => {
    for (const [pattern, resolve] of waiters) if (pattern.test(stdout + stderr)) resolve();
  };
  child.stdout.on("data", (c: Buffer) => {
    stdout += c.toString();
    check();
  });
  child.stderr.on("data", (c: Buffer) => {
    stderr += c.toString();
    check();
  });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const waitFor = (pattern: RegExp) =>
    new Promise<void>((resolve) => {
      waiters.push([pattern, resolve]);
      check();
    });
  return { child, exited, waitFor, output: () => stdout + stderr };
}

describe("graceful stop", () => {
  it("stops on SIGTERM after a final checkpoint, and exits 0", async () => {
    const job = startJob("normal");
    await job.waitFor(/running/);
    job.child.kill("SIGTERM");
    assert.equal(await job.exited, 0);
    assert.match(
      job.output(),
      /SIGTERM: stopping after the batch in flight, with a final checkpoint/,
    );
    assert.match(job.output(), /stopped after checkpoint \d+/);
  });

  it("exits at once with code 130 on a second signal", async () => {
    const job = startJob("stuck-checkpoint");
    await job.waitFor(/running/);
    job.child.kill("SIGINT");
    await job.waitFor(/stopping after the batch in flight/);
    job.child.kill("SIGINT");
    assert.equal(await job.exited, 130);
    assert.match(job.output(), /SIGINT: exiting now, without a final checkpoint/);
    assert.doesNotMatch(job.output(), /stopped after checkpoint/);
  });
});
