/**
 * `millstream run` with alarm channels configured: an anomaly becomes an alarm, its
 * notification goes through the outbox and reaches a real webhook receiver on
 * loopback, signed as Standard Webhooks prescribes.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createHmac } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { writeMetadataFolder } from "../../iot/metadata/test-metadata.js";
import { spikeReadings } from "./spike-readings.fixture.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const work = mkdtempSync(path.join(os.tmpdir(), "millstream-run-alarms-"));
after(() => rmSync(work, { recursive: true, force: true }));
const SECRET = `whsec_${Buffer.from("millstream-test-signing-key").toString("base64")}`;

function millstream(args: string[], env: NodeJS.ProcessEnv) {
  return new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}

describe("millstream run with alarm channels", () => {
  it("delivers the notification of a spike to a signed webhook", async () => {
    const received: { headers: IncomingHttpHeaders; body: string }[] = [];
    const server = createServer((req, res) => {
      let body = "";
      req.on("data", (d) => (body += d));
      req.on("end", () => {
        received.push({ headers: req.headers, body });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as AddressInfo).port;
    try {
      const metadata = await writeMetadataFolder();
      const start = Date.UTC(2026, 10, 2, 8, 0, 0);
      const lines = spikeReadings(start, 600, 400);
      writeFileSync(path.join(work, "readings.jsonl"), `${lines.join("\n")}\n`);
      const file = path.join(work, "plant.yaml");
      writeFileSync(
        file,
        [
          "input: { files: [readings.jsonl] }",
          `metadata: { folder: ${JSON.stringify(metadata)} }`,
          "outputs: { folder: out }",
          "checkpoint: { intervalMs: 200 }",
          "pipeline:",
          "  advanceWhenQuiet: false",
          "  alarms:",
          "    channels:",
          "      ops-hook:",
          "        type: webhook",
          `        url: http://127.0.0.1:${port}/alarms`,
          "        secret: env:MILLSTREAM_TEST_WEBHOOK_SECRET",
          "        network: { allowPrivateNetworks: true }",
          "    routes:",
          "      - { name: everything, allChannels: true }",
          "    delivery: { outbox: state/outbox.db }",
        ].join("\n"),
      );
      const run = await millstream(["run", "--config", file], {
        MILLSTREAM_TEST_WEBHOOK_SECRET: SECRET,
      });
      rmSync(metadata, { recursive: true, force: true });
      assert.equal(run.status, 0, run.stderr);
      assert.ok(!run.stderr.includes(SECRET), "the secret is never printed");
      assert.match(run.stderr, /alarm job on a worker thread/);
      assert.match(run.stderr, /notifications: [1-9]\d* delivered, 0 pending/);
      assert.ok(received.length > 0, run.stderr);
      const firing = received.find((r) => r.body.includes('"firing"'));
      assert.ok(firing, received.map((r) => r.body).join("\n"));
      const { headers, body } = firing;
      const id = headers["webhook-id"] as string;
      const timestamp = headers["webhook-timestamp"] as string;
      const key = Buffer.from(SECRET.slice("whsec_".length), "base64");
      const expected = createHmac("sha256", key)
        .update(`${id}.${timestamp}.${body}`)
        .digest("base64");
      assert.ok((headers["webhook-signature"] as string).split(" ").includes(`v1,${expected}`));
      assert.match(body, /TEMP-001/);
      const alarmParts = readdirSync(path.join(work, "out", "alarms")).filter((n) =>
        n.startsWith("part-"),
      );
      const transitions = alarmParts.flatMap((n) =>
        readFileSync(path.join(work, "out", "alarms", n), "utf8")
          .split("\n")
          .filter(Boolean),
      );
      assert.ok(transitions.some((t) => t.includes("TEMP-001")));
    } finally {
      server.close();
    }
  });
  it("raises alarms on the plant job itself in the alarm job's thread, from the plant's progress and memory", async () => {
    const dir = mkdtempSync(path.join(work, "monitor-"));
    const metadata = await writeMetadataFolder();
    const start = Date.UTC(2026, 10, 2, 8, 0, 0);
    writeFileSync(
      path.join(dir, "readings.jsonl"),
      `${spikeReadings(start, 300, 100).join("\n")}\n`,
    );
    const file = path.join(dir, "plant.yaml");
    writeFileSync(
      file,
      [
        "name: monitored",
        "input: { files: [readings.jsonl], follow: true, pollIntervalMs: 50 }",
        `metadata: { folder: ${JSON.stringify(metadata)} }`,
        "outputs: { folder: out, archive: false }",
        "checkpoint: { intervalMs: 500, alarms: { intervalMs: 100 } }",
        "pipeline:",
        "  alarms:",
        // Any process is above a 1-byte RSS limit: the sample must come from the plant.
        "    monitor: { intervalMs: 50, maxRssBytes: 1 }",
      ].join("\n"),
    );
    const child = spawn(
      process.execPath,
      ["--import", "tsx", "src/cli/main.ts", "run", "--config", file],
      {
        cwd: ROOT,
      },
    );
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    const closed = new Promise<number | null>((resolve) => child.on("close", resolve));
    const alarmsDir = path.join(dir, "out", "alarms");
    const memoryAlarm = () => {
      let names: string[] = [];
      try {
        names = readdirSync(alarmsDir).filter((n) => n.startsWith("part-"));
      } catch {
        return undefined;
      }
      return names
        .flatMap((n) => readFileSync(path.join(alarmsDir, n), "utf8").split("\n"))
        .find((line) => line.includes('"memory-high"'));
    };
    try {
      const until = Date.now() + 30_000;
      while (memoryAlarm() === undefined && Date.now() < until) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    } finally {
      child.kill("SIGINT");
    }
    const status = await closed;
    rmSync(metadata, { recursive: true, force: true });
    assert.equal(status, 0, stderr);
    const line = memoryAlarm();
    assert.ok(line, `no memory-high alarm was written\n${stderr}`);
    const transition = JSON.parse(line) as { alarm: { source: { id: string } } };
    assert.equal(transition.alarm.source.id, "monitored");
  });
});
